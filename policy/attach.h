/*
 * policy/attach.h - what of a message's non-text parts reaches the prisoner:
 * photos (decoded by their bytes, upright, resized, sRGB, metadata stripped,
 * re-encoded as JPEG) are kept; everything else is dropped with a reason a
 * writer understands.
 *
 * Contract:
 *  - attach_init() once per process before use (libvips set-up with bounded
 *    threads, cache and memory); attach_shutdown() at exit. Both idempotent.
 *  - attach_process() appends lg_photo* to photos and lg_dropped* to dropped
 *    (both arrays own their elements: create them with photo_free /
 *    dropped_free as free funcs). It never fails the letter: a corrupt or
 *    over-limit part is dropped with a reason. Thread-safe.
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
