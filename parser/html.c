/* parser/html.c - HTML email body to plain text with gumbo. See html.h. */
#include "parser/html.h"

#include <gumbo.h>
#include <string.h>

typedef struct render {
	GString *out;
	int quote;       /* blockquote nesting of the text being written */
	int pending_nl;  /* line ends owed before the next visible text */
	int trailing_nl; /* line ends at the end of out */
	gboolean space;  /* a collapsed space is owed */
	gboolean cell;   /* a table cell separator is owed */
	int pre;
	char bullet[16];
} render;

enum { F_NONE = 0, F_BLOCK1 = 1, F_BLOCK2 = 2 };

typedef struct frame {
	GumboNode *node;
	guint child;
	int after; /* F_BLOCK1/2: line ends owed on exit */
	gboolean quote, pre, row;
	int counter; /* <ol> item number, -1 for <ul> */
	int saved_cells;
	int cells;
} frame;

static void render_block(render *r, int n)
{
	if (r->out->len == 0)
		return;
	if (r->trailing_nl + r->pending_nl < n)
		r->pending_nl = n - r->trailing_nl;
}

static void render_flush_for_text(render *r)
{
	if (r->out->len == 0)
		r->pending_nl = 0;
	for (; r->pending_nl > 0; r->pending_nl--) {
		g_string_append_c(r->out, '\n');
		r->trailing_nl++;
	}
	if (r->out->len == 0 || r->trailing_nl > 0) {
		for (int i = 0; i < r->quote; i++)
			g_string_append_c(r->out, '>');
		if (r->quote > 0)
			g_string_append_c(r->out, ' ');
		if (r->bullet[0])
			g_string_append(r->out, r->bullet);
		r->bullet[0] = '\0';
		r->space = FALSE;
		r->cell = FALSE;
	} else if (r->cell) {
		gsize l = r->out->len;
		if (l > 0 && r->out->str[l - 1] == ':')
			g_string_append_c(r->out, ' ');
		else
			g_string_append(r->out, " | ");
		r->cell = FALSE;
		r->space = FALSE;
	} else if (r->space) {
		g_string_append_c(r->out, ' ');
		r->space = FALSE;
	}
	r->trailing_nl = 0;
}

static void render_text(render *r, const char *s)
{
	const char *p = s;
	while (*p) {
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			if (r->pre) {
				if (c == '\n')
					r->pending_nl++;
				else if (c != '\r') {
					render_flush_for_text(r);
					g_string_append_c(r->out, ' ');
				}
			} else if (r->out->len > 0 && r->trailing_nl == 0) {
				r->space = TRUE;
			}
			p++;
			continue;
		}
		const char *q = p;
		while (*q && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r' && *q != '\f')
			q++;
		render_flush_for_text(r);
		g_string_append_len(r->out, p, q - p);
		p = q;
	}
}

static const char *attr(GumboNode *n, const char *name)
{
	GumboAttribute *a = gumbo_get_attribute(&n->v.element.attributes, name);
	return a ? a->value : NULL;
}

static gboolean attr_has(GumboNode *n, const char *name, const char *needle)
{
	const char *v = attr(n, name);
	return v && strstr(v, needle) != NULL;
}

/* Style value with whitespace removed and lower-cased; NULL when none. */
static char *style_compact(GumboNode *n)
{
	const char *s = attr(n, "style");
	if (!s)
		return NULL;
	GString *g = g_string_sized_new(strlen(s));
	for (; *s; s++)
		if (!g_ascii_isspace(*s))
			g_string_append_c(g, g_ascii_tolower(*s));
	return g_string_free(g, FALSE);
}

/* "prop:0" followed by end, ';', 'p' (px/pt) or '!' - not "prop:0.8em". */
static gboolean style_zero(const char *st, const char *prop)
{
	const char *p = st;
	size_t l = strlen(prop);
	while ((p = strstr(p, prop)) != NULL) {
		p += l;
		if (p[0] == '0' && (p[1] == '\0' || p[1] == ';' || p[1] == 'p' || p[1] == '!'))
			return TRUE;
	}
	return FALSE;
}

static gboolean is_hidden(GumboNode *n)
{
	if (attr(n, "hidden"))
		return TRUE;
	g_autofree char *st = style_compact(n);
	if (!st)
		return FALSE;
	return strstr(st, "display:none") || strstr(st, "visibility:hidden") ||
	       strstr(st, "mso-hide:all") || style_zero(st, "max-height:") ||
	       style_zero(st, "font-size:") || style_zero(st, "opacity:") ||
	       (style_zero(st, "width:") && style_zero(st, "height:") &&
	        strstr(st, "overflow:hidden"));
}

