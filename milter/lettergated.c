/*
 * milter/lettergated.c - the daemon: configuration, milter socket, database,
 * privilege drop, delivery workers, reload.
 *
 * Process shape: after the socket and the database are open and privileges
 * are dropped, the process forks once. The parent only forwards signals:
 * libmilter's own signal thread treats SIGHUP as "stop", so the parent turns
 * SIGHUP into SIGUSR1 for the child, which reloads the configuration and the
 * rules without dropping a connection. The child dies with the parent
 * (PR_SET_PDEATHSIG) and the parent exits with the child's status.
 */
#include <errno.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <pwd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "conf/config.h"
#include "deliver/status.h"
#include "deliver/worker.h"
#include "milter/milter.h"
#include "parser/message.h"
#include "policy/attach.h"
#include "policy/pipeline.h"
#include "policy/screen.h"
#include "store/store.h"
#include "translate/translate.h"

static const char *config_path = "/etc/lettergate/lettergate.conf";
static gboolean opt_foreground, opt_check, opt_debug;
static lg_store *store;
static GMutex reload_lock;
static lg_translator *translator; /* replaced on reload; old ones kept until exit */
static GPtrArray *old_translators;

static void usage(void)
{
	fprintf(stderr, "usage: lettergated [-c FILE] [-f] [-n] [-d]\n"
	                "  -c FILE  configuration (default /etc/lettergate/lettergate.conf)\n"
	                "  -f       stay in the foreground\n"
	                "  -n       check the configuration and the rules, then exit\n"
	                "  -d       debug logging\n");
}

static char *socket_path(const char *spec)
{
	if (g_str_has_prefix(spec, "unix:"))
		return g_strdup(spec + 5);
	if (g_str_has_prefix(spec, "local:"))
		return g_strdup(spec + 6);
	return NULL;
}

/* Builds a pipeline from a configuration; NULL with *err when rules or
 * translator cannot be set up. */
static lg_pipeline *build_pipeline(lg_config *cfg, GError **err)
{
	screen_rules *rules = screen_load(cfg->rules_dir, err);
	lg_translator *tr;
	lg_pipeline *p;
	if (rules == NULL)
		return NULL;
	tr = translate_new(cfg, store, err);
	if (tr == NULL) {
		screen_unref(&rules);
		return NULL;
	}
	p = pipeline_new(cfg, rules, store, tr);
	screen_unref(&rules);
	if (translator)
		g_ptr_array_add(old_translators, translator);
	translator = tr;
	return p;
}

static gpointer reload_thread(gpointer data)
{
	sigset_t set;
	(void)data;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		int sig = 0;
		GError *e = NULL;
		lg_config *cfg;
		lg_pipeline *p;
		if (sigwait(&set, &sig) != 0)
			continue;
		g_mutex_lock(&reload_lock);
		cfg = config_load(config_path, &e);
		if (cfg == NULL) {
			lg_err("reload: %s; the configuration in force stays", e->message);
			g_clear_error(&e);
			g_mutex_unlock(&reload_lock);
			continue;
		}
		p = build_pipeline(cfg, &e);
		if (p == NULL) {
			lg_err("reload: %s; the configuration and rules in force stay", e->message);
			g_clear_error(&e);
		} else {
			milter_set_pipeline(p);
			milter_set_limits(cfg->sessions);
			config_swap(config_ref(cfg));
			lg_info("reloaded configuration and rules");
			pipeline_free(&p);
		}
		config_unref(&cfg);
		g_mutex_unlock(&reload_lock);
	}
	return NULL;
}

static gboolean drop_privileges(const lg_config *cfg, const char *db_path, GError **err)
{
	struct passwd *pw;
	gid_t gid;
	if (geteuid() != 0) {
		if (cfg->user[0] && (pw = getpwnam(cfg->user)) && pw->pw_uid != geteuid())
			lg_warn("not started as root: running as uid %d, not as %s", (int)geteuid(),
			        cfg->user);
		return TRUE;
	}
	pw = getpwnam(cfg->user);
	if (pw == NULL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		            "[gateway] user %s does not exist", cfg->user);
		return FALSE;
	}
	if (pw->pw_uid == 0) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		            "[gateway] user must not be root");
		return FALSE;
	}
	gid = pw->pw_gid;
	/* files the daemon writes after the drop: the database and its journal,
	 * the outbox folder */
	{
		const char *suffix[] = {"", "-wal", "-shm"};
		char *dir = g_path_get_dirname(db_path);
		if (chown(dir, pw->pw_uid, gid) != 0)
			lg_warn("chown %s: %s", dir, g_strerror(errno));
		g_free(dir);
		for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
			char *f = g_strconcat(db_path, suffix[i], NULL);
			if (access(f, F_OK) == 0 && chown(f, pw->pw_uid, gid) != 0)
				lg_warn("chown %s: %s", f, g_strerror(errno));
			/* letters and writers' addresses: never readable by others,
			 * whoever created the file and under whatever umask */
			if (access(f, F_OK) == 0 && chmod(f, 0640) != 0)
				lg_warn("chmod %s: %s", f, g_strerror(errno));
			g_free(f);
		}
		if (!strcmp(cfg->partner, "spool")) {
			g_mkdir_with_parents(cfg->spool_dir, 0750);
			if (chown(cfg->spool_dir, pw->pw_uid, gid) != 0)
				lg_warn("chown %s: %s", cfg->spool_dir, g_strerror(errno));
		}
	}
	if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		            "cannot drop privileges to %s: %s", cfg->user, g_strerror(errno));
		return FALSE;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		            "privileges could not be dropped; refusing to run as root");
		return FALSE;
	}
	return TRUE;
}

