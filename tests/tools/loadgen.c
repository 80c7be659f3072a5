/*
 * tests/tools/loadgen.c - SMTP load generator for the load, soak, fault and
 * MTA benchmarks: COUNT unique letters over CONCURRENCY parallel sessions.
 *
 *   loadgen -s HOST:PORT -m COUNT [-c CONC] [-p NPRISONERS] [-P PREFIX]
 *           [-d DOMAIN] [-r RUNID] [-k a|b] [-j JPEG] [-f PDF] [-M PER_CONN]
 *           [-T SECONDS] [-R PER_SECOND] [-I NUMBERS] [-o RESULTS] [-q]
 *
 * Message i (0-based) goes from w<RUNID>.<i>@writers.example.net to
 * <PREFIX><i % NPRISONERS>@<DOMAIN> (PREFIX default "zk.", 5 digits), with
 * Message-Id <lg.<RUNID>.<i>@loadgen.test> and a Russian text unique to
 * (RUNID, i) built from words, never digits (so no phone rule fires).
 * Kind a: a ~2 KB text/plain letter, 8bit UTF-8. Kind b: multipart/mixed
 * with that text, JPEG (-j) and PDF (-f) attachments in base64.
 * -T SECONDS: instead of COUNT messages, send until SECONDS have passed.
 * -I FILE: send only the message numbers listed in FILE (a sender's retry).
 * -R PER_SECOND: pace the whole run to that rate.
 * -M: messages per SMTP connection (default 1: one session per letter).
 *
 * Verdict latency = from sending the final "." to the server's reply.
 * Prints key=value lines: sent ok tempfail reject error elapsed rate
 * p50_ms p99_ms max_ms, then "reply <count> <code> <dsn>" per distinct
 * non-250 reply. -o FILE: one line per message: "<i> <code> <ms>".
 * Exit 0 when every message got an SMTP reply (whatever it was).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *host = "127.0.0.1";
static int port = 25;
static long count = 100, nprisoners = 100, per_conn = 1;
static int conc = 4, quiet;
static double duration, rate_limit;
static const char *prefix = "zk.", *domain = "letters.example.org", *runid = "r";
static char kind = 'a';
static char *jpeg_b64, *pdf_b64;
static FILE *results;
static long *only, n_only; /* -I: the message numbers to send */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static atomic_long next_i;
static atomic_long n_ok, n_temp, n_rej, n_err, n_sent;
static double *lat; /* ms per message, -1 when none */
static long lat_cap;
static double t_start;

