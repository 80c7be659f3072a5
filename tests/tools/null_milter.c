/*
 * tests/tools/null_milter.c - do-nothing milters for tests/bench/bench-mta.sh.
 *
 *   null_milter -s SOCKET [-g]
 *
 * Without -g: every callback returns SMFIS_CONTINUE and the message is
 * accepted; nothing is parsed or kept: the cost of the milter protocol
 * itself, the ceiling for any milter. With -g: headers and body are kept in
 * memory and parsed with GMime at end of message (every part's content
 * decoded once), for reference: the cost of reading MIME at all.
 * SOCKET is a libmilter spec (unix:/path or inet:PORT@HOST). Runs until
 * SIGTERM.
 */
#include <gmime/gmime.h>
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int use_gmime;

static sfsistat x_envfrom(SMFICTX *ctx, char **argv)
{
	(void)argv;
	if (use_gmime) {
		GByteArray *b = smfi_getpriv(ctx);
		if (b)
			g_byte_array_set_size(b, 0);
		else
			smfi_setpriv(ctx, g_byte_array_sized_new(4096));
	}
	return SMFIS_CONTINUE;
}

static sfsistat x_header(SMFICTX *ctx, char *name, char *value)
{
	GByteArray *b;
	if (!use_gmime || (b = smfi_getpriv(ctx)) == NULL)
		return SMFIS_CONTINUE;
	g_byte_array_append(b, (const guint8 *)name, (guint)strlen(name));
	g_byte_array_append(b, (const guint8 *)": ", 2);
	g_byte_array_append(b, (const guint8 *)value, (guint)strlen(value));
	g_byte_array_append(b, (const guint8 *)"\r\n", 2);
	return SMFIS_CONTINUE;
}

static sfsistat x_eoh(SMFICTX *ctx)
{
	GByteArray *b;
	if (use_gmime && (b = smfi_getpriv(ctx)) != NULL)
		g_byte_array_append(b, (const guint8 *)"\r\n", 2);
	return SMFIS_CONTINUE;
}

static sfsistat x_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	GByteArray *b;
	if (use_gmime && (b = smfi_getpriv(ctx)) != NULL)
		g_byte_array_append(b, data, (guint)len);
	return SMFIS_CONTINUE;
}

static void walk(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	(void)parent;
	if (GMIME_IS_PART(part)) {
		GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(part));
		if (w) {
			GMimeStream *null = g_mime_stream_null_new();
			g_mime_data_wrapper_write_to_stream(w, null); /* decodes */
			*(gint64 *)data += (gint64)g_mime_stream_length(null);
			g_object_unref(null);
		}
	}
}

static sfsistat x_eom(SMFICTX *ctx)
{
	GByteArray *b;
	if (use_gmime && (b = smfi_getpriv(ctx)) != NULL) {
		GMimeStream *s = g_mime_stream_mem_new_with_buffer((const char *)b->data, b->len);
		GMimeParser *p = g_mime_parser_new_with_stream(s);
		GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
		gint64 bytes = 0;
		if (m) {
			g_mime_message_foreach(m, walk, &bytes);
			g_object_unref(m);
		}
		g_object_unref(p);
		g_object_unref(s);
		g_byte_array_set_size(b, 0);
	}
	return SMFIS_CONTINUE;
}

static sfsistat x_close(SMFICTX *ctx)
{
	GByteArray *b = smfi_getpriv(ctx);
	if (b) {
		g_byte_array_unref(b);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    .xxfi_name = "null",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = 0,
    .xxfi_envfrom = x_envfrom,
    .xxfi_header = x_header,
    .xxfi_eoh = x_eoh,
    .xxfi_body = x_body,
    .xxfi_eom = x_eom,
    .xxfi_close = x_close,
};

int main(int argc, char **argv)
{
	const char *sock = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "s:g")) != -1) {
		if (opt == 's')
			sock = optarg;
		else if (opt == 'g')
			use_gmime = 1;
		else
			return 2;
	}
	if (!sock) {
		fprintf(stderr, "usage: null_milter -s SOCKET [-g]\n");
		return 2;
	}
	if (use_gmime)
		g_mime_init();
	if (!strncmp(sock, "unix:", 5))
		unlink(sock + 5);
	if (smfi_setconn((char *)sock) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "null_milter: cannot open %s\n", sock);
		return 1;
	}
	if (!strncmp(sock, "unix:", 5))
		chmod(sock + 5, 0666);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
