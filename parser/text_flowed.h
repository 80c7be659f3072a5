/*
 * parser/text_flowed.h - line endings and RFC 3676 format=flowed.
 *
 * Contract:
 *  - text_eol_normalize() returns a new string with "\r\n" and lone "\r"
 *    turned into "\n". NULL input gives "". Caller g_free()s.
 *  - text_flowed_decode() takes "\n"-terminated lines of a format=flowed
 *    body and returns a new string where soft line breaks (a line ending in
 *    a space) are joined to the next line of the same quote depth; with
 *    delsp the trailing space is removed when joining. Space-stuffing is
 *    undone, the signature separator "-- " is never joined, quoted lines are
 *    written back as ">" x depth followed by one space. Never NULL; caller
 *    g_free()s.
 */
#ifndef LG_TEXT_FLOWED_H
#define LG_TEXT_FLOWED_H

#include <glib.h>

char *text_eol_normalize(const char *s);
char *text_flowed_decode(const char *s, gboolean delsp);

#endif
