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
		gboolean footer = only_separators(start) || m(r->unsub, start) ||
		                  (m(r->disc_a, start) && m(r->disc_b, start));
		if (!footer)
			return;
		g_string_truncate(g, start - g->str);
	}
}

char *sig_strip(const char *text)
{
	const rx *r = rx_get();
	char **v = g_strsplit(text ? text : "", "\n", -1);
	guint n = g_strv_length(v);
	guint end = n;
	for (guint i = 0; i < n; i++) {
		if (strcmp(v[i], "-- ") == 0) {
			end = i;
			break;
		}
		g_autofree char *t = g_strstrip(g_strdup(v[i]));
		if (strcmp(t, "--") == 0 && n - i <= 13) {
			end = i;
			break;
		}
	}
	GString *g = g_string_new(NULL);
	for (guint i = 0; i < end; i++) {
		g_autofree char *t = g_strstrip(g_strdup(v[i]));
		if (*t && strlen(t) <= 200 && (m(r->mobile, t) || m(r->browser, t)))
			continue;
		g_string_append(g, *t ? v[i] : "");
		g_string_append_c(g, '\n');
	}
	g_strfreev(v);
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
	if (g_utf8_strlen(p, -1) > 400)
		return FALSE;
	return m(rx_get()->stub, p);
}
