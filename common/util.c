/* common/util.c - see util.h. */
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static char *hex_of(const unsigned char *md, unsigned int n)
{
	static const char hex[] = "0123456789abcdef";
	char *out = g_malloc(n * 2 + 1);
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[n * 2] = '\0';
	return out;
}

/* OpenSSL 3 looks an algorithm up (a fetch, under locks) every time
 * EVP_sha256() is handed to a digest call: 2% of the daemon's CPU per letter.
 * Fetched once here, and kept for the life of the process. */
static gpointer sha256_fetch(gpointer unused)
{
	(void)unused;
	return EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256_md(void)
{
	static GOnce once = G_ONCE_INIT;
	g_once(&once, sha256_fetch, NULL);
	return once.retval ? once.retval : EVP_sha256();
}

char *util_sha256_hex(const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(data, len, md, &n, sha256_md(), NULL);
	return hex_of(md, n);
}

struct util_sha256 {
	EVP_MD_CTX *ctx;
};

util_sha256 *util_sha256_new(void)
{
	util_sha256 *h = g_new0(util_sha256, 1);
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, sha256_md(), NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		g_free(h);
		return NULL;
	}
	return h;
}

void util_sha256_update(util_sha256 *h, const void *data, size_t len)
{
	if (h && len > 0)
		EVP_DigestUpdate(h->ctx, data, len);
}

char *util_sha256_finish_hex(util_sha256 *h)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (h == NULL)
		return g_strdup("");
	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1)
		n = 0;
	EVP_MD_CTX_free(h->ctx);
	g_free(h);
	return hex_of(md, n);
}

char *util_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	HMAC(sha256_md(), key, (int)keylen, data, len, md, &n);
	return hex_of(md, n);
}

gboolean util_str_equal_ct(const char *a, const char *b)
{
	size_t la, lb;
	if (a == NULL || b == NULL)
		return FALSE;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return FALSE;
	return CRYPTO_memcmp(a, b, la) == 0;
}

char *util_sanitize(const char *s, size_t max)
{
	GString *out = g_string_new(NULL);
	if (s == NULL)
		return g_string_free(out, FALSE);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (out->len >= max) {
			g_string_append(out, "...");
			break;
		}
		g_string_append_c(out, (*p >= 0x20 && *p < 0x7f) ? (char)*p : '?');
	}
	return g_string_free(out, FALSE);
}

char *util_new_id(void)
{
	unsigned char raw[8];
	guint32 t = (guint32)(g_get_real_time() / G_USEC_PER_SEC);
	/* the kernel's CSPRNG: one cheap system call. OpenSSL's RAND_bytes sets
	 * up a generator per thread, and libmilter's sessions come and go on
	 * many threads: that setup cost a few percent of a letter's CPU. */
	if (getrandom(raw + 3, 5, 0) != 5 && RAND_bytes(raw + 3, 5) != 1) {
		for (size_t i = 3; i < sizeof(raw); i++)
			raw[i] = (unsigned char)g_random_int_range(0, 256);
	}
	/* big-endian seconds first: ids sort by time (a B-tree appends them) */
	raw[0] = (unsigned char)(t >> 16);
	raw[1] = (unsigned char)(t >> 8);
	raw[2] = (unsigned char)t;
	return hex_of(raw, sizeof(raw));
}

gint64 util_now(void)
{
	const char *fake = g_getenv("LG_FAKE_NOW");
	if (fake && *fake)
		return g_ascii_strtoll(fake, NULL, 10);
	return g_get_real_time() / G_USEC_PER_SEC;
}

gboolean util_write_file_atomic(const char *path, const void *data, size_t len, int mode,
                                GError **err)
{
	char *tmp = g_strdup_printf("%s.tmp.%d", path, (int)getpid());
	int fd = -1;
	gboolean ok = FALSE;
	const char *p = data;
	size_t left = len;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	ok = TRUE;
	goto out;
fail:
	g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
	            g_strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	g_free(tmp);
	return ok;
}

char *util_utf8_repair(const char *s, gssize len)
{
	GString *out;
	const char *end, *p;
	if (s == NULL)
		return g_strdup("");
	if (len < 0)
		len = (gssize)strlen(s);
	out = g_string_sized_new((gsize)len + 1);
	p = s;
	while (p < s + len) {
		const char *valid_end;
		gssize remain = (s + len) - p;
		if (g_utf8_validate(p, remain, &valid_end)) {
			g_string_append_len(out, p, remain);
			break;
		}
		g_string_append_len(out, p, valid_end - p);
		p = valid_end;
		if (*p == '\0') {
			p++; /* drop NULs */
			continue;
		}
		g_string_append(out, "\xEF\xBF\xBD");
		p++;
	}
	/* a validated run may still contain embedded NULs; drop them */
	end = out->str + out->len;
	{
		char *w = out->str;
		for (const char *r = out->str; r < end; r++)
			if (*r != '\0')
				*w++ = *r;
		g_string_truncate(out, (gsize)(w - out->str));
	}
	return g_string_free(out, FALSE);
}

char *util_addr_normalize(const char *addr)
{
	char *s, *lt, *gt, *out;
	if (addr == NULL)
		return g_strdup("");
	s = g_strstrip(util_utf8_repair(addr, -1));
	lt = strrchr(s, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt)
		out = g_strndup(lt + 1, (gsize)(gt - lt - 1));
	else
		out = g_strdup(s);
	g_free(s);
	g_strstrip(out);
	{
		char *low = g_utf8_strdown(out, -1);
		g_free(out);
		out = low;
	}
	return out;
}

void util_addr_split(const char *addr, char **local_r, char **domain_r)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	if (at == NULL) {
		*local_r = g_strdup(addr ? addr : "");
		*domain_r = g_strdup("");
		return;
	}
	*local_r = g_strndup(addr, (gsize)(at - addr));
	*domain_r = g_strdup(at + 1);
}
