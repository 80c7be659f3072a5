/* milter/body.c - see body.h. */
#include "milter/body.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lg_body {
	GByteArray *mem;
	int fd;
	gint64 size;
	gint64 memory_bytes;
	char *tmp_dir;
};

lg_body *body_new(gint64 memory_bytes, const char *tmp_dir)
{
	lg_body *b = g_new0(lg_body, 1);
	b->mem = g_byte_array_new();
	b->fd = -1;
	b->memory_bytes = memory_bytes;
	b->tmp_dir = g_strdup(tmp_dir && *tmp_dir ? tmp_dir : "/var/tmp");
	return b;
}

static gboolean write_all(int fd, const void *data, gsize len, GError **err)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "temporary file: %s", g_strerror(errno));
			return FALSE;
		}
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

static gboolean spill(lg_body *b, GError **err)
{
	char *tmpl = g_strdup_printf("%s/lettergate.XXXXXX", b->tmp_dir);
	int fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "temporary file in %s: %s", b->tmp_dir, g_strerror(errno));
		g_free(tmpl);
		return FALSE;
	}
	unlink(tmpl); /* nothing is left behind, whatever happens to us */
	g_free(tmpl);
	if (!write_all(fd, b->mem->data, b->mem->len, err)) {
		close(fd);
		return FALSE;
	}
	b->fd = fd;
	g_byte_array_set_size(b->mem, 0);
	return TRUE;
}

gboolean body_append(lg_body *b, const void *data, gsize len, GError **err)
{
	if (b->fd < 0 && b->size + (gint64)len > b->memory_bytes) {
		if (!spill(b, err))
			return FALSE;
	}
	if (b->fd >= 0) {
		if (!write_all(b->fd, data, len, err))
			return FALSE;
	} else {
		g_byte_array_append(b->mem, data, (guint)len);
	}
	b->size += (gint64)len;
	return TRUE;
}

gint64 body_size(const lg_body *b)
{
	return b->size;
}

gboolean body_in_file(const lg_body *b)
{
	return b->fd >= 0;
}

GMimeStream *body_stream(lg_body *b, GError **err)
{
	if (b->fd >= 0) {
		int fd = dup(b->fd);
		GMimeStream *s;
		if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0) {
			g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "temporary file: %s", g_strerror(errno));
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		s = g_mime_stream_fs_new(fd); /* owns fd */
		return s;
	}
	return g_mime_stream_mem_new_with_buffer((const char *)b->mem->data, b->mem->len);
}

void body_free(lg_body **pb)
{
	lg_body *b = *pb;
	*pb = NULL;
	if (b == NULL)
		return;
	if (b->fd >= 0)
		close(b->fd);
	g_byte_array_unref(b->mem);
	g_free(b->tmp_dir);
	g_free(b);
}
