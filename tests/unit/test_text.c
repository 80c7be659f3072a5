/* tests/unit/test_text.c - parser/text and its helpers (html, flowed, quote,
 * sig, emoji, norm), then the table of .eml cases in tests/eml/text:
 * NAME.eml parsed with message_parse_file(), text_extract() compared with
 * NAME.expected.txt (trailing newline of the file ignored). All people,
 * addresses and words in these tests are invented. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "parser/html.h"
#include "parser/message.h"
#include "parser/quote.h"
#include "parser/sig.h"
#include "parser/text.h"
#include "parser/text_emoji.h"
#include "parser/text_flowed.h"
#include "parser/text_norm.h"

/* ---- helpers ---- */

static lg_message *msg_new(const char *subject, const char *plain, const char *html)
{
	lg_message *m = g_new0(lg_message, 1);
	m->subject = g_strdup(subject ? subject : "");
	m->plain = g_strdup(plain ? plain : "");
	m->html = g_strdup(html ? html : "");
	return m;
}

static void msg_free_test(lg_message *m)
{
	g_free(m->subject);
	g_free(m->plain);
	g_free(m->html);
	g_free(m);
}

static void check_plain(const char *subject, const char *plain, const char *expected)
{
	lg_message *m = msg_new(subject, plain, NULL);
	char *t = text_extract(m, NULL);
	if (strcmp(t, expected) != 0)
		print_message("got:\n[%s]\nexpected:\n[%s]\n", t, expected);
	assert_string_equal(t, expected);
	g_free(t);
	msg_free_test(m);
}

static void check_html(const char *subject, const char *html, const char *expected)
{
	lg_message *m = msg_new(subject, NULL, html);
	char *t = text_extract(m, NULL);
	if (strcmp(t, expected) != 0)
		print_message("got:\n[%s]\nexpected:\n[%s]\n", t, expected);
	assert_string_equal(t, expected);
	g_free(t);
	msg_free_test(m);
}

static void check_h2p(const char *html, const char *expected)
{
	char *t = text_html_to_plain(html);
	if (strcmp(t, expected) != 0)
		print_message("got:\n[%s]\nexpected:\n[%s]\n", t, expected);
	assert_string_equal(t, expected);
	g_free(t);
}

/* ---- HTML ---- */

static void test_html_paragraphs(void **state)
{
	check_h2p("<p>Hello Ivan,</p><p>how are you?<br>We think of you.</p>",
	          "Hello Ivan,\n\nhow are you?\nWe think of you.");
	check_h2p("<div>one</div><div>two</div><div><br></div><div>three</div>",
	          "one\ntwo\n\nthree");
	check_h2p("<p>a   b\n\tc</p>", "a b c");
	check_h2p("", "");
	check_h2p(NULL, "");
	check_h2p("<html><head><title>T</title><style>p{color:red}</style></head>"
	          "<body><script>alert(1)</script><!-- hidden comment --><p>Text</p></body></html>",
	          "Text");
}

static void test_html_lists_links_tables(void **state)
{
	check_h2p("<p>Buy:</p><ul><li>bread</li><li>tea</li></ul><p>Steps</p><ol><li>one</li>"
	          "<li>two</li></ol>",
	          "Buy:\n\n– bread\n– tea\n\nSteps\n\n1. one\n2. two");
	check_h2p("<p>See <a href=\"https://example.org/x\">our page</a> now</p>",
	          "See our page now");
	check_h2p("<table><tr><th>Day</th><th>Time</th></tr><tr><td>Monday</td><td>10:00</td></tr>"
	          "</table>",
	          "Day | Time\nMonday | 10:00");
	check_h2p("<table><tr><td>Subject:</td><td>Hi</td></tr></table>", "Subject: Hi");
}

