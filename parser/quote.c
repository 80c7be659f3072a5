/* parser/quote.c - see quote.h. */
#include "parser/quote.h"

#include <string.h>

typedef struct rx {
	GRegex *fwd_dashed, *fwd_intro, *fwd_end, *orig_msg;
	GRegex *attrib_verb, *attrib_addr, *attrib_start, *attrib_inline;
	GRegex *hdr_from, *hdr_sent, *hdr_subj, *hdr_any, *fw_subject;
} rx;

static GRegex *compile(const char *pattern)
{
	GError *err = NULL;
	GRegex *r = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &err);
	if (!r)
		g_error("quote.c: bad regex %s: %s", pattern, err->message);
	return r;
}

#define FWD_WORDS                                                                                                                     \
	"forwarded message|forwarded e-?mail|weitergeleitete nachricht|"                                                              \
	"message transf[ée]r[ée]|message r[ée]exp[ée]di[ée]|mensaje reenviado|"                                                  \
	"messaggio inoltrato|wiadomo[śs][ćc] przekazana(?: dalej)?|przekazana wiadomo[śs][ćc]|"                                   \
	"mensagem (?:re)?encaminhada|doorgestuurd bericht|doorgestuurde e-?mail|"                                                     \
	"пересылаемое сообщение|пересланное сообщение|пересланное письмо|"  \
	"начало (?:пересылаемого|переадресованного|пересланного) сообщения|" \
	"переслан(?:ий|е) (?:лист|повідомлення)|пересланого повідомлення|"          \
	"перасланы ліст|перасланае паведамленне|пераасланы ліст|"                    \
	"videresendt (?:melding|meddelelse)|vidarebefordrat meddelande|välitetty viesti"

#define HDR_FROM                                                                                   \
	"from|von|de|da|od|van|от|от кого|від|ад|fra|från|lähettäjä|feladó|kimden|remetente"
#define HDR_SENT                                                                                   \
	"sent|date|gesendet|datum|envoyé|enviado|enviada|fecha|inviato|data|wysłano|wysłane|"   \
	"verzonden|отправлено|дата|надіслано|відправлено|адпраўлена|skickat|sendt|lähetetty"
#define HDR_SUBJ                                                                                   \
	"subject|betreff|objet|asunto|oggetto|temat|assunto|onderwerp|тема|тэма|ämne|emne|aihe"
#define HDR_OTHER                                                                                                    \
	"to|cc|bcc|reply-to|an|kopie|à|a|para|cc|do|dw|kopia|aan|кому|копия|копія|каму|till|til|" \
	"vastaanottaja|organization|importance|wichtigkeit"