static gboolean is_signature(GumboNode *n)
{
	static const char *const classes[] = {"gmail_signature", "moz-signature",
	                                      "protonmail_signature_block", NULL};
	static const char *const ids[] = {"Signature",
	                                  "signature",
	                                  "ms-outlook-mobile-signature",
	                                  "ymail_android_signature",
	                                  "ymail_iphone_signature",
	                                  "ymail_ios_signature",
	                                  NULL};
	for (int i = 0; classes[i]; i++)
		if (attr_has(n, "class", classes[i]))
			return TRUE;
	const char *id = attr(n, "id");
	for (int i = 0; id && ids[i]; i++)
		if (strcmp(id, ids[i]) == 0)
			return TRUE;
	return FALSE;
}

static gboolean is_quote(GumboNode *n)
{
	if (n->v.element.tag == GUMBO_TAG_BLOCKQUOTE) {
		const char *t = attr(n, "type");
		if (t && g_ascii_strcasecmp(t, "cite") == 0)
			return TRUE;
		g_autofree char *st = style_compact(n);
		/* Gmail's and Outlook's "indent" button: a writer's own text. */
		if (st && strstr(st, "border:none") && !attr_has(n, "class", "quote"))
			return FALSE;
		return TRUE;
	}
	return attr_has(n, "class", "moz-cite-prefix") || attr_has(n, "class", "yahoo_quoted");
}

static gboolean is_skipped_tag(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_HEAD:
	case GUMBO_TAG_TITLE:
	case GUMBO_TAG_SCRIPT:
	case GUMBO_TAG_STYLE:
	case GUMBO_TAG_TEMPLATE:
	case GUMBO_TAG_NOSCRIPT:
	case GUMBO_TAG_SVG:
	case GUMBO_TAG_MATH:
	case GUMBO_TAG_IFRAME:
	case GUMBO_TAG_OBJECT:
	case GUMBO_TAG_EMBED:
	case GUMBO_TAG_APPLET:
	case GUMBO_TAG_CANVAS:
	case GUMBO_TAG_VIDEO:
	case GUMBO_TAG_AUDIO:
	case GUMBO_TAG_MAP:
	case GUMBO_TAG_SELECT:
	case GUMBO_TAG_TEXTAREA:
	case GUMBO_TAG_BUTTON:
	case GUMBO_TAG_INPUT:
	case GUMBO_TAG_META:
	case GUMBO_TAG_LINK:
	case GUMBO_TAG_BASE:
	case GUMBO_TAG_FRAMESET:
		return TRUE;
	default:
		return FALSE;
	}
}

/* Line ends owed before and after an element: 0, 1 (block) or 2 (paragraph). */
static int block_kind(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_P:
	case GUMBO_TAG_H1:
	case GUMBO_TAG_H2:
	case GUMBO_TAG_H3:
	case GUMBO_TAG_H4:
	case GUMBO_TAG_H5:
	case GUMBO_TAG_H6:
	case GUMBO_TAG_TABLE:
	case GUMBO_TAG_UL:
	case GUMBO_TAG_OL:
	case GUMBO_TAG_DL:
	case GUMBO_TAG_PRE:
	case GUMBO_TAG_BLOCKQUOTE:
	case GUMBO_TAG_FIGURE:
		return F_BLOCK2;
	case GUMBO_TAG_DIV:
	case GUMBO_TAG_LI:
	case GUMBO_TAG_TR:
	case GUMBO_TAG_DT:
	case GUMBO_TAG_DD:
	case GUMBO_TAG_HR:
	case GUMBO_TAG_SECTION:
	case GUMBO_TAG_ARTICLE:
	case GUMBO_TAG_HEADER:
	case GUMBO_TAG_FOOTER:
	case GUMBO_TAG_ASIDE:
	case GUMBO_TAG_NAV:
	case GUMBO_TAG_MAIN:
	case GUMBO_TAG_ADDRESS:
	case GUMBO_TAG_CENTER:
	case GUMBO_TAG_CAPTION:
	case GUMBO_TAG_FIGCAPTION:
	case GUMBO_TAG_FORM:
	case GUMBO_TAG_FIELDSET:
	case GUMBO_TAG_LEGEND:
	case GUMBO_TAG_DETAILS:
	case GUMBO_TAG_SUMMARY:
	case GUMBO_TAG_BODY:
	case GUMBO_TAG_TBODY:
	case GUMBO_TAG_THEAD:
	case GUMBO_TAG_TFOOT:
		return F_BLOCK1;
	default:
		return F_NONE;
	}
}

/* An <img> whose alt text is an emoji (no letters or digits) or is marked as one. */
static void render_img(render *r, GumboNode *n)
{
	const char *alt = attr(n, "alt");
	const char *emoji = attr(n, "data-emoji");
	const char *use = emoji && *emoji ? emoji : alt;
	if (!use || !*use || !g_utf8_validate(use, -1, NULL) || strlen(use) > 64)
		return;
	if (!emoji) {
		for (const char *p = use; *p; p = g_utf8_next_char(p))
			if (g_unichar_isalnum(g_utf8_get_char(p)))
				return;
	}
	render_text(r, use);
}

