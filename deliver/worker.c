/* deliver/worker.c - see worker.h. */
#include "deliver/worker.h"

#include <pthread.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cpuload.h"
#include "common/log.h"
#include "common/util.h"
#include "deliver/backoff.h"
#include "deliver/notify.h"
#include "store/retention.h"

#define BATCH 16
/* how often a yielding thread looks whether the SMTP sessions are done */
#define YIELD_POLL_MS 50
/* a message ended this recently: the sessions are still in a spell */
#define YIELD_RECENT_MS 1000
/* a CPU sample older than this says nothing about now: measure again (a
 * window must not reach back into the quiet before a burst) */
#define YIELD_STALE_MS 400
/* ticks (1/100 s) per CPU a window needs before its idle share is believed:
 * /proc/stat rounds each of its ten fields down to a tick, so a window of a
 * few ticks can read 28% idle on CPUs a busy loop keeps full (seen in
 * t-deliver-yield); at 20 a CPU (0.2 s) the rounding is a few percent */
#define YIELD_MIN_TICKS_PER_CPU 20

/* SMTP messages in progress; *last_end the g_get_monotonic_time() at which
 * the last one ended (0: none yet) */
typedef gboolean (*busy_fn)(gint64 *last_end);

struct lg_worker {
	lg_config *cfg;
	lg_store *st;
	GThread **threads;
	lg_partner **partners;
	int n;
	GMutex lock;
	GCond cond;
	gboolean stop;
	gboolean kicked;
	int idle;          /* threads in the idle wait: the only ones a kick wakes */
	busy_fn busy;      /* NULL: never busy */
	clockid_t *clocks; /* each delivery thread's CPU clock, set when it starts */
	gboolean *clock_set;
	gboolean cpu_ok; /* /proc/stat readable (checked at start) */
};

static void deliver_one(const lg_config *cfg, lg_store *st, lg_partner *partner, lg_letter_rec *r)
{
	GError *e = NULL;
	lg_prisoner *pr = store_prisoner_get(st, r->prisoner, &e);
	char *ref = NULL, *error = NULL;
	gint64 retry_after = 0;
	lg_deliver_status ds;

	if (e) {
		lg_warn("letter %s: database: %s", r->id, e->message);
		g_clear_error(&e);
		store_outbox_retry(st, r->id, util_now() + cfg->retry_base_seconds, "database",
		                   NULL);
		return;
	}
	if (pr == NULL || strcmp(pr->status, "active") != 0) {
		const char *why = pr ? pr->status : "unknown prisoner";
		char *reason = g_strdup_printf("prisoner %s", why);
		lg_info("letter %s: not delivered: %s", r->id, reason);
		if (!store_outbox_done(st, r->id, "failed", NULL, reason, &e)) {
			lg_warn("letter %s: database: %s", r->id, e->message);
			g_clear_error(&e);
		} else {
			notify_letter_state(cfg, st, r->id, "failed", reason);
		}
		g_free(reason);
		prisoner_free(pr);
		return;
	}
	ds = partner_deliver(partner, r, pr, &ref, &retry_after, &error);
	if (ds == LG_DELIVER_OK) {
		if (!store_outbox_done(st, r->id, "sent", ref, NULL, &e)) {
			/* the partner has it; the lease runs out and the idempotent
			 * partner sees the same letter again */
			lg_warn("letter %s: delivered but not marked: %s", r->id, e->message);
			g_clear_error(&e);
		} else {
			lg_info("letter %s: sent to partner, attempt %d", r->id, r->attempts);
		}
	} else if (ds == LG_DELIVER_PERMANENT) {
		lg_warn("letter %s: partner refused: %s", r->id, error ? error : "");
		if (!store_outbox_done(st, r->id, "failed", NULL, error, &e)) {
			lg_warn("letter %s: database: %s", r->id, e->message);
			g_clear_error(&e);
		} else {
			notify_letter_state(cfg, st, r->id, "failed", error);
		}
	} else {
		gboolean give_up = FALSE;
		gint64 now = util_now();
		gint64 when =
		    backoff_next(cfg, r->attempts, r->created, now, retry_after, &give_up);
		if (give_up) {
			lg_warn("letter %s: giving up after %d attempts: %s", r->id, r->attempts,
			        error ? error : "");
			if (store_outbox_done(st, r->id, "failed", NULL, error, NULL))
				notify_letter_state(cfg, st, r->id, "failed", error);
		} else {
			lg_info("letter %s: retry in %" G_GINT64_FORMAT " s: %s", r->id, when - now,
			        error ? error : "");
			store_outbox_retry(st, r->id, when, error, NULL);
		}
	}
	g_free(ref);
	g_free(error);
	prisoner_free(pr);
}