static void test_html_hidden_entities(void **state)
{
	check_h2p(
	    "<div style=\"display: none\">preheader</div><p>Caf&eacute; &amp; t&#233;a&nbsp;ok"
	    "</p><span hidden>x</span><div style=\"max-height:0;overflow:hidden\">pre</div>"
	    "<p style=\"font-size:0.9em\">small</p>",
	    "Café & téa ok\n\nsmall");
	check_h2p("<p>Hi<img src=\"cid:x\" alt=\"logo\"><img alt=\"😊\" src=\"e.png\"></p>", "Hi😊");
	check_h2p("<pre>line 1\nline 2</pre>", "line 1\nline 2");
	/* broken markup: unclosed tags, stray end tags */
	check_h2p("<p>one<p>two</b></i><div>three", "one\n\ntwo\n\nthree");
}

static void test_html_quotes_signatures(void **state)
{
	check_h2p("<div>Reply</div><blockquote type=\"cite\"><div>old</div>"
	          "<blockquote type=\"cite\">older</blockquote></blockquote>",
	          "Reply\n\n> old\n\n>> older");
	check_h2p(
	    "<div>Indented</div><blockquote style=\"margin:0 0 0 40px;border:none;padding:0px\">"
	    "poem</blockquote>",
	    "Indented\n\npoem");
	check_h2p("<div>Text</div><div class=\"gmail_signature\">Anna<br>Berlin</div>", "Text");
}

static void test_html_deep_nesting(void **state)
{
	GString *g = g_string_new(NULL);
	for (int i = 0; i < 20000; i++)
		g_string_append(g, "<div><span>");
	g_string_append(g, "deep");
	char *t = text_html_to_plain(g->str);
	assert_non_null(strstr(t, "deep"));
	g_free(t);
	g_string_free(g, TRUE);
}

/* ---- flowed, line ends ---- */

static void test_flowed(void **state)
{
	char *t = text_flowed_decode("Hello this is \nflowed text.\n\nNext para\n", FALSE);
	assert_string_equal(t, "Hello this is flowed text.\n\nNext para\n");
	g_free(t);
	t = text_flowed_decode("Langes Wort-\nx\nlong wo \nrd here\n", TRUE);
	assert_string_equal(t, "Langes Wort-\nx\nlong word here\n");
	g_free(t);
	/* quote depth changes end a paragraph; space stuffing undone */
	t = text_flowed_decode("> quoted \n> more\nnot quoted \n From here\n-- \nsig\n", FALSE);
	assert_string_equal(t, "> quoted more\nnot quoted From here\n-- \nsig\n");
	g_free(t);
	t = text_eol_normalize("a\r\nb\rc\n");
	assert_string_equal(t, "a\nb\nc\n");
	g_free(t);
	lg_message *m =
	    msg_new("", "Dear Ivan, this is \r\na long line.\r\n\r\n-- \r\nAnna\r\n", NULL);
	m->plain_flowed = TRUE;
	char *x = text_extract(m, NULL);
	assert_string_equal(x, "Dear Ivan, this is a long line.");
	g_free(x);
	msg_free_test(m);
}

/* ---- quotes ---- */