static gpointer rx_init(gpointer unused)
{
	rx *r = g_new0(rx, 1);
	r->fwd_dashed = compile("^[-=_*\\s]{3,}\\s*(?:begin(?:ning of)?\\s+)?(?:" FWD_WORDS
	                        ")\\s*[-=_*\\s]*:?$");
	r->fwd_intro =
	    compile("^(?:begin forwarded message|anfang der weitergeleiteten nachricht|"
	            "d[ée]but du message r[ée]exp[ée]di[ée]|inicio del mensaje reenviado|"
	            "comienzo del mensaje reenviado|inizio messaggio inoltrato|"
	            "pocz[ąa]tek przekazywanej wiadomo[śs]ci|in[íi]cio da mensagem reencaminhada|"
	            "begin doorgestuurd bericht|начало переадресованного сообщения|"
	            "начало пересылаемого сообщения|початок листа,? що пересилається|"
	            "початок пересланого повідомлення|пачатак перасланага паведамлення|" FWD_WORDS
	            ")\\s*:$");
	r->fwd_end = compile("^[-=_*\\s]{3,}\\s*(?:конец|end of|ende der|fin du)\\s+"
	                     "(?:пересылаемого|переадресованного|пересланного|forwarded|"
	                     "weitergeleiteten|message)\\b.*[-=_*\\s]{3,}$");
	r->orig_msg = compile(
	    "^[-_=*\\s]{3,}\\s*(?:original message|original e-?mail|ursprüngliche nachricht|"
	    "originalnachricht|message d'origine|message original|mensaje original|"
	    "messaggio originale|oryginalna wiadomo[śs][ćc]|wiadomo[śs][ćc] oryginalna|"
	    "mensagem original|oorspronkelijk bericht|origineel bericht|исходное сообщение|"
	    "исходное письмо|оригинальное сообщение|вихідне повідомлення|оригінальне повідомлення|"
	    "зыходнае паведамленне|reply message|original-nachricht)\\s*[-_=*\\s]*$");
	r->attrib_verb =
	    compile("(?:^|[\\s,])(?:wrote|writes|schrieb|schreibt|a\\s+écrit|a\\s+ecrit|escribió|"
	            "escribio|ha\\s+scritto|napisał(?:\\(a\\)|a)?|pisze|escreveu|schreef|"
	            "написал(?:\\(а\\)|а)?|пишет|написав(?:\\(ла\\)|ла)?|пише|напісаў(?:\\(ла\\))?|"
	            "напісала|піша|skrev|kirjoitti|írta|yazdı|napsal(?:\\(a\\)|a)?|napísal)"
	            "(?:[\\s,].*)?\\s*:$");
	r->attrib_addr = compile("^(?=.*\\d).*(?:@|<[^>]*>).*:$");
	r->attrib_start =
	    compile("^(?:(?:on|am|le|el|il|w dniu|dnia|em|op|den|в|у)\\s|\\d|"
	            "(?:mon|tue|wed|thu|fri|sat|sun|пн|вт|ср|чт|пт|сб|вс|понедельник|вторник|среда|"
	            "четверг|пятница|суббота|воскресенье))");
	/* Yahoo's plain text puts the attribution and the quote on one line. */
	r->attrib_inline =
	    compile("^(?:on|am|le|el|il|em|op)\\s(?=[^\\n]*\\d)(?=[^\\n]*@)[^\\n]{5,250}?\\s"
	            "(?:wrote|schrieb|a écrit|escribió|ha scritto|escreveu|schreef|napisał\\(a\\)|"
	            "написал\\(а\\)|пишет|пише)\\s*:\\s+\\S");
	r->hdr_from = compile("^\\*?(?:" HDR_FROM ")\\s*:\\*?\\s*\\S");
	r->hdr_sent = compile("^\\*?(?:" HDR_SENT ")\\s*:\\*?\\s*\\S");
	r->hdr_subj = compile("^\\*?(?:" HDR_SUBJ ")\\s*:\\*?");
	r->hdr_any = compile("^\\*?(?:" HDR_FROM "|" HDR_SENT "|" HDR_SUBJ "|" HDR_OTHER
	                     ")\\s*:\\*?(?:\\s|$)");
	r->fw_subject = compile("^\\s*(?:\\[[^]]*\\]\\s*)?(?:fw|fwd|wg|tr|rv|enc|i|pd|vs|vl|doorst|"
	                        "trs|пересл|перес|пер|fw)\\s*:");
	return r;
}

static const rx *rx_get(void)
{
	static GOnce once = G_ONCE_INIT;
	return g_once(&once, rx_init, NULL);
}

static gboolean m(GRegex *re, const char *s)
{
	return g_regex_match(re, s, 0, NULL);
}

/*
 * Cheap tests that a line cannot match a pattern, so that most lines never
 * reach the regex engine. Each is a necessary condition of its patterns as
 * PCRE2 reads them (UTF, UCP, caseless): when in doubt they say "maybe".
 */

/* May s start with [-=_*\s] (fwd_dashed, fwd_end, orig_msg)? \s is ASCII
 * white space or a Unicode space, whose lead bytes are C2, E1, E2, E3. */
static gboolean may_sep(const char *s)
{
	unsigned char c = (unsigned char)*s;
	return c == '-' || c == '=' || c == '_' || c == '*' || c == ' ' ||
	       (c >= 0x09 && c <= 0x0D) || c == 0xC2 || (c >= 0xE1 && c <= 0xE3);
}

/* May s match ":$" (fwd_intro, attrib_verb, attrib_addr)? "$" also matches
 * before a final newline, which may be \n, \r, U+0085, U+2028, U+2029... */
