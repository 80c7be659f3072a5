/*
 * parser/message.h - one MIME message read under limits into what the
 * gateway needs: the writer, the subject, the text bodies (UTF-8) and the
 * non-text parts.
 *
 * Contract:
 *  - message_parse() reads a whole RFC 5322 message from a GMime stream
 *    (memory or temporary file). On success returns a new lg_message the
 *    caller frees with message_free(). On a limit hit or a message that
 *    cannot be read at all it returns NULL, sets *err in LG_MESSAGE_ERROR
 *    with one of the lg_message_errc codes and a writer-safe message.
 *  - Charsets are converted to UTF-8, missing and wrong labels too
 *    (parser/charset.h); invalid bytes become U+FFFD; encoded
 *    words are decoded. NUL bytes are dropped.
 *  - Every part is visited (message/rfc822 included). The top-level
 *    message's text goes to plain/html. A message without a text part
 *    takes the text before its first boundary (a multipart whose boundary
 *    never comes, a text/plain header overridden by a second Content-Type;
 *    not a client's MIME notice, not raw part headers), else its first
 *    text/plain attachment or ".txt" file sent as application/octet-stream
 *    (plain_is_attachment). message/rfc822 attachments are
 *    parsed recursively into `inner` (same limits, depth counted
 *    through them) and their text does not leak into the outer text.
 *  - Strings are never NULL ("" when absent) except where noted.
 */
#ifndef LG_MESSAGE_H
#define LG_MESSAGE_H

#include <glib.h>
#include <gmime/gmime.h>

typedef struct lg_limits {
	gint64 header_bytes;
	int mime_depth;
	int mime_parts;
	int text_chars; /* bodies are cut at 4x this many characters */
	int parse_seconds;
} lg_limits;

typedef enum {
	LG_MSG_ERR_HEADER_BYTES = 1,
	LG_MSG_ERR_MIME_DEPTH,
	LG_MSG_ERR_MIME_PARTS,
	LG_MSG_ERR_UNREADABLE,
	LG_MSG_ERR_CPU,
} lg_message_errc;

#define LG_MESSAGE_ERROR (lg_message_error_quark())
GQuark lg_message_error_quark(void);

typedef struct lg_part {
	char *filename;     /* decoded, "" when none */
	char *content_type; /* "type/subtype" lower case, as declared */
	char *content_id;   /* without <>, "" when none */
	gboolean inline_disp;
	gboolean is_signature; /* application/pkcs7-signature, pgp-signature */
	gboolean is_encrypted; /* multipart/encrypted payload, pkcs7-mime enveloped */
	GBytes *data;          /* decoded content (transfer encoding removed) */
} lg_part;

typedef struct lg_message {
	char *from_name; /* decoded display name, "" when none */
	char *from_addr; /* lower-cased addr-spec, "" when none */
	char *subject;
	char *message_id; /* without <>, "" when none */
	char *date;
	char *auto_submitted;    /* header value, "" when none */
	gboolean is_list;        /* List-Id / List-Unsubscribe / Precedence bulk|list|junk */
	GPtrArray *auth_results; /* char*, each Authentication-Results value */

	char *plain;                  /* first text/plain body, UTF-8, "" when none */
	gboolean plain_flowed;        /* format=flowed */
	gboolean plain_delsp;         /* delsp=yes */
	char *html;                   /* first text/html body, UTF-8, "" when none */
	gboolean plain_is_attachment; /* the only text is a text/plain or .txt attachment */

	GPtrArray *parts;        /* lg_part*, every non-text leaf part in order */
	GPtrArray *inner;        /* lg_message*, each message/rfc822 attachment */
	gboolean encrypted_only; /* content is only encrypted parts (no readable text) */
	int part_count;
	int max_depth;
} lg_message;

/* Initialise GMime once per process (idempotent). */
void message_init(void);

lg_message *message_parse(GMimeStream *stream, const lg_limits *limits, GError **err);
/* Convenience: parse a file ("-" = stdin is not accepted here). */
lg_message *message_parse_file(const char *path, const lg_limits *limits, GError **err);
void message_free(lg_message **msg);
/* The raw-bytes check message_parse() does before GMime sees a message
 * (GMime issue #165 triggers, conflicting boundaries, container counts).
 * For any other code that hands outside mail to GMime. TRUE when safe; the
 * stream is left at its start. */
gboolean message_prescan(GMimeStream *stream, const lg_limits *lim, GError **err);

/* Limits from a configuration. */
struct lg_config;
void message_limits_from_config(const struct lg_config *cfg, lg_limits *lim_r);

#endif
