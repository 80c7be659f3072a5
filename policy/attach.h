/*
 * policy/attach.h - what of a message's non-text parts reaches the prisoner:
 * photos (recognised by their bytes, upright, resized, sRGB, metadata
 * stripped, re-encoded as JPEG, or copied without their metadata when
 * already fit: policy/photo.h) are kept; everything else is dropped with a reason a
 * writer understands.
 *
 * Contract:
 *  - attach_init() once per process before use (libvips set-up with bounded
 *    threads, cache and memory); attach_shutdown() at exit. Both idempotent.
 *    attach_init() blocks libvips' untrusted loaders process-wide and turns
 *    its operation cache off (see policy/photo.h). A later attach_init()
 *    re-applies vips_threads and vips_cache_mb (reload); after
 *    attach_shutdown() libvips cannot be used again in the process.
 *    attach_process() starts libvips itself if attach_init() was not called.
 *  - attach_process() appends lg_photo* to photos and lg_dropped* to dropped
 *    (both arrays own their elements: create them with photo_free /
 *    dropped_free as free funcs). It never fails the letter: a corrupt or
 *    over-limit part is dropped with a reason. Thread-safe.
 *  - Only msg->parts is visited, in order; msg->inner (forwarded
 *    message/rfc822) is not: call attach_process() on an inner message to
 *    take its photos. Photos already in the array count against the limits.
 *  - Each part is classified by its bytes (policy/sniff.h), never by its
 *    declared type or name. Photos (JPEG, PNG, GIF first frame, WebP,
 *    HEIC/HEIF/AVIF, TIFF, BMP) go through these checks in order, the first
 *    that fails drops the part with a reason naming the limit:
 *    photo_bytes (size as sent), photo_pixels (from the header, nothing
 *    decoded), photo_min_side (smaller side, e.g. 1x1 tracking pixels,
 *    logos), the same bytes already kept, photos (count per letter),
 *    conversion (corrupt, truncated, too slow), letter_photo_bytes (sum of
 *    converted JPEGs). A kept photo is named "photo-N.jpg" (N from 1, in the
 *    array), type "image/jpeg", data the converted JPEG, sha256 its lower-
 *    case hex digest, width/height after conversion, orig_name the part's
 *    file name ("" when none; for the caller to sanitise).
 *  - lg_dropped.name is the part's file name, or "inline picture" (has a
 *    Content-ID) or "attachment" when it has none; type is the detected
 *    type, or the declared one when nothing was recognised; reason is
 *    writer-facing English without the file name. Signatures (the part's
 *    is_signature, a signature content type, armoured PGP signatures and
 *    public keys) and the PGP/MIME "Version: 1" control part are dropped
 *    with quiet = TRUE; everything else with quiet = FALSE.
 *  - Logs one line per part: index, kept or the limit/class that dropped
 *    it; never names or contents.
 */
#ifndef LG_ATTACH_H
#define LG_ATTACH_H

#include <glib.h>
#include "conf/config.h"
#include "parser/message.h"
#include "policy/letter.h"

void attach_init(const lg_config *cfg);
void attach_shutdown(void);
void attach_process(const lg_config *cfg, const lg_message *msg, GPtrArray *photos,
                    GPtrArray *dropped);

#endif
