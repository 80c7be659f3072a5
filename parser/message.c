/*
 * parser/message.c - see message.h.
 *
 * The walk uses GMimePartIter over the whole tree. Parts below a
 * message/rfc822 belong to the inner message: they are skipped here and the
 * inner message is parsed on its own into msg->inner, so a forwarded
 * supporter's letter never mixes with the outer text.
 */
#include "parser/message.h"

#include <string.h>
#include <fcntl.h>
#include <time.h>

#include "common/util.h"
#include "conf/config.h"
#include "parser/charset.h"

G_DEFINE_QUARK(lg - message - error - quark, lg_message_error)

static GOnce gmime_once = G_ONCE_INIT;

static gpointer gmime_init_once(gpointer unused)
{
	(void)unused;
	g_mime_init();
	return NULL;
}

void message_init(void)
{
	g_once(&gmime_once, gmime_init_once, NULL);
}

void message_limits_from_config(const lg_config *cfg, lg_limits *lim)
{
	lim->header_bytes = cfg->header_bytes;
	lim->mime_depth = cfg->mime_depth;
	lim->mime_parts = cfg->mime_parts;
	lim->text_chars = cfg->text_chars;
	lim->parse_seconds = cfg->parse_seconds;
}

static void part_free(lg_part *p)
{
	if (p == NULL)
		return;
	g_free(p->filename);
	g_free(p->content_type);
	g_free(p->content_id);
	if (p->data)
		g_bytes_unref(p->data);
	g_free(p);
}

static void message_free_gfunc(gpointer p)
{
	lg_message *m = p;
	message_free(&m);
}

static lg_message *message_alloc(void)
{
	lg_message *m = g_new0(lg_message, 1);
	m->from_name = g_strdup("");
	m->from_addr = g_strdup("");
	m->subject = g_strdup("");
	m->message_id = g_strdup("");
	m->date = g_strdup("");
	m->auto_submitted = g_strdup("");
	m->plain = g_strdup("");
	m->html = g_strdup("");
	m->auth_results = g_ptr_array_new_with_free_func(g_free);
	m->parts = g_ptr_array_new_with_free_func((GDestroyNotify)part_free);
	m->inner = g_ptr_array_new_with_free_func(message_free_gfunc);
	return m;
}

void message_free(lg_message **pm)
{
	lg_message *m = *pm;
	*pm = NULL;
	if (m == NULL)
		return;
	g_free(m->from_name);
	g_free(m->from_addr);
	g_free(m->subject);
	g_free(m->message_id);
	g_free(m->date);
	g_free(m->auto_submitted);
	g_free(m->plain);
	g_free(m->html);
	g_ptr_array_unref(m->auth_results);
	g_ptr_array_unref(m->parts);
	g_ptr_array_unref(m->inner);
	g_free(m);
}

static void replace(char **slot, char *value)
{
	g_free(*slot);
	*slot = value;
}

static double thread_cpu_seconds(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *lower_type(GMimeContentType *ct)
{
	char *t;
	if (ct == NULL)
		return g_strdup("text/plain");
	t = g_strdup_printf("%s/%s", ct->type ? ct->type : "application",
	                    ct->subtype ? ct->subtype : "octet-stream");
	{
		char *low = g_ascii_strdown(t, -1);
		g_free(t);
		t = util_utf8_repair(low, -1);
		g_free(low);
	}
	return t;
}

/* Decoded content of a leaf part, bounded by max bytes (0 = no bound). */
static GBytes *part_bytes(GMimePart *part, gsize max)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *mem;
	GByteArray *arr;
	GBytes *out;
	if (dw == NULL)
		return g_bytes_new(NULL, 0);
	mem = g_mime_stream_mem_new();
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_mime_data_wrapper_write_to_stream(dw, mem);
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (max > 0 && arr->len > max)
		g_byte_array_set_size(arr, (guint)max);
	out = g_byte_array_free_to_bytes(arr);
	g_object_unref(mem);
	return out;
}

/* Text of a text part in UTF-8, bounded, whatever its charset label says
 * (parser/charset.h); HTML without a MIME charset gives its <meta> one. */
static char *part_text(GMimePart *part, gsize max, gboolean html)
{
	GBytes *raw = part_bytes(part, max);
	gsize len = 0;
	const char *data = g_bytes_get_data(raw, &len);
	const char *charset =
	    g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	char *sniffed = NULL;
	char *out;

	if (html && (charset == NULL || *charset == '\0'))
		sniffed = charset_sniff_html(data, len);
	out = charset_to_utf8(data, len, sniffed ? sniffed : charset, NULL);
	g_free(sniffed);
	g_bytes_unref(raw);
	return out;
}

