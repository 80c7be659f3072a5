/* tests/unit/test_charset.c - parser/charset: text parts whose charset label
 * is missing, wrong or unknown still reach the letter as the writer wrote
 * them (cases seen in ../shared/corpus/real: UTF-8 labelled windows-1251,
 * unlabelled KOI8, unlabelled ISO-2022-JP, an emoji ISO-2022-JP cannot
 * read). The legacy bytes are made with iconv from the UTF-8 below. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "parser/charset.h"

static const char RU[] = "Дорогой Иван, держись! Мы все помним о тебе и ждём домой.";
static const char DE[] = "Die Hasen klagten einst über ihre mißliche Lage.";

/* UTF-8 text in CHARSET, as a writer's client would send it */
static char *encode(const char *utf8, const char *charset, gsize *len)
{
	GError *e = NULL;
	char *out = g_convert(utf8, -1, charset, "UTF-8", NULL, len, &e);
	assert_null(e);
	assert_non_null(out);
	return out;
}

static void check(const char *data, gsize len, const char *declared, const char *want,
                  const char *want_used)
{
	const char *used = NULL;
	char *got = charset_to_utf8(data, len, declared, &used);
	assert_true(g_utf8_validate(got, -1, NULL));
	assert_string_equal(got, want);
	if (want_used)
		assert_string_equal(used, want_used);
	g_free(got);
}

static void test_declared_right(void **state)
{
	gsize n;
	char *b;
	(void)state;
	b = encode(RU, "WINDOWS-1251", &n);
	check(b, n, "windows-1251", RU, NULL);
	g_free(b);
	b = encode(RU, "KOI8-R", &n);
	check(b, n, "koi8-r", RU, NULL);
	g_free(b);
	b = encode(DE, "ISO-8859-1", &n);
	check(b, n, "iso-8859-1", DE, NULL);
	g_free(b);
	check(RU, strlen(RU), "utf-8", RU, "UTF-8");
	check(RU, strlen(RU), NULL, RU, "UTF-8");
	check("plain", 5, "us-ascii", "plain", "UTF-8");
	check("", 0, NULL, "", "UTF-8");
	check(NULL, 0, "windows-1251", "", NULL);
	/* UTF-16 text is mostly ASCII-range bytes: never taken for UTF-8 */
	b = encode("Hi Ivan", "UTF-16LE", &n);
	check(b, n, "utf-16le", "Hi Ivan", NULL);
	g_free(b);
}

static void test_utf8_mislabelled(void **state)
{
	(void)state;
	/* a Kazakh bill in the corpus: UTF-8 bytes labelled windows-1251 */
	check(RU, strlen(RU), "windows-1251", RU, "UTF-8");
	check(DE, strlen(DE), "iso-8859-1", DE, "UTF-8");
	check(RU, strlen(RU), "koi8-r", RU, "UTF-8");
	/* pure ASCII under any label is itself */
	check("Hello Ivan", 10, "windows-1251", "Hello Ivan", NULL);
}

static void test_unlabelled_legacy(void **state)
{
	gsize n;
	char *b;
	(void)state;
	b = encode(RU, "WINDOWS-1251", &n);
	check(b, n, NULL, RU, "WINDOWS-1251");
	check(b, n, "us-ascii", RU, "WINDOWS-1251");
	check(b, n, "utf-8", RU, "WINDOWS-1251"); /* a wrong UTF-8 label too */
	g_free(b);
	b = encode(RU, "KOI8-R", &n);
	check(b, n, NULL, RU, "KOI8-R");
	g_free(b);
	/* scattered accents in Latin text */
	b = encode(DE, "WINDOWS-1252", &n);
	check(b, n, NULL, DE, "WINDOWS-1252");
	g_free(b);
	/* a charset iconv does not know: as if there were none */
	b = encode(RU, "WINDOWS-1251", &n);
	check(b, n, "x-no-such-charset", RU, "WINDOWS-1251");
	g_free(b);
}

/* Unlabelled 8-bit text in another script's code page is read in it, and
 * Russian (long or short, in either of its charsets) stays Russian. */
