/* parser/sig.c - see sig.h. */
#include "parser/sig.h"

#include <string.h>

typedef struct rx {
	GRegex *mobile, *browser, *disc_a, *disc_b, *unsub, *stub;
} rx;

static GRegex *compile(const char *pattern)
{
	GError *err = NULL;
	GRegex *r = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &err);
	if (!r)
		g_error("sig.c: bad regex %s: %s", pattern, err->message);
	return r;
}

#define BROWSER                                                                                    \
	"view (?:this|it|the|our)?\\s*(?:e-?mail|message|newsletter|mail)?\\s*(?:online|in "       \
	"(?:your|a|the) (?:web )?browser)|view (?:the )?(?:web|online) version|web version|"       \
	"im browser (?:ansehen|anzeigen|öffnen)|online (?:ansehen|anzeigen|lesen)|"               \
	"voir la version en ligne|afficher dans (?:le|votre) navigateur|"                          \
	"ver (?:en|no) (?:el |o )?navegador|ver (?:este|el) (?:correo|mensaje|e-?mail|boletín) "  \
	"en "                                                                                      \
	"(?:tu|el|su) navegador|voir (?:ce|le) (?:message|courriel|mail|e-mail) dans "             \
	"(?:votre|le) "                                                                            \
	"navigateur|visualizza (?:nel|sul|in) browser|"                                            \
	"wyświetl w przeglądarce|bekijk (?:in (?:je|uw) browser|online)|"                        \
	"открыть в браузере|посмотреть в браузере|веб-версия|вэб-версия|відкрити в браузері"

