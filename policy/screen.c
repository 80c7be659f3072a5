/* policy/screen.c - see screen.h. FIRST VERSION: no rules yet. */
#include "policy/screen.h"

#include <stdio.h>

struct screen_rules {
	int refcount;
};

screen_rules *screen_load(const char *dir, GError **err)
{
	screen_rules *r = g_new0(screen_rules, 1);
	(void)dir;
	(void)err;
	r->refcount = 1;
	return r;
}

screen_rules *screen_ref(screen_rules *r)
{
	g_atomic_int_inc(&r->refcount);
	return r;
}

void screen_unref(screen_rules **r)
{
	if (*r && g_atomic_int_dec_and_test(&(*r)->refcount))
		g_free(*r);
	*r = NULL;
}

guint screen_count(const screen_rules *r)
{
	(void)r;
	return 0;
}

char *screen_text(const screen_rules *r, const char *text, const char *lang, const char *where,
		  gboolean original, GPtrArray *findings)
{
	(void)r;
	(void)lang;
	(void)where;
	(void)original;
	(void)findings;
	return g_strdup(text ? text : "");
}

lg_action screen_decide(const GPtrArray *findings, double hold_score, double reject_score)
{
	double sum = 0;
	lg_action forced = LG_ACT_NONE;
	for (guint i = 0; findings && i < findings->len; i++) {
		const lg_finding *f = g_ptr_array_index((GPtrArray *)findings, i);
		sum += f->score;
		if (f->action == LG_ACT_REJECT || (f->action == LG_ACT_HOLD && forced != LG_ACT_REJECT))
			forced = f->action;
	}
	if (forced == LG_ACT_REJECT || sum >= reject_score)
		return LG_ACT_REJECT;
	if (forced == LG_ACT_HOLD || sum >= hold_score)
		return LG_ACT_HOLD;
	return LG_ACT_NONE;
}

int screen_cli(const lg_config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	fprintf(stderr, "rules: not available yet\n");
	return 2;
}