int worker_run_once(const lg_config *cfg, lg_store *st, lg_partner *partner, int max)
{
	GError *e = NULL;
	/* a lease outlives any one hand-over (one partner timeout per letter of
	 * the batch, twice over); a crash frees the letters when it runs out */
	int lease = MAX(60, 2 * (max > 0 ? max : BATCH) * cfg->partner_timeout_ms / 1000);
	GPtrArray *batch = store_outbox_claim(st, max > 0 ? max : BATCH, lease, &e);
	int n;
	if (batch == NULL) {
		lg_warn("outbox: %s", e ? e->message : "claim failed");
		g_clear_error(&e);
		return -1;
	}
	for (guint i = 0; i < batch->len; i++)
		deliver_one(cfg, st, partner, g_ptr_array_index(batch, i));
	n = (int)batch->len;
	g_ptr_array_unref(batch);
	return n;
}

typedef struct {
	lg_worker *w;
	int index;
} thread_arg;

/* Only the first thread resends notifications that failed to go out. */
static gboolean a_index_is_first(const lg_worker *w, const lg_partner *partner)
{
	return w->partners[0] == partner;
}

/* Texts and photos past [retention] days go, without waiting for a cron
 * job: the gateway keeps letters no longer than it says. */
static void retention_run(const lg_config *cfg, lg_store *st)
{
	int letters = 0, photos = 0;
	GError *e = NULL;
	if (cfg->retention_days <= 0)
		return;
	if (!store_purge(st, cfg->retention_days, util_now(), FALSE, &letters, &photos, &e)) {
		lg_warn("retention: purge failed, tried again in %d minutes: %s",
		        cfg->retention_purge_minutes, e->message);
		g_error_free(e);
	} else if (letters > 0) {
		lg_info("retention: texts of %d letters and %d photos older than %d days deleted",
		        letters, photos, cfg->retention_days);
	}
}

gboolean worker_should_yield(gboolean in_progress, gint64 since_end_ms, int idle_percent,
                             int idle_threshold)
{
	if (in_progress)
		return TRUE;
	if (idle_threshold <= 0 || since_end_ms < 0 || since_end_ms >= YIELD_RECENT_MS)
		return FALSE;
	/* Sessions ended a moment ago and may go on: yield while the CPUs are
	 * busy, and for one look when that is not known yet (a poll measures). */
	return idle_percent < idle_threshold;
}

/* CPU time all delivery threads have used so far. Read from their clocks
 * at the moment of looking, so that a window holds exactly the delivery
 * work done inside it (a batch counted when it ends would lend a window
 * more delivery time than it held, making the CPUs look idle). */
static gint64 delivery_cpu_ns(lg_worker *w)
{
	gint64 sum = 0;
	g_mutex_lock(&w->lock);
	for (int i = 0; i < w->n; i++) {
		struct timespec ts;
		if (w->clock_set[i] && clock_gettime(w->clocks[i], &ts) == 0)
			sum += (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	g_mutex_unlock(&w->lock);
	return sum;
}

/* One delivery thread's view of the machine: the CPU sample at the start of
 * its window and the delivery threads' CPU time then. */
typedef struct {
	lg_cpu_sample cpu;
	gint64 own_ns;
} yield_view;

/* Whether to yield now. Reads a CPU sample only when no message is in
 * progress but one ended a moment ago: the gaps of a burst. */
static gboolean must_yield(lg_worker *w, yield_view *v, busy_fn busy)
{
	const lg_config *cfg = w->cfg;
	gint64 last_end = 0, since_end, own_ns, stale = YIELD_STALE_MS * G_TIME_SPAN_MILLISECOND;
	lg_cpu_sample cur;
	int idle = -1;

	if (busy(&last_end))
		return TRUE;
	since_end =
	    last_end > 0 ? (g_get_monotonic_time() - last_end) / G_TIME_SPAN_MILLISECOND : -1;
	/* the CPUs matter only where the rule would yield while they are busy;
	 * elsewhere the window is dropped, so that the first look of the next
	 * spell measures the spell and not the quiet before it */
	if (!w->cpu_ok ||
	    !worker_should_yield(FALSE, since_end, -1, cfg->delivery_yield_idle_percent)) {
		v->cpu.at = 0;
		return FALSE;
	}
	own_ns = delivery_cpu_ns(w);
	if (!cpuload_read(NULL, &cur))
		return FALSE;
	if (v->cpu.at > 0 && cur.at - v->cpu.at < stale)
		idle =
		    cpuload_idle_percent(&v->cpu, &cur, own_ns - v->own_ns,
		                         YIELD_MIN_TICKS_PER_CPU * (guint64)g_get_num_processors());
	if (idle >= 0 || v->cpu.at == 0 || cur.at - v->cpu.at >= stale) {
		/* a new window starts here; one too short to judge grows on */
		v->cpu = cur;
		v->own_ns = own_ns;
	}
	return worker_should_yield(FALSE, since_end, idle, cfg->delivery_yield_idle_percent);
}

static gpointer worker_thread(gpointer data)
{
	thread_arg *a = data;
	lg_worker *w = a->w;
	lg_partner *partner = w->partners[a->index];
	gint64 busy_since = 0; /* start of the busy spell we are yielding to */
	gint64 purge_at = 0;   /* next retention purge (monotonic); first thread only */
	yield_view view = {{0, 0, 0}, 0};
	clockid_t clock;
	if (pthread_getcpuclockid(pthread_self(), &clock) == 0) {
		g_mutex_lock(&w->lock);
		w->clocks[a->index] = clock;
		w->clock_set[a->index] = TRUE;
		g_mutex_unlock(&w->lock);
	}
	g_free(a);
	/* Delivery (PDF rendering, photos, HTTP) can wait; SMTP sessions cannot:
	 * on a busy machine the writers' sessions get the CPU first. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) != 0)
		lg_debug("delivery thread: setpriority failed");
	for (;;) {
		int n;
		busy_fn busy;
		g_mutex_lock(&w->lock);
		if (w->stop) {
			g_mutex_unlock(&w->lock);
			break;
		}
		busy = w->busy;
		g_mutex_unlock(&w->lock);
		if (busy && w->cfg->delivery_yield_seconds > 0 && must_yield(w, &view, busy)) {
			/* SMTP sessions first: wait while they run, but not longer
			 * than yield_seconds of one busy spell */
			gint64 now = g_get_monotonic_time();
			if (busy_since == 0)
				busy_since = now;
			if (now - busy_since <
			    (gint64)w->cfg->delivery_yield_seconds * G_TIME_SPAN_SECOND) {
				g_mutex_lock(&w->lock);
				if (!w->stop)
					g_cond_wait_until(&w->cond, &w->lock,
					                  now + YIELD_POLL_MS *
					                            G_TIME_SPAN_MILLISECOND);
				g_mutex_unlock(&w->lock);
				continue;
			}
		} else {
			busy_since = 0;
		}
		n = worker_run_once(w->cfg, w->st, partner, BATCH);
		if (a_index_is_first(w, partner)) {
			notify_retry_pending(w->cfg, w->st, 50);
			if (w->cfg->retention_purge_minutes > 0 &&
			    g_get_monotonic_time() >= purge_at) {
				retention_run(w->cfg, w->st);
				purge_at = g_get_monotonic_time() +
				           (gint64)w->cfg->retention_purge_minutes * 60 *
				               G_TIME_SPAN_SECOND;
			}
		}
		g_mutex_lock(&w->lock);
		if (!w->stop && n <= 0 && !w->kicked) {
			gint64 until =
			    g_get_monotonic_time() +
			    (gint64)w->cfg->delivery_interval_ms * G_TIME_SPAN_MILLISECOND;
			w->idle++;
			g_cond_wait_until(&w->cond, &w->lock, until);
			w->idle--;
		}
		w->kicked = FALSE;
		g_mutex_unlock(&w->lock);
	}
	return NULL;
}

