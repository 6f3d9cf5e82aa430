/* The server's connections: accept (evicting, when full, the oldest that
 * has not passed its head), the head and body bounds, the routes, and the
 * main loop.  The main process never blocks on a job or a slow client. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "http.h"
#include "io.h"
#include "json.h"
#include "loop.h"
#include "num.h"
#include "spawn.h"
#include "token.h"

#include "guest-agent/agent.h"

struct conn {
	int fd;                 /* -1: slot free */
	struct http_req req;
	long long accepted, deadline;
	int continued;          /* sent 100 Continue */
	int head_ok;            /* route, method and token checked on the head */
	size_t reserved;        /* of bodies_left, for its body */
};

static struct conn conns[CONNS_MAX];
/* The workers; done: its job is over, it only sends the result now.  A
 * worker says so on the done pipe (its pid, one atomic write) before it
 * sends the result, so a client that has the result finds the slot free.
 * The pipe is drained before any worker is reaped: no word of a reaped
 * worker is left to be taken for a new one with its pid. */
static struct worker {
	pid_t pid;
	int done;
} workers[WORKERS_MAX];
static int nworkers;
static int donefd[2] = { -1, -1 };
static int lfd = -1, stopping;
static int restored;	/* from a snapshot, and not rekeyed yet */
static struct loop loop;
static size_t bodies_left = BODIES_MAX;
static long long stop_deadline;

/* ---- replies from the main loop ---- */

/* Small replies on a non-blocking socket: a client that does not read
 * them loses them; the loop never waits. */
static void
reply(struct conn *c, int status, struct buf *body, const char *extra)
{
	if (http_respond(c->fd, status, "application/json", body->p,
	    body->len, extra) < 0 && errno != EPIPE && errno != ECONNRESET)
		err_warnsys("unable to reply to a client");
}

static void
reply_error(struct conn *c, int status, const char *msg, int with_langs)
{
	struct buf b = { 0 };

	buf_adds(&b, "{\"error\":");
	json_esc(&b, msg, strlen(msg));
	if (with_langs) {
		buf_adds(&b, ",\"languages\":[");
		for (int i = 0; i < nlangs; i++) {
			if (i)
				buf_adds(&b, ",");
			json_esc(&b, langs[i].name, strlen(langs[i].name));
		}
		buf_adds(&b, "]");
	}
	buf_adds(&b, "}\n");
	reply(c, status, &b, status == 401 ? "WWW-Authenticate: Bearer\r\n" :
	    status == 429 ? "Retry-After: 1\r\n" : NULL);
	buf_free(&b);
}

/* The request's body as JSON: 0, or -1 after answering 400. */
static int
body_parse(struct conn *c, struct json_doc *d)
{
	if (json_parse(d, c->req.body, c->req.body_len, JSON_NODES_MAX) == 0)
		return 0;
	reply_error(c, 400, errno == ENOMEM ? "out of memory" :
	    "the body is not valid JSON within bounds", 0);
	return -1;
}

/* The jobs still running, after what the done pipe says. */
static int
jobs_running(void)
{
	pid_t p[64];
	ssize_t r;
	int n = 0;

	while ((r = read(donefd[0], p, sizeof p)) > 0)
		for (size_t k = 0; k < (size_t)r / sizeof p[0]; k++)
			for (int i = 0; i < nworkers; i++)
				if (workers[i].pid == p[k])
					workers[i].done = 1;
	for (int i = 0; i < nworkers; i++)
		n += !workers[i].done;
	return n;
}

/* In a worker: its job is over (see struct worker). */
void
server_job_done(void)
{
	pid_t p = getpid();

	if (write(donefd[1], &p, sizeof p) < 0)
		err_warnsys("unable to free the job slot");
}

static void
do_health(struct conn *c)
{
	struct buf b = { 0 };

	buf_addf(&b, "{\"status\":\"ok\",\"version\":\"%s\",\"languages\":[",
	    AGENT_VERSION);
	for (int i = 0; i < nlangs; i++) {
		buf_adds(&b, i ? ",{\"name\":" : "{\"name\":");
		json_esc(&b, langs[i].name, strlen(langs[i].name));
		buf_adds(&b, ",\"version\":");
		json_esc(&b, langs[i].version, strlen(langs[i].version));
		buf_adds(&b, "}");
	}
	buf_addf(&b, "],\"jobs\":%d,\"max_jobs\":%d}\n", jobs_running(),
	    maxjobs);
	reply(c, 200, &b, NULL);
	buf_free(&b);
}