static void test_quote_attributions(void **state)
{
	static const char *const attribs[] = {
	    "On Mon, 1 Jan 2024 at 10:00, Anna Berg <anna.berg@example.com> wrote:",
	    "Am Mo., 1. Jan. 2024 um 10:00 Uhr schrieb Anna Berg <anna@example.de>:",
	    "Le lun. 1 janv. 2024 à 10:00, Anne Morel <anne@example.fr> a écrit :",
	    "El lun, 1 ene 2024 a las 10:00, Ana Ruiz (<ana@example.es>) escribió:",
	    "Il giorno lun 1 gen 2024 alle ore 10:00 Anna Rossi <anna@example.it> ha scritto:",
	    "pon., 1 sty 2024 o 10:00 Anna Nowak <anna@example.pl> napisał(a):",
	    "Em seg., 1 de jan. de 2024 às 10:00, Ana Lima <ana@example.pt> escreveu:",
	    "Op ma 1 jan 2024 om 10:00 schreef Anna de Vries <anna@example.nl>:",
	    "пн, 1 янв. 2024 г. в 10:00, Анна Белова <anna@example.ru>:",
	    "01.01.2024 10:00, Анна Белова пишет:",
	    "пн, 1 січ. 2024 р. о 10:00 Ганна Коваль <hanna@example.ua> пише:",
	    "1 студз. 2024 г. у 10:00 Ганна Лук <hanna@example.by> напісала:",
	    "Понедельник, 1 января 2024, 10:00 +03:00 от Анна Белова <anna@example.ru>:",
	    "01.01.2024, 10:00, \"Иван Сидоров\" <ivan@example.ru>:",
	    "On Monday, January 1, 2024, 10:00:00 AM GMT+1, Anna Berg <anna@example.com>",
	    NULL,
	};
	for (int i = 0; attribs[i]; i++) {
		char *in =
		    g_strdup_printf("My answer.\n\n%s%s\n\n> old text\n> more\n", attribs[i],
		                    attribs[i][strlen(attribs[i]) - 1] == ':' ? "" : " wrote:");
		check_plain("Re: hi", in, "My answer.");
		g_free(in);
	}
	/* wrapped Gmail attribution */
	check_plain("Re: x",
	            "Yes!\n\nOn Mon, 1 Jan 2024 at 10:00, Anna Berg <\nanna.berg@example.com> "
	            "wrote:\n\n> q\n",
	            "Yes!");
}

static void test_quote_outlook(void **state)
{
	check_plain("RE: visit",
	            "Thanks, see you.\n\nBest,\nTom\n\n________________________________\n"
	            "From: Anna Berg <anna@example.com>\nSent: Monday, January 1, 2024 10:00 AM\n"
	            "To: Tom Fisher <tom@example.com>\nSubject: visit\n\nold body\n",
	            "Thanks, see you.\n\nBest,\nTom");
	check_plain(
	    "AW: Besuch",
	    "Danke!\n\nVon: Anna Berg <anna@example.de>\nGesendet: Montag, 1. Januar 2024 10:00\n"
	    "An: Tom <tom@example.de>\nBetreff: Besuch\n\nalt\n",
	    "Danke!");
	check_plain("RE: x", "Ok.\n\n-----Original Message-----\nFrom: a\nSent: b\n\nold\n", "Ok.");
	check_plain("Re: x", "Ok.\n\n-----Ursprüngliche Nachricht-----\nVon: a\n\nalt\n", "Ok.");
	check_plain("Re: x", "Ок.\n\n-------- Исходное сообщение --------\nОт: a\n\nстарое\n",
	            "Ок.");
}

static void test_quote_interleaved(void **state)
{
	check_plain(
	    "Re: q",
	    "On Mon, 1 Jan 2024 at 10:00, Anna <anna@example.com> wrote:\n> How are you?\n\n"
	    "I am fine.\n\n> And the food?\n\nBetter now.\n",
	    "I am fine.\n\nBetter now.");
	/* "wrote:" without a date and no quote after it is the writer's own text */
	check_plain("", "My friend Anna wrote:\nStay strong!\n",
	            "My friend Anna wrote:\nStay strong!");
	check_plain("", "> only quoted\n> text\n", "");
}

