/*
 * policy/photo.h - one picture in, one printable JPEG out, with libvips.
 *
 * Contract:
 *  - photo_lib_init() starts libvips once per process (idempotent) and
 *    applies the bounds: vips_threads worker threads per pipeline, the
 *    operation cache off (mail photos never repeat, and buffer loaders are
 *    keyed by buffer address, which a freed-and-reused buffer would alias),
 *    vips_cache_mb as its memory ceiling, untrusted loaders blocked
 *    (ImageMagick is re-allowed for BMP only, which is sniffed first).
 *    Calling it again re-applies the bounds. photo_lib_shutdown() at exit.
 *  - photo_probe() reads the header only (no pixels decoded) with the loader
 *    for fmt and gives the stored width and height (before EXIF rotation).
 *  - photo_convert() decodes from the memory buffer (sequential access,
 *    fail on errors and truncation), shrinks on load where the format
 *    allows, resizes so the long side is at most opts->long_side, turns the
 *    picture upright by its EXIF orientation, flattens transparency on
 *    white, converts to 8-bit sRGB (through the embedded ICC profile when
 *    there is one) and writes a baseline JPEG at opts->quality with every
 *    metadata block stripped (EXIF, GPS, XMP, IPTC, ICC, comments).
 *  - Fast path: a JPEG that already meets that spec is not decoded and
 *    re-encoded but copied segment by segment (no generation loss, a
 *    tenth of the CPU): Huffman-coded baseline, extended or progressive,
 *    8-bit, YCbCr or greyscale, EXIF orientation absent or 1, no ICC
 *    profile, long side at most opts->long_side, and a luminance
 *    quantisation table no finer than libjpeg's at opts->quality (so it is
 *    no larger than the re-encoding would be). The copy keeps SOI, DQT,
 *    DHT, DRI, SOFn, SOS with the entropy-coded data and EOI, adds a bare
 *    JFIF APP0 (no thumbnail), and leaves out every APPn and COM segment
 *    and anything after EOI; the output carries no metadata either way.
 *    The copy is used only when libjpeg decodes all of it (every
 *    coefficient) without an error or a warning; otherwise, and for any
 *    marker it does not know, the full conversion above decides. The
 *    output may then be progressive.
 *    A conversion that runs longer than opts->timeout_ms (default
 *    PHOTO_SECONDS) is stopped and reported as PHOTO_ERR_CORRUPT.
 *  - Both return PHOTO_OK or a status; they never abort on bad input.
 *    On PHOTO_OK *jpeg_r is a new GBytes the caller unrefs.
 *  - Thread-safe: any number of threads may call photo_convert(); at most
 *    max(2, processors) conversions run at once (each may hold a decoded
 *    frame of up to max_pixels x 4 bytes), the others wait their turn.
 */
#ifndef LG_PHOTO_H
#define LG_PHOTO_H

#include <glib.h>
#include "policy/sniff.h"

#define PHOTO_SECONDS 30

typedef enum {
	PHOTO_OK = 0,
	PHOTO_ERR_PIXELS,  /* width x height above opts->max_pixels */
	PHOTO_ERR_CORRUPT, /* header or pixels unreadable, truncated, or too slow */
	PHOTO_ERR_FORMAT,  /* fmt has no loader in this libvips */
} photo_status;

typedef struct lg_photo_opts {
	int long_side;
	int quality;
	gint64 max_pixels; /* 0 = no limit */
	int timeout_ms;    /* 0 = PHOTO_SECONDS */
} lg_photo_opts;

void photo_lib_init(int threads, int cache_mb);
void photo_lib_shutdown(void);

photo_status photo_probe(const guint8 *data, gsize len, lg_image_format fmt, int *width_r,
                         int *height_r);
photo_status photo_convert(const guint8 *data, gsize len, lg_image_format fmt,
                           const lg_photo_opts *opts, GBytes **jpeg_r, int *width_r, int *height_r);

#endif