static gboolean may_colon_end(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return FALSE;
	unsigned char c = (unsigned char)s[n - 1];
	return c == ':' || (c >= 0x0A && c <= 0x0D) || c == 0x85 || c == 0xA8 || c == 0xA9;
}

/* May s match attrib_start? Its alternatives begin with o a l e i w d m t f
 * s, a digit, or Cyrillic в у п с ч (either case); any other non-ASCII
 * first character (other digits, case variants such as U+017F or U+1C80)
 * is left to the regex. */
static gboolean may_attrib_start(const char *s)
{
	unsigned char c = (unsigned char)*s;
	if (c == 0)
		return FALSE;
	if (c < 0x80)
		return strchr("oOaAlLeEiIwWdDmMtTfFsS0123456789", c) != NULL;
	if (c != 0xD0 && c != 0xD1)
		return TRUE;
	gunichar u = g_utf8_get_char(s);
	if (u >= 0x410 && u <= 0x42F)
		u += 0x20;
	return u == 0x432 || u == 0x443 || u == 0x43F || u == 0x441 || u == 0x447;
}

static gboolean m_sep(GRegex *re, const char *s)
{
	return may_sep(s) && m(re, s);
}

static gboolean m_colon(GRegex *re, const char *s)
{
	return strchr(s, ':') && m(re, s);
}

static gboolean m_attrib_start(const rx *r, const char *s)
{
	return may_attrib_start(s) && m(r->attrib_start, s);
}

static gboolean m_attrib_inline(const rx *r, const char *s)
{
	return strchr(s, '@') && strchr(s, ':') && m(r->attrib_inline, s);
}

static gboolean m_attrib_addr(const rx *r, const char *s)
{
	return strpbrk(s, "@<") && may_colon_end(s) && m(r->attrib_addr, s);
}

typedef struct ln {
	const char *raw; /* points into lines.raw_buf */
	char *text;      /* content after quote marks, trimmed (in text_buf) */
	int depth;
} ln;

typedef struct lines {
	char *raw_buf, *text_buf; /* the text twice, lines NUL-terminated */
	ln *v;
	guint n;
} lines;

static void lines_parse(lines *L, const char *text)
{
	gsize len = strlen(text ? text : "");
	guint n = len ? 1 : 0; /* as g_strsplit(): "" has no lines */
	L->raw_buf = g_strndup(text ? text : "", len);
	for (const char *p = L->raw_buf; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	L->text_buf = g_malloc(len + 1);
	memcpy(L->text_buf, L->raw_buf, len + 1);
	L->n = n;
	L->v = g_new0(ln, n + 1);
	char *line = L->raw_buf;
	/* n == 0: the loop does not run */
	for (guint i = 0; i < n; i++) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		const char *p = line;
		int d = 0;
		for (;;) {
			const char *q = p;
			while (*q == ' ')
				q++;
			if (*q != '>')
				break;
			d++;
			p = q + 1;
		}
		char *t = L->text_buf + (p - L->raw_buf);
		if (nl)
			L->text_buf[nl - L->raw_buf] = '\0';
		L->v[i].raw = line;
		L->v[i].depth = d;
		L->v[i].text = g_strstrip(t);
		line = nl ? nl + 1 : line + strlen(line);
	}
}

static void lines_free(lines *L)
{
	g_free(L->v);
	g_free(L->raw_buf);
	g_free(L->text_buf);
}

static gboolean blank(const lines *L, guint i)
{
	return L->v[i].text[0] == '\0';
}

/* Only separator characters: "_____", "-----", "* * *". */
static gboolean separator(const char *s)
{
	if (!*s)
		return FALSE;
	for (; *s; s++)
		if (!strchr("-_=*~ ", *s))
			return FALSE;
	return TRUE;
}

/* An Outlook header block starting at i: From, then Sent/Date and Subject
 * within the next lines of the same depth. *end_r = first line after it. */