static void test_forward(void **state)
{
	const char *fwd =
	    "---------- Forwarded message ---------\nFrom: Anna <anna@example.com>\n"
	    "Date: Mon, 1 Jan 2024 at 10:00\nSubject: Letter\nTo: <bob@example.com>\n\n\n"
	    "Dear Ivan,\nwe are with you.\n\nAnna\n";
	check_plain("Fwd: Letter", fwd, "Dear Ivan,\nwe are with you.\n\nAnna");
	char *with = g_strconcat("Please pass this on.\n\n", fwd, NULL);
	check_plain("Fwd: Letter", with,
	            "Please pass this on.\n\n* * *\n\nDear Ivan,\nwe are with you.\n\nAnna");
	g_free(with);
	check_plain("WG: Brief",
	            "\n________________________________\nVon: Anna <anna@example.de>\n"
	            "Gesendet: Montag, 1. Januar 2024 10:00\nAn: Bob <bob@example.de>\n"
	            "Betreff: Brief\n\nLieber Iwan,\nalles Gute.\n",
	            "Lieber Iwan,\nalles Gute.");
	check_plain("Fwd: x",
	            "Begin forwarded message:\n\n> From: Anna <anna@example.com>\n> Subject: x\n"
	            "> Date: 1 January 2024\n>\n> Hello Ivan.\n",
	            "Hello Ivan.");
	/* a forward inside quoted history is history */
	check_plain(
	    "Re: Fwd: x",
	    "Thanks.\n\nOn Mon, 1 Jan 2024 at 10:00, Anna <anna@example.com> wrote:\n"
	    "> ---------- Forwarded message ---------\n> From: X <x@example.com>\n>\n> old\n",
	    "Thanks.");
	check_plain("Fwd: x",
	            "-------- Пересылаемое сообщение --------\n01.01.2024, 10:00, \"Анна\" "
	            "<a@example.ru>:\n\n"
	            "Привет, Иван!\n\n-------- Конец пересылаемого сообщения --------\n",
	            "Привет, Иван!");
}

/* ---- signatures ---- */

static void test_signatures(void **state)
{
	check_plain("", "Hello Ivan.\n\n-- \nAnna Berg\nBerlin\n", "Hello Ivan.");
	check_plain("", "Hello Ivan.\n\nSent from my iPhone\n", "Hello Ivan.");
	static const char *const mobile[] = {
	    "Sent from my Android phone",
	    "Get Outlook for iOS",
	    "Sent from Yahoo Mail on Android",
	    "Von meinem iPhone gesendet",
	    "Envoyé de mon iPhone",
	    "Enviado desde mi iPhone",
	    "Inviato da iPhone",
	    "Wysłane z iPhone'a",
	    "Enviado do meu iPhone",
	    "Verzonden vanaf mijn iPhone",
	    "Отправлено с iPhone",
	    "Отправлено из мобильной Почты Mail.ru",
	    "Надіслано з iPhone",
	    "Адпраўлена з iPhone",
	    "Sent with Proton Mail secure email.",
	    "Sent from Mail for Windows",
	    NULL,
	};
	for (int i = 0; mobile[i]; i++) {
		char *in = g_strdup_printf("Stay strong.\n\n%s\n", mobile[i]);
		check_plain("", in, "Stay strong.");
		g_free(in);
	}
	check_plain("", "Sent with love to you, my friend.\n", "Sent with love to you, my friend.");
	check_plain("",
	            "Hi.\n\nCONFIDENTIALITY NOTICE: This e-mail is intended only for the named "
	            "recipient. If you received it in error, please notify the sender.\n",
	            "Hi.");
	check_plain("",
	            "Привет.\n\nДанное сообщение конфиденциально и предназначено только для "
	            "указанного получателя.\n",
	            "Привет.");
	check_plain("", "News.\n\nTo unsubscribe click here. Manage your preferences.\n", "News.");
	check_plain("", "Hi.\n\n--\nAnna\n", "Hi.");
	/* "--" far from the end is not a signature */
	check_plain("", "a\n--\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n",
	            "a\n--\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13");
	assert_true(sig_is_stub(""));
	assert_true(sig_is_stub("  \n"));
	assert_true(sig_is_stub("View this email in your browser: https://example.com/v"));
	assert_true(sig_is_stub("Your email client does not support HTML."));
	assert_false(sig_is_stub("Dear Ivan, hello."));
	{
		/* a stub has at most 400 characters (here two bytes each past
		 * the notice) */
		GString *g = g_string_new("  Your email client does not support HTML.");
		while (g_utf8_strlen(g->str, -1) < 402)
			g_string_append(g, "я");
		assert_true(sig_is_stub(g->str));
		g_string_append(g, "я");
		assert_false(sig_is_stub(g->str));
		g_string_free(g, TRUE);
	}
}

