/*
 * store/store.c - see store.h.
 *
 * One writer connection behind a mutex: SQLite serialises writers anyway.
 * Writes from concurrent threads (the letters of SMTP sessions, delivery
 * results) are group-committed: whoever finds no commit in progress becomes
 * the leader, takes every write queued so far and runs them in one
 * transaction, each inside its own savepoint, so a write that fails rolls
 * back alone and the others share one WAL sync instead of paying one each.
 * Lookups on the session path use other connections, a small pool of them:
 * under WAL a reader never waits for the writer's fsync, and sessions looking
 * up at once do not queue behind one connection. WAL also lets lettergatectl
 * read while the daemon writes.
 */
#include "store/store.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/util.h"
#include "store/translit.h"

G_DEFINE_QUARK(lg - store - error - quark, lg_store_error)

/* lookup connections at most: more sessions than this at the lookup step at
 * once wait for one (a lookup is a few tens of microseconds) */
#define RD_MAX 8

struct lg_store {
	sqlite3 *db; /* the writer connection, under lock */
	GMutex lock;
	/* the lookups' connections: none for an in-memory database (a second
	 * connection would not see it), whose lookups use db under lock */
	gboolean rpool;
	GMutex rlock; /* guards the five below, held only to take or give back */
	GCond rcond;  /* a connection was given back */
	sqlite3 *rfree[RD_MAX];
	guint nfree, nopen;
	guint rwaiting;        /* threads waiting on rcond (GLib signals with a system call) */
	gboolean ropen_failed; /* opening one more failed: make do with those open */
	char *path;
	/* group commit: writes queued by concurrent threads, one leader at a time */
	GMutex q_lock;
	GQueue queue;
	gboolean leader;
};

static const char *const migrations[] = {
    /* version 1 */
    "CREATE TABLE prisoners("
    " alias TEXT PRIMARY KEY, full_name TEXT NOT NULL, birth_year INTEGER NOT NULL DEFAULT 0,"
    " region TEXT NOT NULL DEFAULT '', facility TEXT NOT NULL DEFAULT '',"
    " status TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE TABLE aliases(alias TEXT PRIMARY KEY,"
    " prisoner TEXT NOT NULL REFERENCES prisoners(alias) ON DELETE CASCADE);"
    "CREATE TABLE letters("
    " id TEXT PRIMARY KEY, state TEXT NOT NULL, queue_id TEXT, message_id TEXT,"
    " dedup_key TEXT UNIQUE, writer_name TEXT, writer_addr TEXT, prisoner TEXT, rcpt TEXT,"
    " lang TEXT, translated INTEGER NOT NULL DEFAULT 0, backend TEXT, subject TEXT,"
    " text_original TEXT, text_ru TEXT, findings TEXT, dropped TEXT, categories TEXT,"
    " score REAL NOT NULL DEFAULT 0, pages INTEGER NOT NULL DEFAULT 0, text_hash TEXT,"
    " org TEXT, batch TEXT, reason TEXT, notify INTEGER NOT NULL DEFAULT 0, reply_to TEXT,"
    " photos INTEGER NOT NULL DEFAULT 0, partner_ref TEXT,"
    " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE INDEX letters_state ON letters(state, created);"
    "CREATE INDEX letters_writer ON letters(writer_addr, created);"
    "CREATE INDEX letters_prisoner ON letters(prisoner, created);"
    "CREATE INDEX letters_created ON letters(created);"
    "CREATE TABLE photos(letter_id TEXT NOT NULL REFERENCES letters(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, name TEXT, orig_name TEXT, type TEXT, sha256 TEXT,"
    " bytes INTEGER, width INTEGER, height INTEGER, data BLOB, PRIMARY KEY(letter_id, seq));"
    "CREATE TABLE history(id INTEGER PRIMARY KEY, letter_id TEXT NOT NULL, state TEXT NOT NULL,"
    " actor TEXT, reason TEXT, at INTEGER NOT NULL);"
    "CREATE INDEX history_letter ON history(letter_id);"
    "CREATE TABLE outbox(letter_id TEXT PRIMARY KEY, attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt INTEGER NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT, created INTEGER NOT NULL);"
    "CREATE TABLE translation_cache(backend TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL,"
    " sha256 TEXT NOT NULL, text TEXT NOT NULL, created INTEGER NOT NULL,"
    " PRIMARY KEY(backend, src, dst, sha256));",
    /* version 2 (issue 8): organisation batches, retention, statistics */
    "CREATE TABLE batches(id TEXT PRIMARY KEY, org TEXT NOT NULL, submitter TEXT,"
    " message_id TEXT, queue_id TEXT, letters INTEGER NOT NULL DEFAULT 0,"
    " report_sent INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
    "ALTER TABLE letters ADD COLUMN purged INTEGER;"
    "CREATE INDEX letters_org ON letters(org, created);"
    "CREATE INDEX letters_batch ON letters(batch);"
    "CREATE INDEX history_state ON history(state, at);",
    /* version 3: the duplicate-text check is an index lookup, not a scan */
    "CREATE INDEX letters_dup ON letters(prisoner, text_hash, created);",
    /* version 4: fewer pages in a letter's commit. history(state, at) put
     * each of a letter's three rows on another page; statistics read a time
     * window by `at` alone. Letters from no organisation or batch (most)
     * stay out of those indexes; `org = ?` and `batch = ?` still use them. */
    "DROP INDEX history_state;"
    "CREATE INDEX history_at ON history(at);"
    "DROP INDEX letters_org;"
    "CREATE INDEX letters_org ON letters(org, created) WHERE org IS NOT NULL;"
    "DROP INDEX letters_batch;"
    "CREATE INDEX letters_batch ON letters(batch) WHERE batch IS NOT NULL;",
};

static void set_db_error(GError **err, sqlite3 *db, int rc, const char *what)
{
	int code = LG_STORE_ERR_OTHER;
	int prim = rc & 0xff;
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		code = LG_STORE_ERR_BUSY;
	else if (prim == SQLITE_FULL)
		code = LG_STORE_ERR_FULL;
	else if (prim == SQLITE_IOERR || prim == SQLITE_CANTOPEN || prim == SQLITE_READONLY ||
	         prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
		code = LG_STORE_ERR_IO;
	else if (prim == SQLITE_CONSTRAINT)
		code = LG_STORE_ERR_CONSTRAINT;
	g_set_error(err, LG_STORE_ERROR, code, "database: %s: %s", what,
	            db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static gboolean exec(sqlite3 *db, const char *sql, GError **err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		set_db_error(err, db, rc, msg ? msg : "exec");
		sqlite3_free(msg);
		return FALSE;
	}
	return TRUE;
}

/*
 * Prepared statements are kept per connection, keyed by their SQL text (every
 * statement here is a literal): preparing took a tenth of a letter's CPU.
 * prep() hands out the cached statement reset and unbound; unprep() resets it
 * (ending its read transaction) instead of finalizing it. Both run by the
 * one thread using the connection (under the writer's lock, or holding a
 * lookup connection from the pool), and no statement is used twice at once.
 */
static GMutex stmt_cache_lock;
/* sqlite3* -> stmt_cache_t */
static GHashTable *stmt_caches;

typedef struct {
	GHashTable *by_text; /* sql text -> sqlite3_stmt* (owns the statements) */
	GHashTable *by_addr; /* address of the caller's literal -> the same */
} stmt_cache_t;

static stmt_cache_t *stmt_cache(sqlite3 *db, gboolean create)
{
	stmt_cache_t *c;
	g_mutex_lock(&stmt_cache_lock);
	if (stmt_caches == NULL)
		stmt_caches = g_hash_table_new(g_direct_hash, g_direct_equal);
	c = g_hash_table_lookup(stmt_caches, db);
	if (c == NULL && create) {
		c = g_new0(stmt_cache_t, 1);
		c->by_text = g_hash_table_new(g_str_hash, g_str_equal);
		c->by_addr = g_hash_table_new(g_direct_hash, g_direct_equal);
		g_hash_table_insert(stmt_caches, db, c);
	}
	g_mutex_unlock(&stmt_cache_lock);
	return c;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql, GError **err)
{
	stmt_cache_t *cache = stmt_cache(db, TRUE);
	sqlite3_stmt *st;
	int rc;
	/* every statement here is a literal: found by its address (the text
	 * compared, to be safe) without hashing the whole SQL each time */
	st = g_hash_table_lookup(cache->by_addr, sql);
	if (st == NULL || strcmp(sqlite3_sql(st), sql) != 0) {
		st = g_hash_table_lookup(cache->by_text, sql);
		if (st)
			g_hash_table_insert(cache->by_addr, (gpointer)sql, st);
	}
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		set_db_error(err, db, rc, "prepare");
		return NULL;
	}
	g_hash_table_insert(cache->by_text, (gpointer)sqlite3_sql(st), st);
	g_hash_table_insert(cache->by_addr, (gpointer)sql, st);
	return st;
}

static void unprep(sqlite3_stmt *st)
{
	if (st)
		sqlite3_reset(st);
}

static void stmt_cache_drop(sqlite3 *db)
{
	stmt_cache_t *cache = stmt_cache(db, FALSE);
	GHashTableIter it;
	gpointer k, v;
	if (cache == NULL)
		return;
	g_hash_table_iter_init(&it, cache->by_text);
	while (g_hash_table_iter_next(&it, &k, &v))
		sqlite3_finalize(v);
	g_mutex_lock(&stmt_cache_lock);
	g_hash_table_remove(stmt_caches, db);
	g_mutex_unlock(&stmt_cache_lock);
	g_hash_table_unref(cache->by_text);
	g_hash_table_unref(cache->by_addr);
	g_free(cache);
}

/* Steps a statement that returns no rows, finalizes it; FALSE with *err when
 * it did not run to completion. */
static gboolean step_done(lg_store *s, sqlite3_stmt *st, const char *what, GError **err)
{
	int rc = sqlite3_step(st);
	unprep(st);
	if (rc != SQLITE_DONE) {
		set_db_error(err, s->db, rc, what);
		return FALSE;
	}
	return TRUE;
}

/* step_done() for an UPDATE of one letter: LG_STORE_ERR_NOTFOUND when no
 * letter has that id. */
static gboolean step_letter(lg_store *s, sqlite3_stmt *st, const char *id, const char *what,
                            GError **err)
{
	if (!step_done(s, st, what, err))
		return FALSE;
	if (sqlite3_changes(s->db) == 0) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_NOTFOUND, "no letter %s", id);
		return FALSE;
	}
	return TRUE;
}

