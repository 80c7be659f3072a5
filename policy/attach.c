/* policy/attach.c - see attach.h. Classification is by bytes (sniff.c);
 * conversion is photo.c; this file holds the per-letter limits and the
 * reasons a writer reads. */
#include "policy/attach.h"

#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "policy/photo.h"
#include "policy/sniff.h"

#define R_VIDEO "Videos cannot be delivered to a prison; only photos are printed."
#define R_AUDIO "Audio and voice messages cannot be delivered to a prison; only photos are printed."
#define R_ARCHIVE                                                                                  \
	"Archives (zip, rar, 7z and the like) are not opened or delivered; attach photos "         \
	"directly."
#define R_PROGRAM "Programs and scripts cannot be delivered to a prison."
#define R_DOCUMENT                                                                                 \
	"Documents (PDF, Word, spreadsheets and the like) cannot be delivered; paste the text "    \
	"into your letter."
#define R_TEXT "Text files are not delivered; paste the text into your letter."
#define R_CALENDAR "Calendar invitations cannot be delivered to a prison."
#define R_CONTACT "Contact cards cannot be delivered to a prison."
#define R_TNEF                                                                                     \
	"This Outlook attachment (winmail.dat) cannot be read; send photos as ordinary "           \
	"attachments."
#define R_IMAGE_OTHER                                                                              \
	"This kind of picture cannot be printed; send photos as JPEG, PNG, GIF, WebP or HEIC."
#define R_UNKNOWN "This kind of file cannot be delivered to a prison; only photos are printed."
#define R_ENCRYPTED "Encrypted attachments cannot be read, so they cannot be delivered."
#define R_EMPTY "This attachment is empty."
#define R_CORRUPT "This photo is damaged or incomplete and could not be read."
#define R_DUPLICATE "The same photo was attached more than once; it is sent once."

static GOnce lib_once = G_ONCE_INIT;

void attach_init(const lg_config *cfg)
{
	photo_lib_init(cfg->vips_threads, cfg->vips_cache_mb);
}

void attach_shutdown(void)
{
	photo_lib_shutdown();
}

static gpointer lib_start(gpointer cfg)
{
	attach_init(cfg);
	return NULL;
}

/* "20 MB", "512 KB": writers do not read MiB. */
static char *size_text(gint64 bytes)
{
	if (bytes >= 1024 * 1024)
		return g_strdup_printf("%" G_GINT64_FORMAT " MB",
		                       (bytes + 512 * 1024) / (1024 * 1024));
	return g_strdup_printf("%" G_GINT64_FORMAT " KB", (bytes + 512) / 1024);
}

static const char *part_name(const lg_part *part)
{
	if (part->filename != NULL && part->filename[0] != '\0')
		return part->filename;
	if (part->content_id != NULL && part->content_id[0] != '\0')
		return "inline picture";
	return "attachment";
}

static void drop(GPtrArray *dropped, guint idx, const lg_part *part, const char *type,
                 const char *why, gboolean quiet, const char *reason)
{
	lg_dropped *d = dropped_new(part_name(part), type, reason);
	d->quiet = quiet;
	g_ptr_array_add(dropped, d);
	lg_info("attach: part %u dropped: %s%s", idx, why, quiet ? " (quiet)" : "");
}

static gboolean declared_signature(const char *ct)
{
	return ct != NULL && (strcmp(ct, "application/pgp-signature") == 0 ||
	                      strcmp(ct, "application/pkcs7-signature") == 0 ||
	                      strcmp(ct, "application/x-pkcs7-signature") == 0);
}

/* Per-letter state while its parts are walked. */
typedef struct {
	const lg_config *cfg;
	GPtrArray *photos;
	GPtrArray *dropped;
	GPtrArray *seen; /* GBytes of parts kept, to notice the same photo twice */
	gint64 letter_bytes;
} attach_ctx;

