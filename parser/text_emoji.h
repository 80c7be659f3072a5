/*
 * parser/text_emoji.h - emoji and pictographic symbols a prison printer may
 * not render (they would print as empty boxes).
 *
 * Policy (chosen for lettergate):
 *  - An emoji "cluster" (base pictograph plus variation selectors, skin-tone
 *    modifiers, keycap mark, tag characters, and zero-width-joiner chains;
 *    a pair of regional indicators, i.e. a flag) is one unit.
 *  - In "word" mode (the default), clusters whose base has a clear meaning
 *    in a letter (hearts, kisses, smiles, laughter, sadness, hugs, thumbs
 *    up, prayer, strength, raised fist, flowers, sun, celebration, cake,
 *    dove, waving, handshake, applause) become a short word in parentheses:
 *    "(heart)", "(smile)"... Every other emoji cluster, flags included, is
 *    removed. The same word repeated ("❤️❤️❤️") is written once.
 *  - The language of the letter is not known yet at this stage: the words
 *    are Russian ("(сердце)", "(улыбка)") when the text has more Cyrillic
 *    than other letters, English otherwise (non-Russian letters are
 *    translated later, with the words).
 *  - In "remove" mode every cluster is removed.
 *  - In both modes a few symbols get an ASCII stand-in that every printer
 *    has: arrows → "->", "<-", "=>", "<->"; check marks ✓✔☑✅ → "+",
 *    crosses ✗✘❌ → "x"; stars ★☆⭐ → "*". Other pictographic symbols
 *    (dingbats, misc symbols, geometric shapes, misc technical, the
 *    U+1F000-1FAFF planes) are treated as emoji. Letters, digits,
 *    punctuation, currency, math and letterlike symbols (© ® ° № ™) of any
 *    script are kept.
 *  - Digits of keycap emoji ("1️⃣") are kept as digits.
 *
 * Contract: text_emoji_replace() returns a new string (caller g_free()s),
 * never NULL; mode NULL means "word". Spacing around inserted words is
 * fixed up (a space before and after a word when glued to a letter).
 */
#ifndef LG_TEXT_EMOJI_H
#define LG_TEXT_EMOJI_H

#include <glib.h>

char *text_emoji_replace(const char *s, const char *mode);
/* TRUE when c starts or belongs to an emoji cluster (exposed for tests). */
gboolean text_emoji_is_pictograph(gunichar c);

#endif
