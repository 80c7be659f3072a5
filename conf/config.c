/*
 * conf/config.c - see config.h. One table of keys; parse, then check, into
 * the typed struct.
 */
#include "conf/config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

G_DEFINE_QUARK(lg - config - error - quark, lg_config_error)

typedef enum { T_STR, T_INT, T_I64, T_BOOL, T_DBL, T_OCT } key_type;

typedef struct {
	const char *section;
	const char *key;
	key_type type;
	size_t off;
	const char *def;
	double min;
	double max;
	const char *choices; /* "a|b|c" for enumerated strings, or NULL */
} key_def;

#define O(f) offsetof(lg_config, f)
#define MB (1024.0 * 1024.0)

static const key_def keys[] = {
    {"gateway", "domain", T_STR, O(domain), "letters.example.org", 0, 0, NULL},
    {"gateway", "database", T_STR, O(database), "/var/lib/lettergate/lettergate.db", 0, 0, NULL},
    {"gateway", "socket", T_STR, O(socket), "unix:/run/lettergate/milter.sock", 0, 0, NULL},
    {"gateway", "user", T_STR, O(user), "lettergate", 0, 0, NULL},
    {"gateway", "group", T_STR, O(group), "", 0, 0, NULL},
    {"gateway", "socket_mode", T_OCT, O(socket_mode), "0660", 0, 0777, NULL},
    {"gateway", "anyone_alias", T_STR, O(anyone_alias), "anyone", 0, 0, NULL},
    {"gateway", "log", T_STR, O(log), "syslog", 0, 0, "syslog|stderr"},
    {"gateway", "tmp_dir", T_STR, O(tmp_dir), "/var/tmp", 0, 0, NULL},
    {"gateway", "pid_file", T_STR, O(pid_file), "", 0, 0, NULL},
    {"gateway", "reply_secret_file", T_STR, O(reply_secret_file), "", 0, 0, NULL},

    {"limits", "message_bytes", T_I64, O(message_bytes), "26214400", 1024, 1024 * MB, NULL},
    {"limits", "memory_bytes", T_I64, O(memory_bytes), "1048576", 0, 256 * MB, NULL},
    {"limits", "header_bytes", T_I64, O(header_bytes), "262144", 1024, 64 * MB, NULL},
    {"limits", "mime_depth", T_INT, O(mime_depth), "20", 1, 1000, NULL},
    {"limits", "mime_parts", T_INT, O(mime_parts), "200", 1, 100000, NULL},
    {"limits", "text_chars", T_INT, O(text_chars), "20000", 100, 10000000, NULL},
    {"limits", "sessions", T_INT, O(sessions), "64", 1, 10000, NULL},
    {"limits", "parse_seconds", T_INT, O(parse_seconds), "10", 1, 3600, NULL},
    {"limits", "photos", T_INT, O(photos), "5", 0, 100, NULL},
    {"limits", "photo_bytes", T_I64, O(photo_bytes), "20971520", 1024, 1024 * MB, NULL},
    {"limits", "photo_pixels", T_I64, O(photo_pixels), "50000000", 1, 1e10, NULL},
    {"limits", "letter_photo_bytes", T_I64, O(letter_photo_bytes), "10485760", 1024, 1024 * MB,
     NULL},

    {"photos", "long_side", T_INT, O(photo_long_side), "2000", 100, 20000, NULL},
    {"photos", "quality", T_INT, O(photo_quality), "85", 10, 100, NULL},
    {"photos", "min_side", T_INT, O(photo_min_side), "100", 1, 10000, NULL},
    {"photos", "vips_threads", T_INT, O(vips_threads), "1", 1, 64, NULL},
    {"photos", "vips_cache_mb", T_INT, O(vips_cache_mb), "32", 0, 4096, NULL},

    {"text", "chars_per_page", T_INT, O(chars_per_page), "2000", 100, 100000, NULL},
    {"text", "emoji", T_STR, O(emoji), "word", 0, 0, "word|remove"},

    {"translate", "apertium_url", T_STR, O(apertium_url), "http://127.0.0.1:2737", 0, 0, NULL},
    {"translate", "libretranslate_url", T_STR, O(libretranslate_url), "", 0, 0, NULL},
    {"translate", "libretranslate_key_file", T_STR, O(libretranslate_key_file), "", 0, 0, NULL},
    {"translate", "deepl_url", T_STR, O(deepl_url), "https://api.deepl.com/v2/translate", 0, 0,
     NULL},
    {"translate", "deepl_key_file", T_STR, O(deepl_key_file), "", 0, 0, NULL},
    {"translate", "languages", T_STR, O(languages), "ru,uk,be,en,de,fr,es,pl,it,pt,nl", 0, 0, NULL},
    {"translate", "routes", T_STR, O(routes), "uk:apertium;be:apertium;*:deepl,libretranslate", 0,
     0, NULL},
    {"translate", "on_failure", T_STR, O(on_failure), "tempfail", 0, 0, "tempfail|hold"},
    {"translate", "short_text", T_STR, O(short_text), "russian", 0, 0, "russian|hold|unknown"},
    {"translate", "short_text_chars", T_INT, O(short_text_chars), "20", 0, 10000, NULL},
    {"translate", "timeout_ms", T_INT, O(translate_timeout_ms), "15000", 100, 600000, NULL},
    {"translate", "machine_notice", T_STR, O(machine_notice),
     "(Письмо переведено с {lang} языка автоматически.)", 0, 0, NULL},

    {"screen", "rules_dir", T_STR, O(rules_dir), "/etc/lettergate/rules", 0, 0, NULL},
    {"screen", "hold_score", T_DBL, O(hold_score), "5", 0, 1000, NULL},
    {"screen", "reject_score", T_DBL, O(reject_score), "10", 0, 1000, NULL},

    {"delivery", "partner", T_STR, O(partner), "spool", 0, 0, "spool|http|smtp"},
    {"delivery", "spool_dir", T_STR, O(spool_dir), "/var/spool/lettergate/out", 0, 0, NULL},
    {"delivery", "http_url", T_STR, O(http_url), "", 0, 0, NULL},
    {"delivery", "http_secret_file", T_STR, O(http_secret_file), "", 0, 0, NULL},
    {"delivery", "smtp_url", T_STR, O(smtp_url), "", 0, 0, NULL},
    {"delivery", "smtp_to", T_STR, O(smtp_to), "", 0, 0, NULL},
    {"delivery", "smtp_from", T_STR, O(smtp_from), "", 0, 0, NULL},
    {"delivery", "workers", T_INT, O(delivery_workers), "2", 1, 64, NULL},
    {"delivery", "retry_base_seconds", T_INT, O(retry_base_seconds), "30", 1, 86400, NULL},
    {"delivery", "retry_max_seconds", T_INT, O(retry_max_seconds), "3600", 1, 604800, NULL},
    {"delivery", "retry_max_age_hours", T_INT, O(retry_max_age_hours), "72", 1, 8760, NULL},
    {"delivery", "timeout_ms", T_INT, O(partner_timeout_ms), "30000", 100, 600000, NULL},
    {"delivery", "status_listen", T_STR, O(status_listen), "", 0, 0, NULL},
    {"delivery", "status_poll_url", T_STR, O(status_poll_url), "", 0, 0, NULL},
    {"delivery", "poll_seconds", T_INT, O(poll_seconds), "300", 1, 86400, NULL},
    {"delivery", "interval_ms", T_INT, O(delivery_interval_ms), "1000", 10, 600000, NULL},
    {"delivery", "yield_seconds", T_INT, O(delivery_yield_seconds), "30", 0, 3600, NULL},
    {"delivery", "yield_idle_percent", T_INT, O(delivery_yield_idle_percent), "25", 0, 100, NULL},

    {"notify", "enabled", T_BOOL, O(notify_enabled), "false", 0, 0, NULL},
    {"notify", "from", T_STR, O(notify_from), "", 0, 0, NULL},
    {"notify", "sendmail", T_STR, O(sendmail), "/usr/sbin/sendmail -t -oi", 0, 0, NULL},
    {"notify", "authserv_id", T_STR, O(authserv_id), "", 0, 0, NULL},
    {"notify", "trusted_writers", T_STR, O(trusted_writers), "", 0, 0, NULL},

    {"quota", "writer_day", T_INT, O(quota_writer_day), "20", 0, 1000000, NULL},
    {"quota", "writer_prisoner_day", T_INT, O(quota_writer_prisoner_day), "3", 0, 1000000, NULL},
    {"quota", "prisoner_day", T_INT, O(quota_prisoner_day), "0", 0, 1000000, NULL},
    {"quota", "letters_day", T_INT, O(quota_letters_day), "0", 0, 100000000, NULL},
    {"quota", "photos_day", T_INT, O(quota_photos_day), "0", 0, 100000000, NULL},
    {"quota", "duplicate_days", T_INT, O(duplicate_days), "7", 0, 365, NULL},

    {"organizations", "auth", T_STR, O(org_auth), "", 0, 0, NULL},
    {"organizations", "networks", T_STR, O(org_networks), "", 0, 0, NULL},
    {"organizations", "domains", T_STR, O(org_domains), "", 0, 0, NULL},
    {"organizations", "quota_day", T_INT, O(org_quota_day), "1000", 0, 100000000, NULL},
    {"organizations", "mime_parts", T_INT, O(org_mime_parts), "5000", 1, 100000, NULL},
    {"organizations", "report_from", T_STR, O(org_report_from), "", 0, 0, NULL},

    {"retention", "days", T_INT, O(retention_days), "90", 0, 36500, NULL},
    {"retention", "purge_minutes", T_INT, O(retention_purge_minutes), "60", 0, 10080, NULL},
};

