/*
 * deliver/spool.h - the spool-folder partner: each letter written atomically
 * into spool_dir as <id>.json (the partner HTTP body, photos referenced by
 * name and sha256), <id>.txt (the letter as printed) and <id>-<photo name>
 * for each converted photo. The JSON is written last: its presence means the
 * letter is complete. Rewriting a letter (a retry after a crash) gives the
 * same files: delivery is idempotent.
 *
 * Contract: spool_new() checks the folder exists and is writable (NULL with
 * *err otherwise). spool_deliver() returns LG_DELIVER_OK, or
 * LG_DELIVER_RETRY with *error_r (caller frees) on any file-system error.
 */
#ifndef LG_SPOOL_H
#define LG_SPOOL_H

#include "deliver/partner.h"

typedef struct lg_spool lg_spool;

lg_spool *spool_new(const lg_config *cfg, GError **err);
void spool_free(lg_spool **s);
lg_deliver_status spool_deliver(lg_spool *s, const lg_letter_rec *letter,
                                const lg_prisoner *prisoner, char **ref_r, char **error_r);

/* Sender's display name as printed ("Друг" when the writer gave none). */
const char *partner_sender_name(const lg_letter_rec *letter);

#endif