static gboolean prepare_socket(const lg_config *cfg, GError **err)
{
	char *path = socket_path(cfg->socket);
	if (path) {
		char *dir = g_path_get_dirname(path);
		g_mkdir_with_parents(dir, 0755);
		g_free(dir);
	}
	if (smfi_setconn((char *)cfg->socket) != MI_SUCCESS || !milter_register() ||
	    smfi_opensocket(TRUE) != MI_SUCCESS) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open milter socket %s",
		            cfg->socket);
		g_free(path);
		return FALSE;
	}
	if (path) {
		struct passwd *pw = geteuid() == 0 ? getpwnam(cfg->user) : NULL;
		gid_t gid = (gid_t)-1;
		if (cfg->group[0]) {
			struct group *gr = getgrnam(cfg->group);
			if (gr == NULL) {
				g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				            "[gateway] group %s does not exist", cfg->group);
				g_free(path);
				return FALSE;
			}
			gid = gr->gr_gid;
		} else if (pw) {
			gid = pw->pw_gid;
		}
		if (pw && chown(path, pw->pw_uid, gid) != 0)
			lg_warn("chown %s: %s", path, g_strerror(errno));
		else if (!pw && gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0)
			lg_warn("chgrp %s: %s", path, g_strerror(errno));
		if (chmod(path, (mode_t)cfg->socket_mode) != 0)
			lg_warn("chmod %s: %s", path, g_strerror(errno));
	}
	g_free(path);
	return TRUE;
}

static int supervise(pid_t child)
{
	sigset_t set;
	int status = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			kill(child, SIGUSR1);
		} else if (sig == SIGTERM || sig == SIGINT) {
			kill(child, SIGTERM);
		} else if (sig == SIGCHLD) {
			pid_t r = waitpid(child, &status, WNOHANG);
			if (r == child)
				break;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 1;
}

/*
 * glibc keeps up to 7 freed blocks of each size per thread (its tcache).
 * A letter frees its GMime tree and the pipeline's strings all at once, so
 * most of those frees, and the next letter's mallocs, went down glibc's slow
 * path: about 11% of a session's instructions were malloc and free. More
 * slots can only be set with GLIBC_TUNABLES before the process starts, so the
 * daemon sets it and starts itself again, once; tunables already in the
 * environment are left alone. 200 slots: 4.5% fewer instructions a letter
 * (callgrind over a whole session, 300 Postfix letters), memory bounded by
 * the slots of the sizes a letter uses.
 *
 * The normal build links jemalloc instead (Makefile, MALLOC): its per-thread
 * caches need no tuning, it used 7% less CPU a letter than glibc with the 200
 * slots and a fifth less memory, and glibc's tunables would do nothing. The
 * re-exec is then left out.
 */
#define LG_MALLOC_TUNABLES "glibc.malloc.tcache_count=200"
static void tune_malloc(char **argv)
{
#if defined(__GLIBC__) && !defined(LG_MALLOC_JEMALLOC)
	char self[PATH_MAX];
	ssize_t n;
	if (getenv("GLIBC_TUNABLES") != NULL)
		return;
	/* the program's path (under valgrind /proc/self/exe is valgrind) */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || n >= (ssize_t)sizeof(self) - 1)
		return;
	self[n] = '\0';
	if (setenv("GLIBC_TUNABLES", LG_MALLOC_TUNABLES, 1) != 0)
		return;
	execv(self, argv);
	unsetenv("GLIBC_TUNABLES"); /* could not: glibc's defaults then */
#else
	(void)argv;
#endif
}