static gboolean name_is_txt(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	return n > 4 && g_ascii_strcasecmp(name + n - 4, ".txt") == 0;
}

/*
 * The text before a multipart's first boundary, when the message has no text
 * part at all: a multipart without boundary lines, or a text/plain header
 * overridden by a second Content-Type, leaves the writer's words there.
 * Lines that speak of MIME ("This is a multi-part message in MIME format.")
 * are the client's notice, not the writer's; "" when nothing else is left,
 * and when the prologue holds part headers (a boundary that did not match:
 * raw MIME structure, never a letter).
 */
static char *prologue_text(GMimeMultipart *mp, gsize max)
{
	const char *pro = g_mime_multipart_get_prologue(mp);
	char *text, **lines;
	GString *out;
	gboolean words = FALSE;
	if (pro == NULL || *pro == '\0')
		return g_strdup("");
	text = charset_to_utf8(pro, MIN(strlen(pro), max), NULL, NULL);
	lines = g_strsplit(text, "\n", -1);
	out = g_string_new(NULL);
	for (char **l = lines; *l; l++) {
		char *low = g_ascii_strdown(*l, -1);
		gboolean notice = strstr(low, "mime") != NULL;
		gboolean structure = g_str_has_prefix(low, "content-type:") ||
		                     g_str_has_prefix(low, "content-transfer-encoding:");
		g_free(low);
		if (structure) {
			words = FALSE;
			break;
		}
		if (notice)
			continue;
		for (const char *c = *l; *c && !words; c = g_utf8_next_char(c))
			words = g_unichar_isalnum(g_utf8_get_char(c));
		g_string_append(out, *l);
		g_string_append_c(out, '\n');
	}
	g_strfreev(lines);
	g_free(text);
	if (!words)
		g_string_truncate(out, 0);
	return g_string_free(out, FALSE);
}

static gboolean is_signature_type(const char *t)
{
	return !strcmp(t, "application/pkcs7-signature") ||
	       !strcmp(t, "application/x-pkcs7-signature") ||
	       !strcmp(t, "application/pgp-signature");
}

static gboolean is_encrypted_type(GMimeObject *obj, const char *t)
{
	if (!strcmp(t, "application/pgp-encrypted") || !strcmp(t, "multipart/encrypted"))
		return TRUE;
	if (!strcmp(t, "application/pkcs7-mime") || !strcmp(t, "application/x-pkcs7-mime")) {
		const char *st = g_mime_object_get_content_type_parameter(obj, "smime-type");
		return st == NULL || g_ascii_strcasecmp(st, "signed-data") != 0;
	}
	/* PGP/MIME payload is application/octet-stream inside multipart/encrypted:
	 * handled through the parent check in the walk. */
	return FALSE;
}

/*
 * The charset the message's first text part declares, when it is one that
 * raw 8-bit header bytes are best read in: a client that writes the name
 * and subject unencoded writes them in the charset of its text. Not the
 * Latin ones (ISO-8859-1, -15, windows-1252, US-ASCII, UTF-8): an English
 * text in Latin-1 says nothing about a Russian name beside it, which the
 * guess reads better. NULL when there is none.
 */
static const char *header_charset_hint(GMimeMessage *gm)
{
	static const char *const latin[] = {"iso-8859-1", "iso-8859-15", "windows-1252",
	                                    "us-ascii",   "utf-8",       "utf8"};
	GMimeObject *o = g_mime_message_get_mime_part(gm);
	const char *cs, *iconv_name;
	char *ascii;
	gboolean same;
	for (int depth = 0; o && GMIME_IS_MULTIPART(o) && depth < 8; depth++)
		o = g_mime_multipart_get_count(GMIME_MULTIPART(o)) > 0
		        ? g_mime_multipart_get_part(GMIME_MULTIPART(o), 0)
		        : NULL;
	if (o == NULL || !GMIME_IS_PART(o) ||
	    !g_mime_content_type_is_type(g_mime_object_get_content_type(o), "text", "*"))
		return NULL;
	cs = g_mime_object_get_content_type_parameter(o, "charset");
	iconv_name = cs ? g_mime_charset_iconv_name(cs) : NULL;
	if (iconv_name == NULL)
		return NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(latin); i++)
		if (g_ascii_strcasecmp(iconv_name, latin[i]) == 0 ||
		    g_ascii_strcasecmp(cs, latin[i]) == 0)
			return NULL;
	/* ASCII must read as ASCII in it (not UTF-16, not EBCDIC) */
	ascii = g_convert("Ab1 <@>", -1, "UTF-8", iconv_name, NULL, NULL, NULL);
	same = ascii && strcmp(ascii, "Ab1 <@>") == 0;
	g_free(ascii);
	return same ? iconv_name : NULL;
}