static void take_photo(attach_ctx *c, guint idx, const lg_part *part, const lg_sniff *sn)
{
	const lg_config *cfg = c->cfg;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(part->data, &len);
	g_autoptr(GBytes) jpeg = NULL;
	g_autofree char *reason = NULL;
	g_autofree char *limit = NULL;
	lg_photo_opts opts = {
	    .long_side = cfg->photo_long_side,
	    .quality = cfg->photo_quality,
	    .max_pixels = cfg->photo_pixels,
	};
	lg_photo *ph;
	int w = sn->width, h = sn->height;
	photo_status st;

	if (cfg->photo_bytes > 0 && (gint64)len > cfg->photo_bytes) {
		limit = size_text(cfg->photo_bytes);
		reason =
		    g_strdup_printf("This photo is larger than %s; send a smaller one.", limit);
		drop(c->dropped, idx, part, sn->mime, "photo_bytes", FALSE, reason);
		return;
	}
	/* Sniffed sizes refuse a decompression bomb before any library parses
	 * it; the loader's own header read below is the authority. */
	if (w <= 0 || h <= 0 || cfg->photo_pixels <= 0 || (gint64)w * h <= cfg->photo_pixels) {
		st = photo_probe(data, len, sn->fmt, &w, &h);
		if (st != PHOTO_OK) {
			drop(c->dropped, idx, part, sn->mime, "corrupt header", FALSE, R_CORRUPT);
			return;
		}
	}
	if (cfg->photo_pixels > 0 && (gint64)w * h > cfg->photo_pixels) {
		reason = g_strdup_printf("This picture is too large to process (%d x %d pixels; "
		                         "the limit is %" G_GINT64_FORMAT " megapixels).",
		                         w, h, MAX(cfg->photo_pixels / 1000000, (gint64)1));
		drop(c->dropped, idx, part, sn->mime, "photo_pixels", FALSE, reason);
		return;
	}
	if (MIN(w, h) < cfg->photo_min_side) {
		reason =
		    g_strdup_printf("This picture is too small to print (%d x %d pixels); logos, "
		                    "icons and tracking images are left out.",
		                    w, h);
		drop(c->dropped, idx, part, sn->mime, "photo_min_side", FALSE, reason);
		return;
	}
	for (guint i = 0; i < c->seen->len; i++)
		if (g_bytes_equal(c->seen->pdata[i], part->data)) {
			drop(c->dropped, idx, part, sn->mime, "duplicate", FALSE, R_DUPLICATE);
			return;
		}
	if ((int)c->photos->len >= cfg->photos) {
		reason = g_strdup_printf(
		    "Only %d photos can go with one letter; this one was left out.", cfg->photos);
		drop(c->dropped, idx, part, sn->mime, "photos", FALSE, reason);
		return;
	}
	st = photo_convert(data, len, sn->fmt, &opts, &jpeg, &w, &h);
	if (st == PHOTO_ERR_PIXELS) {
		reason = g_strdup_printf("This picture is too large to process (the limit is "
		                         "%" G_GINT64_FORMAT " megapixels).",
		                         MAX(cfg->photo_pixels / 1000000, (gint64)1));
		drop(c->dropped, idx, part, sn->mime, "photo_pixels", FALSE, reason);
		return;
	}
	if (st != PHOTO_OK) {
		drop(c->dropped, idx, part, sn->mime, "corrupt", FALSE, R_CORRUPT);
		return;
	}
	if (cfg->letter_photo_bytes > 0 &&
	    c->letter_bytes + (gint64)g_bytes_get_size(jpeg) > cfg->letter_photo_bytes) {
		limit = size_text(cfg->letter_photo_bytes);
		reason = g_strdup_printf("The photos of this letter would come to more than %s "
		                         "together; this one was left out.",
		                         limit);
		drop(c->dropped, idx, part, sn->mime, "letter_photo_bytes", FALSE, reason);
		return;
	}

	ph = g_new0(lg_photo, 1);
	ph->name = g_strdup_printf("photo-%u.jpg", c->photos->len + 1);
	ph->orig_name = g_strdup(part->filename != NULL ? part->filename : "");
	ph->type = g_strdup("image/jpeg");
	{
		gsize jl = 0;
		const void *jd = g_bytes_get_data(jpeg, &jl);
		g_autofree char *hex = util_sha256_hex(jd, jl);
		g_strlcpy(ph->sha256, hex, sizeof(ph->sha256));
	}
	ph->width = w;
	ph->height = h;
	ph->data = g_steal_pointer(&jpeg);
	c->letter_bytes += (gint64)g_bytes_get_size(ph->data);
	g_ptr_array_add(c->seen, part->data);
	lg_info("attach: part %u kept as %s (%s, %dx%d, %zu bytes)", idx, ph->name, sn->mime, w, h,
	        g_bytes_get_size(ph->data));
	g_ptr_array_add(c->photos, ph);
}