static gboolean outlook_block(const rx *r, const lines *L, guint i, guint *end_r)
{
	if (!m_colon(r->hdr_from, L->v[i].text))
		return FALSE;
	gboolean sent = FALSE, subj = FALSE;
	guint j = i + 1, last = i;
	for (; j < L->n && j <= i + 8; j++) {
		if (L->v[j].depth != L->v[i].depth)
			break;
		if (blank(L, j)) {
			if (sent && subj)
				break;
			continue;
		}
		if (m_colon(r->hdr_sent, L->v[j].text))
			sent = TRUE, last = j;
		else if (m_colon(r->hdr_subj, L->v[j].text))
			subj = TRUE, last = j;
		else if (m_colon(r->hdr_any, L->v[j].text))
			last = j;
		else if (!(sent && subj) && strchr(L->v[j].text, '@'))
			last = j; /* a wrapped To: or Cc: list */
		else
			break;
	}
	if (end_r)
		*end_r = last + 1;
	return sent && subj;
}

/* Attribution line(s) at i ("On ... wrote:"). *k_r = lines it spans. */
static gboolean attribution(const rx *r, const lines *L, guint i, guint *k_r, gboolean *strong_r)
{
	if (L->v[i].depth != 0 || blank(L, i))
		return FALSE;
	const char *t = L->v[i].text;
	size_t tl = strlen(t);
	guint k = 1;
	*k_r = 1;
	GString *j = NULL;
	const char *js = t;
	size_t jl = tl;
	if (t[tl - 1] != ':') {
		/* Not ending in ':': an attribution only when the lines after it
		 * complete it, which is only tried for a likely first line. */
		gboolean lead = strpbrk(t, "0123456789@<") || m_attrib_start(r, t);
		if (!lead)
			return FALSE;
		j = g_string_new(t);
		while (j->len && j->str[j->len - 1] != ':' && k < 3 && i + k < L->n &&
		       L->v[i + k].depth == 0 && !blank(L, i + k)) {
			g_string_append_c(j, ' ');
			g_string_append(j, L->v[i + k].text);
			k++;
		}
		js = j->str;
		jl = j->len;
	}
	gboolean ok = FALSE;
	if (jl && jl <= 400 && js[jl - 1] == ':') {
		gboolean verb = m(r->attrib_verb, js);
		gboolean addr = m_attrib_addr(r, js);
		ok = verb || addr;
		*strong_r =
		    verb && strpbrk(js, "0123456789") && (strchr(js, '@') || m_attrib_start(r, js));
	}
	if (j)
		g_string_free(j, TRUE);
	*k_r = k;
	return ok;
}

static guint next_nonblank(const lines *L, guint i)
{
	while (i < L->n && blank(L, i))
		i++;
	return i;
}

gboolean quote_is_forward_subject(const char *subject)
{
	return subject && strchr(subject, ':') && m(rx_get()->fw_subject, subject);
}

char *quote_strip_history(const char *text)
{
	const rx *r = rx_get();
	lines L;
	lines_parse(&L, text);
	GString *out = g_string_new(NULL);
	guint i = 0;
	while (i < L.n) {
		guint k = 0, end = 0;
		gboolean strong = FALSE;
		if (L.v[i].depth > 0 || m_sep(r->fwd_end, L.v[i].text)) {
			i++;
			continue;
		}
		if (m_sep(r->orig_msg, L.v[i].text) || outlook_block(r, &L, i, &end) ||
		    m_attrib_inline(r, L.v[i].text)) {
			break;
		}
		if (attribution(r, &L, i, &k, &strong)) {
			guint nx = next_nonblank(&L, i + k);
			if (nx >= L.n || L.v[nx].depth > 0) {
				i += k;
				continue;
			}
			if (strong)
				break;
		}
		g_string_append(out, L.v[i].raw);
		g_string_append_c(out, '\n');
		i++;
	}
	lines_free(&L);
	/* Drop separator lines ("______") left just above the cut. */
	for (;;) {
		while (out->len &&
		       (out->str[out->len - 1] == '\n' || out->str[out->len - 1] == ' '))
			g_string_truncate(out, out->len - 1);
		const char *nl = strrchr(out->str, '\n');
		const char *last = nl ? nl + 1 : out->str;
		if (!separator(last))
			break;
		g_string_truncate(out, last - out->str);
	}
	return g_string_free(out, FALSE);
}

/* raw with up to n quote levels removed (and the space after the last). */
static const char *unquote(const char *raw, int n)
{
	const char *p = raw;
	for (int i = 0; i < n; i++) {
		const char *q = p;
		while (*q == ' ')
			q++;
		if (*q != '>')
			break;
		p = q + 1;
		if (*p == ' ' && p[1] != '>')
			p++;
	}
	return p;
}