/*
 * A header sent as raw 8-bit bytes that are not UTF-8 (old clients write the
 * writer's name and the subject unencoded in their own charset): GMime reads
 * those bytes as Latin-1, and a Russian name would be printed on the letter
 * as mojibake. Returns the unfolded value in UTF-8: in the charset of the
 * message's text (header_charset_hint(), looked up only for such a header)
 * when every byte reads in it, else by the same
 * guess as an unlabelled text part (parser/charset.h); NULL when the header
 * is absent or GMime's reading stands.
 */
static char *header_8bit_utf8(GMimeMessage *gm, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(gm));
	GMimeHeader *h = hl ? g_mime_header_list_get_header(hl, name) : NULL;
	const char *raw = h ? g_mime_header_get_raw_value(h) : NULL;
	gboolean high = FALSE;
	const char *hint;
	char *utf8, *unfolded;
	if (raw == NULL)
		return NULL;
	for (const char *c = raw; *c && !high; c++)
		high = (guchar)*c >= 0x80;
	if (!high || g_utf8_validate(raw, -1, NULL))
		return NULL;
	hint = header_charset_hint(gm);
	utf8 = hint ? g_convert(raw, -1, "UTF-8", hint, NULL, NULL, NULL) : NULL;
	if (utf8 && !g_utf8_validate(utf8, -1, NULL))
		g_clear_pointer(&utf8, g_free);
	if (utf8 == NULL)
		utf8 = charset_to_utf8(raw, strlen(raw), NULL, NULL);
	unfolded = g_mime_utils_header_unfold(utf8);
	g_free(utf8);
	return unfolded;
}

static void read_headers(lg_message *m, GMimeMessage *gm)
{
	InternetAddressList *from = g_mime_message_get_from(gm);
	InternetAddressList *from_8bit = NULL;
	char *raw8;
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(gm));
	const char *v;
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	raw8 = header_8bit_utf8(gm, "From");
	if (raw8) {
		from_8bit = internet_address_list_parse(NULL, raw8);
		if (from_8bit && internet_address_list_length(from_8bit) > 0)
			from = from_8bit;
		g_free(raw8);
	}
	if (from && internet_address_list_length(from) > 0) {
		InternetAddress *ia = internet_address_list_get_address(from, 0);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressList *members =
			    internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
			ia = (members && internet_address_list_length(members) > 0)
			         ? internet_address_list_get_address(members, 0)
			         : NULL;
		}
		if (ia && INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *name = internet_address_get_name(ia);
			const char *addr =
			    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
			replace(&m->from_name, util_utf8_repair(name ? name : "", -1));
			replace(&m->from_addr, util_addr_normalize(addr ? addr : ""));
		}
	}
	if (from_8bit)
		g_object_unref(from_8bit);
	raw8 = header_8bit_utf8(gm, "Subject");
	if (raw8) {
		char *dec = g_mime_utils_header_decode_text(NULL, raw8);
		replace(&m->subject, util_utf8_repair(g_strstrip(dec), -1));
		g_free(dec);
		g_free(raw8);
	} else {
		v = g_mime_message_get_subject(gm);
		replace(&m->subject, util_utf8_repair(v ? v : "", -1));
	}
	v = g_mime_message_get_message_id(gm);
	replace(&m->message_id, util_utf8_repair(v ? v : "", -1));
	v = g_mime_object_get_header(GMIME_OBJECT(gm), "Date");
	replace(&m->date, util_utf8_repair(v ? v : "", -1));
	v = g_mime_object_get_header(GMIME_OBJECT(gm), "Auto-Submitted");
	replace(&m->auto_submitted, g_strstrip(util_utf8_repair(v ? v : "", -1)));
	if (g_mime_object_get_header(GMIME_OBJECT(gm), "List-Id") ||
	    g_mime_object_get_header(GMIME_OBJECT(gm), "List-Unsubscribe"))
		m->is_list = TRUE;
	v = g_mime_object_get_header(GMIME_OBJECT(gm), "Precedence");
	if (v && (strstr(v, "bulk") || strstr(v, "list") || strstr(v, "junk")))
		m->is_list = TRUE;
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		if (name && !g_ascii_strcasecmp(name, "Authentication-Results")) {
			const char *raw = g_mime_header_get_raw_value(h);
			char *val = util_utf8_repair(raw ? raw : "", -1);
			g_ptr_array_add(m->auth_results, val);
		}
	}
}