lg_worker *worker_start(lg_config *cfg, lg_store *st, GError **err)
{
	lg_worker *w = g_new0(lg_worker, 1);
	w->cfg = config_ref(cfg);
	w->st = st;
	w->n = cfg->delivery_workers;
	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	w->threads = g_new0(GThread *, w->n);
	w->clocks = g_new0(clockid_t, w->n);
	w->clock_set = g_new0(gboolean, w->n);
	{
		lg_cpu_sample probe;
		w->cpu_ok = cpuload_read(NULL, &probe);
		if (!w->cpu_ok && cfg->delivery_yield_idle_percent > 0)
			lg_info("delivery: /proc/stat unreadable: yielding only while a message "
			        "is in progress");
	}
	w->partners = g_new0(lg_partner *, w->n);
	for (int i = 0; i < w->n; i++) {
		w->partners[i] = partner_new(cfg, err);
		if (w->partners[i] == NULL) {
			worker_stop(&w);
			return NULL;
		}
	}
	if (!store_outbox_release_all(st, err)) {
		worker_stop(&w);
		return NULL;
	}
	for (int i = 0; i < w->n; i++) {
		thread_arg *a = g_new0(thread_arg, 1);
		a->w = w;
		a->index = i;
		w->threads[i] = g_thread_new("deliver", worker_thread, a);
	}
	return w;
}

void worker_set_busy(lg_worker *w, busy_fn busy)
{
	if (w == NULL)
		return;
	g_mutex_lock(&w->lock);
	w->busy = busy;
	g_mutex_unlock(&w->lock);
}

void worker_kick(lg_worker *w)
{
	if (w == NULL)
		return;
	g_mutex_lock(&w->lock);
	w->kicked = TRUE;
	/* A thread yielding to SMTP sessions looks again within YIELD_POLL_MS
	 * anyway: waking it for every stored letter would only make it check
	 * that the sessions still run (a wakeup per thread per letter). */
	if (w->idle > 0)
		g_cond_broadcast(&w->cond);
	g_mutex_unlock(&w->lock);
}

void worker_stop(lg_worker **pw)
{
	lg_worker *w = *pw;
	*pw = NULL;
	if (w == NULL)
		return;
	g_mutex_lock(&w->lock);
	w->stop = TRUE;
	g_cond_broadcast(&w->cond);
	g_mutex_unlock(&w->lock);
	for (int i = 0; i < w->n; i++)
		if (w->threads[i])
			g_thread_join(w->threads[i]);
	for (int i = 0; i < w->n; i++)
		partner_free(&w->partners[i]);
	g_free(w->threads);
	g_free(w->partners);
	g_free(w->clocks);
	g_free(w->clock_set);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->cond);
	config_unref(&w->cfg);
	g_free(w);
}