/* ---- reads on the lookup connections ---- */

/* A lookup connection: read-only, used by one thread at a time (the pool
 * hands it out), so SQLite's own per-call mutex is not needed. */
static sqlite3 *rd_open(const char *path, GError **err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		set_db_error(err, db, rc, path);
		sqlite3_close_v2(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_extended_result_codes(db, 1);
	/* a commit empties a reader's page cache anyway: a small one will do */
	if (!exec(db, "PRAGMA query_only=1; PRAGMA foreign_keys=ON; PRAGMA cache_size=-4096;",
	          err)) {
		sqlite3_close_v2(db);
		return NULL;
	}
	return db;
}

/* the lookup connection this thread holds between store_read_begin() and
 * store_read_end(), and its store */
static __thread struct {
	lg_store *s;
	sqlite3 *db;
} pinned;

/* A connection for a lookup, given back with rd_unlock(): the one this
 * thread holds for a read transaction (store_read_begin()), an idle one from
 * the pool, a new one while fewer than RD_MAX are open, else the next one
 * given back. Without a pool, the writer connection under its lock. */
static sqlite3 *rd_lock(lg_store *s)
{
	sqlite3 *db = NULL;
	if (!s->rpool) {
		g_mutex_lock(&s->lock);
		return s->db;
	}
	if (pinned.s == s)
		return pinned.db;
	g_mutex_lock(&s->rlock);
	while (db == NULL) {
		if (s->nfree > 0) {
			db = s->rfree[--s->nfree];
		} else if (s->nopen < RD_MAX && !s->ropen_failed) {
			GError *e = NULL;
			s->nopen++; /* counted while it opens, outside the lock */
			g_mutex_unlock(&s->rlock);
			db = rd_open(s->path, &e);
			g_mutex_lock(&s->rlock);
			if (db == NULL) {
				/* one is open already (store_open): wait for it */
				s->nopen--;
				s->ropen_failed = TRUE;
				lg_warn("database: another lookup connection: %s", e->message);
				g_error_free(e);
			}
		} else {
			s->rwaiting++;
			g_cond_wait(&s->rcond, &s->rlock);
			s->rwaiting--;
		}
	}
	g_mutex_unlock(&s->rlock);
	return db;
}

static void rd_unlock(lg_store *s, sqlite3 *db)
{
	if (!s->rpool) {
		g_mutex_unlock(&s->lock);
		return;
	}
	if (pinned.s == s && pinned.db == db)
		return; /* store_read_end() gives it back */
	g_mutex_lock(&s->rlock);
	s->rfree[s->nfree++] = db;
	if (s->rwaiting > 0)
		g_cond_signal(&s->rcond);
	g_mutex_unlock(&s->rlock);
}

/* ---- group commit ---- */

typedef gboolean (*write_fn)(lg_store *s, gpointer data, GError **err);

typedef struct write_req {
	write_fn fn;
	gpointer data;
	GError *err;
	gboolean ok;
	gboolean done;
	GCond cond; /* its thread waits here, under q_lock */
} write_req;

/* writes in one transaction at most; the rest wait for the next one */
#define GROUP_MAX 64

/* A cached statement that returns no rows (BEGIN, COMMIT, SAVEPOINT...), on
 * the writer or a lookup connection. */
static gboolean run_sql(sqlite3 *db, const char *sql, GError **err)
{
	sqlite3_stmt *st = prep(db, sql, err);
	int rc;
	if (st == NULL)
		return FALSE;
	rc = sqlite3_step(st);
	unprep(st);
	if (rc != SQLITE_DONE) {
		set_db_error(err, db, rc, sql);
		return FALSE;
	}
	return TRUE;
}

static void req_fail(write_req *r, const GError *e)
{
	r->ok = FALSE;
	if (r->err == NULL)
		r->err = e ? g_error_copy(e)
		           : g_error_new(LG_STORE_ERROR, LG_STORE_ERR_OTHER,
		                         "database: the transaction was rolled back");
}

/* Runs one group of writes in one transaction, under the writer lock. */
static void group_run(lg_store *s, write_req **reqs, guint n)
{
	GError *e = NULL;
	gboolean multi = n > 1;
	g_mutex_lock(&s->lock);
	if (!run_sql(s->db, "BEGIN IMMEDIATE", &e)) {
		for (guint i = 0; i < n; i++)
			req_fail(reqs[i], e);
		goto out;
	}
	for (guint i = 0; i < n; i++) {
		write_req *r = reqs[i];
		if (multi && !run_sql(s->db, "SAVEPOINT w", &r->err)) {
			r->ok = FALSE;
			continue;
		}
		r->ok = r->fn(s, r->data, &r->err);
		if (sqlite3_get_autocommit(s->db)) {
			/* SQLite ended the transaction itself (a full disk, an I/O
			 * error): nothing of this group is stored */
			GError *why = r->err ? g_error_copy(r->err) : NULL;
			for (guint j = 0; j < n; j++)
				req_fail(reqs[j], why);
			if (why)
				g_error_free(why);
			goto out;
		}
		if (!multi) {
			if (!r->ok) {
				run_sql(s->db, "ROLLBACK", NULL);
				goto out;
			}
			continue;
		}
		if (!r->ok)
			run_sql(s->db, "ROLLBACK TO w", NULL);
		run_sql(s->db, "RELEASE w", NULL);
	}
	if (!run_sql(s->db, "COMMIT", &e)) {
		run_sql(s->db, "ROLLBACK", NULL);
		for (guint i = 0; i < n; i++)
			if (reqs[i]->ok)
				req_fail(reqs[i], e);
	}
out:
	g_clear_error(&e);
	g_mutex_unlock(&s->lock);
}

/*
 * Runs fn(s, data, err) as one atomic write: inside a transaction shared with
 * the writes other threads queued meanwhile. Returns when that transaction
 * has been committed (TRUE) or fn's part rolled back (FALSE, *err set).
 */
static gboolean group_write(lg_store *s, write_fn fn, gpointer data, GError **err)
{
	write_req r = {fn, data, NULL, FALSE, FALSE, {0}};
	g_cond_init(&r.cond);
	g_mutex_lock(&s->q_lock);
	g_queue_push_tail(&s->queue, &r);
	while (!r.done) {
		write_req *group[GROUP_MAX];
		guint n = 0;
		if (s->leader) {
			g_cond_wait(&r.cond, &s->q_lock);
			continue;
		}
		s->leader = TRUE;
		while (n < GROUP_MAX && !g_queue_is_empty(&s->queue))
			group[n++] = g_queue_pop_head(&s->queue);
		g_mutex_unlock(&s->q_lock);
		group_run(s, group, n);
		g_mutex_lock(&s->q_lock);
		s->leader = FALSE;
		/* Wake exactly the threads that have something to do: those whose
		 * writes were in this group (done), and the first of those queued
		 * meanwhile (it leads the next group). A broadcast woke every
		 * waiting session to find that most had to wait again. */
		for (guint i = 0; i < n; i++) {
			group[i]->done = TRUE;
			if (group[i] != &r)
				g_cond_signal(&group[i]->cond);
		}
		if (!g_queue_is_empty(&s->queue))
			g_cond_signal(&((write_req *)g_queue_peek_head(&s->queue))->cond);
	}
	g_mutex_unlock(&s->q_lock);
	g_cond_clear(&r.cond);
	if (!r.ok) {
		if (r.err)
			g_propagate_error(err, r.err);
		else
			g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER,
			            "database: write failed");
	}
	return r.ok;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? g_strdup((const char *)t) : NULL;
}