static void *field(lg_config *cfg, const key_def *k)
{
	return (char *)cfg + k->off;
}

static gboolean set_value(lg_config *cfg, const key_def *k, const char *raw, const char *where,
                          GError **err)
{
	char *end = NULL;
	char *v = g_strstrip(g_strdup(raw));
	gboolean ok = FALSE;
	double num = 0;

	switch (k->type) {
	case T_STR:
		if (k->choices) {
			char **ch = g_strsplit(k->choices, "|", -1);
			gboolean found = g_strv_contains((const char *const *)ch, v);
			g_strfreev(ch);
			if (!found) {
				g_set_error(err, LG_CONFIG_ERROR, 1,
				            "%s: [%s] %s = \"%s\": must be one of %s", where,
				            k->section, k->key, v, k->choices);
				goto out;
			}
		}
		g_free(*(char **)field(cfg, k));
		*(char **)field(cfg, k) = v;
		v = NULL;
		ok = TRUE;
		goto out;
	case T_BOOL:
		if (!g_ascii_strcasecmp(v, "true") || !g_ascii_strcasecmp(v, "yes") ||
		    !strcmp(v, "1") || !g_ascii_strcasecmp(v, "on"))
			*(gboolean *)field(cfg, k) = TRUE;
		else if (!g_ascii_strcasecmp(v, "false") || !g_ascii_strcasecmp(v, "no") ||
		         !strcmp(v, "0") || !g_ascii_strcasecmp(v, "off"))
			*(gboolean *)field(cfg, k) = FALSE;
		else {
			g_set_error(err, LG_CONFIG_ERROR, 1, "%s: [%s] %s = \"%s\": not a boolean",
			            where, k->section, k->key, v);
			goto out;
		}
		ok = TRUE;
		goto out;
	case T_DBL:
		errno = 0;
		num = g_ascii_strtod(v, &end);
		break;
	case T_OCT:
		errno = 0;
		num = (double)g_ascii_strtoll(v, &end, 8);
		break;
	case T_INT:
	case T_I64: {
		gint64 mult = 1;
		errno = 0;
		num = (double)g_ascii_strtoll(v, &end, 10);
		if (end && (*end == 'k' || *end == 'K'))
			mult = 1024, end++;
		else if (end && (*end == 'm' || *end == 'M'))
			mult = 1024 * 1024, end++;
		else if (end && (*end == 'g' || *end == 'G'))
			mult = 1024LL * 1024 * 1024, end++;
		num *= (double)mult;
		break;
	}
	}
	if (end == v || (end && *end) || errno != 0) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "%s: [%s] %s = \"%s\": not a number", where,
		            k->section, k->key, v);
		goto out;
	}
	if (num < k->min || num > k->max) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "%s: [%s] %s = %s: out of range %.0f..%.0f",
		            where, k->section, k->key, v, k->min, k->max);
		goto out;
	}
	if (k->type == T_DBL)
		*(double *)field(cfg, k) = num;
	else if (k->type == T_I64)
		*(gint64 *)field(cfg, k) = (gint64)num;
	else
		*(int *)field(cfg, k) = (int)num;
	ok = TRUE;