static gint64 header_bytes(GMimeObject *obj)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	gint64 total = 0;
	int n = hl ? g_mime_header_list_get_count(hl) : 0;
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);
		total += (gint64)(name ? strlen(name) : 0) + (raw ? (gint64)strlen(raw) : 0) + 2;
	}
	return total;
}

static int path_depth(const char *path)
{
	int d = 1;
	for (const char *p = path; p && *p; p++)
		if (*p == '.')
			d++;
	return d;
}

static gboolean path_within(const char *path, GPtrArray *prefixes)
{
	for (guint i = 0; i < prefixes->len; i++) {
		const char *pre = g_ptr_array_index(prefixes, i);
		size_t n = strlen(pre);
		if (strncmp(path, pre, n) == 0 && path[n] == '.')
			return TRUE;
	}
	return FALSE;
}

static lg_message *message_from_gmime(GMimeMessage *gm, const lg_limits *lim, int depth0,
                                      int *parts_total, double cpu0, GError **err);

static gboolean walk(lg_message *m, GMimeMessage *gm, const lg_limits *lim, int depth0,
                     int *parts_total, double cpu0, GError **err)
{
	GMimeObject *top = g_mime_message_get_mime_part(gm);
	GMimePartIter *it = NULL;
	GPtrArray *skip = g_ptr_array_new_with_free_func(g_free);
	gboolean ok = FALSE;
	gboolean any_text = FALSE, any_encrypted = FALSE;
	gsize text_max = (gsize)MAX(lim->text_chars, 1000) * 8;
	gsize html_max = MAX(text_max * 4, 4 * 1024 * 1024);

	if (top == NULL) {
		ok = TRUE;
		goto out;
	}
	/* The top part itself (a single-part message) is not visited by the iter. */
	if (!GMIME_IS_MULTIPART(top) && !GMIME_IS_MESSAGE_PART(top)) {
		it = NULL;
	} else {
		it = g_mime_part_iter_new(top);
	}

	for (gboolean first = TRUE;; first = FALSE) {
		GMimeObject *obj, *parent;
		char *path = NULL;
		char *type;
		int depth;

		if (it == NULL) {
			if (!first)
				break;
			obj = top;
			parent = NULL;
			path = g_strdup("1");
		} else {
			if (!first && !g_mime_part_iter_next(it))
				break;
			if (first && !g_mime_part_iter_is_valid(it))
				break;
			obj = g_mime_part_iter_get_current(it);
			parent = g_mime_part_iter_get_parent(it);
			path = g_mime_part_iter_get_path(it);
		}
		if (obj == NULL) {
			g_free(path);
			continue;
		}
		depth = depth0 + path_depth(path);
		(*parts_total)++;
		m->part_count++;
		if (depth > m->max_depth)
			m->max_depth = depth;
		if (depth > lim->mime_depth) {
			g_set_error(err, LG_MESSAGE_ERROR, LG_MSG_ERR_MIME_DEPTH,
			            "MIME structure nested deeper than %d levels", lim->mime_depth);
			g_free(path);
			goto out;
		}
		if (*parts_total > lim->mime_parts) {
			g_set_error(err, LG_MESSAGE_ERROR, LG_MSG_ERR_MIME_PARTS,
			            "more than %d MIME parts", lim->mime_parts);
			g_free(path);
			goto out;
		}
		if (lim->parse_seconds > 0 && thread_cpu_seconds() - cpu0 > lim->parse_seconds) {
			g_set_error(err, LG_MESSAGE_ERROR, LG_MSG_ERR_CPU,
			            "message took more than %d s of CPU to read",
			            lim->parse_seconds);
			g_free(path);
			goto out;
		}
		if (path_within(path, skip)) {
			g_free(path);
			continue;
		}
		type = lower_type(g_mime_object_get_content_type(obj));

		if (GMIME_IS_MESSAGE_PART(obj)) {
			GMimeMessage *inner =
			    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
			g_ptr_array_add(skip, g_strdup(path));
			if (inner) {
				lg_message *im =
				    message_from_gmime(inner, lim, depth, parts_total, cpu0, err);
				if (im == NULL) {
					g_free(type);
					g_free(path);
					goto out;
				}
				g_ptr_array_add(m->inner, im);
			}
		} else if (GMIME_IS_MULTIPART(obj)) {
			if (!strcmp(type, "multipart/encrypted")) {
				any_encrypted = TRUE;
				g_ptr_array_add(skip, g_strdup(path));
				{
					lg_part *p = g_new0(lg_part, 1);
					p->filename = g_strdup("");
					p->content_type = g_strdup(type);
					p->content_id = g_strdup("");
					p->is_encrypted = TRUE;
					p->data = g_bytes_new(NULL, 0);
					g_ptr_array_add(m->parts, p);
				}
			}
		} else if (GMIME_IS_PART(obj)) {
			GMimePart *part = GMIME_PART(obj);
			const char *fn = g_mime_part_get_filename(part);
			const char *cid = g_mime_object_get_content_id(obj);
			const char *disp = g_mime_object_get_disposition(obj);
			gboolean attachment = disp && !g_ascii_strcasecmp(disp, "attachment");
			gboolean is_text = GMIME_IS_TEXT_PART(obj) && !attachment;
			(void)parent;

			if (is_text && !strcmp(type, "text/plain") && m->plain[0] == '\0' &&
			    !any_text) {
				const char *fmt =
				    g_mime_object_get_content_type_parameter(obj, "format");
				const char *delsp =
				    g_mime_object_get_content_type_parameter(obj, "delsp");
				replace(&m->plain, part_text(part, text_max, FALSE));
				m->plain_flowed = fmt && !g_ascii_strcasecmp(fmt, "flowed");
				m->plain_delsp = delsp && !g_ascii_strcasecmp(delsp, "yes");
				any_text = m->plain[0] != '\0' || any_text;
			} else if (is_text && !strcmp(type, "text/html") && m->html[0] == '\0') {
				replace(&m->html, part_text(part, html_max, TRUE));
			} else if (is_text &&
			           (!strcmp(type, "text/plain") || !strcmp(type, "text/html"))) {
				/* later alternative or extra inline text: the first one is the
				 * letter */
			} else {
				lg_part *p = g_new0(lg_part, 1);
				p->filename = util_utf8_repair(fn ? fn : "", -1);
				p->content_type = g_strdup(type);
				p->content_id = util_utf8_repair(cid ? cid : "", -1);
				p->inline_disp = disp && !g_ascii_strcasecmp(disp, "inline");
				p->is_signature = is_signature_type(type);
				p->is_encrypted = is_encrypted_type(obj, type);
				if (p->is_encrypted)
					any_encrypted = TRUE;
				p->data = part_bytes(part, 0);
				g_ptr_array_add(m->parts, p);
			}
		}
		g_free(type);
		g_free(path);
	}
	if (m->plain[0] == '\0' && m->html[0] == '\0' && !any_encrypted && GMIME_IS_MULTIPART(top))
		replace(&m->plain, prologue_text(GMIME_MULTIPART(top), text_max));
	if (m->plain[0] == '\0' && m->html[0] == '\0') {
		/* A lone text/plain attachment (or a ".txt" file sent as bytes) is
		 * still the writer's text. */
		for (guint i = 0; i < m->parts->len; i++) {
			lg_part *p = g_ptr_array_index(m->parts, i);
			if (!p->is_encrypted &&
			    (!strcmp(p->content_type, "text/plain") ||
			     (!strcmp(p->content_type, "application/octet-stream") &&
			      name_is_txt(p->filename)))) {
				gsize len;
				const char *d = g_bytes_get_data(p->data, &len);
				replace(&m->plain,
				        charset_to_utf8(d, MIN(len, text_max), NULL, NULL));
				m->plain_is_attachment = TRUE;
				g_ptr_array_remove_index(m->parts, i);
				break;
			}
		}
	}
	m->encrypted_only = any_encrypted && m->plain[0] == '\0' && m->html[0] == '\0';
	ok = TRUE;
out:
	if (it)
		g_mime_part_iter_free(it);
	g_ptr_array_unref(skip);
	return ok;
}