static gboolean migrate(sqlite3 *db, GError **err)
{
	sqlite3_stmt *st = prep(db, "PRAGMA user_version", err);
	int version;
	if (st == NULL)
		return FALSE;
	version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	unprep(st);
	for (int v = version; v < (int)G_N_ELEMENTS(migrations); v++) {
		char *set = g_strdup_printf("PRAGMA user_version = %d", v + 1);
		gboolean ok = exec(db, "BEGIN IMMEDIATE", err) && exec(db, migrations[v], err) &&
		              exec(db, set, err) && exec(db, "COMMIT", err);
		g_free(set);
		if (!ok) {
			exec(db, "ROLLBACK", NULL);
			return FALSE;
		}
	}
	if (version > (int)G_N_ELEMENTS(migrations)) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER,
		            "database schema version %d is newer than this lettergate (%d)",
		            version, (int)G_N_ELEMENTS(migrations));
		return FALSE;
	}
	return TRUE;
}

lg_store *store_open(const char *path, GError **err)
{
	lg_store *s = g_new0(lg_store, 1);
	int rc;
	g_mutex_init(&s->lock);
	g_mutex_init(&s->rlock);
	g_cond_init(&s->rcond);
	g_mutex_init(&s->q_lock);
	g_queue_init(&s->queue);
	s->path = g_strdup(path);
	rc = sqlite3_open_v2(
	    path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		set_db_error(err, s->db, rc, path);
		goto fail;
	}
	/* letters and writers' addresses: not for other local users */
	if (chmod(path, 0640) != 0 && errno != ENOENT)
		lg_debug("chmod %s: %s", path, g_strerror(errno));
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_extended_result_codes(s->db, 1);
	/* FULL: the WAL is synced at every commit, so a letter the MTA was told
	 * is accepted survives a power cut (NORMAL would only keep it consistent) */
	/* page_size takes effect only on a new database: 2 KB pages halve the
	 * bytes a letter's commit writes to the WAL (each index it touches is a
	 * page) for a few more B-tree levels; the cache keeps the indexes' pages
	 * in memory. No mmap: in WAL mode every commit makes the other
	 * connection drop its mapping at its next read (munmap, TLB shootdowns
	 * across the daemon's threads, page faults again), which cost more than
	 * the preads it saves */
	if (!exec(s->db,
	          "PRAGMA page_size=2048; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	          " PRAGMA journal_size_limit=1048576; PRAGMA cache_size=-32768;"
	          " PRAGMA foreign_keys=ON;",
	          err))
		goto fail;
	if (!migrate(s->db, err))
		goto fail;
	/* the first lookup connection; more are opened as sessions need them
	 * (not for an in-memory database, which another connection would not
	 * see) */
	if (strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0) {
		sqlite3 *rdb = rd_open(path, err);
		if (rdb == NULL)
			goto fail;
		s->rfree[s->nfree++] = rdb;
		s->nopen = 1;
		s->rpool = TRUE;
	}
	return s;
fail:
	store_close(&s);
	return NULL;
}

void store_close(lg_store **ps)
{
	lg_store *s = *ps;
	*ps = NULL;
	if (s == NULL)
		return;
	/* every lookup has ended: all the pool's connections are idle */
	while (s->nfree > 0) {
		sqlite3 *rdb = s->rfree[--s->nfree];
		stmt_cache_drop(rdb);
		sqlite3_close_v2(rdb);
	}
	if (s->db) {
		stmt_cache_drop(s->db);
		sqlite3_close_v2(s->db);
	}
	g_mutex_clear(&s->lock);
	g_mutex_clear(&s->rlock);
	g_cond_clear(&s->rcond);
	g_mutex_clear(&s->q_lock);
	g_free(s->path);
	g_free(s);
}

const char *store_path(const lg_store *st)
{
	return st->path;
}

gboolean store_with_db(lg_store *st, gboolean (*fn)(sqlite3 *db, gpointer data, GError **err),
                       gpointer data, GError **err)
{
	gboolean ok;
	g_mutex_lock(&st->lock);
	ok = fn(st->db, data, err);
	g_mutex_unlock(&st->lock);
	return ok;
}

void store_read_begin(lg_store *st)
{
	sqlite3 *db;
	GError *e = NULL;
	if (st == NULL || !st->rpool || pinned.s != NULL)
		return;
	db = rd_lock(st);
	/* deferred: the snapshot is taken at the first lookup. Should BEGIN
	 * fail, each lookup runs on its own as without it. */
	if (!run_sql(db, "BEGIN", &e)) {
		lg_debug("database: read transaction: %s", e->message);
		g_error_free(e);
	}
	pinned.s = st;
	pinned.db = db;
}

void store_read_end(lg_store *st)
{
	sqlite3 *db = pinned.db;
	if (st == NULL || pinned.s != st)
		return;
	pinned.s = NULL;
	pinned.db = NULL;
	if (!sqlite3_get_autocommit(db) && !run_sql(db, "COMMIT", NULL))
		run_sql(db, "ROLLBACK", NULL);
	rd_unlock(st, db);
}

guint store_lookup_connections(lg_store *st)
{
	guint n;
	g_mutex_lock(&st->rlock);
	n = st->nopen;
	g_mutex_unlock(&st->rlock);
	return n;
}

gboolean store_with_rdb(lg_store *st, gboolean (*fn)(sqlite3 *db, gpointer data, GError **err),
                        gpointer data, GError **err)
{
	gboolean ok;
	sqlite3 *db = rd_lock(st);
	ok = fn(db, data, err);
	rd_unlock(st, db);
	return ok;
}

sqlite3_stmt *store_stmt(sqlite3 *db, const char *sql, GError **err)
{
	return prep(db, sql, err);
}

void store_stmt_done(sqlite3_stmt *st)
{
	unprep(st);
}

/* ---- prisoners ---- */

void prisoner_free(lg_prisoner *p)
{
	if (p == NULL)
		return;
	g_free(p->alias);
	g_free(p->full_name);
	g_free(p->region);
	g_free(p->facility);
	g_free(p->status);
	g_strfreev(p->extra_aliases);
	g_free(p);
}

gboolean prisoner_status_valid(const char *s)
{
	return s && (!strcmp(s, "active") || !strcmp(s, "released") || !strcmp(s, "transferred") ||
	             !strcmp(s, "deceased"));
}

static lg_prisoner *prisoner_from_row(sqlite3_stmt *st)
{
	lg_prisoner *p = g_new0(lg_prisoner, 1);
	p->alias = col_text(st, 0);
	p->full_name = col_text(st, 1);
	p->birth_year = sqlite3_column_int(st, 2);
	p->region = col_text(st, 3);
	p->facility = col_text(st, 4);
	p->status = col_text(st, 5);
	return p;
}

#define PRISONER_COLS "p.alias, p.full_name, p.birth_year, p.region, p.facility, p.status"

lg_prisoner *store_prisoner_get(lg_store *s, const char *alias, GError **err)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	lg_prisoner *p = NULL;
	char *key = translit_alias_key(alias);
	int rc;
	db = rd_lock(s);
	st = prep(db,
	          "SELECT " PRISONER_COLS " FROM prisoners p WHERE p.alias = ?1 "
	          "UNION ALL SELECT " PRISONER_COLS " FROM aliases a JOIN prisoners p "
	          "ON p.alias = a.prisoner WHERE a.alias = ?1 LIMIT 1",
	          err);
	if (st == NULL)
		goto out;
	bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		p = prisoner_from_row(st);
	else if (rc != SQLITE_DONE)
		set_db_error(err, db, rc, "prisoner lookup");
