/*
 * conf/config.h - the typed, read-only configuration snapshot.
 *
 * Contract:
 *  - config_load() parses an INI file (GKeyFile) against one table of keys
 *    (conf/config.c): every key has a type, a default and bounds; unknown
 *    sections or keys are errors; values out of bounds are errors.
 *    Returns a new snapshot with refcount 1, or NULL with *err set (the
 *    message names the file, the section and the key).
 *  - config_defaults() returns a snapshot holding only the defaults.
 *  - A snapshot is never modified after load; share it with config_ref(),
 *    drop it with config_unref(). The daemon swaps the global snapshot on
 *    SIGHUP (config_swap/config_current), sessions keep the one they began
 *    with.
 *  - config_dump() writes "section.key = value" lines for every key (secrets
 *    are file paths, never contents).
 */
#ifndef LG_CONFIG_H
#define LG_CONFIG_H

#include <glib.h>
#include <stdio.h>

typedef struct lg_config {
	int refcount;
	char *path; /* file it came from, or NULL for defaults */

	/* [gateway] */
	char *domain;
	char *database;
	char *socket;
	char *user;
	char *group;     /* group of the socket (the MTA's), "" = user's */
	int socket_mode; /* octal, e.g. 0660 */
	char *anyone_alias;
	char *log;     /* "syslog" or "stderr" */
	char *tmp_dir; /* spill files for large bodies */
	char *pid_file;
	char *reply_secret_file; /* HMAC key for reply+token addresses */

	/* [limits] every input limit, each a named setting */
	gint64 message_bytes; /* 552 5.3.4 above this */
	gint64 memory_bytes;  /* body kept in memory up to this, then a temp file */
	gint64 header_bytes;  /* all headers of the message together */
	int mime_depth;
	int mime_parts;
	int text_chars;            /* letter length in characters (reject, "length") */
	int sessions;              /* concurrent SMTP sessions served */
	int parse_seconds;         /* CPU budget per message for parsing */
	int photos;                /* photos per letter */
	gint64 photo_bytes;        /* bytes of one photo as sent */
	gint64 photo_pixels;       /* width * height of one photo */
	gint64 letter_photo_bytes; /* converted photo bytes per letter */

	/* [photos] */
	int photo_long_side;
	int photo_quality;
	int photo_min_side;
	int vips_threads;
	int vips_cache_mb;

	/* [text] */
	int chars_per_page;
	char *emoji; /* "word" or "remove" */

	/* [translate] */
	char *apertium_url;
	char *libretranslate_url;
	char *libretranslate_key_file;
	char *deepl_url;
	char *deepl_key_file;
	char *languages;  /* comma list that language ID may answer */
	char *routes;     /* "uk:apertium;be:apertium;*:deepl,libretranslate" */
	char *on_failure; /* "tempfail" or "hold" */
	char *short_text; /* "russian", "hold" or "unknown" for texts too short */
	int short_text_chars;
	int translate_timeout_ms;
	char *machine_notice; /* "{lang}" replaced with the language name */

	/* [screen] */
	char *rules_dir;
	double hold_score;
	double reject_score;

	/* [delivery] */
	char *partner; /* spool | http | smtp */
	char *spool_dir;
	char *http_url;
	char *http_secret_file;
	char *smtp_url;
	char *smtp_to;
	char *smtp_from;
	int delivery_workers;
	int retry_base_seconds;
	int retry_max_seconds;
	int retry_max_age_hours;
	int partner_timeout_ms;
	char *status_listen; /* "127.0.0.1:8025" or "" */
	char *status_poll_url;
	int poll_seconds;
	int delivery_interval_ms;
	int delivery_yield_seconds; /* delivery waits while SMTP messages are in progress, at most
	                               this long */
	int delivery_yield_idle_percent; /* ... and in a burst's gaps while the CPUs are less
	                                    idle than this (0: only in progress) */

	/* [notify] */
	gboolean notify_enabled;
	char *notify_from;
	char *sendmail;
	char *authserv_id;
	char *trusted_writers; /* comma list of domains or addresses */

	/* [quota] 0 = no limit */
	int quota_writer_day;
	int quota_writer_prisoner_day;
	int quota_prisoner_day;
	int quota_letters_day;
	int quota_photos_day;
	int duplicate_days;

	/* [organizations] */
	char *org_auth;     /* comma list of SMTP AUTH identities */
	char *org_networks; /* comma list of CIDR ranges */
	char *org_domains;  /* comma list of authenticated domains */
	int org_quota_day;
	int org_mime_parts; /* MIME parts a batch may have (beside [limits] mime_parts) */
	char *org_report_from;

	/* [retention] */
	int retention_days;
	int retention_purge_minutes; /* lettergated purges this often; 0: never */
} lg_config;

lg_config *config_load(const char *path, GError **err);
lg_config *config_defaults(void);
lg_config *config_ref(lg_config *cfg);
void config_unref(lg_config **cfg);

/* Extra checks that need the file system (secret files not world-readable,
 * directories present). Returns TRUE or FALSE with *err set. */
gboolean config_check_runtime(const lg_config *cfg, GError **err);

/* Reads a secret file (first line, trimmed). Refuses files that group or
 * others can read. Returns a new string or NULL with *err set. */
char *config_read_secret(const char *path, GError **err);

void config_dump(const lg_config *cfg, FILE *out);

/* Global snapshot for the daemon. config_current() returns a new reference
 * the caller must config_unref(). config_swap() takes over new_cfg. */
lg_config *config_current(void);
void config_swap(lg_config *new_cfg);

#define LG_CONFIG_ERROR (lg_config_error_quark())
GQuark lg_config_error_quark(void);

#endif