static void test_unlabelled_scripts(void **state)
{
	static const struct {
		const char *text, *charset, *want;
	} cases[] = {
	    {"Αγαπητέ Ιβάν, σου γράφουμε από την Αθήνα. Σκεφτόμαστε εσένα κάθε μέρα "
	     "και περιμένουμε να σε δούμε ξανά ελεύθερο.",
	     "WINDOWS-1253", "WINDOWS-1253"},
	    {"Άννα και Ιβάν: Άλλη μια μέρα πέρασε, και σε σκεφτόμαστε.", "ISO-8859-7",
	     "ISO-8859-7"},
	    {"Γεια σου, φίλε μου!", "WINDOWS-1253", "WINDOWS-1253"},
	    {"איוון היקר, אנחנו כותבים לך מתל אביב. אנחנו חושבים עליך כל יום ומחכים "
	     "לראות אותך חופשי.",
	     "WINDOWS-1255", "WINDOWS-1255"},
	    {"שלום, חבר יקר! מה שלומך היום?", "WINDOWS-1255", "WINDOWS-1255"},
	    {"عزيزي إيفان، نكتب إليك من القاهرة. نفكر فيك كل يوم وننتظر أن نراك حرا "
	     "قريبا.",
	     "WINDOWS-1256", "WINDOWS-1256"},
	    {"Дорогий Іване, тримайся! Ми всі пам'ятаємо про тебе і чекаємо вдома.", "WINDOWS-1251",
	     "WINDOWS-1251"},
	    {"Скъпи Иване, дръж се! Всички мислим за теб и те чакаме у дома.", "WINDOWS-1251",
	     "WINDOWS-1251"},
	    {"Привет", "WINDOWS-1251", "WINDOWS-1251"},
	    {"Привет", "KOI8-R", "KOI8-R"},
	    {"Да", "WINDOWS-1251", "WINDOWS-1251"},
	    /* capitals: the case rule alone would take either for the other */
	    {"ДОРОГОЙ ИВАН, МЫ ВСЕ ЖДЁМ ТЕБЯ ДОМА!", "KOI8-R", "KOI8-R"},
	    {"ДОРОГОЙ ИВАН, МЫ ВСЕ ЖДЁМ ТЕБЯ ДОМА!", "WINDOWS-1251", "WINDOWS-1251"},
	    {"ИК № 5, отряд 3", "WINDOWS-1251", "WINDOWS-1251"},
	    {"ИК-5, отряд 3", "KOI8-R", "KOI8-R"},
	    {"«Ёжик в тумане» — наш любимый мультфильм.", "WINDOWS-1251", "WINDOWS-1251"},
	    {"Шлём тебе привет из Ярославля; ждём, любим, верим.", "KOI8-R", "KOI8-R"},
	    {"Юля, Эля и Щукин: ъ, ы, ь.", "WINDOWS-1251", "WINDOWS-1251"},
	    /* a Russian name that reads as six Chinese characters in GBK, and
	     * KOI8-R small letters that windows-1255 reads as points and
	     * punctuation: Russian still */
	    {"From: Анна Смирнова <anna@example.ru>", "WINDOWS-1251", "WINDOWS-1251"},
	    {"prefix = навальн navalny", "KOI8-R", "KOI8-R"},
	    /* Chinese, Japanese and Korean in their multibyte charsets */
	    {"사랑하는 이반에게, 우리는 서울에서 매일 당신을 생각합니다. 곧 다시 만나기를 "
	     "바랍니다.",
	     "EUC-KR", "EUC-KR"},
	    {"親愛なるイワンへ、私たちは東京から毎日あなたのことを考えています。早く会えますように"
	     "。",
	     "SHIFT_JIS", "SHIFT_JIS"},
	    {"親愛なるイワンへ、私たちは東京から毎日あなたのことを考えています。早く会えますように"
	     "。",
	     "EUC-JP", "EUC-JP"},
	    {"亲爱的伊万，我们在北京每天都想着你。希望你早日回家，我们都在等你。", "GBK", "GBK"},
	    {"親愛的伊萬，我們在台北每天都想著你。希望你早日回家，我們都在等你。", "BIG5", "BIG5"},
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		gsize n;
		char *b = encode(cases[i].text, cases[i].charset, &n);
		const char *used = NULL;
		char *got = charset_to_utf8(b, n, NULL, &used);
		if (strcmp(used, cases[i].want) != 0 || strcmp(got, cases[i].text) != 0)
			fail_msg("case %zu (%s): read as %s", i, cases[i].charset, used);
		g_free(got);
		g_free(b);
	}
}

