/* policy/letter.c - see letter.h. */
#include "policy/letter.h"

#include <string.h>

static const char *const action_names[] = {"none", "strip", "flag", "hold", "reject"};

const char *letter_action_name(lg_action a)
{
	if ((int)a < 0 || (size_t)a >= G_N_ELEMENTS(action_names))
		return "none";
	return action_names[a];
}

lg_action letter_action_parse(const char *s)
{
	for (size_t i = 1; s && i < G_N_ELEMENTS(action_names); i++)
		if (strcmp(s, action_names[i]) == 0)
			return (lg_action)i;
	return LG_ACT_NONE;
}

const char *letter_verdict_name(lg_verdict v)
{
	switch (v) {
	case LG_VERDICT_ACCEPT:
		return "accept";
	case LG_VERDICT_HOLD:
		return "hold";
	case LG_VERDICT_REJECT:
		return "reject";
	case LG_VERDICT_TEMPFAIL:
		return "tempfail";
	}
	return "tempfail";
}

lg_finding *finding_new(const char *rule, const char *category, lg_action action, double score,
                        const char *reason_en, const char *reason_ru)
{
	lg_finding *f = g_new0(lg_finding, 1);
	f->rule = g_strdup(rule ? rule : "");
	f->category = g_strdup(category ? category : "");
	f->action = action;
	f->score = score;
	f->reason_en = g_strdup(reason_en ? reason_en : "");
	f->reason_ru = g_strdup(reason_ru ? reason_ru : "");
	f->where = g_strdup("original");
	f->start = -1;
	f->end = -1;
	return f;
}

void finding_free(lg_finding *f)
{
	if (f == NULL)
		return;
	g_free(f->rule);
	g_free(f->category);
	g_free(f->reason_en);
	g_free(f->reason_ru);
	g_free(f->where);
	g_free(f);
}

void photo_free(lg_photo *p)
{
	if (p == NULL)
		return;
	g_free(p->name);
	g_free(p->orig_name);
	g_free(p->type);
	if (p->data)
		g_bytes_unref(p->data);
	g_free(p);
}

lg_photo *photo_copy(const lg_photo *ph)
{
	lg_photo *c = g_new0(lg_photo, 1);
	c->name = g_strdup(ph->name);
	c->orig_name = g_strdup(ph->orig_name);
	c->type = g_strdup(ph->type);
	c->data = ph->data ? g_bytes_ref(ph->data) : NULL;
	memcpy(c->sha256, ph->sha256, sizeof(c->sha256));
	c->width = ph->width;
	c->height = ph->height;
	return c;
}

lg_dropped *dropped_new(const char *name, const char *type, const char *reason)
{
	lg_dropped *d = g_new0(lg_dropped, 1);
	d->name = g_strdup(name ? name : "");
	d->type = g_strdup(type ? type : "application/octet-stream");
	d->reason = g_strdup(reason ? reason : "");
	return d;
}

void dropped_free(lg_dropped *d)
{
	if (d == NULL)
		return;
	g_free(d->name);
	g_free(d->type);
	g_free(d->reason);
	g_free(d);
}