out:
	g_free(v);
	return ok;
}

static lg_config *config_alloc_defaults(void)
{
	lg_config *cfg = g_new0(lg_config, 1);
	cfg->refcount = 1;
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		gboolean ok = set_value(cfg, &keys[i], keys[i].def, "defaults", NULL);
		g_assert(ok);
	}
	return cfg;
}

lg_config *config_defaults(void)
{
	return config_alloc_defaults();
}

static const key_def *find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

static gboolean known_section(const char *section)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (!strcmp(keys[i].section, section))
			return TRUE;
	return FALSE;
}

static gboolean config_validate(lg_config *cfg, GError **err)
{
	const char *p = cfg->path ? cfg->path : "configuration";
	if (cfg->domain[0] == '\0' || strchr(cfg->domain, '@') || strchr(cfg->domain, ' ')) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "%s: [gateway] domain must be a domain name",
		            p);
		return FALSE;
	}
	if (strncmp(cfg->socket, "unix:", 5) && strncmp(cfg->socket, "local:", 6) &&
	    strncmp(cfg->socket, "inet:", 5) && strncmp(cfg->socket, "inet6:", 6)) {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "%s: [gateway] socket must be unix:PATH or inet:PORT@HOST", p);
		return FALSE;
	}
	if (cfg->reject_score < cfg->hold_score) {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "%s: [screen] reject_score must not be below hold_score", p);
		return FALSE;
	}
	if (cfg->memory_bytes > cfg->message_bytes)
		cfg->memory_bytes = cfg->message_bytes;
	if (!strcmp(cfg->partner, "http") && cfg->http_url[0] == '\0') {
		g_set_error(err, LG_CONFIG_ERROR, 1, "%s: [delivery] partner = http needs http_url",
		            p);
		return FALSE;
	}
	if (!strcmp(cfg->partner, "smtp") &&
	    (cfg->smtp_url[0] == '\0' || cfg->smtp_to[0] == '\0')) {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "%s: [delivery] partner = smtp needs smtp_url and smtp_to", p);
		return FALSE;
	}
	if (cfg->retry_max_seconds < cfg->retry_base_seconds) {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "%s: [delivery] retry_max_seconds must not be below retry_base_seconds",
		            p);
		return FALSE;
	}
	return TRUE;
}