static void test_alternative_choice(void **state)
{
	lg_message *m = msg_new("", "View this email in your browser\n", "<p>Real <b>text</b></p>");
	char *t = text_extract(m, NULL);
	assert_string_equal(t, "Real text");
	g_free(t);
	msg_free_test(m);
	m = msg_new("", "Plain wins\n", "<p>Html loses</p>");
	t = text_extract(m, NULL);
	assert_string_equal(t, "Plain wins");
	g_free(t);
	msg_free_test(m);
	m = msg_new("", "", "");
	t = text_extract(m, NULL);
	assert_string_equal(t, "");
	g_free(t);
	msg_free_test(m);
	t = text_extract(NULL, NULL);
	assert_string_equal(t, "");
	g_free(t);
}

static void test_html_clients(void **state)
{
	check_html(
	    "Re: hi",
	    "<div dir=\"ltr\">Hello!<div><br></div></div><br><div class=\"gmail_quote\">"
	    "<div dir=\"ltr\" class=\"gmail_attr\">пн, 1 янв. 2024 г. в 10:00, Анна &lt;"
	    "<a href=\"mailto:a@example.ru\">a@example.ru</a>&gt;:<br></div>"
	    "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:1px "
	    "solid rgb(204,204,204);padding-left:1ex\">old</blockquote></div>",
	    "Hello!");
	check_html(
	    "Re: hi",
	    "<p>Ok</p><div class=\"moz-cite-prefix\">Am 01.01.24 um 10:00 schrieb Anna:<br></div>"
	    "<blockquote type=\"cite\" cite=\"mid:x@example\">alt</blockquote>",
	    "Ok");
	check_html(
	    "Fwd: x",
	    "<div dir=\"ltr\"><br><br><div class=\"gmail_quote\"><div dir=\"ltr\" "
	    "class=\"gmail_attr\">---------- Forwarded message ---------<br>From: <strong "
	    "class=\"gmail_sendername\">Anna</strong> <span>&lt;a@example.com&gt;</span><br>"
	    "Date: Mon, 1 Jan 2024 at 10:00<br>Subject: x<br>To: &lt;b@example.com&gt;<br></div>"
	    "<br><br><div dir=\"ltr\">Dear Ivan!</div></div></div>",
	    "Dear Ivan!");
	check_html(
	    "Re: x",
	    "<div>Yes.</div><div><br></div><div class=\"yahoo_quoted\">On Monday, 1 January "
	    "2024, 10:00:00 GMT+1, Anna &lt;a@example.com&gt; wrote:<blockquote>old</blockquote>"
	    "</div>",
	    "Yes.");
}

/* ---- emoji and normalisation ---- */