out:
	unprep(st);
	rd_unlock(s, db);
	g_free(key);
	return p;
}

static gboolean upsert_locked(lg_store *s, const lg_prisoner *p, GError **err)
{
	sqlite3_stmt *st = prep(
	    s->db,
	    "INSERT INTO prisoners(alias, full_name, birth_year, region, facility, status, created,"
	    " updated) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT(alias) DO UPDATE SET"
	    " full_name = excluded.full_name, birth_year = excluded.birth_year,"
	    " region = excluded.region, facility = excluded.facility, status = excluded.status,"
	    " updated = excluded.updated",
	    err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, p->alias);
	bind_text(st, 2, p->full_name);
	sqlite3_bind_int(st, 3, p->birth_year);
	bind_text(st, 4, p->region ? p->region : "");
	bind_text(st, 5, p->facility ? p->facility : "");
	bind_text(st, 6, p->status);
	sqlite3_bind_int64(st, 7, util_now());
	return step_done(s, st, "prisoner upsert", err);
}

gboolean store_prisoner_upsert(lg_store *s, const lg_prisoner *p, GError **err)
{
	gboolean ok;
	g_mutex_lock(&s->lock);
	ok = upsert_locked(s, p, err);
	g_mutex_unlock(&s->lock);
	return ok;
}

static gboolean alias_insert_locked(lg_store *s, const char *key, const char *alias,
                                    gboolean replace, GError **err);

gboolean store_prisoner_import(lg_store *s, GPtrArray *prisoners, GError **err)
{
	gboolean ok = FALSE;
	g_mutex_lock(&s->lock);
	if (!exec(s->db, "BEGIN IMMEDIATE", err))
		goto out;
	for (guint i = 0; i < prisoners->len; i++) {
		const lg_prisoner *p = g_ptr_array_index(prisoners, i);
		if (!upsert_locked(s, p, err)) {
			exec(s->db, "ROLLBACK", NULL);
			goto out;
		}
		for (char **x = p->extra_aliases; x && *x; x++) {
			char *key = translit_alias_key(*x);
			gboolean ok_alias = alias_insert_locked(s, key, p->alias, FALSE, err);
			g_free(key);
			if (!ok_alias) {
				exec(s->db, "ROLLBACK", NULL);
				goto out;
			}
		}
	}
	ok = exec(s->db, "COMMIT", err);
	if (!ok)
		exec(s->db, "ROLLBACK", NULL);
out:
	g_mutex_unlock(&s->lock);
	return ok;
}

gboolean store_prisoner_set_status(lg_store *s, const char *alias, const char *status,
                                   const char *facility, GError **err)
{
	sqlite3_stmt *st;
	gboolean ok = FALSE;
	int rc;
	g_mutex_lock(&s->lock);
	st =
	    prep(s->db,
	         "UPDATE prisoners SET status = ?2, facility = coalesce(?3, facility), updated = ?4"
	         " WHERE alias = ?1",
	         err);
	if (st == NULL)
		goto out;
	bind_text(st, 1, alias);
	bind_text(st, 2, status);
	bind_text(st, 3, facility);
	sqlite3_bind_int64(st, 4, util_now());
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		set_db_error(err, s->db, rc, "prisoner status");
	else if (sqlite3_changes(s->db) == 0)
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_NOTFOUND, "no prisoner with alias %s",
		            alias);
	else
		ok = TRUE;
out:
	unprep(st);
	g_mutex_unlock(&s->lock);
	return ok;
}

GPtrArray *store_prisoner_list(lg_store *s, GError **err)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)prisoner_free);
	sqlite3_stmt *st;
	int rc;
	g_mutex_lock(&s->lock);
	st = prep(s->db, "SELECT " PRISONER_COLS " FROM prisoners p ORDER BY p.alias", err);
	if (st == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out, prisoner_from_row(st));
	if (rc != SQLITE_DONE) {
		set_db_error(err, s->db, rc, "prisoner list");
		goto fail;
	}
	unprep(st);
	g_mutex_unlock(&s->lock);
	return out;
fail:
	unprep(st);
	g_mutex_unlock(&s->lock);
	g_ptr_array_unref(out);
	return NULL;
}

/* The prisoner an alias key reaches (primary or extra), or NULL. */
static gboolean alias_owner_locked(lg_store *s, const char *key, char **owner_r, GError **err)
{
	sqlite3_stmt *st = prep(s->db,
	                        "SELECT alias FROM prisoners WHERE alias = ?1 UNION ALL"
	                        " SELECT prisoner FROM aliases WHERE alias = ?1 LIMIT 1",
	                        err);
	int rc;
	*owner_r = NULL;
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*owner_r = col_text(st, 0);
	unprep(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		set_db_error(err, s->db, rc, "alias lookup");
		return FALSE;
	}
	return TRUE;
}

static gboolean alias_insert_locked(lg_store *s, const char *key, const char *alias,
                                    gboolean replace, GError **err)
{
	sqlite3_stmt *st =
	    prep(s->db,
	         replace ? "INSERT INTO aliases(alias, prisoner) VALUES(?1, ?2)"
	                   " ON CONFLICT(alias) DO UPDATE SET prisoner = excluded.prisoner"
	                 : "INSERT OR IGNORE INTO aliases(alias, prisoner) VALUES(?1, ?2)",
	         err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, key);
	bind_text(st, 2, alias);
	return step_done(s, st, "alias add", err);
}

gboolean store_alias_add(lg_store *s, const char *extra, const char *alias, GError **err)
{
	gboolean ok = FALSE;
	char *key = translit_alias_key(extra);
	char *owner = NULL;
	sqlite3_stmt *st = NULL;
	int rc;
	g_mutex_lock(&s->lock);
	st = prep(s->db, "SELECT 1 FROM prisoners WHERE alias = ?1", err);
	if (st == NULL)
		goto out;
	bind_text(st, 1, key);
	rc = sqlite3_step(st);
	unprep(st);
	if (rc == SQLITE_ROW) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_CONSTRAINT,
		            "%s is a prisoner's own alias", key);
		goto out;
	}
	st = prep(s->db, "SELECT 1 FROM prisoners WHERE alias = ?1", err);
	if (st == NULL)
		goto out;
	bind_text(st, 1, alias);
	rc = sqlite3_step(st);
	unprep(st);
	if (rc != SQLITE_ROW) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_NOTFOUND, "no prisoner with alias %s",
		            alias);
		goto out;
	}
	ok = alias_insert_locked(s, key, alias, TRUE, err);
out:
	g_mutex_unlock(&s->lock);
	g_free(owner);
	g_free(key);
	return ok;
}

gboolean store_alias_add_free(lg_store *s, const char *extra, const char *alias, gboolean *added_r,
                              GError **err)
{
	char *key = translit_alias_key(extra);
	char *owner = NULL;
	gboolean ok;
	*added_r = FALSE;
	g_mutex_lock(&s->lock);
	ok = alias_owner_locked(s, key, &owner, err);
	if (ok && owner == NULL) {
		ok = alias_insert_locked(s, key, alias, FALSE, err);
		*added_r = ok;
	}
	g_mutex_unlock(&s->lock);
	g_free(owner);
	g_free(key);
	return ok;
}

char *store_alias_owner(lg_store *s, const char *extra, GError **err)
{
	char *key = translit_alias_key(extra);
	char *owner = NULL;
	g_mutex_lock(&s->lock);
	alias_owner_locked(s, key, &owner, err);
	g_mutex_unlock(&s->lock);
	g_free(key);
	return owner;
}

GPtrArray *store_alias_list(lg_store *s, const char *alias, GError **err)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	sqlite3_stmt *st;
	int rc = SQLITE_ERROR;
	g_mutex_lock(&s->lock);
	st = prep(s->db, "SELECT alias FROM aliases WHERE prisoner = ?1 ORDER BY rowid", err);
	if (st) {
		bind_text(st, 1, alias);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			g_ptr_array_add(out, col_text(st, 0));
		if (rc != SQLITE_DONE)
			set_db_error(err, s->db, rc, "alias list");
	}
	unprep(st);
	g_mutex_unlock(&s->lock);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(out);
		return NULL;
	}
	return out;
}