static void
stop(void)
{
	if (stopping)
		return;
	stopping = 1;
	stop_deadline = clock_ms() + GRACE_MS + 5000;
	close(lfd);
	lfd = -1;
	for (int i = 0; i < nworkers; i++)
		kill(workers[i].pid, SIGTERM);
}

static void
do_shutdown(struct conn *c)
{
	struct buf b = { 0 };

	buf_adds(&b, "{\"status\":\"stopping\"}\n");
	reply(c, 200, &b, NULL);
	buf_free(&b);
	err_info("shutdown requested");
	stop();
}

/* POST /rekey: a token, entropy and (restored) the time of its own. */
static void
do_rekey(struct conn *c)
{
	struct json_doc d;
	struct buf b = { 0 };
	const char *e;
	int st;

	if (body_parse(c, &d) < 0)
		return;
	if ((e = rekey(d.root, restored, &st))) {
		reply_error(c, st, e, 0);
	} else {
		restored = 0;
		buf_adds(&b, "{\"status\":\"rekeyed\"}\n");
		reply(c, 200, &b, NULL);
		buf_free(&b);
	}
	json_doc_free(&d);
}

/* Fork a worker (a copy of us, fn(arg)) for c, counted against -j: 0, or
 * -1 after answering.  reset: default signals and mask in it (lib/spawn),
 * for a worker with no loop of its own. */
static int
worker_start(struct conn *c, int (*fn)(void *), void *arg, int reset)
{
	struct spawn sp = { .fn = fn, .arg = arg, .dirfd = -1,
	    .flags = reset ? 0 : SPAWN_NORESET, .fd = { SPAWN_KEEP, SPAWN_KEEP,
	    SPAWN_KEEP } };
	struct spawn_run run;

	if (jobs_running() >= maxjobs || nworkers == WORKERS_MAX) {
		reply_error(c, 429, "busy: all job slots are in use", 0);
		return -1;
	}
	/* A child that failed before it ran is reaped with the others. */
	if (spawn_start(&sp, &run) < 0) {
		err_warnsys("unable to %s a worker", spawn_what(run.step));
		reply_error(c, 503, "unable to fork", 0);
		return -1;
	}
	workers[nworkers++] = (struct worker){ run.pid, 0 };
	return 0;
}

static void
do_exec(struct conn *c)
{
	struct json_doc d;
	struct job j;
	struct work w = { .cfd = c->fd, .job = &j };
	const char *e;
	int with_langs = 0;

	if (body_parse(c, &d) < 0)
		return;
	if ((e = job_parse(d.root, &j, &with_langs))) {
		reply_error(c, 400, e, with_langs);
		goto out;
	}
	w.restlen = http_req_rest(&c->req, &w.rest);
	/* The worker is a copy of us that runs the job for c. */
	worker_start(c, worker, &w, 0);
out:
	job_free(&j);
	json_doc_free(&d);
}

/* GET /files?path=ABS[&max=N], PUT /files?path=ABSDIR: a worker sends
 * or extracts the tar; a PUT's body is its, past what came with the
 * head. */