static void test_emoji(void **state)
{
	char *t = text_emoji_replace("Hugs ❤️❤️❤️ and 😊!", "word");
	assert_string_equal(t, "Hugs (heart) and (smile)!");
	g_free(t);
	t = text_emoji_replace("Обнимаю ❤️ 👍🏽", NULL);
	assert_string_equal(t, "Обнимаю (сердце) (класс)");
	g_free(t);
	t = text_emoji_replace(
	    "Flag 🇺🇦 family 👨‍👩‍👧 rocket 🚀 key 1️⃣ ✔ done → next ★",
	    "word");
	assert_string_equal(t, "Flag  family  rocket  key 1 + done -> next *");
	g_free(t);
	t = text_emoji_replace("Hi😘there", "remove");
	assert_string_equal(t, "Hithere");
	g_free(t);
	t = text_emoji_replace("Hi😘there", "word");
	assert_string_equal(t, "Hi (kiss) there");
	g_free(t);
	t = text_emoji_replace("© 2024 № 5 ° ™ € ½", "word");
	assert_string_equal(t, "© 2024 № 5 ° ™ € ½");
	g_free(t);
	assert_true(text_emoji_is_pictograph(0x1F600));
	assert_false(text_emoji_is_pictograph(0x0416));
	lg_text_opts o = {.chars_per_page = 2000, .emoji = "remove"};
	lg_message *m = msg_new("", "Hello 🌹🌹\n", NULL);
	char *x = text_extract(m, &o);
	assert_string_equal(x, "Hello");
	g_free(x);
	x = text_extract(m, NULL);
	assert_string_equal(x, "Hello (flowers)");
	g_free(x);
	msg_free_test(m);
}

static void test_norm(void **state)
{
	char *t = text_norm_chars("a\u200bb\u00adc\u202ed\ufeffe\x01"
	                          "f\tg\u00a0h\u3000i\r\nj");
	assert_string_equal(t, "abcdef g h i\nj");
	g_free(t);
	/* NFD to NFC */
	t = text_norm_chars("e\u0301");
	assert_string_equal(t, "\u00e9");
	g_free(t);
	/* a long text is normalised piece by piece (g_utf8_normalize() is
	 * quadratic on one long buffer full of compositions): the same result
	 * as each piece alone, with newlines, with only spaces, with only
	 * Cyrillic between the compositions, and (hostile) with none */
	{
		static const char *const pieces[] = {
		    "Приве\u0301т, е\u0301сть и\u0306 cafe\u0301.\n", /* newlines */
		    "Приве\u0301т и\u0306 cafe\u0301 ",               /* spaces */
		    "и\u0306и\u0306ё\u0308",                          /* Cyrillic only */
		    "e\u0301",                                        /* ASCII and marks */
		};
		for (size_t i = 0; i < G_N_ELEMENTS(pieces); i++) {
			GString *in = g_string_new(NULL), *want = g_string_new(NULL);
			char *one = text_norm_chars(pieces[i]), *got;
			while (in->len < 200000) {
				g_string_append(in, pieces[i]);
				g_string_append(want, one);
			}
			got = text_norm_chars(in->str);
			assert_int_equal(strlen(got), want->len);
			assert_string_equal(got, want->str);
			g_free(got);
			g_free(one);
			g_string_free(in, TRUE);
			g_string_free(want, TRUE);
		}
		/* nothing but combining marks: no crash, valid UTF-8 */
		{
			GString *in = g_string_new(NULL);
			char *got;
			while (in->len < 100000)
				g_string_append(in, "\u0301\u0316");
			got = text_norm_chars(in->str);
			assert_true(g_utf8_validate(got, -1, NULL));
			g_free(got);
			g_string_free(in, TRUE);
		}
	}
	/* invalid UTF-8 */
	t = text_norm_chars("ok\xff\xfe!");
	assert_string_equal(t, "ok!");
	g_free(t);
	{
		/* bad bytes dropped wherever they stand, also after text read on
		 * the fast paths (ASCII, two-byte Cyrillic) and inside them */
		static const char *const bad[][2] = {
		    {"Привет \xd0"
		     "a",
		     "Привет a"},                               /* lead byte, no continuation */
		    {"Привет\xd0", "Привет"},                   /* cut at the end */
		    {"\xd1\xd1\x8f", "я"},                      /* a lead byte before a letter */
		    {"да \xc0\xaf!", "да !"},                   /* overlong */
		    {"\xed\xa0\x80x", "x"},                     /* surrogate */
		    {"ё\xf4\x90\x80\x80ж", "ёж"},               /* past U+10FFFF */
		    {"\xe2\x80", ""},                           /* three bytes cut short */
		    {"caf\xc3\xa9 \xe2\x82\xac\x80", "café €"}, /* stray continuation */
		};
		for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
			t = text_norm_chars(bad[i][0]);
			if (strcmp(t, bad[i][1]) != 0)
				fail_msg("invalid case %zu: [%s], want [%s]", i, t, bad[i][1]);
			g_free(t);
		}
	}
	t = text_norm_layout("\n\n  a   b  \n\n\n\n c\n \n");
	assert_string_equal(t, "a b\n\nc");
	g_free(t);
	assert_int_equal(text_chars("Привет"), 6);
	assert_int_equal(text_chars(""), 0);
	assert_int_equal(text_pages("", 2000), 0);
	assert_int_equal(text_pages("x", 2000), 1);
	char *big = g_strnfill(4001, 'x');
	assert_int_equal(text_pages(big, 2000), 3);
	assert_int_equal(text_pages(big, 0), 3);
	g_free(big);
}