char *store_prisoner_find(lg_store *s, const char *full_name, int birth_year, GError **err)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *alias = NULL;
	int rc;
	db = rd_lock(s);
	st = prep(db,
	          "SELECT alias FROM prisoners WHERE full_name = ?1 AND birth_year = ?2"
	          " ORDER BY created LIMIT 1",
	          err);
	if (st) {
		bind_text(st, 1, full_name);
		sqlite3_bind_int(st, 2, birth_year);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			alias = col_text(st, 0);
		else if (rc != SQLITE_DONE)
			set_db_error(err, db, rc, "prisoner find");
	}
	unprep(st);
	rd_unlock(s, db);
	return alias;
}

int store_prisoner_pending(lg_store *s, const char *alias, GError **err)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1, rc;
	db = rd_lock(s);
	st = prep(
	    db, "SELECT count(*) FROM letters WHERE prisoner = ?1 AND state IN ('held', 'queued')",
	    err);
	if (st) {
		bind_text(st, 1, alias);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
		else
			set_db_error(err, db, rc, "pending");
	}
	unprep(st);
	rd_unlock(s, db);
	return n;
}

/* ids of the prisoner's letters in `state` (locked). */
static gboolean letter_ids_locked(lg_store *s, const char *alias, const char *state, GPtrArray *ids,
                                  GError **err)
{
	sqlite3_stmt *st = prep(s->db,
	                        "SELECT id FROM letters WHERE prisoner = ?1 AND state = ?2"
	                        " ORDER BY created, id",
	                        err);
	int rc;
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, alias);
	bind_text(st, 2, state);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(ids, col_text(st, 0));
	unprep(st);
	if (rc != SQLITE_DONE) {
		set_db_error(err, s->db, rc, "letter ids");
		return FALSE;
	}
	return TRUE;
}

static gboolean update_state_locked(lg_store *s, const char *id, const char *state,
                                    const char *reason, GError **err);
static gboolean history_locked(lg_store *s, const char *id, const char *state, const char *actor,
                               const char *reason, GError **err);
static gboolean outbox_del_locked(lg_store *s, const char *id, GError **err);

gboolean store_prisoner_status_effect(lg_store *s, const char *alias, const char *status,
                                      const char *actor, GPtrArray **failed_r, GPtrArray **held_r,
                                      GError **err)
{
	GPtrArray *failed = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *held = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	gboolean ok = FALSE;
	g_mutex_lock(&s->lock);
	if (!exec(s->db, "BEGIN IMMEDIATE", err))
		goto out;
	if (!strcmp(status, "released") || !strcmp(status, "deceased")) {
		const char *reason =
		    !strcmp(status, "released")
		        ? "The addressee has been released; the letter was not delivered."
		        : "The addressee has died; the letter was not delivered.";
		if (!letter_ids_locked(s, alias, "queued", ids, err) ||
		    !letter_ids_locked(s, alias, "held", ids, err))
			goto rollback;
		for (guint i = 0; i < ids->len; i++) {
			const char *id = g_ptr_array_index(ids, i);
			if (!update_state_locked(s, id, "failed", reason, err) ||
			    !history_locked(s, id, "failed", actor, reason, err) ||
			    !outbox_del_locked(s, id, err))
				goto rollback;
			g_ptr_array_add(failed, g_strdup(id));
		}
	} else if (!strcmp(status, "transferred")) {
		/* in transit: queued letters wait for a moderator again instead of
		 * failing at the old address */
		const char *reason = "prisoner transferred; waiting for the new facility";
		if (!letter_ids_locked(s, alias, "queued", ids, err))
			goto rollback;
		for (guint i = 0; i < ids->len; i++) {
			const char *id = g_ptr_array_index(ids, i);
			sqlite3_stmt *st = prep(s->db,
			                        "SELECT 1 FROM outbox WHERE letter_id = ?1 AND"
			                        " lease_until > ?2",
			                        err);
			int rc;
			if (st == NULL)
				goto rollback;
			bind_text(st, 1, id);
			sqlite3_bind_int64(st, 2, util_now());
			rc = sqlite3_step(st);
			unprep(st);
			if (rc == SQLITE_ROW)
				continue; /* being handed over right now */
			if (!update_state_locked(s, id, "held", reason, err) ||
			    !history_locked(s, id, "held", actor, reason, err) ||
			    !outbox_del_locked(s, id, err))
				goto rollback;
			g_ptr_array_add(held, g_strdup(id));
		}
	}
	if (!exec(s->db, "COMMIT", err))
		goto rollback;
	ok = TRUE;
	goto out;
rollback:
	exec(s->db, "ROLLBACK", NULL);
	g_ptr_array_set_size(failed, 0);
	g_ptr_array_set_size(held, 0);
out:
	g_mutex_unlock(&s->lock);
	g_ptr_array_unref(ids);
	if (ok && failed_r)
		*failed_r = g_ptr_array_ref(failed);
	if (ok && held_r)
		*held_r = g_ptr_array_ref(held);
	g_ptr_array_unref(failed);
	g_ptr_array_unref(held);
	return ok;
}

GHashTable *store_prisoner_letter_counts(lg_store *s, gint64 since, GError **err)
{
	sqlite3 *db;
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	sqlite3_stmt *st;
	int rc = SQLITE_ERROR;
	db = rd_lock(s);
	st = prep(db,
	          "SELECT p.alias, (SELECT count(*) FROM letters l WHERE l.prisoner = p.alias AND"
	          " l.created >= ?1 AND l.state != 'rejected') FROM prisoners p"
	          " WHERE p.status = 'active' ORDER BY p.alias",
	          err);
	if (st) {
		sqlite3_bind_int64(st, 1, since);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			g_hash_table_insert(h, col_text(st, 0),
			                    GINT_TO_POINTER(sqlite3_column_int(st, 1)));
		if (rc != SQLITE_DONE)
			set_db_error(err, db, rc, "letter counts");
	}
	unprep(st);
	rd_unlock(s, db);
	if (rc != SQLITE_DONE) {
		g_hash_table_unref(h);
		return NULL;
	}
	return h;
}

char *store_prisoner_least_written(lg_store *s, int days, GError **err)
{
	sqlite3_stmt *st;
	char *alias = NULL;
	int rc;
	g_mutex_lock(&s->lock);
	st = prep(s->db,
	          "SELECT p.alias FROM prisoners p WHERE p.status = 'active' ORDER BY"
	          " (SELECT count(*) FROM letters l WHERE l.prisoner = p.alias AND l.created >= ?1"
	          "  AND l.state NOT IN ('rejected')), random() LIMIT 1",
	          err);
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, util_now() - (gint64)days * 86400);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		alias = col_text(st, 0);
	else if (rc != SQLITE_DONE)
		set_db_error(err, s->db, rc, "least written");
out:
	unprep(st);
	g_mutex_unlock(&s->lock);
	return alias;
}

/* ---- letters ---- */

lg_letter_rec *letter_rec_new(void)
{
	lg_letter_rec *r = g_new0(lg_letter_rec, 1);
	r->photos = g_ptr_array_new_with_free_func((GDestroyNotify)photo_free);
	return r;
}

void letter_rec_free(lg_letter_rec *r)
{
	if (r == NULL)
		return;
	g_free(r->id);
	g_free(r->state);
	g_free(r->queue_id);
	g_free(r->message_id);
	g_free(r->dedup_key);
	g_free(r->writer_name);
	g_free(r->writer_addr);
	g_free(r->prisoner);
	g_free(r->rcpt);
	g_free(r->lang);
	g_free(r->backend);
	g_free(r->subject);
	g_free(r->text_original);
	g_free(r->text_ru);
	g_free(r->findings_json);
	g_free(r->dropped_json);
	g_free(r->categories);
	g_free(r->text_hash);
	g_free(r->org);
	g_free(r->batch);
	g_free(r->reason);
	g_free(r->reply_to);
	g_free(r->last_error);
	if (r->photos)
		g_ptr_array_unref(r->photos);
	g_free(r);
}

static gboolean history_locked(lg_store *s, const char *id, const char *state, const char *actor,
                               const char *reason, GError **err)
{
	sqlite3_stmt *st = prep(s->db,
	                        "INSERT INTO history(letter_id, state, actor, reason, at)"
	                        " VALUES(?1, ?2, ?3, ?4, ?5)",
	                        err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, id);
	bind_text(st, 2, state);
	bind_text(st, 3, actor);
	bind_text(st, 4, reason);
	sqlite3_bind_int64(st, 5, util_now());
	return step_done(s, st, "history", err);
}