static gpointer rx_init(gpointer unused)
{
	rx *r = g_new0(rx, 1);
	r->mobile = compile(
	    "^(?:(?:sent|get|enviado|enviada|envoyé|inviato|gesendet|von|wysłane|wysłano|"
	    "verzonden|verstuurd|отправлено|надіслано|відправлено|адпраўлена|дасланы|"
	    "skickat|sendt|lähetetty|скачайте|download)\\b.{0,60}"
	    "(?:iphone|ipad|ipod|android|mobile|handy|móvil|movil|cellulare|smartphone|"
	    "telefon|телефон|смартфон|galaxy|samsung|huawei|xiaomi|honor|pixel|blackberry|"
	    "outlook|yahoo|aol|gmail|proton|tutanota|tuta|mail\\.ru|почт|пошт|яндекс|yandex|"
	    "windows|mail for|mail app|apple watch|tablet|планшет|ios)[^\\n]{0,90}|"
	    "(?:sent|envoyé|enviado|inviato|gesendet|wysłane|verzonden|verstuurd|отправлено|"
	    "надіслано|відправлено) (?:from|de|desde|da|von|z|vanaf|met|с|з|из|із) "
	    "(?:my|mon|ma|mi|meinem|mijn|mojego|mojej|meu|minha|моего|мого|маёй)\\s+\\S+)$");
	r->browser = compile("^[^\\n]{0,60}(?:" BROWSER ")[^\\n]{0,60}$");
	r->disc_a = compile(
	    "confidential|confidentiality|privileged|disclaimer|vertraulich|haftungsausschluss|"
	    "confidentiel|confidencial|riservat|confidenzial|poufn|vertrouwelijk|"
	    "конфиденциальн|конфіденційн|канфідэнцыйн");
	r->disc_b = compile(
	    "intended|recipient|addressee|empfänger|adressat|destinataire|destinatario|"
	    "destinatário|adresat|geadresseerde|ontvanger|получател|адресат|одержувач|"
	    "атрымальнік|notify|in error|irrtümlich|par erreur|por error|per errore|omyłkowo|"
	    "por engano|ошибочно|ошибке|помилково|памылкова");
	r->unsub = compile(
	    "unsubscribe|opt[- ]out|manage (?:your )?(?:e-?mail )?(?:preferences|subscription)|"
	    "update your (?:e-?mail )?preferences|you (?:are )?receiv(?:ed|ing) this|"
	    "this (?:e-?mail|message) was sent to|abmelden|abbestellen|se désabonner|"
	    "se désinscrire|désinscri|darse de baja|cancelar (?:la )?suscripción|"
	    "annulla(?:re)? l'iscrizione|disiscriviti|wypisz się|wypisać się|descadastr|"
	    "cancelar (?:a )?inscrição|afmelden|uitschrijven|отписаться|отказаться от рассылки|"
	    "відписатися|адпісацца|" BROWSER);
	r->stub = compile(
	    BROWSER "|html[- ](?:e-?mail|message|version|format)|does not support html|"
	            "doesn't support html|html[- ]compatible|(?:client|program|reader|viewer) "
	            "(?:does not|doesn't|cannot|can't)|this is a multi-?part message|"
	            "if you (?:cannot|can't|are unable to) (?:see|view|read)|nur im html|"
	            "ihr e-mail-programm|votre (?:client|logiciel) de messagerie|"
	            "su (?:cliente|programa) de correo|ваш почтовый (?:клиент|агент|программа)|"
	            "для просмотра (?:этого )?письма|ваш поштовий клієнт");
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
 * Cheap tests that text cannot match a pattern, so that most lines never
 * reach the regex engine. Each is a necessary condition of its pattern as
 * PCRE2 reads it (UTF, UCP, caseless); when in doubt they say "maybe".
 */

/* Words every match of a pattern contains one of (lower case). */
static const char *const browser_words[] = {"view",    "version",   "browser", "online",
                                            "navigat", "navegador", "wietl",   "bekijk",
                                            "браузер", "-версия",   NULL};
static const char *const unsub_words[] = {
    "unsubscribe", "opt", "manage", "update your", "receiv", "was sent to", "abmelden",
    "abbestellen", "sabonner", "sinscri", "darse de baja", "cancelar", "iscrizione", "disiscriviti",
    "wypis", "descadastr", "afmelden", "uitschrijven", "отписаться", "отказаться", "відписатися",
    "адпісацца",
    /* BROWSER */
    "view", "version", "browser", "online", "navigat", "navegador", "wietl", "bekijk", "браузер",
    "-версия", NULL};
static const char *const disc_a_words[] = {
    "confiden", "privileged",    "disclaimer",     "vertraulich",  "haftungsausschluss", "riservat",
    "poufn",    "vertrouwelijk", "конфиденциальн", "конфіденційн", "канфідэнцыйн",       NULL};

/* May s (caselessly) contain one of words? Lowers ASCII and U+0400..U+042F
 * itself; characters whose case folding goes further (U+017F, U+212A,
 * U+1C80..) leave the answer to the regex. */
static gboolean may_contain(const char *s, const char *const *words)
{
	gsize len = strlen(s);
	char stack[512];
	char *low = len < sizeof stack ? stack : g_malloc(len + 1), *o = low;
	gboolean maybe = FALSE;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if (c >= 'A' && c <= 'Z') {
			*o++ = (char)(c + 32);
		} else if (c == 0xD0 && p[1] >= 0x80 && p[1] <= 0xAF) {
			gunichar u = 0x400 + (p[1] - 0x80);
			u += u < 0x410 ? 0x50 : 0x20;
			*o++ = (char)(0xC0 | (u >> 6));
			*o++ = (char)(0x80 | (u & 0x3F));
			p++;
		} else {
			if ((c == 0xC5 && p[1] == 0xBF) || (c == 0xE2 && p[1] == 0x84) ||
			    (c == 0xE1 && p[1] == 0xB2))
				maybe = TRUE;
			*o++ = (char)c;
		}
	}
	*o = '\0';
	for (size_t i = 0; !maybe && words[i]; i++)
		maybe = strstr(low, words[i]) != NULL;
	if (low != stack)
		g_free(low);
	return maybe;
}

/* May a line match "mobile"? Its words begin with s g e i v w l d, or
 * Cyrillic о н в а д с (either case). */