/* ---- .eml table ---- */

static gint path_cmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static char *root_path(const char *rel)
{
	const char *root = g_getenv("LG_ROOT");
	return g_build_filename(root && *root ? root : ".", rel, NULL);
}

static void test_eml_table(void **state)
{
	char *dir = root_path("tests/eml/text");
	GDir *d = g_dir_open(dir, 0, NULL);
	assert_non_null(d);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *n;
	while ((n = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(n, ".eml"))
			g_ptr_array_add(names, g_strdup(n));
	g_dir_close(d);
	g_ptr_array_sort(names, path_cmp);
	lg_limits lim = {.header_bytes = 256 * 1024,
	                 .mime_depth = 20,
	                 .mime_parts = 200,
	                 .text_chars = 100000,
	                 .parse_seconds = 0};
	int failed = 0;
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		char *eml = g_build_filename(dir, name, NULL);
		char *base = g_strndup(name, strlen(name) - 4);
		char *expf = g_strdup_printf("%s/%s.expected.txt", dir, base);
		char *exp = NULL;
		GError *err = NULL;
		if (!g_file_get_contents(expf, &exp, NULL, NULL)) {
			print_message("%s: no expected file\n", name);
			failed++;
			goto next;
		}
		g_strchomp(exp);
		lg_message *m = message_parse_file(eml, &lim, &err);
		if (!m) {
			print_message("%s: parse failed: %s\n", name, err ? err->message : "?");
			g_clear_error(&err);
			failed++;
			goto next;
		}
		char *got = text_extract(m, NULL);
		if (strcmp(got, exp) != 0) {
			print_message("FAIL %s\n--- got:\n%s\n--- expected:\n%s\n---\n", name, got,
			              exp);
			failed++;
		}
		g_free(got);
		message_free(&m);
	next:
		g_free(exp);
		g_free(expf);
		g_free(base);
		g_free(eml);
	}
	print_message("%u .eml cases, %d failed\n", names->len, failed);
	assert_true(names->len >= 40);
	assert_int_equal(failed, 0);
	g_ptr_array_free(names, TRUE);
	g_free(dir);
}

/* ---- threads: the regexes are compiled once and shared ---- */

static gpointer thread_run(gpointer unused)
{
	for (int i = 0; i < 50; i++) {
		lg_message *m =
		    msg_new("Re: x", "Hi 😊\n\nOn Mon, 1 Jan 2024, A <a@example.com> wrote:\n> x\n",
		            "<p>x</p>");
		char *t = text_extract(m, NULL);
		g_assert_cmpstr(t, ==, "Hi (smile)");
		g_free(t);
		msg_free_test(m);
	}
	return NULL;
}

static void test_threads(void **state)
{
	GThread *th[8];
	for (int i = 0; i < 8; i++)
		th[i] = g_thread_new("t", thread_run, NULL);
	for (int i = 0; i < 8; i++)
		g_thread_join(th[i]);
}