static lg_message *message_from_gmime(GMimeMessage *gm, const lg_limits *lim, int depth0,
                                      int *parts_total, double cpu0, GError **err)
{
	lg_message *m = message_alloc();
	if (header_bytes(GMIME_OBJECT(gm)) > lim->header_bytes) {
		g_set_error(err, LG_MESSAGE_ERROR, LG_MSG_ERR_HEADER_BYTES,
		            "message headers larger than %" G_GINT64_FORMAT " bytes",
		            lim->header_bytes);
		message_free(&m);
		return NULL;
	}
	read_headers(m, gm);
	if (!walk(m, gm, lim, depth0, parts_total, cpu0, err))
		message_free(&m);
	return m;
}

/*
 * Pre-scan of the raw message, before GMime sees it.
 *
 * GMime 3.2.13 loops forever, appending to a string without end, when it
 * re-encodes a Content-Type or Content-Disposition whose parameter has a
 * name of 70..72 bytes and a value that needs RFC 2231 encoding (GMime
 * issue #165, fixed after 3.2.13): g_mime_param_list_encode() computes
 * 78 - (name + 6) bytes per continuation and makes no progress at 0..2.
 * Anything that sets a parameter re-encodes the header - among others
 * g_mime_multipart_get_boundary() on a multipart without a boundary. The
 * parse itself does not loop, but no CPU check can interrupt such a loop,
 * so the message is refused before it is parsed: every Content-Type and
 * Content-Disposition field of the message (headers of the message and of
 * every part; a field-like line inside a body is scanned too, which only
 * matters for mail that has such names) must have parameter names of at
 * most LG_PARAM_NAME_MAX bytes.
 *
 * The same scan refuses, before GMime builds anything, what would only be
 * refused after a costly parse: a multipart with two different boundary
 * parameters (two readers would see two different letters), a boundary
 * that is not 1..200 printable ASCII characters, and more container parts
 * (multipart and message types) than mime_parts allows. GMime's parser is
 * quadratic in the nesting depth and recursive: 50,000 levels take seconds
 * of CPU and a deep stack.
 */
