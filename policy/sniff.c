/* policy/sniff.c - see sniff.h. Signatures from the formats' specifications;
 * order matters only where signatures overlap (ftyp, RIFF, zip, OggS). */
#include "policy/sniff.h"

#include <string.h>

#define WINDOW 4096 /* bytes searched for text markers and zip entry names */

static gboolean at(const guint8 *d, gsize len, gsize off, const void *sig, gsize n)
{
	return off <= len && n <= len - off && memcmp(d + off, sig, n) == 0;
}

static guint32 be32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static guint32 le32(const guint8 *p)
{
	return (guint32)p[3] << 24 | (guint32)p[2] << 16 | (guint32)p[1] << 8 | p[0];
}

static guint16 le16(const guint8 *p)
{
	return (guint16)(p[1] << 8 | p[0]);
}

static gboolean has(const guint8 *d, gsize len, const char *needle)
{
	return memmem(d, MIN(len, (gsize)WINDOW), needle, strlen(needle)) != NULL;
}

static void set(lg_sniff *r, lg_sniff_class cls, const char *mime)
{
	r->cls = cls;
	r->mime = mime;
}

static void set_photo(lg_sniff *r, lg_image_format fmt, const char *mime)
{
	set(r, LG_SNIFF_PHOTO, mime);
	r->fmt = fmt;
}

/* JPEG: walk the markers to the first SOFn for the frame size. */
static void jpeg_size(const guint8 *d, gsize len, lg_sniff *r)
{
	gsize i = 2;

	while (i + 4 <= len) {
		guint8 m;
		gsize seg;

		if (d[i] != 0xFF) {
			return;
		}
		m = d[i + 1];
		if (m == 0xFF) { /* fill byte */
			i++;
			continue;
		}
		if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
			i += 2;
			continue;
		}
		seg = (gsize)d[i + 2] << 8 | d[i + 3];
		if (seg < 2)
			return;
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			if (i + 9 <= len) {
				r->height = d[i + 5] << 8 | d[i + 6];
				r->width = d[i + 7] << 8 | d[i + 8];
			}
			return;
		}
		if (m == 0xDA || m == 0xD9)
			return;
		i += 2 + seg;
	}
}

static gboolean sniff_bmp(const guint8 *d, gsize len, lg_sniff *r)
{
	guint32 hdr;
	gint64 w, h;
	guint16 planes, bpp;

	if (!at(d, len, 0, "BM", 2) || len < 26)
		return FALSE;
	hdr = le32(d + 14);
	if (hdr == 12) {
		w = le16(d + 18);
		h = le16(d + 20);
		planes = le16(d + 22);
		bpp = le16(d + 24);
	} else if (hdr == 40 || hdr == 52 || hdr == 56 || hdr == 64 || hdr == 108 || hdr == 124) {
		if (len < 30)
			return FALSE;
		w = (gint32)le32(d + 18);
		h = (gint32)le32(d + 22);
		planes = le16(d + 26);
		bpp = le16(d + 28);
	} else {
		return FALSE;
	}
	if (planes != 1 ||
	    (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32))
		return FALSE;
	if (h < 0)
		h = -h; /* top-down */
	if (w <= 0 || h <= 0 || w > G_MAXINT || h > G_MAXINT)
		return FALSE;
	set_photo(r, LG_IMG_BMP, "image/bmp");
	r->width = (int)w;
	r->height = (int)h;
	return TRUE;
}

/* ISO base media: HEIF/AVIF pictures, M4A audio, everything else video. */
static gboolean sniff_ftyp(const guint8 *d, gsize len, lg_sniff *r)
{
	static const char *const heif[] = {"heic", "heix", "hevc", "hevx", "heim",
	                                   "heis", "mif1", "msf1", "avif", "avis"};
	static const char *const audio[] = {"M4A ", "M4B ", "M4P ", "F4A ", "F4B "};

	if (!at(d, len, 4, "ftyp", 4) || len < 12)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(heif); i++)
		if (at(d, len, 8, heif[i], 4)) {
			set_photo(r, LG_IMG_HEIF, i >= 8 ? "image/avif" : "image/heic");
			return TRUE;
		}
	for (gsize i = 0; i < G_N_ELEMENTS(audio); i++)
		if (at(d, len, 8, audio[i], 4)) {
			set(r, LG_SNIFF_AUDIO, "audio/mp4");
			return TRUE;
		}
	if (at(d, len, 8, "crx ", 4)) {
		set(r, LG_SNIFF_IMAGE_OTHER, "image/x-canon-cr3");
		return TRUE;
	}
	if (at(d, len, 8, "qt  ", 4))
		set(r, LG_SNIFF_VIDEO, "video/quicktime");
	else if (at(d, len, 8, "3g", 2))
		set(r, LG_SNIFF_VIDEO, "video/3gpp");
	else
		set(r, LG_SNIFF_VIDEO, "video/mp4");
	return TRUE;
}