/*
 * INI files written by hand (and DESIGN.md) use ';' comments, also after a
 * value; GKeyFile knows only whole-line '#'. A line starting with ';' becomes
 * a '#' comment and " ;..." after a value is cut. Line numbers stay.
 */
static char *strip_semicolon_comments(const char *text)
{
	GString *out = g_string_new(NULL);
	char **lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		const char *p = *l;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ';') {
			g_string_append_c(out, '#');
		} else {
			const char *cut = NULL;
			for (const char *q = *l; *q; q++)
				if (*q == ';' && q > *l && (q[-1] == ' ' || q[-1] == '\t')) {
					cut = q;
					break;
				}
			g_string_append_len(out, *l, cut ? cut - *l : (gssize)strlen(*l));
		}
		if (l[1])
			g_string_append_c(out, '\n');
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

lg_config *config_load(const char *path, GError **err)
{
	GKeyFile *kf = g_key_file_new();
	lg_config *cfg = NULL;
	char **groups = NULL;
	char *text = NULL, *clean = NULL;
	GError *e = NULL;

	if (!g_file_get_contents(path, &text, NULL, &e)) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "%s", e->message);
		goto fail;
	}
	clean = strip_semicolon_comments(text);
	if (!g_key_file_load_from_data(kf, clean, (gsize)-1, G_KEY_FILE_NONE, &e)) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "%s: %s", path, e->message);
		goto fail;
	}
	cfg = config_alloc_defaults();
	cfg->path = g_strdup(path);
	groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++) {
		char **ks;
		if (!known_section(*g)) {
			g_set_error(err, LG_CONFIG_ERROR, 1, "%s: unknown section [%s]", path, *g);
			goto fail;
		}
		ks = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **k = ks; ks && *k; k++) {
			const key_def *def = find_key(*g, *k);
			char *raw;
			gboolean ok;
			if (def == NULL) {
				g_set_error(err, LG_CONFIG_ERROR, 1, "%s: [%s] unknown key \"%s\"",
				            path, *g, *k);
				g_strfreev(ks);
				goto fail;
			}
			/* raw value: no GKeyFile list/escape interpretation beyond its own */
			raw = g_key_file_get_string(kf, *g, *k, &e);
			if (raw == NULL) {
				g_set_error(err, LG_CONFIG_ERROR, 1, "%s: [%s] %s: %s", path, *g,
				            *k, e->message);
				g_strfreev(ks);
				goto fail;
			}
			ok = set_value(cfg, def, raw, path, err);
			g_free(raw);
			if (!ok) {
				g_strfreev(ks);
				goto fail;
			}
		}
		g_strfreev(ks);
	}
	if (!config_validate(cfg, err))
		goto fail;
	g_strfreev(groups);
	g_key_file_free(kf);
	g_free(text);
	g_free(clean);
	return cfg;