#define LG_PARAM_NAME_MAX 64
#define LG_MIME_FIELD_MAX (64 * 1024)

typedef struct prescan {
	const lg_limits *lim;
	GString *field; /* current Content-* field, unfolded; NULL when none */
	gboolean field_too_long;
	gboolean in_field; /* the last line began a Content-* field */
	int containers;
	GError **err;
} prescan;

static gboolean boundary_ok(const char *b, size_t n)
{
	if (n == 0 || n > 200)
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)b[i] < 0x20 || (unsigned char)b[i] > 0x7e)
			return FALSE;
	return TRUE;
}

static gboolean is_tspecial_or_space(unsigned char c)
{
	return c <= ' ' || c == 0x7f || strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static const char *skip_cfws(const char *p, const char *end)
{
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			p++;
		} else if (*p == '(') {
			int depth = 0;
			for (; p < end; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0) {
					p++;
					break;
				}
			}
		} else {
			break;
		}
	}
	return p;
}

/* One parameter value (quoted or token, GMime's loose mode: up to ';'). */
static const char *param_value(const char *p, const char *end, GString *out)
{
	g_string_truncate(out, 0);
	p = skip_cfws(p, end);
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			g_string_append_c(out, *p);
		}
		if (p < end)
			p++;
	} else {
		const char *s = p;
		while (p < end && *p != ';')
			p++;
		while (p > s && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r' || p[-1] == '\n'))
			p--;
		g_string_append_len(out, s, p - s);
	}
	return p;
}

static gboolean prescan_field(prescan *ps)
{
	const char *v = ps->field->str, *end = v + ps->field->len, *p;
	gboolean is_ct;
	char *boundary = NULL;
	GString *val = NULL;
	gboolean ok = FALSE;

	if (ps->field_too_long) {
		g_set_error(ps->err, LG_MESSAGE_ERROR, LG_MSG_ERR_UNREADABLE,
		            "MIME header field longer than %d bytes", LG_MIME_FIELD_MAX);
		return FALSE;
	}
	p = memchr(v, ':', ps->field->len);
	is_ct = g_ascii_strncasecmp(v, "content-type", 12) == 0;
	p = skip_cfws(p + 1, end);
	if (is_ct && (end - p >= 10 && !g_ascii_strncasecmp(p, "multipart/", 10)))
		ps->containers++;
	else if (is_ct && end - p >= 8 && !g_ascii_strncasecmp(p, "message/", 8))
		ps->containers++;
	if (ps->lim->mime_parts > 0 && ps->containers > ps->lim->mime_parts) {
		g_set_error(ps->err, LG_MESSAGE_ERROR, LG_MSG_ERR_MIME_PARTS,
		            "more than %d MIME parts", ps->lim->mime_parts);
		return FALSE;
	}
	val = g_string_new(NULL);
	while ((p = memchr(p, ';', end - p)) != NULL) {
		const char *name;
		size_t nlen;
		gboolean star;
		p = skip_cfws(p + 1, end);
		name = p;
		while (p < end && !is_tspecial_or_space((unsigned char)*p) && *p != '*')
			p++;
		nlen = (size_t)(p - name);
		if (nlen > LG_PARAM_NAME_MAX) {
			g_set_error(ps->err, LG_MESSAGE_ERROR, LG_MSG_ERR_UNREADABLE,
			            "MIME parameter name longer than %d bytes", LG_PARAM_NAME_MAX);
			goto out;
		}
		star = p < end && *p == '*';
		while (p < end && *p != '=' && *p != ';')
			p++;
		if (p >= end || *p != '=')
			continue;
		p = param_value(p + 1, end, val);
		if (!is_ct || nlen != 8 || g_ascii_strncasecmp(name, "boundary", 8) != 0)
			continue;
		if (star) {
			/* boundary*= / boundary*0= : GMime would join and decode these */
			g_set_error(ps->err, LG_MESSAGE_ERROR, LG_MSG_ERR_UNREADABLE,
			            "encoded MIME boundary parameter");
			goto out;
		}
		if (!boundary_ok(val->str, val->len)) {
			g_set_error(ps->err, LG_MESSAGE_ERROR, LG_MSG_ERR_UNREADABLE,
			            "invalid MIME boundary parameter");
			goto out;
		}
		if (boundary && strcmp(boundary, val->str) != 0) {
			g_set_error(ps->err, LG_MESSAGE_ERROR, LG_MSG_ERR_UNREADABLE,
			            "conflicting MIME boundary parameters");
			goto out;
		}
		if (boundary == NULL)
			boundary = g_strdup(val->str);
	}
	ok = TRUE;
out:
	g_free(boundary);
	if (val)
		g_string_free(val, TRUE);
	return ok;
}