static gboolean sniff_riff(const guint8 *d, gsize len, lg_sniff *r)
{
	if (!at(d, len, 0, "RIFF", 4) || len < 12)
		return FALSE;
	if (at(d, len, 8, "WEBP", 4))
		set_photo(r, LG_IMG_WEBP, "image/webp");
	else if (at(d, len, 8, "AVI ", 4) || at(d, len, 8, "CDXA", 4))
		set(r, LG_SNIFF_VIDEO, "video/x-msvideo");
	else if (at(d, len, 8, "WAVE", 4) || at(d, len, 8, "RMID", 4))
		set(r, LG_SNIFF_AUDIO, "audio/wav");
	else if (at(d, len, 8, "ACON", 4))
		set(r, LG_SNIFF_IMAGE_OTHER, "application/x-navi-animation");
	else
		set(r, LG_SNIFF_UNKNOWN, "application/octet-stream");
	return TRUE;
}

static gboolean sniff_zip(const guint8 *d, gsize len, lg_sniff *r)
{
	if (!(at(d, len, 0, "PK\x03\x04", 4) || at(d, len, 0, "PK\x05\x06", 4) ||
	      at(d, len, 0, "PK\x07\x08", 4)))
		return FALSE;
	if (has(d, len, "mimetypeapplication/epub+zip"))
		set(r, LG_SNIFF_DOCUMENT, "application/epub+zip");
	else if (has(d, len, "mimetypeapplication/vnd.oasis.opendocument"))
		set(r, LG_SNIFF_DOCUMENT, "application/vnd.oasis.opendocument");
	else if (has(d, len, "[Content_Types].xml") || has(d, len, "word/") || has(d, len, "xl/") ||
	         has(d, len, "ppt/"))
		set(r, LG_SNIFF_DOCUMENT, "application/vnd.openxmlformats-officedocument");
	else if (has(d, len, "AndroidManifest.xml") || has(d, len, "classes.dex"))
		set(r, LG_SNIFF_EXECUTABLE, "application/vnd.android.package-archive");
	else if (has(d, len, "META-INF/MANIFEST.MF"))
		set(r, LG_SNIFF_EXECUTABLE, "application/java-archive");
	else
		set(r, LG_SNIFF_ARCHIVE, "application/zip");
	return TRUE;
}

/* An MPEG audio frame header: sync, a layer, a bitrate and a sample rate. */
static gboolean mpeg_audio(const guint8 *d, gsize len)
{
	if (len < 4 || d[0] != 0xFF || (d[1] & 0xE0) != 0xE0)
		return FALSE;
	if ((d[1] & 0x18) == 0x08) /* reserved version */
		return FALSE;
	if ((d[1] & 0x06) == 0) /* layer bits 00: ADTS AAC when version bits say MPEG-4 */
		return (d[1] & 0xF6) == 0xF0 && ((d[2] >> 2) & 0x0F) < 13;
	return (d[2] >> 4) != 0x0F && ((d[2] >> 2) & 0x03) != 0x03;
}