/* Body of a forward whose marker (at depth d) is at line m; hdr is the first
 * line to look for a header block at. */
static char *forward_body(const rx *r, const lines *L, guint hdr, int d)
{
	GPtrArray *body = g_ptr_array_new();
	guint i = hdr;
	while (i < L->n && blank(L, i))
		i++;
	gboolean in_hdr = FALSE;
	while (i < L->n) {
		const char *t = L->v[i].text;
		if (m_colon(r->hdr_any, t) ||
		    (!in_hdr && strlen(t) <= 300 && m_attrib_addr(r, t))) {
			in_hdr = TRUE;
		} else if (in_hdr && *t && (strchr(t, '@') || *t == '<')) {
			/* continuation of To:/Cc: */
		} else {
			break;
		}
		i++;
	}
	for (; i < L->n; i++)
		if (!m_sep(r->fwd_end, L->v[i].text))
			g_ptr_array_add(body, (gpointer)unquote(L->v[i].raw, d));
	/* Apple Mail, Yahoo, Proton: the forwarded body is itself quoted. */
	for (int lvl = 0; lvl < 8; lvl++) {
		gboolean all = body->len > 0, any = FALSE;
		for (guint j = 0; j < body->len && all; j++) {
			const char *s = body->pdata[j];
			while (*s == ' ')
				s++;
			if (*s == '\0')
				continue;
			any = TRUE;
			all = (*s == '>');
		}
		if (!all || !any)
			break;
		for (guint j = 0; j < body->len; j++)
			body->pdata[j] = (gpointer)unquote(body->pdata[j], 1);
	}
	GString *g = g_string_new(NULL);
	for (guint j = 0; j < body->len; j++) {
		g_string_append(g, body->pdata[j]);
		g_string_append_c(g, '\n');
	}
	g_ptr_array_free(body, TRUE);
	return g_string_free(g, FALSE);
}

char *quote_split_forward(const char *text, const char *subject, char **forwarded_r)
{
	const rx *r = rx_get();
	gboolean fw_subj = quote_is_forward_subject(subject);
	lines L;
	lines_parse(&L, text);
	*forwarded_r = NULL;
	guint at = L.n, hdr = 0;
	int depth = 0;
	int prev_depth = 0; /* depth of the previous non-blank line */
	for (guint i = 0; i < L.n; i++) {
		if (blank(&L, i))
			continue;
		int d = L.v[i].depth;
		const char *t = L.v[i].text;
		gboolean block_start = d > prev_depth;
		prev_depth = d;
		guint end = 0, k = 0;
		gboolean strong = FALSE;
		if ((d == 0 || block_start) &&
		    (m_sep(r->fwd_dashed, t) || (may_colon_end(t) && m(r->fwd_intro, t)))) {
			at = i, hdr = i + 1, depth = d;
			break;
		}
		if (d > 0)
			continue;
		if (m_sep(r->orig_msg, t)) {
			if (fw_subj)
				at = i, hdr = i + 1, depth = 0;
			break;
		}
		if (outlook_block(r, &L, i, &end)) {
			if (fw_subj)
				at = i, hdr = i, depth = 0;
			break;
		}
		if (m_attrib_inline(r, t))
			break;
		if (attribution(r, &L, i, &k, &strong)) {
			guint nx = next_nonblank(&L, i + k);
			if (nx >= L.n || L.v[nx].depth > 0 || strong)
				break; /* reply history starts here */
		}
	}
	GString *w = g_string_new(NULL);
	guint wend = at;
	/* "________" above an Outlook block belongs to the marker. */
	while (wend > 0 && (blank(&L, wend - 1) || separator(L.v[wend - 1].text)))
		wend--;
	for (guint i = 0; i < (at < L.n ? wend : L.n); i++) {
		g_string_append(w, L.v[i].raw);
		g_string_append_c(w, '\n');
	}
	if (at < L.n)
		*forwarded_r = forward_body(r, &L, hdr, depth);
	lines_free(&L);
	return g_string_free(w, FALSE);
}