int main(int argc, char **argv)
{
	GError *e = NULL;
	lg_config *cfg = NULL;
	lg_pipeline *pipeline = NULL;
	lg_worker *worker = NULL;
	lg_status *status = NULL;
	sigset_t set;
	pid_t child;
	int opt, rc = 1;

	/* Nothing the daemon creates (database journals, spool files, temp
	 * bodies) is for others to read. */
	umask(027);
	tune_malloc(argv);
	while ((opt = getopt(argc, argv, "c:fndh")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			opt_foreground = TRUE;
			break;
		case 'n':
			opt_check = TRUE;
			break;
		case 'd':
			opt_debug = TRUE;
			break;
		default:
			usage();
			return 2;
		}
	}
	cfg = config_load(config_path, &e);
	if (cfg == NULL) {
		fprintf(stderr, "lettergated: %s\n", e->message);
		g_clear_error(&e);
		return 1;
	}
	if (opt_check) {
		screen_rules *rules;
		if (!config_check_runtime(cfg, &e)) {
			fprintf(stderr, "lettergated: %s\n", e->message);
			goto out;
		}
		rules = screen_load(cfg->rules_dir, &e);
		if (rules == NULL) {
			fprintf(stderr, "lettergated: %s\n", e->message);
			goto out;
		}
		printf("lettergated: configuration %s is valid (%u rules)\n", config_path,
		       screen_count(rules));
		screen_unref(&rules);
		rc = 0;
		goto out;
	}
	log_init("lettergated", opt_foreground && !strcmp(cfg->log, "stderr"), opt_debug);
	if (!opt_foreground && !strcmp(cfg->log, "stderr"))
		log_init("lettergated", TRUE, opt_debug);
	if (!config_check_runtime(cfg, &e)) {
		lg_err("%s", e->message);
		goto out;
	}
	message_init();
	if (!prepare_socket(cfg, &e)) {
		lg_err("%s", e->message);
		goto out;
	}
	store = store_open(cfg->database, &e);
	if (store == NULL) {
		lg_err("%s", e->message);
		goto out;
	}
	if (!drop_privileges(cfg, cfg->database, &e)) {
		lg_err("%s", e->message);
		goto out;
	}
	if (geteuid() == 0) {
		lg_err("refusing to run as root");
		goto out;
	}
	/* SQLite connections must not cross fork(): the parent only created and
	 * migrated the database; the child opens its own connection. */
	store_close(&store);
	if (!opt_foreground && daemon(0, 0) != 0) {
		lg_err("daemon: %s", g_strerror(errno));
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (cfg->pid_file[0]) {
		char *pid = g_strdup_printf("%d\n", (int)getpid());
		if (!g_file_set_contents(cfg->pid_file, pid, -1, &e)) {
			lg_warn("pid file: %s", e->message);
			g_clear_error(&e);
		}
		g_free(pid);
	}
	child = fork();
	if (child < 0) {
		lg_err("fork: %s", g_strerror(errno));
		goto out;
	}
	if (child > 0) {
		rc = supervise(child);
		goto out;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	/* the child: SIGTERM/SIGINT/SIGHUP go to libmilter's signal thread, SIGUSR1 to ours */
	{
		sigset_t keep;
		sigemptyset(&keep);
		sigaddset(&keep, SIGCHLD);
		pthread_sigmask(SIG_UNBLOCK, &keep, NULL);
	}
	store = store_open(cfg->database, &e);
	if (store == NULL) {
		lg_err("%s", e->message);
		goto out;
	}
	old_translators = g_ptr_array_new();
	attach_init(cfg);
	config_swap(config_ref(cfg));
	pipeline = build_pipeline(cfg, &e);
	if (pipeline == NULL) {
		lg_err("%s", e->message);
		goto out;
	}
	milter_set_pipeline(pipeline);
	milter_set_limits(cfg->sessions);
	worker = worker_start(cfg, store, &e);
	if (worker == NULL) {
		lg_err("delivery: %s", e->message);
		goto out;
	}
	milter_set_worker(worker);
	worker_set_busy(worker, milter_busy);
	status = status_start(cfg, store, &e);
	if (status == NULL) {
		lg_err("partner status: %s", e->message);
		goto out;
	}
	g_thread_unref(g_thread_new("reload", reload_thread, NULL));
	lg_info("lettergated started: socket %s, domain %s, partner %s, uid %d", cfg->socket,
	        cfg->domain, cfg->partner, (int)geteuid());
	rc = smfi_main() == MI_SUCCESS ? 0 : 1;
	lg_info("lettergated stopping");
	milter_set_worker(NULL);
	status_stop(&status);
	worker_stop(&worker);
	milter_set_pipeline(NULL);
out:
	g_clear_error(&e);
	pipeline_free(&pipeline);
	config_unref(&cfg);
	return rc;
}
