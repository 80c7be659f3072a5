/*
 * policy/screen.h - the screening engine: rule files, normalised matching,
 * findings with spans, scoring.
 *
 * Contract:
 *  - screen_load() reads every *.rules file of a folder. Returns a new rule
 *    set (refcount 1) or NULL with *err naming file and line. A rule set is
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
 *    Returns the process exit code.
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

int screen_cli(const lg_config *cfg, int argc, char **argv);

#endif