static void
do_files(struct conn *c)
{
	static struct files f;
	const char *e;
	char max[24];
	long long n = FILES_MAX;

	memset(&f, 0, sizeof f);
	if (http_query(c->req.target, "path", f.path, sizeof f.path) < 0 ||
	    f.path[0] != '/') {
		reply_error(c, 400, "path is missing, or not absolute", 0);
		return;
	}
	if (http_query(c->req.target, "max", max, sizeof max) >= 0 &&
	    num_parse(max, 1, FILES_BOUND, &n) < 0) {
		reply_error(c, 400, "max is not an integer in 1..2^40", 0);
		return;
	}
	f.cfd = c->fd;
	f.max = n;
	f.clen = c->req.body_len;
	f.rest = c->req.in.p + c->req.head_len;
	f.restlen = c->req.in.len - c->req.head_len;
	if (!f.restlen && f.clen && (e = http_req_header(&c->req, "Expect")) &&
	    !strcasecmp(e, "100-continue"))
		io_writeall(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	worker_start(c, c->req.method[0] == 'G' ? files_get : files_put, &f,
	    1);
}

/* stream: fn runs once the head is in, and the body is not kept. */
static const struct route {
	const char *method, *path;
	int auth, stream;
	void (*fn)(struct conn *);
} routes[] = {
	{ "GET", "/health", 0, 0, do_health },
	{ "POST", "/exec", 1, 0, do_exec },
	{ "POST", "/shutdown", 1, 0, do_shutdown },
	{ "GET", "/files", 1, 0, do_files },
	{ "PUT", "/files", 1, 1, do_files },
	{ "POST", "/rekey", 1, 0, do_rekey },
};

/* "Bearer TOKEN", compared in constant time (lib/token). */
static int
token_ok(const char *auth)
{
	if (!auth || strncmp(auth, "Bearer ", 7))
		return 0;
	return token_eq(token, auth + 7, strlen(auth + 7));
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	bodies_left += c->reserved;
	c->reserved = 0;
	http_req_free(&c->req);
}

/* The route of the path and method, else the first of the path. */
static const struct route *
route_find(const struct http_req *r)
{
	const char *q = strchr(r->target, '?');
	size_t len = q ? (size_t)(q - r->target) : strlen(r->target);
	const struct route *found = NULL;

	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
		if (strlen(routes[i].path) == len &&
		    !memcmp(routes[i].path, r->target, len)) {
			if (!strcmp(routes[i].method, r->method))
				return &routes[i];
			if (!found)
				found = &routes[i];
		}
	return found;
}

/* The head is in: answer what it alone decides (no such path, no token,
 * the wrong method, no room for the body) before a byte of the body is
 * kept.  0 to go on reading, -1 after answering. */
static int
head_check(struct conn *c)
{
	const struct route *rt = route_find(&c->req);

	if (!rt)
		reply_error(c, 404, "no such path", 0);
	else if (rt->auth && token[0] &&
	    !token_ok(http_req_header(&c->req, "Authorization")))
		reply_error(c, 401, "a valid bearer token is required", 0);
	else if (strcmp(c->req.method, rt->method))
		reply_error(c, 405, "method not allowed", 0);
	else if (restored && rt->auth && rt->fn != do_rekey)
		reply_error(c, 409, "restored from a snapshot: the agent must "
		    "be rekeyed first", 0);
	else if (!rt->stream && c->req.body_len > BODY_MAX)
		reply_error(c, 413, http_reason(413), 0);
	else if (!rt->stream && c->req.body_len > bodies_left) {
		struct buf b = { 0 };
		buf_adds(&b, "{\"error\":\"busy: other requests' bodies fill "
		    "the agent's memory for them\"}\n");
		reply(c, 503, &b, "Retry-After: 1\r\n");
		buf_free(&b);
	} else {
		c->head_ok = 1;
		c->reserved = rt->stream ? 0 : c->req.body_len;
		bodies_left -= c->reserved;
		c->deadline = c->accepted + REQ_TIMEOUT_MS;
		return 0;
	}
	return -1;
}

static void
dispatch(struct conn *c)
{
	if (stopping)
		reply_error(c, 503, "shutting down", 0);
	else
		route_find(&c->req)->fn(c);
}

static void
conn_read(struct conn *c)
{
	char chunk[65536];
	ssize_t n = read(c->fd, chunk, sizeof chunk);
	const char *ex;
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	r = http_req_feed(&c->req, chunk, n);
	if (r < 0) {
		reply_error(c, c->req.status, http_reason(c->req.status), 0);
		conn_close(c);
	} else if (c->req.head_len && !c->head_ok && head_check(c) < 0) {
		conn_close(c);
	} else if (r > 0 || (c->head_ok && route_find(&c->req)->stream)) {
		dispatch(c);
		conn_close(c);
	} else if (c->req.head_len && !c->continued &&
	    (ex = http_req_header(&c->req, "Expect")) &&
	    !strcasecmp(ex, "100-continue")) {
		c->continued = 1;
		io_writeall(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
}

static void
conn_accept(void)
{
	struct conn *c = NULL;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int free_slot;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			err_warnsys("unable to accept a connection");
		return;
	}
	for (int i = 0; i < CONNS_MAX && !c; i++)
		if (conns[i].fd < 0)
			c = &conns[i];
	free_slot = c != NULL;
	/* Full: a connection whose head did not pass yet (idle, or without
	 * the token) makes room, the oldest first, so such clients never
	 * keep an authenticated one out. */
	for (int i = 0; i < CONNS_MAX && !free_slot; i++)
		if (!conns[i].head_ok && (!c || conns[i].accepted < c->accepted))
			c = &conns[i];
	if (c && !free_slot)
		conn_close(c);
	if (!c) {
		struct conn tmp = { .fd = fd };
		reply_error(&tmp, 503, "too many connections", 0);
		close(fd);
		return;
	}
	c->fd = fd;
	c->accepted = clock_ms();
	c->deadline = c->accepted + HEAD_TIMEOUT_MS;
	c->continued = c->head_ok = 0;
	/* Past BODY_MAX only for a route that streams its body (the head
	 * decides: head_check). */
	http_req_init(&c->req, HTTP_HEAD_MAX, FILES_MAX);
}

/* SIGHUP: lib/sigfd blocks it for the loop, but the agent never handled
 * it; it ends the process, as its default action always did (and, as for
 * any signal, not PID 1). */
void
sig_default(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	signal(sig, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

/* The signals that came: TERM and INT stop us; then reap the workers. */
static void
reap(void)
{
	int sig, st;
	pid_t p;

	while ((sig = loop_signal(&loop)))
		switch (sig) {
		case SIGTERM:
		case SIGINT:
			stop();
			break;
		case SIGHUP:
			sig_default(sig);
			break;
		}
	jobs_running();		/* drain the done pipe first */
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		for (int i = 0; i < nworkers; i++)
			if (workers[i].pid == p) {
				workers[i] = workers[--nworkers];
				break;
			}
}

/* Serve until stopped and the workers are gone (or the grace for them
 * is over). */
void
server_loop(void)
{
	struct loop *l = &loop;

	for (;;) {
		int li = -1, k;

		loop_begin(l);
		if (stopping && (nworkers == 0 || l->now >= stop_deadline))
			break;
		if (stopping)
			loop_wake(l, stop_deadline);
		if (lfd >= 0)
			li = xloop_add(l, lfd, POLLIN, NULL);
		k = (int)l->n;
		for (int i = 0; i < CONNS_MAX; i++) {
			struct conn *c = &conns[i];
			if (c->fd < 0)
				continue;
			if (l->now >= c->deadline) {
				reply_error(c, 408, "request timeout", 0);
				conn_close(c);
				continue;
			}
			loop_wake(l, c->deadline);
			xloop_add(l, c->fd, POLLIN, c);
		}
		if (loop_wait(l) < 0)
			err_diesys(EX_SYS, "unable to poll");
		if (loop_rev(l, 0))
			reap();
		if (loop_rev(l, li))
			conn_accept();
		/* A slot accept refilled takes its old entry's events: a
		 * read then finds nothing yet. */
		for (int i = 0; i < CONNS_MAX; i++)
			if (loop_take(l, &k, &conns[i]) && conns[i].fd >= 0)
				conn_read(&conns[i]);
	}
	for (int i = 0; i < CONNS_MAX; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
}

/* Listen, with the signals (lib/sigfd's) coming to the loop; then, with
 * snapshot (-S), the snapshot point. */
void
server_start(const char *listen, int snapshot)
{
	char where[128];

	for (int i = 0; i < CONNS_MAX; i++)
		conns[i].fd = -1;
	if (loop_init(&loop, LOOP_SIGNALS) < 0)
		err_diesys(EX_SYS, "unable to create a signalfd");
	/* Orphans of a worker that died come to us, not to init. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe2(donefd, O_CLOEXEC | O_NONBLOCK) < 0)
		err_diesys(EX_SYS, "unable to create a pipe");
	if ((lfd = http_listen(listen, 64)) < 0)
		err_diesys(EX_SYS, "unable to listen on %s", listen);
	if (http_sockname(lfd, where, sizeof where) < 0)
		err_diesys(EX_SYS, "unable to read the address of %s", listen);
	err_info("listening on %s", where);
	if (snapshot && (restored = snapshot_point()))
		err_info("restored from a snapshot: waiting for POST /rekey");
}

/* In a worker: what the main loop holds is not its own, but for keep. */
void
server_leave(int keep)
{
	for (int i = 0; i < CONNS_MAX; i++)
		if (conns[i].fd >= 0 && conns[i].fd != keep)
			close(conns[i].fd);
	close(donefd[0]);
	close(lfd);
	loop_free(&loop);
}