fail:
	g_clear_error(&e);
	g_free(text);
	g_free(clean);
	g_strfreev(groups);
	g_key_file_free(kf);
	config_unref(&cfg);
	return NULL;
}

lg_config *config_ref(lg_config *cfg)
{
	g_atomic_int_inc(&cfg->refcount);
	return cfg;
}

void config_unref(lg_config **pcfg)
{
	lg_config *cfg = *pcfg;
	*pcfg = NULL;
	if (cfg == NULL || !g_atomic_int_dec_and_test(&cfg->refcount))
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (keys[i].type == T_STR)
			g_free(*(char **)field(cfg, &keys[i]));
	g_free(cfg->path);
	g_free(cfg);
}

char *config_read_secret(const char *path, GError **err)
{
	struct stat sb;
	char *data = NULL, *nl;
	GString *buf;
	char chunk[4096];
	ssize_t n;
	int fd;
	if (path == NULL || *path == '\0') {
		g_set_error(err, LG_CONFIG_ERROR, 1, "no secret file configured");
		return NULL;
	}
	/* The mode is checked on the open file, so the file read is the file
	 * checked (no swap between a stat() and the read). */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "%s: %s", path, g_strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "%s: secret file is readable by group or others (chmod 600 it)", path);
		close(fd);
		return NULL;
	}
	buf = g_string_new(NULL);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && buf->len < 65536)
		g_string_append_len(buf, chunk, n);
	close(fd);
	if (n < 0) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "%s: %s", path, g_strerror(errno));
		g_string_free(buf, TRUE);
		return NULL;
	}
	data = g_string_free(buf, FALSE);
	nl = strpbrk(data, "\r\n");
	if (nl)
		*nl = '\0';
	g_strstrip(data);
	if (*data == '\0') {
		g_free(data);
		g_set_error(err, LG_CONFIG_ERROR, 1, "%s: secret file is empty", path);
		return NULL;
	}
	return data;
}

gboolean config_check_runtime(const lg_config *cfg, GError **err)
{
	const char *secrets[] = {cfg->reply_secret_file, cfg->http_secret_file, cfg->deepl_key_file,
	                         cfg->libretranslate_key_file};
	struct stat sb;
	if (cfg->path && stat(cfg->path, &sb) == 0 && (sb.st_mode & S_IROTH)) {
		/* the configuration itself holds no secrets, only paths to them */
	}
	for (size_t i = 0; i < G_N_ELEMENTS(secrets); i++) {
		char *s;
		if (secrets[i] == NULL || *secrets[i] == '\0')
			continue;
		s = config_read_secret(secrets[i], err);
		if (s == NULL)
			return FALSE;
		g_free(s);
	}
	return TRUE;
}

void config_dump(const lg_config *cfg, FILE *out)
{
	const char *section = "";
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		const key_def *k = &keys[i];
		void *f = (char *)cfg + k->off;
		if (strcmp(section, k->section)) {
			section = k->section;
			fprintf(out, "%s[%s]\n", i ? "\n" : "", section);
		}
		switch (k->type) {
		case T_STR:
			fprintf(out, "%s = %s\n", k->key, *(char **)f);
			break;
		case T_INT:
			fprintf(out, "%s = %d\n", k->key, *(int *)f);
			break;
		case T_I64:
			fprintf(out, "%s = %" G_GINT64_FORMAT "\n", k->key, *(gint64 *)f);
			break;
		case T_BOOL:
			fprintf(out, "%s = %s\n", k->key, *(gboolean *)f ? "true" : "false");
			break;
		case T_DBL:
			fprintf(out, "%s = %g\n", k->key, *(double *)f);
			break;
		case T_OCT:
			fprintf(out, "%s = %04o\n", k->key, (unsigned)*(int *)f);
			break;
		}
	}
}

static GMutex current_lock;
static lg_config *current_cfg;

lg_config *config_current(void)
{
	lg_config *c;
	g_mutex_lock(&current_lock);
	c = current_cfg ? config_ref(current_cfg) : NULL;
	g_mutex_unlock(&current_lock);
	return c;
}

void config_swap(lg_config *new_cfg)
{
	lg_config *old;
	g_mutex_lock(&current_lock);
	old = current_cfg;
	current_cfg = new_cfg;
	g_mutex_unlock(&current_lock);
	config_unref(&old);
}