#define MAX_REPLIES 64
static struct {
	char key[64];
	long n;
} replies[MAX_REPLIES];
static int n_replies;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *slurp_b64(const char *path)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	FILE *f = fopen(path, "rb");
	unsigned char *d;
	long n, o = 0, col = 0;
	char *out;
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	d = malloc(n + 3);
	if (fread(d, 1, n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	d[n] = d[n + 1] = d[n + 2] = 0;
	out = malloc(n * 2 + 16);
	for (long i = 0; i < n; i += 3) {
		unsigned v = d[i] << 16 | d[i + 1] << 8 | d[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
		if (++col == 19) { /* 76 characters a line */
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
		}
	}
	out[o++] = '\r';
	out[o++] = '\n';
	out[o] = 0;
	free(d);
	return out;
}

/* Words for the unique part; 24 of each, picked by base-24 digits. */
static const char *names[] = {"Анна",   "Борис", "Вера",   "Глеб",  "Дарья", "Егор",
                              "Жанна",  "Зоя",   "Игорь",  "Кира",  "Лев",   "Мила",
                              "Нина",   "Олег",  "Полина", "Роман", "Света", "Тимур",
                              "Ульяна", "Фёдор", "Хельга", "Юлия",  "Яна",   "Савва"};
static const char *cities[] = {"Казани",  "Твери",    "Перми",     "Самары",   "Уфы",  "Омска",
                               "Томска",  "Пскова",   "Рязани",    "Тулы",     "Орла", "Курска",
                               "Вологды", "Костромы", "Ярославля", "Иркутска", "Читы", "Калуги",
                               "Брянска", "Липецка",  "Тамбова",   "Пензы",    "Сочи", "Ижевска"};
static const char *things[] = {"сирень",  "черёмуха", "яблоня", "рябина",  "липа",      "ромашка",
                               "акация",  "вишня",    "слива",  "груша",   "сосна",     "берёза",
                               "ива",     "клён",     "дуб",    "жасмин",  "пион",      "тюльпан",
                               "нарцисс", "ландыш",   "астра",  "георгин", "календула", "мальва"};
static const char *deeds[] = {
    "пекли пироги",     "читали стихи",       "гуляли у реки",     "пели песни",
    "смотрели кино",    "ходили в лес",       "собирали грибы",    "варили варенье",
    "красили забор",    "чинили лодку",       "кормили птиц",      "учили детей",
    "шили платье",      "пилили дрова",       "мыли окна",         "сажали картошку",
    "играли в шахматы", "ездили к бабушке",   "катались на лыжах", "слушали оркестр",
    "рисовали закат",   "строили скворечник", "ловили рыбу",       "пили чай с мёдом"};
static const char *filler[] = {
    "Весна в этом году пришла рано, снег сошёл ещё в начале месяца, и во дворе уже зеленеет трава.",
    "Мы часто вспоминаем вас за ужином и надеемся, что вы здоровы и у вас хватает тёплых вещей.",
    "На работе всё спокойно, коллеги передают вам большой привет и просят держаться.",
    "Дети выросли, старший пошёл в школу и очень гордится своим новым рюкзаком.",
    "Вечерами я читаю книги, которые вы советовали, и думаю о том, как много вы знаете.",
    "Наша собака научилась открывать калитку лапой и теперь гуляет сама, когда захочет.",
    "Соседи начали ремонт, и теперь по утрам у нас стучат молотки, но мы привыкли.",
    "Бабушка передаёт, что молится за вас и печёт ваши любимые пироги с капустой.",
    "Недавно были в театре на спектакле по Чехову, зал был полный, все долго хлопали.",
    "Летом собираемся на дачу, там уже починили крыльцо и посадили новые яблони.",
};

static void letter_text(long i, char *buf, size_t cap)
{
	size_t o = 0;
	unsigned long v = (unsigned long)i;
	const char *a = names[v % 24], *b = cities[v / 24 % 24], *c = things[v / 576 % 24],
	           *d = deeds[v / 13824 % 24], *e = names[v / 331776 % 24];
	o += snprintf(buf + o, cap - o,
	              "Здравствуйте! Это %s, пишу вам из %s.\r\n\r\n"
	              "У нас под окном расцвела %s, а вчера мы с друзьями %s и вспоминали вас. "
	              "%s тоже шлёт привет из %s.\r\n\r\n",
	              a, b, c, d, e, cities[v / 331776 % 24]);
	/* grow to about 2 KB with a rotation of the filler */
	for (int k = 0; k < 10 && o + 200 < cap; k++)
		o += snprintf(buf + o, cap - o, "%s%s", filler[(v + k) % 10],
		              k % 3 == 2 ? "\r\n\r\n" : " ");
	o += snprintf(buf + o, cap - o, "\r\n\r\nОбнимаем, ждём ответа.\r\n%s и %s\r\n", a, e);
}

static int dial(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	inet_pton(AF_INET, host, &sa.sin_addr);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	{
		struct timeval tv = {.tv_sec = 120};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

typedef struct {
	int fd;
	char buf[8192];
	size_t len;
} conn;

static int send_all(conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one (possibly multi-line) reply; returns its code, 0 on error.
 * first: the first line (code, DSN, text), for the reply summary. */
static int reply(conn *c, char *first, size_t cap)
{
	int code = 0, got_first = 0;
	for (;;) {
		char *nl;
		while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
			ssize_t r;
			if (c->len == sizeof(c->buf))
				c->len = 0; /* absurd line: drop it */
			r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
			if (r <= 0)
				return 0;
			c->len += (size_t)r;
		}
		{
			size_t l = (size_t)(nl - c->buf) + 1;
			if (l < 4)
				return 0;
			code = atoi(c->buf);
			if (!got_first && first) {
				size_t k = l - 1 < cap - 1 ? l - 1 : cap - 1;
				memcpy(first, c->buf, k);
				first[k] = 0;
				if (k && first[k - 1] == '\r')
					first[k - 1] = 0;
				got_first = 1;
			}
			{
				int more = c->buf[3] == '-';
				memmove(c->buf, c->buf + l, c->len - l);
				c->len -= l;
				if (!more)
					return code;
			}
		}
	}
}

static int cmd(conn *c, const char *line, char *first, size_t cap)
{
	if (send_all(c, line, strlen(line)) < 0)
		return 0;
	return reply(c, first, cap);
}

static void note_reply(const char *first)
{
	char key[64];
	/* "451 4.3.0 text..." -> "451 4.3.0" */
	snprintf(key, sizeof(key), "%.9s", first);
	pthread_mutex_lock(&lock);
	for (int k = 0; k < n_replies; k++)
		if (!strcmp(replies[k].key, key)) {
			replies[k].n++;
			pthread_mutex_unlock(&lock);
			return;
		}
	if (n_replies < MAX_REPLIES) {
		strcpy(replies[n_replies].key, key);
		replies[n_replies++].n = 1;
	}
	pthread_mutex_unlock(&lock);
}

static void record(long i, int code, double ms, const char *first)
{
	if (code >= 200 && code < 300)
		atomic_fetch_add(&n_ok, 1);
	else if (code >= 400 && code < 500)
		atomic_fetch_add(&n_temp, 1);
	else if (code >= 500)
		atomic_fetch_add(&n_rej, 1);
	else
		atomic_fetch_add(&n_err, 1);
	if (code != 250)
		note_reply(code ? first : "--- no reply");
	if (i < lat_cap)
		lat[i] = ms;
	if (results) {
		pthread_mutex_lock(&lock);
		fprintf(results, "%ld %d %.3f\n", i, code, ms);
		pthread_mutex_unlock(&lock);
	}
}

static long take(void)
{
	long i = atomic_fetch_add(&next_i, 1);
	if (rate_limit > 0) { /* message i leaves at t_start + i / rate */
		double due = t_start + i / rate_limit, now = now_s();
		if (due > now)
			usleep((useconds_t)((due - now) * 1e6));
	}
	if (duration > 0)
		return now_s() - t_start < duration ? i : -1;
	if (only)
		return i < n_only ? only[i] : -1;
	return i < count ? i : -1;
}

/* Sends message i on c; returns 0 when the connection is still usable. */
static int one_message(conn *c, long i, char *msg, size_t cap)
{
	char line[512], first[512] = "", text[4096];
	int code;
	double t0;
	size_t o = 0;
	snprintf(line, sizeof(line), "MAIL FROM:<w%s.%ld@writers.example.net>\r\n", runid, i);
	code = cmd(c, line, first, sizeof(first));
	if (code != 250) {
		record(i, code, -1, first);
		return code ? 0 : -1;
	}
	snprintf(line, sizeof(line), "RCPT TO:<%s%05ld@%s>\r\n", prefix, i % nprisoners, domain);
	code = cmd(c, line, first, sizeof(first));
	if (code != 250) {
		record(i, code, -1, first);
		if (!code)
			return -1;
		return cmd(c, "RSET\r\n", NULL, 0) == 250 ? 0 : -1;
	}
	code = cmd(c, "DATA\r\n", first, sizeof(first));
	if (code != 354) {
		record(i, code, -1, first);
		if (!code)
			return -1;
		return cmd(c, "RSET\r\n", NULL, 0) == 250 ? 0 : -1;
	}
	letter_text(i, text, sizeof(text));
	o += snprintf(msg + o, cap - o,
	              "From: Writer %ld <w%s.%ld@writers.example.net>\r\n"
	              "To: <%s%05ld@%s>\r\n"
	              "Subject: =?UTF-8?B?0J/QuNGB0YzQvNC+?=\r\n"
	              "Message-Id: <lg.%s.%ld@loadgen.test>\r\n"
	              "Date: Mon, 01 Jan 2024 12:00:00 +0000\r\n"
	              "MIME-Version: 1.0\r\n",
	              i, runid, i, prefix, i % nprisoners, domain, runid, i);
	if (kind == 'a') {
		o += snprintf(msg + o, cap - o,
		              "Content-Type: text/plain; charset=utf-8\r\n"
		              "Content-Transfer-Encoding: 8bit\r\n\r\n%s",
		              text);
	} else {
		o += snprintf(msg + o, cap - o,
		              "Content-Type: multipart/mixed; boundary=\"=-lgb-%ld\"\r\n\r\n"
		              "--=-lgb-%ld\r\nContent-Type: text/plain; charset=utf-8\r\n"
		              "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
		              i, i, text);
		if (jpeg_b64)
			o += snprintf(
			    msg + o, cap - o,
			    "--=-lgb-%ld\r\nContent-Type: image/jpeg; name=\"photo.jpg\"\r\n"
			    "Content-Disposition: attachment; filename=\"photo.jpg\"\r\n"
			    "Content-Transfer-Encoding: base64\r\n\r\n%s",
			    i, jpeg_b64);
		if (pdf_b64)
			o += snprintf(
			    msg + o, cap - o,
			    "--=-lgb-%ld\r\nContent-Type: application/pdf; name=\"doc.pdf\"\r\n"
			    "Content-Disposition: attachment; filename=\"doc.pdf\"\r\n"
			    "Content-Transfer-Encoding: base64\r\n\r\n%s",
			    i, pdf_b64);
		o += snprintf(msg + o, cap - o, "--=-lgb-%ld--\r\n", i);
	}
	if (send_all(c, msg, o) < 0) {
		record(i, 0, -1, "");
		return -1;
	}
	t0 = now_s();
	code = cmd(c, o >= 2 && msg[o - 1] == '\n' ? ".\r\n" : "\r\n.\r\n", first, sizeof(first));
	record(i, code, code ? (now_s() - t0) * 1000 : -1, first);
	atomic_fetch_add(&n_sent, 1);
	return code ? 0 : -1;
}

static void *worker(void *arg)
{
	size_t cap =
	    64 * 1024 + (jpeg_b64 ? strlen(jpeg_b64) : 0) + (pdf_b64 ? strlen(pdf_b64) : 0);
	char *msg = malloc(cap);
	long i = take();
	(void)arg;
	while (i >= 0) {
		conn c = {.fd = dial()};
		long k = 0;
		if (c.fd < 0 || reply(&c, NULL, 0) != 220 ||
		    cmd(&c, "EHLO loadgen.test\r\n", NULL, 0) != 250) {
			record(i, 0, -1, "");
			if (c.fd >= 0)
				close(c.fd);
			usleep(100000);
			i = take();
			continue;
		}
		while (i >= 0) {
			int bad = one_message(&c, i, msg, cap);
			i = take();
			if (bad || ++k >= per_conn)
				break;
		}
		cmd(&c, "QUIT\r\n", NULL, 0);
		close(c.fd);
	}
	free(msg);
	return NULL;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int opt;
	const char *jpeg = NULL, *pdf = NULL, *out = NULL;
	pthread_t *th;
	double el;
	long n = 0, total;
	double *v;
	while ((opt = getopt(argc, argv, "s:m:c:p:P:d:r:k:j:f:M:T:R:o:I:q")) != -1) {
		switch (opt) {
		case 's': {
			char *colon = strrchr(optarg, ':');
			if (!colon) {
				fprintf(stderr, "loadgen: -s HOST:PORT\n");
				return 2;
			}
			*colon = 0;
			host = optarg;
			port = atoi(colon + 1);
			break;
		}
		case 'm':
			count = atol(optarg);
			break;
		case 'c':
			conc = atoi(optarg);
			break;
		case 'p':
			nprisoners = atol(optarg);
			break;
		case 'P':
			prefix = optarg;
			break;
		case 'd':
			domain = optarg;
			break;
		case 'r':
			runid = optarg;
			break;
		case 'k':
			kind = optarg[0];
			break;
		case 'j':
			jpeg = optarg;
			break;
		case 'f':
			pdf = optarg;
			break;
		case 'M':
			per_conn = atol(optarg);
			break;
		case 'T':
			duration = atof(optarg);
			break;
		case 'R':
			rate_limit = atof(optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'I': {
			FILE *f = fopen(optarg, "r");
			long idx, cap = 1024;
			if (!f) {
				perror(optarg);
				return 2;
			}
			only = malloc(sizeof(long) * cap);
			while (fscanf(f, "%ld", &idx) == 1) {
				if (n_only == cap)
					only = realloc(only, sizeof(long) * (cap *= 2));
				only[n_only++] = idx;
			}
			fclose(f);
			break;
		}
		case 'q':
			quiet = 1;
			break;
		default:
			fprintf(stderr,
			        "usage: see the comment at the top of tests/tools/loadgen.c\n");
			return 2;
		}
	}
	if (jpeg)
		jpeg_b64 = slurp_b64(jpeg);
	if (pdf)
		pdf_b64 = slurp_b64(pdf);
	if (out && !(results = fopen(out, "w"))) {
		perror(out);
		return 2;
	}
	if (only) {
		count = 0;
		for (long k = 0; k < n_only; k++)
			if (only[k] + 1 > count)
				count = only[k] + 1;
	}
	lat_cap = duration > 0 ? 10000000 : count;
	lat = malloc(sizeof(double) * (size_t)lat_cap);
	for (long i = 0; i < lat_cap; i++)
		lat[i] = -1;
	th = calloc((size_t)conc, sizeof(*th));
	t_start = now_s();
	for (int k = 0; k < conc; k++)
		pthread_create(&th[k], NULL, worker, NULL);
	for (int k = 0; k < conc; k++)
		pthread_join(th[k], NULL);
	el = now_s() - t_start;
	total = only ? count : atomic_load(&next_i);
	if (total > lat_cap)
		total = lat_cap;
	v = malloc(sizeof(double) * (size_t)(total + 1));
	for (long i = 0; i < total; i++)
		if (lat[i] >= 0)
			v[n++] = lat[i];
	qsort(v, (size_t)n, sizeof(double), cmpd);
	printf("sent=%ld\nok=%ld\ntempfail=%ld\nreject=%ld\nerror=%ld\nelapsed=%.3f\nrate=%.1f\n",
	       atomic_load(&n_ok) + atomic_load(&n_temp) + atomic_load(&n_rej) +
	           atomic_load(&n_err),
	       atomic_load(&n_ok), atomic_load(&n_temp), atomic_load(&n_rej), atomic_load(&n_err),
	       el, el > 0 ? atomic_load(&n_ok) / el : 0);
	printf("p50_ms=%.2f\np99_ms=%.2f\nmax_ms=%.2f\n", n ? v[n / 2] : 0,
	       n ? v[(long)(n * 0.99) < n ? (long)(n * 0.99) : n - 1] : 0, n ? v[n - 1] : 0);
	for (int k = 0; k < n_replies; k++)
		printf("reply %ld %s\n", replies[k].n, replies[k].key);
	if (results)
		fclose(results);
	fflush(stdout);
	free(v);
	free(lat);
	free(th);
	free(only);
	free(jpeg_b64);
	free(pdf_b64);
	(void)quiet;
	return atomic_load(&n_err) ? 1 : 0;
}