static frame *list_frame(GArray *stack)
{
	for (guint i = stack->len; i > 0; i--) {
		frame *f = &g_array_index(stack, frame, i - 1);
		if (f->counter != 0)
			return f;
	}
	return NULL;
}

static frame *row_frame(GArray *stack)
{
	for (guint i = stack->len; i > 0; i--) {
		frame *f = &g_array_index(stack, frame, i - 1);
		if (f->row)
			return f;
	}
	return NULL;
}

/* Word/Outlook paragraphs (class MsoNormal, or margin 0) are printed as
 * single lines; Outlook writes blank lines as empty paragraphs. */
static gboolean compact_p(GumboNode *n)
{
	if (attr_has(n, "class", "MsoNormal") || attr_has(n, "class", "MsoPlainText"))
		return TRUE;
	g_autofree char *st = style_compact(n);
	return st && (strstr(st, "margin:0;") || strstr(st, "margin:0px;") ||
	              g_str_has_suffix(st, "margin:0") || g_str_has_suffix(st, "margin:0px"));
}

/* Enter an element: FALSE when its subtree is to be skipped. */
static gboolean render_enter(render *r, GArray *stack, GumboNode *n, frame *f)
{
	GumboTag t = n->v.element.tag;
	if (is_skipped_tag(t) || is_hidden(n) || is_signature(n))
		return FALSE;
	switch (t) {
	case GUMBO_TAG_BR:
		r->pending_nl++;
		r->space = FALSE;
		return FALSE;
	case GUMBO_TAG_IMG:
		render_img(r, n);
		return FALSE;
	case GUMBO_TAG_LI: {
		frame *lf = list_frame(stack);
		render_block(r, 1);
		if (lf && lf->counter > 0)
			g_snprintf(r->bullet, sizeof r->bullet, "%d. ", lf->counter++);
		else
			g_strlcpy(r->bullet, "– ", sizeof r->bullet);
		break;
	}
	case GUMBO_TAG_TD:
	case GUMBO_TAG_TH: {
		frame *rf = row_frame(stack);
		if (rf && rf->cells++ > 0)
			r->cell = TRUE;
		break;
	}
	default:
		break;
	}
	int k = block_kind(t);
	if (t == GUMBO_TAG_LI || (t == GUMBO_TAG_P && compact_p(n)))
		k = F_BLOCK1;
	if (k)
		render_block(r, k);
	f->after = k;
	if (t == GUMBO_TAG_OL)
		f->counter = 1;
	else if (t == GUMBO_TAG_UL || t == GUMBO_TAG_MENU)
		f->counter = -1;
	if (t == GUMBO_TAG_TR)
		f->row = TRUE;
	if (t == GUMBO_TAG_PRE) {
		f->pre = TRUE;
		r->pre++;
	}
	if (is_quote(n)) {
		f->quote = TRUE;
		render_block(r, 1);
		r->quote++;
	}
	return TRUE;
}

static void render_exit(render *r, frame *f)
{
	if (f->pre)
		r->pre--;
	if (f->quote) {
		render_block(r, 1);
		r->quote--;
	}
	if (f->after)
		render_block(r, f->after);
	if (f->node->v.element.tag == GUMBO_TAG_LI)
		r->bullet[0] = '\0';
}

char *html_to_text(const char *html)
{
	if (!html || !*html)
		return g_strdup("");
	GumboOptions opts = kGumboDefaultOptions;
	opts.max_errors = 0;
	GumboOutput *doc = gumbo_parse_with_options(&opts, html, strlen(html));
	render r = {.out = g_string_new(NULL)};
	GArray *stack = g_array_new(FALSE, TRUE, sizeof(frame));
	frame root = {.node = doc->root};
	g_array_append_val(stack, root);
	while (stack->len > 0) {
		frame *f = &g_array_index(stack, frame, stack->len - 1);
		GumboVector *kids = &f->node->v.element.children;
		if (f->child >= kids->length) {
			render_exit(&r, f);
			g_array_set_size(stack, stack->len - 1);
			continue;
		}
		GumboNode *c = kids->data[f->child++];
		switch (c->type) {
		case GUMBO_NODE_TEXT:
		case GUMBO_NODE_CDATA:
		case GUMBO_NODE_WHITESPACE:
			render_text(&r, c->v.text.text);
			break;
		case GUMBO_NODE_ELEMENT:
		case GUMBO_NODE_TEMPLATE: {
			frame nf = {.node = c};
			if (render_enter(&r, stack, c, &nf))
				g_array_append_val(stack, nf); /* may move f: not used after */
			break;
		}
		default:
			break;
		}
	}
	g_array_free(stack, TRUE);
	gumbo_destroy_output(&opts, doc);
	return g_string_free(r.out, FALSE);
}