static void test_damaged_utf8(void **state)
{
	(void)state;
	/* UTF-8 with one stray byte stays UTF-8, the byte a U+FFFD */
	check("Привет\xff, Иван", strlen("Привет\xff, Иван"), NULL, "Привет\xEF\xBF\xBD, Иван",
	      "UTF-8");
	/* a multibyte character cut by a length bound is dropped, not replaced */
	check("Иван", strlen("Иван") - 1, NULL, "Ива", "UTF-8");
	check("Иван", strlen("Иван") - 1, "windows-1251", "Ива", "UTF-8");
	check("\xd0\x96 a\xe2\x82", 6, NULL, "\xd0\x96 a", "UTF-8");
	/* the only non-ASCII byte, last: a legacy letter, not a cut character */
	check("caf\xe9", 4, NULL, "caf\xc3\xa9", "WINDOWS-1252");
	/* NUL bytes go */
	check("Iv\0an", 5, NULL, "Ivan", "UTF-8");
}

static void test_iso2022(void **state)
{
	gsize n;
	char *b;
	static const char JA[] = "あけましておめでとうございます！";
	(void)state;
	b = encode(JA, "ISO-2022-JP", &n);
	check(b, n, NULL, JA, "ISO-2022-JP");
	check(b, n, "iso-2022-jp", JA, NULL);
	g_free(b);
	/* an emoji a phone company put in its own ISO-2022-JP extension: iconv
	 * cannot read it; it becomes U+FFFD and the rest is still read */
	{
		static const char raw[] = "\x1b$B$\"$1$^$7$F!*y_\x1b(B ok";
		const char *used = NULL;
		char *got = charset_to_utf8(raw, strlen(raw), "iso-2022-jp", &used);
		assert_true(g_utf8_validate(got, -1, NULL));
		assert_non_null(strstr(got, "あけまして！"));
		assert_non_null(strstr(got, "\xEF\xBF\xBD"));
		assert_true(g_str_has_suffix(got, " ok"));
		g_free(got);
	}
	/* 8-bit bytes: not ISO-2022 whatever escapes it holds */
	check("\x1b$B caf\xe9", 8, NULL, "\x1b$B caf\xC3\xA9", "WINDOWS-1252");
}

static void test_sniff_html(void **state)
{
	char *cs;
	(void)state;
	cs = charset_sniff_html("<html><head><meta http-equiv=\"Content-Type\" "
	                        "content=\"text/html; charset=windows-1251\"></head>",
	                        -1 + sizeof "<html><head><meta http-equiv=\"Content-Type\" "
	                                    "content=\"text/html; charset=windows-1251\"></head>");
	assert_string_equal(cs, "windows-1251");
	g_free(cs);
	cs = charset_sniff_html("<META CHARSET='koi8-r'>", 23);
	assert_string_equal(cs, "koi8-r");
	g_free(cs);
	/* "charset" in the text, not in a <meta>: nothing */
	cs = charset_sniff_html("<p>charset=koi8-r</p>", 21);
	assert_null(cs);
	cs = charset_sniff_html("<html><body>no meta</body></html>", 33);
	assert_null(cs);
	cs = charset_sniff_html(NULL, 0);
	assert_null(cs);
	cs = charset_sniff_html("<meta charset=", 14);
	assert_null(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_declared_right),
	    cmocka_unit_test(test_utf8_mislabelled),
	    cmocka_unit_test(test_unlabelled_legacy),
	    cmocka_unit_test(test_damaged_utf8),
	    cmocka_unit_test(test_iso2022),
	    cmocka_unit_test(test_sniff_html),
	    cmocka_unit_test(test_unlabelled_scripts),
	};
	int rc;
	g_mime_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_mime_shutdown();
	return rc;
}
