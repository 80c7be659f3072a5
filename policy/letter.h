/*
 * policy/letter.h - the data model of one letter as it moves through the
 * in-session pipeline: findings from screening, photos kept, parts dropped,
 * the Russian text. Shared by policy/, translate/, store/, deliver/.
 *
 * Ownership: every string and array in these structs is owned by the struct;
 * the _free functions release everything and set the caller's pointer NULL.
 */
#ifndef LG_LETTER_H
#define LG_LETTER_H

#include <glib.h>

typedef enum {
	LG_ACT_NONE = 0,
	LG_ACT_STRIP,
	LG_ACT_FLAG,
	LG_ACT_HOLD,
	LG_ACT_REJECT,
} lg_action;

const char *letter_action_name(lg_action a);
lg_action letter_action_parse(const char *s); /* LG_ACT_NONE when unknown */

typedef enum {
	LG_VERDICT_ACCEPT = 0,
	LG_VERDICT_HOLD,
	LG_VERDICT_REJECT,
	LG_VERDICT_TEMPFAIL,
} lg_verdict;

const char *letter_verdict_name(lg_verdict v);

typedef struct lg_finding {
	char *rule;     /* rule id, e.g. "url" */
	char *category; /* DESIGN.md category, e.g. "links" */
	lg_action action;
	double score;
	char *reason_en; /* writer-facing, never echoes the offending words */
	char *reason_ru;
	char *where;  /* "original" or "ru" */
	gint64 start; /* byte span in that text, -1 when none */
	gint64 end;
} lg_finding;

lg_finding *finding_new(const char *rule, const char *category, lg_action action, double score,
                        const char *reason_en, const char *reason_ru);
void finding_free(lg_finding *f); /* GDestroyNotify for GPtrArray */

typedef struct lg_photo {
	char *name; /* safe file name, e.g. "photo-1.jpg" */
	char *orig_name;
	char *type;   /* "image/jpeg" after conversion */
	GBytes *data; /* converted JPEG */
	char sha256[65];
	int width;
	int height;
} lg_photo;

void photo_free(lg_photo *p);
/* A new photo sharing p's data (GBytes reference). */
lg_photo *photo_copy(const lg_photo *p);

typedef struct lg_dropped {
	char *name;
	char *type;     /* detected type, or declared type when unknown */
	char *reason;   /* writer-facing English */
	gboolean quiet; /* signatures: dropped without telling */
} lg_dropped;

lg_dropped *dropped_new(const char *name, const char *type, const char *reason);
void dropped_free(lg_dropped *d);

#endif