static gboolean is_content_field(const char *line, size_t len)
{
	size_t n;
	if (len >= 13 && !g_ascii_strncasecmp(line, "content-type", 12))
		n = 12;
	else if (len >= 20 && !g_ascii_strncasecmp(line, "content-disposition", 19))
		n = 19;
	else
		return FALSE;
	while (n < len && (line[n] == ' ' || line[n] == '\t'))
		n++;
	return n < len && line[n] == ':';
}

/* Ends the current field, if any. */
static gboolean prescan_flush(prescan *ps)
{
	gboolean ok = TRUE;
	if (ps->in_field)
		ok = prescan_field(ps);
	ps->in_field = FALSE;
	ps->field_too_long = FALSE;
	g_string_truncate(ps->field, 0);
	return ok;
}

/* One whole line (without its "\n"), or its first bytes when it is long:
 * a line longer than the read buffer arrives in pieces, `cont` set on all
 * but the first. */
static gboolean prescan_line(prescan *ps, const char *line, size_t len, gboolean cont)
{
	if (cont) {
		if (ps->in_field) {
			if (ps->field->len + len > LG_MIME_FIELD_MAX)
				ps->field_too_long = TRUE;
			else
				g_string_append_len(ps->field, line, len);
		}
		return TRUE;
	}
	if (len > 0 && (line[0] == ' ' || line[0] == '\t') && ps->in_field) {
		if (ps->field->len + len + 1 > LG_MIME_FIELD_MAX) {
			ps->field_too_long = TRUE;
		} else {
			g_string_append_c(ps->field, ' ');
			g_string_append_len(ps->field, line, len);
		}
		return TRUE;
	}
	if (!prescan_flush(ps))
		return FALSE;
	if (is_content_field(line, len)) {
		ps->in_field = TRUE;
		g_string_append_len(ps->field, line, MIN(len, (size_t)LG_MIME_FIELD_MAX));
		ps->field_too_long = len > LG_MIME_FIELD_MAX;
	}
	return TRUE;
}

gboolean message_prescan(GMimeStream *stream, const lg_limits *lim, GError **err)
{
	prescan ps = {.lim = lim, .err = err};
	char buf[65536];
	size_t have = 0;
	ssize_t n;
	gboolean cont = FALSE, ok = TRUE;
	gint64 start = g_mime_stream_tell(stream);

	ps.field = g_string_new(NULL);
	while (ok && (n = g_mime_stream_read(stream, buf + have, sizeof(buf) - have)) > 0) {
		const char *p = buf, *end = buf + have + n, *nl;
		while (ok && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			size_t len = (size_t)(nl - p);
			if (len > 0 && p[len - 1] == '\r')
				len--;
			ok = prescan_line(&ps, p, len, cont);
			cont = FALSE;
			p = nl + 1;
		}
		have = (size_t)(end - p);
		if (ok && have == sizeof(buf)) {
			/* a line longer than the buffer: hand over what we have */
			ok = prescan_line(&ps, buf, have, cont);
			cont = TRUE;
			have = 0;
		} else if (have > 0) {
			memmove(buf, p, have);
		}
	}
	if (ok && have > 0)
		ok = prescan_line(&ps, buf, have, cont);
	if (ok)
		ok = prescan_flush(&ps);
	g_string_free(ps.field, TRUE);
	if (g_mime_stream_seek(stream, start < 0 ? 0 : start, GMIME_STREAM_SEEK_SET) < 0) {
		if (ok)
			g_set_error(err, LG_MESSAGE_ERROR, LG_MSG_ERR_UNREADABLE,
			            "the message could not be read twice");
		return FALSE;
	}
	return ok;
}