/* Text after an optional UTF-8 BOM and blank lines, compared case-insensitively. */
static const guint8 *text_start(const guint8 *d, gsize len, gsize *rest)
{
	gsize i = 0;

	if (at(d, len, 0, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
		i++;
	*rest = len - i;
	return d + i;
}

static gboolean starts_ci(const guint8 *p, gsize n, const char *s)
{
	gsize sl = strlen(s);
	return n >= sl && g_ascii_strncasecmp((const char *)p, s, sl) == 0;
}

static gboolean looks_text(const guint8 *d, gsize len)
{
	gsize n = MIN(len, (gsize)WINDOW);
	const gchar *end = NULL;

	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (d[i] < 0x20 && d[i] != '\t' && d[i] != '\r' && d[i] != '\n' && d[i] != '\f')
			return FALSE;
	/* a window may cut a UTF-8 sequence: accept a truncated tail */
	if (!g_utf8_validate((const gchar *)d, (gssize)n, &end))
		return n == len ? FALSE : (gsize)((const guint8 *)end - d) + 4 > n;
	return TRUE;
}

/* The PGP/MIME control part (RFC 3156): "Version: 1" and nothing else. */
static gboolean pgp_control(const guint8 *p, gsize n)
{
	if (!starts_ci(p, n, "Version: 1"))
		return FALSE;
	for (gsize i = 10; i < n; i++)
		if (!g_ascii_isspace(p[i]))
			return FALSE;
	return TRUE;
}

static gboolean sniff_text(const guint8 *d, gsize len, lg_sniff *r)
{
	gsize n;
	const guint8 *p = text_start(d, len, &n);

	if (starts_ci(p, n, "BEGIN:VCALENDAR"))
		set(r, LG_SNIFF_CALENDAR, "text/calendar");
	else if (starts_ci(p, n, "BEGIN:VCARD"))
		set(r, LG_SNIFF_CONTACT, "text/vcard");
	else if (starts_ci(p, n, "-----BEGIN PGP SIGNATURE-----"))
		set(r, LG_SNIFF_SIGNATURE, "application/pgp-signature");
	else if (starts_ci(p, n, "-----BEGIN PGP PUBLIC KEY BLOCK-----"))
		set(r, LG_SNIFF_KEY, "application/pgp-keys");
	else if (starts_ci(p, n, "-----BEGIN PGP MESSAGE-----") || pgp_control(p, n))
		set(r, LG_SNIFF_ENCRYPTED, "application/pgp-encrypted");
	else if (starts_ci(p, n, "{\\rtf"))
		set(r, LG_SNIFF_DOCUMENT, "application/rtf");
	else if (starts_ci(p, n, "%!PS"))
		set(r, LG_SNIFF_DOCUMENT, "application/postscript");
	else if (starts_ci(p, n, "#!"))
		set(r, LG_SNIFF_EXECUTABLE, "text/x-script");
	else if ((starts_ci(p, n, "<?xml") || starts_ci(p, n, "<svg")) && has(p, n, "<svg"))
		set(r, LG_SNIFF_IMAGE_OTHER, "image/svg+xml");
	else if (starts_ci(p, n, "<!DOCTYPE html") || starts_ci(p, n, "<html"))
		set(r, LG_SNIFF_DOCUMENT, "text/html");
	else if (looks_text(d, len))
		set(r, LG_SNIFF_TEXT, "text/plain");
	else
		return FALSE;
	return TRUE;
}

static gboolean sniff_photo(const guint8 *d, gsize len, lg_sniff *r)
{
	if (at(d, len, 0, "\xFF\xD8\xFF", 3)) {
		set_photo(r, LG_IMG_JPEG, "image/jpeg");
		jpeg_size(d, len, r);
	} else if (at(d, len, 0, "\x89PNG\r\n\x1A\n", 8)) {
		set_photo(r, LG_IMG_PNG, "image/png");
		if (at(d, len, 12, "IHDR", 4) && len >= 24) {
			guint32 w = be32(d + 16), h = be32(d + 20);
			r->width = (int)MIN(w, (guint32)G_MAXINT);
			r->height = (int)MIN(h, (guint32)G_MAXINT);
		}
	} else if (at(d, len, 0, "GIF87a", 6) || at(d, len, 0, "GIF89a", 6)) {
		set_photo(r, LG_IMG_GIF, "image/gif");
		if (len >= 10) {
			r->width = le16(d + 6);
			r->height = le16(d + 8);
		}
	} else if (at(d, len, 0, "II*\0", 4) || at(d, len, 0, "MM\0*", 4) ||
	           at(d, len, 0, "II+\0", 4) || at(d, len, 0, "MM\0+", 4)) {
		set_photo(r, LG_IMG_TIFF, "image/tiff");
	} else if (sniff_riff(d, len, r) || sniff_ftyp(d, len, r) || sniff_bmp(d, len, r)) {
		/* set by the helper (WebP, HEIF, BMP or not a photo at all) */
	} else {
		return FALSE;
	}
	return TRUE;
}

static gboolean sniff_other(const guint8 *d, gsize len, lg_sniff *r)
{
	static const struct {
		gsize off;
		const char *sig;
		gsize n;
		lg_sniff_class cls;
		const char *mime;
	} tab[] = {
	    {0, "%PDF-", 5, LG_SNIFF_DOCUMENT, "application/pdf"},
	    {0, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, LG_SNIFF_DOCUMENT,
	     "application/x-ole-storage"},
	    {0, "AT&TFORM", 8, LG_SNIFF_DOCUMENT, "image/vnd.djvu"},
	    {0, "\x78\x9F\x3E\x22", 4, LG_SNIFF_TNEF, "application/ms-tnef"},
	    {0, "Rar!\x1A\x07", 6, LG_SNIFF_ARCHIVE, "application/vnd.rar"},
	    {0, "7z\xBC\xAF\x27\x1C", 6, LG_SNIFF_ARCHIVE, "application/x-7z-compressed"},
	    {0, "\x1F\x8B", 2, LG_SNIFF_ARCHIVE, "application/gzip"},
	    {0, "\x1F\x9D", 2, LG_SNIFF_ARCHIVE, "application/x-compress"},
	    {0, "BZh", 3, LG_SNIFF_ARCHIVE, "application/x-bzip2"},
	    {0,
	     "\xFD"
	     "7zXZ\0",
	     6, LG_SNIFF_ARCHIVE, "application/x-xz"},
	    {0, "\x28\xB5\x2F\xFD", 4, LG_SNIFF_ARCHIVE, "application/zstd"},
	    {0, "\x04\x22\x4D\x18", 4, LG_SNIFF_ARCHIVE, "application/x-lz4"},
	    {0, "LZIP", 4, LG_SNIFF_ARCHIVE, "application/x-lzip"},
	    {0, "MSCF", 4, LG_SNIFF_ARCHIVE, "application/vnd.ms-cab-compressed"},
	    {0, "xar!", 4, LG_SNIFF_ARCHIVE, "application/x-xar"},
	    {0, "\x60\xEA", 2, LG_SNIFF_ARCHIVE, "application/x-arj"},
	    {257, "ustar", 5, LG_SNIFF_ARCHIVE, "application/x-tar"},
	    {32769, "CD001", 5, LG_SNIFF_ARCHIVE, "application/x-iso9660-image"},
	    {0, "MZ", 2, LG_SNIFF_EXECUTABLE, "application/x-msdownload"},
	    {0,
	     "\x7F"
	     "ELF",
	     4, LG_SNIFF_EXECUTABLE, "application/x-executable"},
	    {0, "\xFE\xED\xFA\xCE", 4, LG_SNIFF_EXECUTABLE, "application/x-mach-binary"},
	    {0, "\xFE\xED\xFA\xCF", 4, LG_SNIFF_EXECUTABLE, "application/x-mach-binary"},
	    {0, "\xCE\xFA\xED\xFE", 4, LG_SNIFF_EXECUTABLE, "application/x-mach-binary"},
	    {0, "\xCF\xFA\xED\xFE", 4, LG_SNIFF_EXECUTABLE, "application/x-mach-binary"},
	    {0, "\xCA\xFE\xBA\xBE", 4, LG_SNIFF_EXECUTABLE, "application/x-mach-binary"},
	    {0, "dex\n", 4, LG_SNIFF_EXECUTABLE, "application/vnd.android.dex"},
	    {0, "\0asm", 4, LG_SNIFF_EXECUTABLE, "application/wasm"},
	    {0, "L\0\0\0\x01\x14\x02\0", 8, LG_SNIFF_EXECUTABLE, "application/x-ms-shortcut"},
	    {0, "\x1A\x45\xDF\xA3", 4, LG_SNIFF_VIDEO, "video/x-matroska"},
	    {0, "FLV\x01", 4, LG_SNIFF_VIDEO, "video/x-flv"},
	    {0, "\0\0\x01\xBA", 4, LG_SNIFF_VIDEO, "video/mpeg"},
	    {0, "\0\0\x01\xB3", 4, LG_SNIFF_VIDEO, "video/mpeg"},
	    {0, "\x30\x26\xB2\x75\x8E\x66\xCF\x11", 8, LG_SNIFF_VIDEO, "video/x-ms-asf"},
	    {0, ".RMF", 4, LG_SNIFF_VIDEO, "application/vnd.rn-realmedia"},
	    {4, "moov", 4, LG_SNIFF_VIDEO, "video/quicktime"},
	    {4, "mdat", 4, LG_SNIFF_VIDEO, "video/quicktime"},
	    {4, "wide", 4, LG_SNIFF_VIDEO, "video/quicktime"},
	    {0, "ID3", 3, LG_SNIFF_AUDIO, "audio/mpeg"},
	    {0, "fLaC", 4, LG_SNIFF_AUDIO, "audio/flac"},
	    {0, "#!AMR", 5, LG_SNIFF_AUDIO, "audio/amr"},
	    {0, "MThd", 4, LG_SNIFF_AUDIO, "audio/midi"},
	    {0, ".snd", 4, LG_SNIFF_AUDIO, "audio/basic"},
	    {0, "caff", 4, LG_SNIFF_AUDIO, "audio/x-caf"},
	    {0, "wvpk", 4, LG_SNIFF_AUDIO, "audio/x-wavpack"},
	    {0, "MAC ", 4, LG_SNIFF_AUDIO, "audio/x-ape"},
	    {0, "8BPS", 4, LG_SNIFF_IMAGE_OTHER, "image/vnd.adobe.photoshop"},
	    {0, "\0\0\0\x0CjP  \r\n\x87\n", 12, LG_SNIFF_IMAGE_OTHER, "image/jp2"},
	    {0, "\xFF\x4F\xFF\x51", 4, LG_SNIFF_IMAGE_OTHER, "image/jp2"},
	    {0, "\0\0\0\x0CJXL \r\n\x87\n", 12, LG_SNIFF_IMAGE_OTHER, "image/jxl"},
	    {0, "\xFF\x0A", 2, LG_SNIFF_IMAGE_OTHER, "image/jxl"},
	    {40, " EMF", 4, LG_SNIFF_IMAGE_OTHER, "image/emf"},
	    {0, "\xD7\xCD\xC6\x9A", 4, LG_SNIFF_IMAGE_OTHER, "image/wmf"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(tab); i++)
		if (at(d, len, tab[i].off, tab[i].sig, tab[i].n)) {
			set(r, tab[i].cls, tab[i].mime);
			return TRUE;
		}
	if (at(d, len, 0, "FORM", 4) && (at(d, len, 8, "AIFF", 4) || at(d, len, 8, "AIFC", 4))) {
		set(r, LG_SNIFF_AUDIO, "audio/aiff");
		return TRUE;
	}
	if (at(d, len, 0, "OggS", 4)) {
		if (has(d, len, "\x80theora"))
			set(r, LG_SNIFF_VIDEO, "video/ogg");
		else
			set(r, LG_SNIFF_AUDIO, "audio/ogg");
		return TRUE;
	}
	if (len >= 377 && d[0] == 0x47 && d[188] == 0x47 && d[376] == 0x47) {
		set(r, LG_SNIFF_VIDEO, "video/mp2t");
		return TRUE;
	}
	if (at(d, len, 0, "\0\0\x01\0", 4) || at(d, len, 0, "\0\0\x02\0", 4)) {
		/* ICO/CUR: a small count of directory entries */
		if (len >= 6 && le16(d + 4) > 0 && le16(d + 4) <= 256) {
			set(r, LG_SNIFF_IMAGE_OTHER, "image/vnd.microsoft.icon");
			return TRUE;
		}
	}
	if (mpeg_audio(d, len)) {
		set(r, LG_SNIFF_AUDIO, "audio/mpeg");
		return TRUE;
	}
	return FALSE;
}

void sniff_bytes(const guint8 *data, gsize len, lg_sniff *r)
{
	memset(r, 0, sizeof(*r));
	set(r, LG_SNIFF_UNKNOWN, "application/octet-stream");
	if (data == NULL || len == 0)
		return;
	if (sniff_photo(data, len, r) || sniff_zip(data, len, r) || sniff_other(data, len, r) ||
	    sniff_text(data, len, r))
		return;
	set(r, LG_SNIFF_UNKNOWN, "application/octet-stream");
}

const char *sniff_class_name(lg_sniff_class cls)
{
	static const char *const names[] = {
	    "unknown", "photo",     "image",    "video",     "audio",
	    "archive", "program",   "document", "calendar",  "contact",
	    "tnef",    "signature", "key",      "encrypted", "text",
	};

	if ((int)cls < 0 || (gsize)cls >= G_N_ELEMENTS(names))
		return "unknown";
	return names[cls];
}