static void take_part(attach_ctx *c, guint idx, const lg_part *part)
{
	gsize len = 0;
	const guint8 *data = part->data != NULL ? g_bytes_get_data(part->data, &len) : NULL;
	const char *declared = part->content_type != NULL && part->content_type[0] != '\0'
	                           ? part->content_type
	                           : "application/octet-stream";
	lg_sniff sn;

	if (part->is_signature || declared_signature(part->content_type)) {
		drop(c->dropped, idx, part, declared, "signature", TRUE, "Signature.");
		return;
	}
	if (part->is_encrypted) {
		drop(c->dropped, idx, part, declared, "encrypted", FALSE, R_ENCRYPTED);
		return;
	}
	if (len == 0) {
		drop(c->dropped, idx, part, declared, "empty", FALSE, R_EMPTY);
		return;
	}
	sniff_bytes(data, len, &sn);
	switch (sn.cls) {
	case LG_SNIFF_PHOTO:
		take_photo(c, idx, part, &sn);
		return;
	case LG_SNIFF_SIGNATURE:
	case LG_SNIFF_KEY:
		/* mail clients attach these by themselves */
		drop(c->dropped, idx, part, sn.mime, sniff_class_name(sn.cls), TRUE, "Signature.");
		return;
	case LG_SNIFF_ENCRYPTED:
		/* the PGP/MIME "Version: 1" control part says nothing to the writer */
		drop(c->dropped, idx, part, sn.mime, "encrypted", len < 64, R_ENCRYPTED);
		return;
	case LG_SNIFF_UNKNOWN:
		drop(c->dropped, idx, part, declared, "unknown", FALSE, R_UNKNOWN);
		return;
	default:
		break;
	}
	{
		static const struct {
			lg_sniff_class cls;
			const char *reason;
		} reasons[] = {
		    {LG_SNIFF_IMAGE_OTHER, R_IMAGE_OTHER},
		    {LG_SNIFF_VIDEO, R_VIDEO},
		    {LG_SNIFF_AUDIO, R_AUDIO},
		    {LG_SNIFF_ARCHIVE, R_ARCHIVE},
		    {LG_SNIFF_EXECUTABLE, R_PROGRAM},
		    {LG_SNIFF_DOCUMENT, R_DOCUMENT},
		    {LG_SNIFF_CALENDAR, R_CALENDAR},
		    {LG_SNIFF_CONTACT, R_CONTACT},
		    {LG_SNIFF_TNEF, R_TNEF},
		    {LG_SNIFF_TEXT, R_TEXT},
		};
		const char *reason = R_UNKNOWN;
		for (gsize i = 0; i < G_N_ELEMENTS(reasons); i++)
			if (reasons[i].cls == sn.cls)
				reason = reasons[i].reason;
		drop(c->dropped, idx, part, sn.mime, sniff_class_name(sn.cls), FALSE, reason);
	}
}

void attach_process(const lg_config *cfg, const lg_message *msg, GPtrArray *photos,
                    GPtrArray *dropped)
{
	attach_ctx c = {
	    .cfg = cfg,
	    .photos = photos,
	    .dropped = dropped,
	    .seen = g_ptr_array_new(),
	};

	g_once(&lib_once, lib_start, (gpointer)cfg);
	for (guint i = 0; i < photos->len; i++)
		c.letter_bytes += (gint64)g_bytes_get_size(((lg_photo *)photos->pdata[i])->data);
	for (guint i = 0; msg->parts != NULL && i < msg->parts->len; i++)
		take_part(&c, i, g_ptr_array_index(msg->parts, i));
	g_ptr_array_free(c.seen, TRUE);
}
