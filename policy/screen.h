/*
 * policy/screen.h - the screening engine: rule files, normalised matching,
 * findings with spans, scoring.
 *
 * Contract:
 *  - screen_load() reads every *.rules file of a folder (or one file).
 *    Returns a new rule set (refcount 1) or NULL with *err naming file and
 *    line of every error, one per line ("file:line: message"). Nothing is
 *    changed on failure: the caller keeps the rules in force. A rule set is
 *    read-only once loaded and safe to use from many threads; share it with
 *    screen_ref(), drop it with screen_unref().
 *  - screen_text() screens one text. `lang` is the text's language ("ru",
 *    "en", ...); `where` is "original" or "ru" and is copied into each
 *    finding. With original = TRUE only the rules for `lang` and the
 *    language-independent rules apply; with FALSE (the Russian text) every
 *    rule applies. Findings are appended to `findings` (lg_finding*, owned by
 *    the array). Returns a new string: `text` with the spans of `strip`
 *    findings removed. Never NULL.
 *  - screen_decide() sums the scores and applies thresholds and forced
 *    actions: returns LG_ACT_REJECT, LG_ACT_HOLD or LG_ACT_NONE.
 *  - screen_cli() implements `lettergatectl rules test FILE|-` and
 *    `lettergatectl rules check DIR`; argv[0] is "test" or "check".
 *    Returns the process exit code: test 0 (findings printed) or 1 (rules
 *    or input unreadable); check 0 (valid) or 1 (every error printed as
 *    "file:line: message"); 2 on bad usage.
 *    test options: --dir DIR (default cfg->rules_dir), --lang LANG (default
 *    ru), --original (screen as an original in LANG, not as the Russian
 *    text), --show (print the matched excerpt too; admin use only).
 *    Each finding line: "START-END<TAB>category<TAB>rule<TAB>action<TAB>
 *    score<TAB>reason_en", then "score S, verdict V, N findings, ...".
 *  - screen_reason() gives a category's reasons from [category] sections
 *    (e.g. "length" for the pipeline). Returns FALSE when either is missing;
 *    the strings belong to the rule set.
 *
 * Matching. The text is normalised (policy/normalize.h): NFKC, lower case,
 * "ё" -> "е", zero-width characters dropped; words are folded for
 * homoglyphs, separators inside words ("с.у.к.а", "х у й") and leetspeak
 * ("3" -> "з"), and stemmed with Snowball (Russian for Cyrillic words,
 * English for Latin words). Regular expressions (PCRE2, JIT) run on the
 * normalised text (lower case, not word-folded); strip rules' regexes run
 * first and the words inside their spans are not screened again. Findings
 * carry byte offsets [start, end) in `text`. A rule scores once per text
 * (its first finding carries the score, later ones 0), as an rspamd symbol
 * does; a rule reports at most 32 spans per text.
 *
 * Rule file format (conf/rules/NN-name.rules, read in name order; UTF-8).
 * Lines are "key = value"; '#' or ';' starts a comment line; blank lines
 * are ignored. Sections:
 *
 *   [category NAME]             reasons shared by the category's rules
 *   reason_en = ...             (a rule's own reason_en/reason_ru win)
 *   reason_ru = ...
 *
 *   [rule ID]                   ID: letters, digits, '-', '_', '.'; unique
 *   category = NAME             links, phone, obscene, lgbt, violence,
 *                               extremism, escape, contraband, coded, case,
 *                               war, media, language, length, or a new one
 *   action   = strip|flag|hold|reject   forced action (flag forces nothing)
 *   score    = NUMBER           added once per text; thresholds decide
 *   lang     = ru|en|...|any    applies to originals in that language;
 *                               any (default): language-independent
 *   reason_en = ...             writer-facing; never quote offending words;
 *   reason_ru = ...             say what is wrong and what to do, not what
 *                               happens next: a refusal quotes it (pipeline.c)
 *   stem   = W W ...            words matched by Snowball stem (inflections)
 *   word   = W W ...            exact folded words
 *   prefix = P P ...            words beginning with P (2-63 bytes)
 *   root   = R R ...            words containing R (2-63 bytes)
 *   phrase = E E ...            one phrase per line; consecutive words,
 *                               across line breaks. Elements: "w" stem,
 *                               "=w" exact, "w*" prefix, "*w*" root, "*" any
 *                               one word, "..." zero to three words
 *   except = E E ...            a phrase that, covering a match, cancels it
 *                               (for word and phrase matches)
 *   regex  = PCRE2              one per line, on the normalised text
 *                               (caseless, UTF, UCP, multiline)
 *   heuristic = latin_share SHARE [MINWORDS]    share of Latin-script words
 *   heuristic = nonword_share SHARE [MINTOKENS] share of non-words
 *   heuristic = quote_chars CHARS               longest quotation
 * Match keys may repeat and add up. A rule needs a category, an action, a
 * matcher and reasons (its own or its category's).
 */
#ifndef LG_SCREEN_H
#define LG_SCREEN_H

#include <glib.h>
#include "conf/config.h"
#include "policy/letter.h"

typedef struct screen_rules screen_rules;

screen_rules *screen_load(const char *dir, GError **err);
screen_rules *screen_ref(screen_rules *r);
void screen_unref(screen_rules **r);
guint screen_count(const screen_rules *r);

char *screen_text(const screen_rules *r, const char *text, const char *lang, const char *where,
                  gboolean original, GPtrArray *findings);
lg_action screen_decide(const GPtrArray *findings, double hold_score, double reject_score);

gboolean screen_reason(const screen_rules *r, const char *category, const char **en_r,
                       const char **ru_r);

int screen_cli(const lg_config *cfg, int argc, char **argv);

#endif
