/*
 * policy/org.h - organisations: trusted submitters that forward their
 * supporters' letters in bulk, and the per-batch report they get back.
 *
 * Recognition ([organizations] in lettergate.conf), first match wins:
 *   auth      comma list of SMTP AUTH identities ({auth_authen}); the
 *             identity is the organisation ("auth:<identity>")
 *   networks  comma list of CIDR ranges (IPv4 or IPv6) the client address
 *             must be in ("net:<range>")
 *   domains   comma list of domains; the From domain must be one of them (or
 *             a subdomain) and authenticated by our own Authentication-Results
 *             ([notify] authserv_id: dmarc=pass, or dkim/spf pass aligned
 *             with the From domain; deliver/notify.h notify_auth_trusted)
 *             ("domain:<domain>")
 *
 * Contract:
 *  - org_identify(): the organisation identity (new string) or NULL.
 *  - org_cidr_match(): TRUE when addr is in one of the comma-listed ranges;
 *    bad ranges never match (and are logged once per call).
 *  - org_report_csv(): the batch report as CSV (header
 *    "letter_id,prisoner,writer,verdict,state,reasons"), one row per letter
 *    in the order of the batch; NULL with *err when the batch is unknown or
 *    on database trouble. New string.
 *  - org_report_send(): mails the report (text summary + CSV attachment)
 *    to the batch's submitter through cfg->sendmail, from
 *    [organizations] report_from (else [notify] from, else
 *    lettergate@<domain>), Auto-Submitted: auto-generated; marks the batch
 *    reported. FALSE with *err on failure.
 */
#ifndef LG_ORG_H
#define LG_ORG_H

#include <glib.h>
#include "conf/config.h"
#include "parser/message.h"
#include "store/store.h"

char *org_identify(const lg_config *cfg, const char *auth_authen, const char *client_addr,
                   const lg_message *msg);
gboolean org_cidr_match(const char *list, const char *addr);
char *org_report_csv(lg_store *st, const char *batch_id, GError **err);
gboolean org_report_send(const lg_config *cfg, lg_store *st, const char *batch_id, GError **err);

#endif
