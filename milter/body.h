/*
 * milter/body.h - the raw message as it arrives over the milter protocol:
 * kept in memory up to a threshold, then in an unlinked temporary file, so
 * memory per message stays bounded whatever its size.
 *
 * Contract:
 *  - body_new(memory_bytes, tmp_dir) never fails; body_append() returns FALSE
 *    with *err when the temporary file cannot be created or written (disk
 *    full: the caller tempfails).
 *  - body_stream() returns a new GMimeStream positioned at 0 over everything
 *    appended (the caller unrefs it); NULL with *err on an I/O error.
 *  - body_free() closes the file (already unlinked) and frees the memory.
 */
#ifndef LG_BODY_H
#define LG_BODY_H

#include <glib.h>
#include <gmime/gmime.h>

typedef struct lg_body lg_body;

lg_body *body_new(gint64 memory_bytes, const char *tmp_dir);
gboolean body_append(lg_body *b, const void *data, gsize len, GError **err);
gint64 body_size(const lg_body *b);
gboolean body_in_file(const lg_body *b);
GMimeStream *body_stream(lg_body *b, GError **err);
void body_free(lg_body **b);

#endif
