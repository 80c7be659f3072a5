/*
 * store/translit.h - prisoner aliases from Russian full names, and the
 * lookup key of an address's local part.
 *
 * The scheme (documented in README "Prisoner addresses"): a full name in the
 * Russian order "Фамилия Имя Отчество" gives "<имя>.<фамилия>" in Latin
 * letters, lower case. Letters map as in the simplified BGN/PCGN practice
 * that Russian newspapers use in English:
 *
 *   а a  б b  в v  г g  д d  е e  ё e  ж zh з z  и i  й y  к k  л l  м m
 *   н n  о o  п p  р r  с s  т t  у u  ф f  х kh ц ts ч ch ш sh щ shch
 *   ъ -  ы y  ь -  э e  ю yu я ya
 *
 * Latin letters and digits pass through in lower case; other characters
 * become nothing; a hyphen inside a name stays ("Римский-Корсаков" ->
 * rimskiy-korsakov). Collisions are settled by the caller with the birth
 * year: "ivan.petrov.1985".
 *
 * Other spellings (extra aliases) come from two more schemes:
 *   TRANSLIT_ICAO     ICAO Doc 9303 / Russian passports since 2013
 *                     (й i, х kh, ц ts, ъ ie, ю iu, я ia)
 *   TRANSLIT_SIMPLE   the "phonetic" spellings writers type (х h, й j,
 *                     ю ju, я ja, ц c, щ sch)
 * and the Cyrillic address itself ("иван.петров", for MTAs that pass
 * SMTPUTF8 addresses).
 *
 * Contract: every function returns a new string (g_free) or NULL where
 * stated; input is UTF-8.
 */
#ifndef LG_TRANSLIT_H
#define LG_TRANSLIT_H

#include <glib.h>

typedef enum {
	TRANSLIT_PRIMARY = 0, /* the scheme above */
	TRANSLIT_ICAO,
	TRANSLIT_SIMPLE,
} translit_scheme;

/* Transliterates a word or phrase to lower-case ASCII with the scheme. */
char *translit_text(const char *utf8, translit_scheme scheme);

/* "<given>.<family>" from a full name "Family Given [Patronymic]" (Cyrillic
 * or Latin). A single word gives that word. NULL when nothing is left (no
 * letters). With cyrillic TRUE the result keeps the Cyrillic letters (lower
 * case, ё -> е) instead of transliterating. */
char *translit_alias(const char *full_name, translit_scheme scheme, gboolean cyrillic);

/* Every distinct alias for a full name: primary first, then ICAO, simple
 * and Cyrillic spellings that differ from it. GPtrArray of char*, new. */
GPtrArray *translit_alias_variants(const char *full_name);

/* The key an address's local part is looked up by: NFC, lower case
 * (Unicode), ё -> е, surrounding spaces removed. Never NULL. */
char *translit_alias_key(const char *local);

/* TRUE for an extra alias: 1..64 bytes of lower-case letters (any script),
 * digits, dot, dash, underscore; starting with a letter or digit. */
gboolean translit_extra_alias_valid(const char *alias);

#endif