/* received, approved and queued by the gateway: one statement */
static gboolean history_queued_locked(lg_store *s, const char *id, GError **err)
{
	sqlite3_stmt *st = prep(
	    s->db,
	    "INSERT INTO history(letter_id, state, actor, reason, at)"
	    " VALUES(?1, 'received', 'gateway', NULL, ?2), (?1, 'approved', 'gateway', NULL, ?2),"
	    " (?1, 'queued', 'gateway', NULL, ?2)",
	    err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, util_now());
	return step_done(s, st, "history", err);
}

static gboolean outbox_add_locked(lg_store *s, const char *id, GError **err)
{
	sqlite3_stmt *st = prep(s->db,
	                        "INSERT OR IGNORE INTO outbox(letter_id, next_attempt, created)"
	                        " VALUES(?1, ?2, ?2)",
	                        err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, util_now());
	return step_done(s, st, "outbox", err);
}

static gboolean outbox_del_locked(lg_store *s, const char *id, GError **err)
{
	sqlite3_stmt *st = prep(s->db, "DELETE FROM outbox WHERE letter_id = ?1", err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, id);
	return step_done(s, st, "outbox delete", err);
}

static gboolean dedup_locked(sqlite3 *db, const char *key, gboolean *found, GError **err)
{
	sqlite3_stmt *st = prep(db, "SELECT 1 FROM letters WHERE dedup_key = ?1", err);
	int rc;
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, key);
	rc = sqlite3_step(st);
	unprep(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		set_db_error(err, db, rc, "dedup");
		return FALSE;
	}
	*found = rc == SQLITE_ROW;
	return TRUE;
}

gboolean store_dedup_exists(lg_store *s, const char *key, GError **err)
{
	gboolean found = FALSE;
	sqlite3 *db = rd_lock(s);
	dedup_locked(db, key, &found, err);
	rd_unlock(s, db);
	return found;
}

static gboolean insert_letter_locked(lg_store *s, const lg_letter_rec *r, GError **err)
{
	sqlite3_stmt *st = prep(
	    s->db,
	    "INSERT INTO letters(id, state, queue_id, message_id, dedup_key, writer_name,"
	    " writer_addr, prisoner, rcpt, lang, translated, backend, subject, text_original,"
	    " text_ru, findings, dropped, categories, score, pages, text_hash, org, batch, reason,"
	    " notify, reply_to, photos, created, updated) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25,"
	    " ?26, ?27, ?28, ?28)",
	    err);
	int rc;
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, r->id);
	bind_text(st, 2, r->state);
	bind_text(st, 3, r->queue_id);
	bind_text(st, 4, r->message_id);
	bind_text(st, 5, r->dedup_key);
	bind_text(st, 6, r->writer_name);
	bind_text(st, 7, r->writer_addr);
	bind_text(st, 8, r->prisoner);
	bind_text(st, 9, r->rcpt);
	bind_text(st, 10, r->lang);
	sqlite3_bind_int(st, 11, r->translated);
	bind_text(st, 12, r->backend);
	bind_text(st, 13, r->subject);
	bind_text(st, 14, r->text_original);
	/* a Russian letter's text, unchanged, is stored once (LETTER_COLS reads
	 * it back as text_ru): two pages fewer in every commit */
	if (r->text_ru && r->text_original && strcmp(r->text_ru, r->text_original) == 0)
		sqlite3_bind_null(st, 15);
	else
		bind_text(st, 15, r->text_ru);
	bind_text(st, 16, r->findings_json);
	bind_text(st, 17, r->dropped_json);
	bind_text(st, 18, r->categories);
	sqlite3_bind_double(st, 19, r->score);
	sqlite3_bind_int(st, 20, r->pages);
	bind_text(st, 21, r->text_hash);
	bind_text(st, 22, r->org);
	bind_text(st, 23, r->batch);
	bind_text(st, 24, r->reason);
	sqlite3_bind_int(st, 25, r->notify);
	bind_text(st, 26, r->reply_to);
	sqlite3_bind_int(st, 27, r->photos ? (int)r->photos->len : 0);
	sqlite3_bind_int64(st, 28, r->created ? r->created : util_now());
	rc = sqlite3_step(st);
	unprep(st);
	if (rc != SQLITE_DONE) {
		set_db_error(err, s->db, rc, "letter insert");
		return FALSE;
	}
	for (guint i = 0; r->photos && i < r->photos->len; i++) {
		const lg_photo *ph = g_ptr_array_index(r->photos, i);
		gsize len = 0;
		const void *data = ph->data ? g_bytes_get_data(ph->data, &len) : NULL;
		st = prep(s->db,
		          "INSERT INTO photos(letter_id, seq, name, orig_name, type, sha256, bytes,"
		          " width, height, data) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
		          err);
		if (st == NULL)
			return FALSE;
		bind_text(st, 1, r->id);
		sqlite3_bind_int(st, 2, (int)i);
		bind_text(st, 3, ph->name);
		bind_text(st, 4, ph->orig_name);
		bind_text(st, 5, ph->type);
		bind_text(st, 6, ph->sha256);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)len);
		sqlite3_bind_int(st, 8, ph->width);
		sqlite3_bind_int(st, 9, ph->height);
		sqlite3_bind_blob64(st, 10, data ? data : "", len, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		unprep(st);
		if (rc != SQLITE_DONE) {
			set_db_error(err, s->db, rc, "photo insert");
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean batch_insert_locked(lg_store *s, const lg_batch_rec *b, GError **err)
{
	sqlite3_stmt *st =
	    prep(s->db,
	         "INSERT INTO batches(id, org, submitter, message_id, queue_id, letters,"
	         " created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	         err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, b->id);
	bind_text(st, 2, b->org);
	bind_text(st, 3, b->submitter);
	bind_text(st, 4, b->message_id);
	bind_text(st, 5, b->queue_id);
	sqlite3_bind_int(st, 6, b->letters);
	sqlite3_bind_int64(st, 7, b->created ? b->created : util_now());
	return step_done(s, st, "batch insert", err);
}

gboolean store_letters_commit(lg_store *s, GPtrArray *recs, gboolean *duplicate_r, GError **err)
{
	return store_batch_commit(s, NULL, recs, duplicate_r, err);
}

typedef struct {
	const lg_batch_rec *batch;
	GPtrArray *recs;
	gboolean *duplicate_r;
} commit_args;

static gboolean commit_fn(lg_store *s, gpointer data, GError **err)
{
	commit_args *a = data;
	for (guint i = 0; i < a->recs->len; i++) {
		const lg_letter_rec *r = g_ptr_array_index(a->recs, i);
		gboolean found = FALSE;
		if (r->dedup_key && !dedup_locked(s->db, r->dedup_key, &found, err))
			return FALSE;
		if (found) {
			/* a retried message: nothing written, nothing to undo */
			*a->duplicate_r = TRUE;
			return TRUE;
		}
	}
	if (a->batch && !batch_insert_locked(s, a->batch, err))
		return FALSE;
	for (guint i = 0; i < a->recs->len; i++) {
		const lg_letter_rec *r = g_ptr_array_index(a->recs, i);
		if (!insert_letter_locked(s, r, err))
			return FALSE;
		if (!strcmp(r->state, "queued")) {
			if (!history_queued_locked(s, r->id, err) ||
			    !outbox_add_locked(s, r->id, err))
				return FALSE;
		} else if (!history_locked(s, r->id, "received", "gateway", NULL, err) ||
		           !history_locked(s, r->id, r->state, "gateway", r->reason, err)) {
			return FALSE;
		}
	}
	return TRUE;
}

gboolean store_batch_commit(lg_store *s, const lg_batch_rec *batch, GPtrArray *recs,
                            gboolean *duplicate_r, GError **err)
{
	commit_args a = {batch, recs, duplicate_r};
	*duplicate_r = FALSE;
	return group_write(s, commit_fn, &a, err);
}

#define LETTER_COLS                                                                                \
	"id, state, queue_id, message_id, dedup_key, writer_name, writer_addr, prisoner, rcpt,"    \
	" lang, translated, backend, subject, text_original,"                                      \
	" COALESCE(text_ru, text_original), findings, dropped,"                                    \
	" categories, score, pages, text_hash, org, batch, reason, notify, reply_to, created,"     \
	" updated, partner_ref, purged"

static lg_letter_rec *letter_from_row(sqlite3_stmt *st)
{
	lg_letter_rec *r = letter_rec_new();
	int c = 0;
	r->id = col_text(st, c++);
	r->state = col_text(st, c++);
	r->queue_id = col_text(st, c++);
	r->message_id = col_text(st, c++);
	r->dedup_key = col_text(st, c++);
	r->writer_name = col_text(st, c++);
	r->writer_addr = col_text(st, c++);
	r->prisoner = col_text(st, c++);
	r->rcpt = col_text(st, c++);
	r->lang = col_text(st, c++);
	r->translated = sqlite3_column_int(st, c++);
	r->backend = col_text(st, c++);
	r->subject = col_text(st, c++);
	r->text_original = col_text(st, c++);
	r->text_ru = col_text(st, c++);
	r->findings_json = col_text(st, c++);
	r->dropped_json = col_text(st, c++);
	r->categories = col_text(st, c++);
	r->score = sqlite3_column_double(st, c++);
	r->pages = sqlite3_column_int(st, c++);
	r->text_hash = col_text(st, c++);
	r->org = col_text(st, c++);
	r->batch = col_text(st, c++);
	r->reason = col_text(st, c++);
	r->notify = sqlite3_column_int(st, c++);
	r->reply_to = col_text(st, c++);
	r->created = sqlite3_column_int64(st, c++);
	r->updated = sqlite3_column_int64(st, c++);
	c++; /* partner_ref */
	r->purged = sqlite3_column_int64(st, c++);
	(void)c;
	return r;
}

static gboolean photos_locked(lg_store *s, lg_letter_rec *r, GError **err)
{
	sqlite3_stmt *st =
	    prep(s->db,
	         "SELECT name, orig_name, type, sha256, width, height, data FROM photos"
	         " WHERE letter_id = ?1 ORDER BY seq",
	         err);
	int rc;
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, r->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		lg_photo *ph = g_new0(lg_photo, 1);
		const char *sha;
		ph->name = col_text(st, 0);
		ph->orig_name = col_text(st, 1);
		ph->type = col_text(st, 2);
		sha = (const char *)sqlite3_column_text(st, 3);
		g_strlcpy(ph->sha256, sha ? sha : "", sizeof(ph->sha256));
		ph->width = sqlite3_column_int(st, 4);
		ph->height = sqlite3_column_int(st, 5);
		ph->data =
		    g_bytes_new(sqlite3_column_blob(st, 6), (gsize)sqlite3_column_bytes(st, 6));
		g_ptr_array_add(r->photos, ph);
	}
	unprep(st);
	if (rc != SQLITE_DONE) {
		set_db_error(err, s->db, rc, "photos");
		return FALSE;
	}
	return TRUE;
}

static lg_letter_rec *letter_get_locked(lg_store *s, const char *id, gboolean with_photos,
                                        GError **err)
{
	sqlite3_stmt *st = prep(s->db, "SELECT " LETTER_COLS " FROM letters WHERE id = ?1", err);
	lg_letter_rec *r = NULL;
	int rc;
	if (st == NULL)
		return NULL;
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = letter_from_row(st);
	else if (rc == SQLITE_DONE)
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_NOTFOUND, "no letter %s", id);
	else
		set_db_error(err, s->db, rc, "letter get");
	unprep(st);
	if (r && with_photos && !photos_locked(s, r, err)) {
		letter_rec_free(r);
		r = NULL;
	}
	return r;
}

lg_letter_rec *store_letter_get(lg_store *s, const char *id, gboolean with_photos, GError **err)
{
	lg_letter_rec *r;
	g_mutex_lock(&s->lock);
	r = letter_get_locked(s, id, with_photos, err);
	g_mutex_unlock(&s->lock);
	return r;
}

GPtrArray *store_letter_list(lg_store *s, const char *state, int limit, GError **err)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
	sqlite3_stmt *st;
	int rc;
	g_mutex_lock(&s->lock);
	st = prep(s->db,
	          "SELECT " LETTER_COLS " FROM letters WHERE (?1 IS NULL OR state = ?1)"
	          " ORDER BY created, rowid LIMIT ?2",
	          err);
	if (st == NULL)
		goto fail;
	bind_text(st, 1, state);
	sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out, letter_from_row(st));
	if (rc != SQLITE_DONE) {
		set_db_error(err, s->db, rc, "letter list");
		goto fail;
	}
	unprep(st);
	g_mutex_unlock(&s->lock);
	return out;