/*
 * After the parse: a multipart's boundary as GMime read it. The parameter
 * is read with g_mime_object_get_content_type_parameter(), never with
 * g_mime_multipart_get_boundary(), which *sets* a boundary when there is
 * none and so re-encodes the header (the #165 loop).
 */
static gboolean check_boundaries(GMimeObject *obj, int depth, GError **err)
{
	if (depth > 2000)
		return TRUE;
	if (GMIME_IS_MULTIPART(obj)) {
		const char *b = g_mime_object_get_content_type_parameter(obj, "boundary");
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		if (b && !boundary_ok(b, strlen(b))) {
			g_set_error(err, LG_MESSAGE_ERROR, LG_MSG_ERR_UNREADABLE,
			            "invalid MIME boundary parameter");
			return FALSE;
		}
		for (int i = 0; i < n; i++)
			if (!check_boundaries(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i),
			                      depth + 1, err))
				return FALSE;
	}
	return TRUE;
}

/* A message never starts with an empty line over SMTP, but files handed to
 * `check` sometimes do (whitespace-only first lines); GMime then sees no
 * headers at all. Such lines, within the first 4 KB, are skipped. */
static void skip_leading_blank_lines(GMimeStream *stream)
{
	char buf[4096];
	gint64 start = g_mime_stream_tell(stream);
	ssize_t n = g_mime_stream_read(stream, buf, sizeof(buf));
	ssize_t skip = 0, line = 0;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			skip = i + 1;
			line = i + 1;
		} else if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r') {
			break;
		}
	}
	(void)line;
	if (start < 0)
		start = 0;
	g_mime_stream_seek(stream, start + skip, GMIME_STREAM_SEEK_SET);
}

lg_message *message_parse(GMimeStream *stream, const lg_limits *lim, GError **err)
{
	GMimeParser *parser = NULL;
	GMimeParserOptions *opts = NULL;
	GMimeMessage *gm = NULL;
	lg_message *m = NULL;
	int parts_total = 0;
	double cpu0 = thread_cpu_seconds();

	message_init();
	if (!message_prescan(stream, lim, err))
		goto out;
	skip_leading_blank_lines(stream);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream(parser, FALSE);
	opts = g_mime_parser_options_new();
	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	gm = g_mime_parser_construct_message(parser, opts);
	if (gm == NULL) {
		g_set_error(err, LG_MESSAGE_ERROR, LG_MSG_ERR_UNREADABLE,
		            "the message could not be read as MIME");
		goto out;
	}
	if (lim->parse_seconds > 0 && thread_cpu_seconds() - cpu0 > lim->parse_seconds) {
		g_set_error(err, LG_MESSAGE_ERROR, LG_MSG_ERR_CPU,
		            "message took more than %d s of CPU to read", lim->parse_seconds);
		goto out;
	}
	if (g_mime_message_get_mime_part(gm) &&
	    !check_boundaries(g_mime_message_get_mime_part(gm), 0, err))
		goto out;
	m = message_from_gmime(gm, lim, 0, &parts_total, cpu0, err);
out:
	if (gm)
		g_object_unref(gm);
	if (opts)
		g_mime_parser_options_free(opts);
	if (parser)
		g_object_unref(parser);
	return m;
}

lg_message *message_parse_file(const char *path, const lg_limits *lim, GError **err)
{
	GMimeStream *st;
	lg_message *m;
	GError *e = NULL;
	message_init();
	st = g_mime_stream_fs_open(path, O_RDONLY, 0, &e);
	if (st == NULL) {
		g_set_error(err, LG_MESSAGE_ERROR, LG_MSG_ERR_UNREADABLE, "%s: %s", path,
		            e ? e->message : "cannot open");
		g_clear_error(&e);
		return NULL;
	}
	m = message_parse(st, lim, err);
	g_object_unref(st);
	return m;
}