static gboolean may_mobile(const char *s)
{
	unsigned char c = (unsigned char)*s;
	if (c < 0x80)
		return c && strchr("sSgGeEiIvVwWlLdD", c) != NULL;
	if (c != 0xD0 && c != 0xD1)
		return TRUE;
	gunichar u = g_utf8_get_char(s);
	if (u >= 0x410 && u <= 0x42F)
		u += 0x20;
	return u == 0x43E || u == 0x43D || u == 0x432 || u == 0x430 || u == 0x434 || u == 0x441;
}

static gboolean only_separators(const char *s)
{
	for (; *s; s++)
		if (!strchr("-_=*~ \n", *s))
			return FALSE;
	return TRUE;
}

/* Remove footer paragraphs from the end of g. */
static void strip_footers(const rx *r, GString *g)
{
	for (;;) {
		while (g->len && (g->str[g->len - 1] == '\n' || g->str[g->len - 1] == ' '))
			g_string_truncate(g, g->len - 1);
		if (g->len == 0)
			return;
		/* last paragraph: after the last blank line */
		const char *start = g->str;
		for (const char *p = g->str; (p = strstr(p, "\n\n")) != NULL; p++)
			start = p + 2;
		while (*start == '\n')
			start++;
		gboolean footer = only_separators(start) ||
		                  (may_contain(start, unsub_words) && m(r->unsub, start)) ||
		                  (may_contain(start, disc_a_words) && m(r->disc_a, start) &&
		                   m(r->disc_b, start));
		if (!footer)
			return;
		g_string_truncate(g, start - g->str);
	}
}

/* s[0..*len_r) without leading and trailing ASCII white space (as
 * g_strstrip()). */
static const char *trimmed(const char *s, size_t *len_r)
{
	while (g_ascii_isspace(*s))
		s++;
	size_t n = strlen(s);
	while (n && g_ascii_isspace(s[n - 1]))
		n--;
	*len_r = n;
	return s;
}

char *sig_strip(const char *text)
{
	const rx *r = rx_get();
	gsize len = strlen(text ? text : "");
	char *buf = g_strndup(text ? text : "", len);
	/* Lines as g_strsplit() gives them ("" has none), NUL-terminated in
	 * buf. */
	guint n = len ? 1 : 0;
	for (const char *p = buf; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	char **v = g_new(char *, n + 1);
	char *line = buf;
	for (guint i = 0; i < n; i++) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		v[i] = line;
		line = nl ? nl + 1 : line + strlen(line);
	}
	guint end = n;
	for (guint i = 0; i < n; i++) {
		if (strcmp(v[i], "-- ") == 0) {
			end = i;
			break;
		}
		size_t tl;
		const char *t = trimmed(v[i], &tl);
		if (tl == 2 && t[0] == '-' && t[1] == '-' && n - i <= 13) {
			end = i;
			break;
		}
	}
	GString *g = g_string_sized_new(len + 1);
	char stack[256];
	for (guint i = 0; i < end; i++) {
		size_t tl;
		const char *t = trimmed(v[i], &tl);
		if (tl && tl <= 200) {
			memcpy(stack, t, tl);
			stack[tl] = '\0';
			if ((may_mobile(stack) && m(r->mobile, stack)) ||
			    (may_contain(stack, browser_words) && m(r->browser, stack)))
				continue;
		}
		if (tl)
			g_string_append(g, v[i]);
		g_string_append_c(g, '\n');
	}
	g_free(v);
	g_free(buf);
	strip_footers(r, g);
	return g_string_free(g, FALSE);
}

gboolean sig_is_stub(const char *plain)
{
	if (!plain)
		return TRUE;
	const char *p = plain;
	while (*p && g_ascii_isspace(*p))
		p++;
	if (!*p)
		return TRUE;
	/* more than 400 characters: counted up to the 401st only */
	glong left = 400;
	for (const char *q = p; *q; q++)
		if (((guchar)*q & 0xC0) != 0x80 && left-- == 0)
			return FALSE;
	return m(rx_get()->stub, p);
}