fail:
	unprep(st);
	g_mutex_unlock(&s->lock);
	g_ptr_array_unref(out);
	return NULL;
}

static gboolean update_state_locked(lg_store *s, const char *id, const char *state,
                                    const char *reason, GError **err)
{
	sqlite3_stmt *st = prep(s->db,
	                        "UPDATE letters SET state = ?2, reason = coalesce(?3, reason),"
	                        " updated = ?4 WHERE id = ?1",
	                        err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, id);
	bind_text(st, 2, state);
	bind_text(st, 3, reason);
	sqlite3_bind_int64(st, 4, util_now());
	return step_letter(s, st, id, "letter state", err);
}

typedef struct {
	const char *id, *state, *actor, *reason;
} state_args;

static gboolean state_fn(lg_store *s, gpointer data, GError **err)
{
	state_args *a = data;
	sqlite3_stmt *st;
	if (!strcmp(a->state, "approved")) {
		/* approval queues the letter for delivery at once */
		return update_state_locked(s, a->id, "queued", a->reason, err) &&
		       history_locked(s, a->id, "approved", a->actor, a->reason, err) &&
		       history_locked(s, a->id, "queued", a->actor, NULL, err) &&
		       outbox_add_locked(s, a->id, err);
	}
	if (!update_state_locked(s, a->id, a->state, a->reason, err) ||
	    !history_locked(s, a->id, a->state, a->actor, a->reason, err))
		return FALSE;
	if (strcmp(a->state, "rejected") != 0 && strcmp(a->state, "failed") != 0 &&
	    strcmp(a->state, "delivered") != 0 && strcmp(a->state, "censored") != 0)
		return TRUE;
	st = prep(s->db, "DELETE FROM outbox WHERE letter_id = ?1", err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, a->id);
	return step_done(s, st, "outbox delete", err);
}

gboolean store_letter_set_state(lg_store *s, const char *id, const char *state, const char *actor,
                                const char *reason, GError **err)
{
	state_args a = {id, state, actor, reason};
	return group_write(s, state_fn, &a, err);
}

gboolean store_letter_set_text_ru(lg_store *s, const char *id, const char *text_ru,
                                  const char *actor, GError **err)
{
	sqlite3_stmt *st;
	gboolean ok = FALSE;
	g_mutex_lock(&s->lock);
	if (!exec(s->db, "BEGIN IMMEDIATE", err))
		goto out;
	st = prep(s->db,
	          "UPDATE letters SET text_ru = ?2, translated = 1, backend = 'human:' || ?3,"
	          " updated = ?4 WHERE id = ?1",
	          err);
	if (st == NULL)
		goto rollback;
	bind_text(st, 1, id);
	bind_text(st, 2, text_ru);
	bind_text(st, 3, actor);
	sqlite3_bind_int64(st, 4, util_now());
	if (!step_letter(s, st, id, "letter edit", err))
		goto rollback;
	if (!history_locked(s, id, "edited", actor, NULL, err))
		goto rollback;
	if (!exec(s->db, "COMMIT", err))
		goto rollback;
	ok = TRUE;
	goto out;
rollback:
	exec(s->db, "ROLLBACK", NULL);
out:
	g_mutex_unlock(&s->lock);
	return ok;
}

char *store_letter_history_json(lg_store *s, const char *id, GError **err)
{
	JsonBuilder *b = json_builder_new();
	JsonGenerator *gen = NULL;
	JsonNode *root = NULL;
	sqlite3_stmt *st;
	char *out = NULL;
	int rc;
	g_mutex_lock(&s->lock);
	st = prep(s->db,
	          "SELECT state, actor, reason, at FROM history WHERE letter_id = ?1 ORDER BY id",
	          err);
	if (st == NULL)
		goto out;
	bind_text(st, 1, id);
	json_builder_begin_array(b);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "state");
		json_builder_add_string_value(b, (const char *)sqlite3_column_text(st, 0));
		json_builder_set_member_name(b, "actor");
		json_builder_add_string_value(b, (const char *)sqlite3_column_text(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			json_builder_set_member_name(b, "reason");
			json_builder_add_string_value(b, (const char *)sqlite3_column_text(st, 2));
		}
		json_builder_set_member_name(b, "at");
		json_builder_add_int_value(b, sqlite3_column_int64(st, 3));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	if (rc != SQLITE_DONE) {
		set_db_error(err, s->db, rc, "history");
		goto out;
	}
	root = json_builder_get_root(b);
	gen = json_generator_new();
	json_generator_set_root(gen, root);
	out = json_generator_to_data(gen, NULL);
out:
	unprep(st);
	g_mutex_unlock(&s->lock);
	if (root)
		json_node_unref(root);
	if (gen)
		g_object_unref(gen);
	g_object_unref(b);
	return out;
}