/* The cheap tests in front of the regexes never hide a match: markers and
 * attributions that begin with a Unicode space, a capital Cyrillic letter,
 * or span lines; footers and device lines in upper case. */
static void test_prefilters(void **state)
{
	(void)state;
	char *fwd = NULL;
	/* U+2003 (em space) is not stripped by g_strstrip() but is \s */
	char *w = quote_split_forward("Смотри ниже.\n\xe2\x80\x83---------- Forwarded message "
	                              "---------\nFrom: A <a@b.c>\n\nТекст.\n",
	                              NULL, &fwd);
	assert_non_null(fwd);
	assert_string_equal(w, "Смотри ниже.\n");
	assert_string_equal(fwd, "\nТекст.\n\n");
	g_free(w);
	g_free(fwd);
	char *h = quote_strip_history("Привет!\n\nВ пн, 3 июня 2024 г. в 10:00, Иван\n"
	                              "<ivan@example.ru> написал:\n> старое\n");
	assert_string_equal(h, "Привет!");
	g_free(h);
	char *sg = sig_strip("Текст письма.\nОТПРАВЛЕНО С МОЕГО IPHONE\n\nTo UNSUBSCRIBE click "
	                     "here\n");
	assert_string_equal(sg, "Текст письма.");
	g_free(sg);
	sg = sig_strip("Текст.\nОТКРЫТЬ В БРАУЗЕРЕ\nЕщё текст.\n");
	assert_string_equal(sg, "Текст.\nЕщё текст.");
	g_free(sg);
	/* layout: spaces, zero-width joiners and blank lines */
	char *l = text_norm_layout("  a \xe2\x80\x8d b  \n\n\n\xe2\x80\x8d\n c\n");
	assert_string_equal(l, "a b\n\nc");
	g_free(l);
	{
		/* runs copied whole: multi-byte text, the kept E2/EF/F3
		 * characters beside the dropped ones, stray bytes */
		static const char *const lay[][2] = {
		    {"Привет,  мир \xe2\x80\x94 да", "Привет, мир \xe2\x80\x94 да"},
		    {"a\xe2\x80\x8d\xe2\x80\x8d"
		     "b",
		     "ab"},
		    {"\xef\xb8\x8f\xef\xbc\x81 \xf3\xa0\x80\xa0x", "\xef\xbc\x81 x"},
		    {"\xf0\x9f\x98\x80\xe2\x80\x8d\xf0\x9f\x98\x80  \n\n\n \xd0",
		     "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\n\n\xd0"},
		    {"\x80\xbf a \xe2\x80", "\x80\xbf a \xe2\x80"},
		    {"\xd0\n\xe2 b", "\xd0\n\xe2 b"},
		};
		for (size_t i = 0; i < G_N_ELEMENTS(lay); i++) {
			l = text_norm_layout(lay[i][0]);
			if (strcmp(l, lay[i][1]) != 0)
				fail_msg("layout case %zu: [%s], want [%s]", i, l, lay[i][1]);
			g_free(l);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_html_paragraphs),
	    cmocka_unit_test(test_html_lists_links_tables),
	    cmocka_unit_test(test_html_hidden_entities),
	    cmocka_unit_test(test_html_quotes_signatures),
	    cmocka_unit_test(test_html_deep_nesting),
	    cmocka_unit_test(test_flowed),
	    cmocka_unit_test(test_quote_attributions),
	    cmocka_unit_test(test_quote_outlook),
	    cmocka_unit_test(test_quote_interleaved),
	    cmocka_unit_test(test_forward),
	    cmocka_unit_test(test_signatures),
	    cmocka_unit_test(test_alternative_choice),
	    cmocka_unit_test(test_html_clients),
	    cmocka_unit_test(test_emoji),
	    cmocka_unit_test(test_norm),
	    cmocka_unit_test(test_prefilters),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_eml_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
