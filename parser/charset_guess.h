/*
 * parser/charset_guess.h - which legacy charset 8-bit text is in when it is
 * not UTF-8 and says nothing.
 *
 * Old clients send windows-1251 or KOI8-R Russian unlabelled, and now and
 * then Greek, Hebrew or Arabic in their Windows code pages, or Chinese,
 * Japanese or Korean in their multibyte ones. Read in the
 * wrong one, every letter of such a text is another letter: the prisoner
 * gets gibberish, and the screening rules read nonsense.
 *
 * Contract:
 *  - charset_guess_legacy() returns an iconv name (a static string):
 *    "WINDOWS-1252" when the bytes above 0x7F are only some of the letters
 *    of the words that hold them (accents in Latin words: "Grüße"); else
 *    EUC-KR, CP949, SHIFT_JIS, CP932, EUC-JP, GBK or BIG5 when every byte
 *    of the text's first 64 KB reads in it and what it reads is clearly
 *    the language (Korean: mostly syllables, at least 3 and a fifth of them
 *    among the most frequent; Japanese: a fifth kana; Chinese: at least 3
 *    and a fifth of the characters among the most frequent in simplified,
 *    for GBK, or traditional, for Big5), the one that reads best; else
 *    the charset among windows-1251, KOI8-R, windows-1253 (ISO-8859-7 when
 *    its capital alpha with tonos, 0xB6, is used), windows-1255 and
 *    windows-1256 in which those bytes read most like Russian, Greek,
 *    Hebrew or Arabic: letter frequencies, bytes the charset leaves
 *    undefined, capitals inside a word, Greek final sigma inside a word.
 *    Another script must win clearly over both Cyrillic readings, where
 *    words all in capitals count against Russian (Hebrew read as KOI8-R is
 *    Russian capitals with plausible letters); a few words stay Cyrillic.
 *    Between windows-1251 and KOI8-R the case
 *    of the letters decides (most letters of a text are lower case),
 *    unless the letters read clearly better in the other (a text in
 *    capitals; a single word in capitals stays ambiguous).
 *  - Linear in len, no allocation after the first call (which builds the
 *    tables with iconv); thread-safe.
 */
#ifndef LG_CHARSET_GUESS_H
#define LG_CHARSET_GUESS_H

#include <glib.h>

const char *charset_guess_legacy(const guchar *p, gsize len);

#endif