/* ---- outbox ---- */

typedef struct {
	int max, lease_seconds;
	GPtrArray *out;
} claim_args;

static gboolean claim_fn(lg_store *s, gpointer data, GError **err)
{
	claim_args *a = data;
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	sqlite3_stmt *st;
	gint64 now = util_now();
	gboolean ok = FALSE;
	int rc;
	g_ptr_array_set_size(a->out, 0);
	st = prep(s->db,
	          "SELECT o.letter_id, o.attempts FROM outbox o WHERE o.next_attempt <= ?1 AND"
	          " o.lease_until <= ?1 ORDER BY o.next_attempt, o.letter_id LIMIT ?2",
	          err);
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, a->max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(ids, col_text(st, 0));
	unprep(st);
	if (rc != SQLITE_DONE) {
		set_db_error(err, s->db, rc, "outbox claim");
		goto out;
	}
	for (guint i = 0; i < ids->len; i++) {
		const char *id = g_ptr_array_index(ids, i);
		lg_letter_rec *r;
		st = prep(
		    s->db,
		    "UPDATE outbox SET lease_until = ?2, attempts = attempts + 1"
		    " WHERE letter_id = ?1 RETURNING attempts, created, coalesce(last_error, '')",
		    err);
		if (st == NULL)
			goto out;
		bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, now + a->lease_seconds);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			set_db_error(err, s->db, rc, "outbox lease");
			unprep(st);
			goto out;
		}
		r = letter_get_locked(s, id, TRUE, err);
		if (r == NULL) {
			unprep(st);
			goto out;
		}
		r->attempts = sqlite3_column_int(st, 0);
		r->next_attempt = sqlite3_column_int64(st, 1); /* outbox creation time */
		unprep(st);
		g_ptr_array_add(a->out, r);
	}
	ok = TRUE;
out:
	g_ptr_array_unref(ids);
	return ok;
}

GPtrArray *store_outbox_claim(lg_store *s, int max, int lease_seconds, GError **err)
{
	claim_args a = {max, lease_seconds,
	                g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free)};
	if (!group_write(s, claim_fn, &a, err)) {
		g_ptr_array_unref(a.out);
		return NULL;
	}
	return a.out;
}

typedef struct {
	const char *id, *state, *partner_ref, *error;
} done_args;

static gboolean done_fn(lg_store *s, gpointer data, GError **err)
{
	done_args *a = data;
	sqlite3_stmt *st;
	if (!update_state_locked(s, a->id, a->state, a->error, err) ||
	    !history_locked(s, a->id, a->state, "delivery", a->error, err))
		return FALSE;
	st = prep(s->db, "UPDATE letters SET partner_ref = coalesce(?2, partner_ref) WHERE id = ?1",
	          err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, a->id);
	bind_text(st, 2, a->partner_ref);
	if (!step_done(s, st, "partner reference", err))
		return FALSE;
	st = prep(s->db, "DELETE FROM outbox WHERE letter_id = ?1", err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, a->id);
	return step_done(s, st, "outbox done", err);
}

gboolean store_outbox_done(lg_store *s, const char *id, const char *state, const char *partner_ref,
                           const char *error, GError **err)
{
	done_args a = {id, state, partner_ref, error};
	return group_write(s, done_fn, &a, err);
}

typedef struct {
	const char *id;
	gint64 next_attempt;
	const char *error;
} retry_args;

static gboolean retry_fn(lg_store *s, gpointer data, GError **err)
{
	retry_args *a = data;
	sqlite3_stmt *st =
	    prep(s->db,
	         "UPDATE outbox SET next_attempt = ?2, lease_until = 0, last_error = ?3"
	         " WHERE letter_id = ?1",
	         err);
	if (st == NULL)
		return FALSE;
	bind_text(st, 1, a->id);
	sqlite3_bind_int64(st, 2, a->next_attempt);
	bind_text(st, 3, a->error);
	return step_done(s, st, "outbox retry", err);
}

gboolean store_outbox_retry(lg_store *s, const char *id, gint64 next_attempt, const char *error,
                            GError **err)
{
	retry_args a = {id, next_attempt, error};
	return group_write(s, retry_fn, &a, err);
}

gboolean store_outbox_release_all(lg_store *s, GError **err)
{
	gboolean ok;
	g_mutex_lock(&s->lock);
	ok = exec(s->db, "UPDATE outbox SET lease_until = 0 WHERE lease_until > 0", err);
	g_mutex_unlock(&s->lock);
	return ok;
}

static int count_query(lg_store *s, const char *sql, const char *a, const char *b, gint64 since,
                       const char *c, GError **err)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1, rc;
	db = rd_lock(s);
	st = prep(db, sql, err);
	if (st == NULL)
		goto out;
	bind_text(st, 1, a);
	bind_text(st, 2, b);
	sqlite3_bind_int64(st, 3, since);
	bind_text(st, 4, c);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else
		set_db_error(err, db, rc, "count");
out:
	unprep(st);
	rd_unlock(s, db);
	return n;
}

int store_outbox_pending(lg_store *s, GError **err)
{
	return count_query(s,
	                   "SELECT count(*) FROM outbox WHERE ?1 IS NULL AND ?2 IS NULL AND"
	                   " ?3 >= 0 AND ?4 IS NULL",
	                   NULL, NULL, 0, NULL, err);
}

int store_count_letters(lg_store *s, const char *writer, const char *prisoner, gint64 since,
                        GError **err)
{
	return count_query(
	    s,
	    "SELECT count(*) FROM letters WHERE (?1 IS NULL OR writer_addr = ?1) AND"
	    " (?2 IS NULL OR prisoner = ?2) AND created >= ?3 AND state != 'rejected'"
	    " AND ?4 IS NULL",
	    writer, prisoner, since, NULL, err);
}

int store_count_photos(lg_store *s, gint64 since, GError **err)
{
	return count_query(s,
	                   "SELECT coalesce(sum(photos), 0) FROM letters WHERE ?1 IS NULL AND"
	                   " ?2 IS NULL AND created >= ?3 AND state != 'rejected' AND ?4 IS NULL",
	                   NULL, NULL, since, NULL, err);
}

gboolean store_text_sent(lg_store *s, const char *writer, const char *prisoner,
                         const char *text_hash, gint64 since, GError **err)
{
	return count_query(s,
	                   "SELECT count(*) FROM letters WHERE writer_addr = ?1 AND prisoner = ?2"
	                   " AND created >= ?3 AND text_hash = ?4 AND state != 'rejected'",
	                   writer, prisoner, since, text_hash, err) > 0;
}

/* ---- translation cache ---- */

char *store_cache_get(lg_store *s, const char *backend, const char *src, const char *dst,
                      const char *sha256, GError **err)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *text = NULL;
	int rc;
	db = rd_lock(s);
	st = prep(db,
	          "SELECT text FROM translation_cache WHERE backend = ?1 AND src = ?2 AND dst = ?3"
	          " AND sha256 = ?4",
	          err);
	if (st == NULL)
		goto out;
	bind_text(st, 1, backend);
	bind_text(st, 2, src);
	bind_text(st, 3, dst);
	bind_text(st, 4, sha256);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		text = col_text(st, 0);
	else if (rc != SQLITE_DONE)
		set_db_error(err, db, rc, "cache get");
out:
	unprep(st);
	rd_unlock(s, db);
	return text;
}

gboolean store_cache_put(lg_store *s, const char *backend, const char *src, const char *dst,
                         const char *sha256, const char *text, GError **err)
{
	sqlite3_stmt *st;
	gboolean ok = FALSE;
	int rc;
	g_mutex_lock(&s->lock);
	st = prep(
	    s->db,
	    "INSERT OR REPLACE INTO translation_cache(backend, src, dst, sha256, text, created)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	    err);
	if (st == NULL)
		goto out;
	bind_text(st, 1, backend);
	bind_text(st, 2, src);
	bind_text(st, 3, dst);
	bind_text(st, 4, sha256);
	bind_text(st, 5, text);
	sqlite3_bind_int64(st, 6, util_now());
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		set_db_error(err, s->db, rc, "cache put");
	else
		ok = TRUE;
out:
	unprep(st);
	g_mutex_unlock(&s->lock);
	return ok;
}
