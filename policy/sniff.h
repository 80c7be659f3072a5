/*
 * policy/sniff.h - what a part is, told from its first bytes alone.
 *
 * The declared Content-Type and the file name are never consulted: a PDF
 * sent as image/jpeg is a document, a JPEG named "scan.pdf" is a photo.
 *
 * Contract:
 *  - sniff_bytes() never fails and never reads past len; any input (NULL
 *    with len 0 included) gives a class, LG_SNIFF_UNKNOWN when nothing
 *    matched. It decodes nothing: only fixed signatures and a few header
 *    fields are read. Pure function, thread-safe.
 *  - For LG_SNIFF_PHOTO, fmt names the libvips loader to use and width /
 *    height are read from the header when the format makes that cheap
 *    (PNG, GIF, BMP, JPEG); otherwise 0 (the loader's header read gives
 *    them later).
 *  - Strings in lg_sniff are static.
 */
#ifndef LG_SNIFF_H
#define LG_SNIFF_H

#include <glib.h>

typedef enum {
	LG_SNIFF_UNKNOWN = 0,
	LG_SNIFF_PHOTO,       /* a picture format we convert (see lg_image_format) */
	LG_SNIFF_IMAGE_OTHER, /* a picture format we do not print: SVG, ICO, PSD, JPEG 2000... */
	LG_SNIFF_VIDEO,
	LG_SNIFF_AUDIO,
	LG_SNIFF_ARCHIVE,
	LG_SNIFF_EXECUTABLE,
	LG_SNIFF_DOCUMENT,
	LG_SNIFF_CALENDAR,
	LG_SNIFF_CONTACT,
	LG_SNIFF_TNEF,
	LG_SNIFF_SIGNATURE, /* armoured PGP signature */
	LG_SNIFF_KEY,       /* armoured PGP public key */
	LG_SNIFF_ENCRYPTED, /* armoured PGP message, PGP/MIME control part */
	LG_SNIFF_TEXT,      /* other readable text */
} lg_sniff_class;

typedef enum {
	LG_IMG_NONE = 0,
	LG_IMG_JPEG,
	LG_IMG_PNG,
	LG_IMG_GIF,
	LG_IMG_WEBP,
	LG_IMG_HEIF,
	LG_IMG_TIFF,
	LG_IMG_BMP,
} lg_image_format;

typedef struct lg_sniff {
	lg_sniff_class cls;
	lg_image_format fmt; /* LG_IMG_NONE unless cls is LG_SNIFF_PHOTO */
	const char
	    *mime; /* detected type, e.g. "video/mp4"; "application/octet-stream" when unknown */
	int width; /* photos only, 0 when not read */
	int height;
} lg_sniff;

void sniff_bytes(const guint8 *data, gsize len, lg_sniff *r);

/* "photo", "video", ... for logs and tests. */
const char *sniff_class_name(lg_sniff_class cls);

#endif
