/* ptyd: persistent terminal sessions over HTTP and WebSocket.
 *
 * ptyd listens on a TCP address (127.0.0.1:7681 by default) or a Unix
 * socket, optionally with TLS, and serves:
 *
 *   POST /terminals {cols, rows, command?, cwd?, env?}  201 {"id","pid"}
 *   GET  /terminals                     200 [ session, ... ]
 *   GET  /terminals/ID                  200 session, or with an Upgrade:
 *        a WebSocket: BINARY frames are terminal output (the scrollback
 *        tail, then live), TEXT frames JSON events, last
 *        {"type":"exit","exit_code":N|null,"signal":"SIGX"|null};
 *        from the client BINARY is keyboard input, TEXT is
 *        {"type":"resize","cols":C,"rows":R}.
 *   POST /terminals/ID/resize {cols, rows}, POST /terminals/ID/terminate
 *   GET  /health, GET / and the page's assets (embedded, lib/web_asset.h)
 *
 * Errors are {"error":"..."} with 400/401/403/404/405/409/413/431/503.
 * `ptyd attach URL|socket ID` is the command-line client.  The full
 * contract, close codes and exit codes are in ptyd(1).
 *
 * Invariants:
 * - Every byte a session's PTY produces goes into its ring (--scrollback
 *   bytes), at a global offset.  A client is only an offset into it:
 *   replay and live output are one copy loop, so nothing is lost or
 *   repeated between the two.
 * - While a client is attached, the PTY is read only into ring space that
 *   client has already been sent: a slow client holds the command back
 *   (as a slow terminal would) instead of losing bytes.  Unattached, the
 *   ring keeps the newest bytes.
 * - One live client per session, the newest.  Attaching detaches the old
 *   one at once (close 4001 "preempted" after what it was already sent),
 *   so nothing late from an old connection can reach the session or win.
 * - A session's exit is reported only after its PTY reached EOF and the
 *   client was sent every byte; it is kept until a client was sent the
 *   exit event or --idle-timeout passes.
 * - One thread, one poll loop, no blocking call on a client's behalf.
 */
#include <arpa/inet.h>
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "b64.h"
#include "buf.h"
#include "child.h"
#include "clock.h"
#include "err.h"
#include "http.h"
#include "io.h"
#include "json.h"
#include "num.h"
#include "pgkill.h"
#include "ptyopen.h"
#include "ready.h"
#include "sigfd.h"
#include "tls.h"
#include "token.h"
#include "utf8.h"
#include "web_asset.h"
#include "ws.h"

#define DEFAULT_ADDR "127.0.0.1:7681"
#define BODY_MAX 65536          /* request bodies: 413 beyond */
#define MSG_MAX 65536           /* client WebSocket messages: 1009 beyond */
#define FRAME_OUT_MAX 65536     /* output bytes per BINARY frame */
#define INQ_MAX 65536           /* input held for a PTY that is not reading */
#define OUT_MAX (1 << 20)       /* control replies a client left unread */
#define CONN_MAX 1000
#define DIM_MAX 4096            /* cols and rows: 1 to DIM_MAX */
#define REQ_TIMEOUT_MS 10000    /* a request must arrive whole by then */
#define HEAD_TIMEOUT_MS 5000    /* and its head by then */
#define PEER_PENDING_MAX 64     /* unfinished requests one address may hold */
#define ACCEPT_PAUSE_MS 100     /* out of descriptors: accept again after */
#define LINGER_MS 2000          /* after our close frame, wait for theirs */
#define DRAIN_MS 10000          /* a closing client must take some bytes by then */
#define KILL_GRACE_MS 2000      /* terminate: SIGKILL after this */
#define SAFE_SCAN 4096          /* replay start: look this far for a line */
#define EOF_GRACE_MS 250        /* after the reap, an idle PTY is ended */
#define CLOSE_PREEMPTED 4001
#define CLOSE_GONE 4004

struct session {
	char id[17];
	pid_t pid;
	int ptm;                /* -1 after EOF */
	char *command;
	long long started;      /* Unix time */
	int cols, rows;
	uint8_t *ring;
	uint64_t end;           /* bytes produced; the ring holds the last cap */
	int reaped, eof, wstatus, seen;
	long long exited_ms, kill_at;
	struct conn *live;
	struct buf inq;         /* input not yet taken by the PTY */
	struct session *next;
};

/* C_ROUTE: a request is complete (or bad) and waits for its answer. */
enum { C_HTTP, C_ROUTE, C_WS, C_DONE };

struct conn {
	int fd;
	int state;
	long long accepted;
	unsigned char peer[16]; /* its address (IPv4 in the first 4 bytes) */
	struct tls_conn *tls;
	int tls_want;
	struct http_req req;
	struct buf in;          /* WebSocket bytes not parsed yet */
	size_t inoff;
	struct buf out;
	size_t outoff;
	int rd_eof, wr_shut;
	long long deadline;     /* request timeout, close drain or linger */
	/* WebSocket */
	struct ws_rx rx;
	struct session *s;      /* while live */
	uint64_t off;           /* next byte of s->ring to send */
	long long flush_at;     /* coalescing: send pending bytes by then */
	long long sent_at;      /* when the last output frame was queued */
	int close_sent, exit_sent;
	struct conn *next;
};

static struct session *sessions;
static struct conn *conns;
static int nsessions, nconns;
static size_t scrollback = 1 << 20, flush_bytes = 8192;
static long long flush_ms = 8, idle_ms = 0;
static long long max_sessions = 64;
static const char *default_cmd, *origins, *hosts;
static char *token;
static struct tls_srv *tls;
static int verbose, lsock = -1, sigfd = -1;
static const char *upath;

static void
usage(void)
{
	fprintf(stderr, "usage: ptyd [-l addr:port | -u path] [-c command] "
	    "[-R readyfifo] [-N fd] [--cert pem --key pem] [--token file] "
	    "[--origin list] [--host list] [--scrollback bytes] "
	    "[--flush ms:bytes] "
	    "[--max-sessions n] [--idle-timeout s] [-v]\n"
	    "       ptyd attach [-v] [-k tokenfile] url|socket id\n");
	exit(EX_USAGE);
}

static const char *
signame(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
		[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",
		[SIGUSR2] = "SIGUSR2", [SIGPIPE] = "SIGPIPE",
		[SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
		[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD",
		[SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
		[SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
		[SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",
		[SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
		[SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
		[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR",
		[SIGSYS] = "SIGSYS",
	};
	static char tmp[16];

	if (sig > 0 && sig < (int)(sizeof names / sizeof names[0]) && names[sig])
		return names[sig];
	snprintf(tmp, sizeof tmp, "SIG%d", sig);
	return tmp;
}

/* --- sessions ----------------------------------------------------------- */

static struct session *
session_find(const char *id, size_t n)
{
	for (struct session *s = sessions; s; s = s->next)
		if (strlen(s->id) == n && memcmp(s->id, id, n) == 0)
			return s;
	return NULL;
}

static uint64_t
ring_start(const struct session *s)
{
	return s->end > scrollback ? s->end - scrollback : 0;
}

static uint8_t
ring_at(const struct session *s, uint64_t off)
{
	return s->ring[off % scrollback];
}

/* Where a new client starts: the oldest byte held, moved forward to a safe
 * boundary once the ring has wrapped: just after a newline within
 * SAFE_SCAN bytes (a line start is outside any escape sequence a
 * terminal program writes), else the first byte that starts a UTF-8
 * sequence and is not inside an escape sequence's parameters. */
static uint64_t
replay_start(const struct session *s)
{
	uint64_t o = ring_start(s), lim;

	if (o == 0)
		return 0;
	lim = s->end - o > SAFE_SCAN ? o + SAFE_SCAN : s->end;
	for (uint64_t i = o; i < lim; i++)
		if (ring_at(s, i) == '\n')
			return i + 1;
	for (uint64_t i = o; i < lim; i++) {
		uint8_t c = ring_at(s, i);
		if ((c & 0xc0) == 0x80 || (c >= 0x20 && c < 0x40))
			continue; /* continuation byte, or CSI parameter */
		return i;
	}
	return lim;
}

static void
session_json(struct buf *b, const struct session *s)
{
	buf_addf(b, "{\"id\":\"%s\",\"pid\":%ld,\"command\":", s->id,
	    (long)s->pid);
	json_esc(b, s->command, strlen(s->command));
	buf_addf(b, ",\"started\":%lld,\"cols\":%d,\"rows\":%d,\"attached\":%s,"
	    "\"exited\":%s,", s->started, s->cols, s->rows,
	    s->live ? "true" : "false", s->reaped ? "true" : "false");
	if (s->reaped && WIFEXITED(s->wstatus))
		buf_addf(b, "\"exit_code\":%d,\"signal\":null}",
		    WEXITSTATUS(s->wstatus));
	else if (s->reaped && WIFSIGNALED(s->wstatus))
		buf_addf(b, "\"exit_code\":null,\"signal\":\"%s\"}",
		    signame(WTERMSIG(s->wstatus)));
	else
		buf_adds(b, "\"exit_code\":null,\"signal\":null}");
}

static void
exit_event(struct buf *b, const struct session *s)
{
	struct buf j = { 0 };

	if (WIFEXITED(s->wstatus))
		buf_addf(&j, "{\"type\":\"exit\",\"exit_code\":%d,\"signal\":null}",
		    WEXITSTATUS(s->wstatus));
	else
		buf_addf(&j, "{\"type\":\"exit\",\"exit_code\":null,"
		    "\"signal\":\"%s\"}", signame(WTERMSIG(s->wstatus)));
	ws_frame(b, WS_TEXT, j.p, j.len);
	buf_free(&j);
}

/* The child side of a spawn: never returns.  A failure is written to the
 * close-on-exec pipe as {stage, errno}; exec success closes it. */
static _Noreturn void
spawn_child(int pts, int ep, char **argv, const struct json *env,
    const char *cwd)
{
	int msg[2];

	setsid();
	if (ioctl(pts, TIOCSCTTY, 0) < 0 || dup2(pts, 0) < 0 ||
	    dup2(pts, 1) < 0 || dup2(pts, 2) < 0 || child_reset() < 0) {
		msg[0] = 0;
		goto fail;
	}
	setenv("TERM", "xterm-256color", 1);
	for (const struct json *v = env ? env->child : NULL; v; v = v->next)
		setenv(v->key, v->s, 1);
	if (cwd && chdir(cwd) < 0) {
		msg[0] = 1;
		goto fail;
	}
	execvp(argv[0], argv);
	msg[0] = 2;
fail:
	msg[1] = errno;
	if (write(ep, msg, sizeof msg) < 0)
		_exit(127);
	_exit(127);
}

/* Start a session.  On failure: NULL, with an HTTP status and a message. */
static struct session *
session_new(int cols, int rows, char **argv, const char *cmdline,
    const struct json *env, const char *cwd, int *status, struct buf *why)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	struct session *s;
	unsigned char rnd[8];
	int ptm, pts, ep[2], msg[2];
	ssize_t n;
	pid_t pid;

	*status = 500;
	if (!(s = calloc(1, sizeof *s)) || !(s->ring = malloc(scrollback)) ||
	    !(s->command = strdup(cmdline))) {
		buf_addf(why, "unable to allocate a session: %s", strerror(errno));
		goto fail;
	}
	if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd) {
		buf_addf(why, "unable to get random bytes: %s", strerror(errno));
		goto fail;
	}
	for (int i = 0; i < 8; i++)
		snprintf(s->id + 2 * i, 3, "%02x", rnd[i]);
	if (pty_open(&ptm, &pts, &ws) < 0) {
		buf_addf(why, "unable to open a pty: %s", strerror(errno));
		goto fail;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		buf_addf(why, "unable to create a pipe: %s", strerror(errno));
		close(ptm), close(pts);
		goto fail;
	}
	if ((pid = fork()) < 0) {
		buf_addf(why, "unable to fork: %s", strerror(errno));
		close(ptm), close(pts), close(ep[0]), close(ep[1]);
		goto fail;
	}
	if (pid == 0) {
		close(ep[0]);
		close(ptm);
		spawn_child(pts, ep[1], argv, env, cwd);
	}
	close(pts);
	close(ep[1]);
	do
		n = read(ep[0], msg, sizeof msg);
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == sizeof msg) {
		/* Reported, not retried: the client asked for this command. */
		static const char *const what[] = { "set up the terminal for",
			"change directory for", "exec" };
		waitpid(pid, NULL, 0);
		close(ptm);
		buf_addf(why, "unable to %s %s: %s", what[msg[0] % 3],
		    msg[0] == 1 ? cwd : argv[0], strerror(msg[1]));
		*status = msg[0] == 0 ? 500 : 400;
		goto fail;
	}
	fcntl(ptm, F_SETFL, O_NONBLOCK);
	s->ptm = ptm;
	s->pid = pid;
	s->cols = cols;
	s->rows = rows;
	s->started = time(NULL);
	s->next = sessions;
	sessions = s;
	nsessions++;
	if (verbose)
		err_info("session %s: started %s, pid %ld", s->id, cmdline,
		    (long)pid);
	return s;
fail:
	if (s) {
		free(s->ring);
		free(s->command);
	}
	free(s);
	return NULL;
}

static void conn_detach(struct conn *c);

static void
session_free(struct session *s)
{
	struct session **pp;

	if (s->live)
		conn_detach(s->live);
	for (pp = &sessions; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	nsessions--;
	if (s->ptm >= 0)
		close(s->ptm);
	if (!s->reaped)
		pg_signal(s->pid, SIGKILL);
	if (verbose)
		err_info("session %s: removed", s->id);
	buf_free(&s->inq);
	free(s->ring);
	free(s->command);
	free(s);
}

/* How many bytes the PTY may be read into now (see the invariants). */
static size_t
session_room(const struct session *s)
{
	if (s->ptm < 0)
		return 0;
	if (!s->live)
		return scrollback;
	return scrollback - (s->end - s->live->off);
}

static void
session_eof(struct session *s)
{
	close(s->ptm);
	s->ptm = -1;
	s->eof = 1;
}

static void
session_read(struct session *s, long long now)
{
	size_t room, at, n;
	ssize_t r;

	while ((room = session_room(s)) > 0) {
		at = s->end % scrollback;
		n = scrollback - at; /* contiguous up to the ring's end */
		if (n > room)
			n = room;
		if (n > 65536)
			n = 65536;
		r = read(s->ptm, s->ring + at, n);
		if (r > 0) {
			struct conn *c = s->live;
			/* Coalescing: at most one frame per flush_ms while
			 * output keeps coming; the first after a pause (an
			 * echoed keystroke) goes at once. */
			if (c && c->off == s->end && !c->flush_at)
				c->flush_at = c->sent_at + flush_ms > now ?
				    c->sent_at + flush_ms : now;
			s->end += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		/* EIO: the last holder of the terminal closed it, and all
		 * it wrote was read (the kernel moves slave output to the
		 * master asynchronously, so an empty read right after the
		 * exit is not the end).  A background process may keep the
		 * terminal open: a PTY still idle EOF_GRACE_MS after the
		 * reap is ended too. */
		if (r == 0 || (r < 0 && errno != EAGAIN) ||
		    (s->reaped && now >= s->exited_ms + EOF_GRACE_MS))
			session_eof(s);
		return;
	}
}

static void
session_write(struct session *s)
{
	ssize_t r;

	if (s->ptm < 0) {
		s->inq.len = 0;
		return;
	}
	if (!s->inq.len)
		return;
	r = write(s->ptm, s->inq.p, s->inq.len);
	if (r > 0) {
		memmove(s->inq.p, s->inq.p + r, s->inq.len - r);
		s->inq.len -= r;
	}
}

static void
reap(long long now)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (struct session *s = sessions; s; s = s->next) {
			if (s->pid != pid || s->reaped)
				continue;
			s->reaped = 1;
			s->wstatus = st;
			s->exited_ms = now;
			if (verbose)
				err_info("session %s: exited, status %d", s->id,
				    status_code(st));
		}
	}
}

/* --- connections -------------------------------------------------------- */

static void
conn_detach(struct conn *c)
{
	if (c->s && c->s->live == c)
		c->s->live = NULL;
	c->s = NULL;
}

static void
conn_close_frame(struct conn *c, int code, const char *reason)
{
	if (c->close_sent)
		return;
	ws_close_frame(&c->out, code, reason);
	c->close_sent = 1;
	c->state = C_DONE; /* from now on, what the client sends is dropped */
	/* Time to take what it was sent and the close frame; once those
	 * are out, LINGER_MS for its reply (conn_finished). */
	c->deadline = clock_ms() + DRAIN_MS;
	conn_detach(c);
}

static void
conn_free(struct conn *c)
{
	struct conn **pp;

	conn_detach(c);
	for (pp = &conns; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	nconns--;
	close(c->fd);
	if (c->tls)
		tls_conn_free(c->tls);
	http_req_free(&c->req);
	ws_rx_free(&c->rx);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void
respond(struct conn *c, int status, const char *ctype, const void *body,
    size_t n, const char *extra)
{
	http_head(&c->out, status, ctype, n, extra);
	buf_add(&c->out, body, n);
	c->state = C_DONE;
	c->deadline = clock_ms() + REQ_TIMEOUT_MS;
}

static void
respond_json(struct conn *c, int status, struct buf *b, const char *extra)
{
	respond(c, status, "application/json", b->p, b->len, extra);
}

static void
respond_err(struct conn *c, int status, const char *msg, const char *extra)
{
	struct buf b = { 0 };

	buf_adds(&b, "{\"error\":");
	json_esc(&b, msg, strlen(msg));
	buf_adds(&b, "}\n");
	if (verbose)
		err_info("%s %s: %d %s", c->req.method ? c->req.method : "-",
		    c->req.target ? c->req.target : "-", status, msg);
	respond_json(c, status, &b, extra);
	buf_free(&b);
}

/* The next word of *p, a list separated by any of sep, and its length
 * in *n; NULL at its end (or for no list). */
static const char *
word_next(const char **p, const char *sep, size_t *n)
{
	const char *w;

	if (!*p)
		return NULL;
	*p += strspn(*p, sep);
	if (!**p)
		return NULL;
	w = *p;
	*n = strcspn(w, sep);
	*p = w + *n;
	return w;
}

/* The token as a bearer header, or as the cookie when a browser says the
 * request comes from ptyd's own page: a page on another port of the same
 * host is "same-site" and gets the cookie sent too (its Origin was refused
 * already; Sec-Fetch-Site covers the requests without one). */
static int
authorized(const struct http_req *r)
{
	const char *a = http_req_header(r, "Authorization"), *ck, *p;
	const char *site = http_req_header(r, "Sec-Fetch-Site");

	if (!token)
		return 1;
	if (a && strncasecmp(a, "Bearer ", 7) == 0)
		return token_eq(token, a + 7, strlen(a + 7));
	if (site && strcasecmp(site, "same-origin") && strcasecmp(site, "none"))
		return 0;
	if ((ck = http_req_header(r, "Cookie"))) {
		size_t n;
		while ((p = word_next(&ck, "; ", &n)))
			if (n >= 11 && strncmp(p, "ptyd_token=", 11) == 0)
				return token_eq(token, p + 11, n - 11);
	}
	return 0;
}

/* s (n bytes) is one of the comma-separated words of list, any case. */
static int
in_list(const char *list, const char *s, size_t n)
{
	const char *w;
	size_t k;

	while ((w = word_next(&list, ",", &k)))
		if (k == n && strncasecmp(w, s, n) == 0)
			return 1;
	return 0;
}

/* The Host asked for is a name ptyd serves as: an IP address (no name, so
 * no DNS rebinding), localhost, or one in --host; any port.  A request
 * without Host (HTTP/1.0, not a browser) passes. */
static int
host_ok(const struct http_req *r)
{
	const char *h = http_req_header(r, "Host"), *colon;
	char name[256];
	unsigned char a[16];
	size_t n;

	if (!h || upath)        /* -u: no browser reaches a Unix socket */
		return 1;
	if (*h == '[') {
		n = strcspn(h + 1, "]");
		if (h[1 + n] != ']' || n >= sizeof name)
			return 0;
		memcpy(name, h + 1, n);
		name[n] = 0;
		return inet_pton(AF_INET6, name, a) == 1;
	}
	colon = strchr(h, ':');
	n = colon ? (size_t)(colon - h) : strlen(h);
	if (n >= sizeof name)
		return 0;
	memcpy(name, h, n);
	name[n] = 0;
	return inet_pton(AF_INET, name, a) == 1 ||
	    strcasecmp(name, "localhost") == 0 || in_list(hosts, name, n);
}

/* Origin: absent (not a browser), in --origin, or, without --origin, the
 * page's own origin (scheme and the Host we were asked as). */
static int
origin_ok(const struct http_req *r)
{
	const char *o = http_req_header(r, "Origin"), *h;
	char self[512];

	if (!o)
		return 1;
	if (origins)
		return in_list(origins, o, strlen(o));
	if (!(h = http_req_header(r, "Host")))
		return 0;
	snprintf(self, sizeof self, "%s://%s", tls ? "https" : "http", h);
	return strcasecmp(self, o) == 0;
}

/* A JSON body that must be an object; NULL after answering 400. */
static const struct json *
body_object(struct conn *c, struct json_doc *d)
{
	if (json_parse(d, c->req.body ? c->req.body : "", c->req.body_len,
	    4096) < 0) {
		struct buf m = { 0 };
		buf_addf(&m, "invalid JSON at byte %zu", d->erroff);
		respond_err(c, 400, m.p, NULL);
		buf_free(&m);
		return NULL;
	}
	if (d->root->type != JSON_OBJ) {
		json_doc_free(d);
		respond_err(c, 400, "the body is not a JSON object", NULL);
		return NULL;
	}
	return d->root;
}

/* cols and rows from o (defaults if absent); -1 after answering 400. */
static int
dims(struct conn *c, const struct json *o, int *cols, int *rows)
{
	static const char *const name[] = { "cols", "rows" };
	int *out[] = { cols, rows };

	for (int i = 0; i < 2; i++) {
		const struct json *v = json_get(o, name[i]);
		long long x;
		if (!v)
			continue;
		if (json_int(v, 1, DIM_MAX, &x) < 0) {
			struct buf m = { 0 };
			buf_addf(&m, "%s must be an integer from 1 to %d",
			    name[i], DIM_MAX);
			if (c)
				respond_err(c, 400, m.p, NULL);
			buf_free(&m);
			return -1;
		}
		*out[i] = x;
	}
	return 0;
}

static void
api_create(struct conn *c)
{
	struct json_doc d;
	const struct json *o, *cmd, *env, *cwd, *v;
	int cols = 80, rows = 24, status, n = 0;
	char *argv[256], *shell[] = { "/bin/sh", "-c", NULL, NULL };
	struct buf why = { 0 }, line = { 0 }, b = { 0 };
	struct session *s;

	if (nsessions >= max_sessions) {
		respond_err(c, 503, "too many sessions (--max-sessions)", NULL);
		return;
	}
	if (!(o = body_object(c, &d)))
		return;
	if (dims(c, o, &cols, &rows) < 0)
		goto out;
	cmd = json_get(o, "command");
	env = json_get(o, "env");
	cwd = json_get(o, "cwd");
	if (cmd && cmd->type == JSON_STR && cmd->len &&
	    strlen(cmd->s) == cmd->len) {
		shell[2] = (char *)cmd->s;
		memcpy(argv, shell, sizeof shell);
		buf_adds(&line, cmd->s);
	} else if (cmd && cmd->type == JSON_ARR && cmd->len > 0 &&
	    cmd->len < 255) {
		for (v = cmd->child; v; v = v->next) {
			if (v->type != JSON_STR || strlen(v->s) != v->len) {
				respond_err(c, 400, "command must be a string "
				    "or an array of strings", NULL);
				goto out;
			}
			argv[n++] = (char *)v->s;
			buf_addf(&line, "%s%s", n > 1 ? " " : "", v->s);
		}
		argv[n] = NULL;
	} else if (cmd && cmd->type != JSON_NULL) {
		respond_err(c, 400, "command must be a string or an array of "
		    "strings", NULL);
		goto out;
	} else {
		shell[2] = (char *)default_cmd;
		memcpy(argv, shell, sizeof shell);
		buf_adds(&line, default_cmd);
	}
	int bad_env = env && env->type != JSON_OBJ && env->type != JSON_NULL;
	if (env && env->type != JSON_OBJ)
		env = NULL;
	for (v = env ? env->child : NULL; v; v = v->next)
		if (v->type != JSON_STR || strlen(v->s) != v->len ||
		    !v->keylen || strlen(v->key) != v->keylen ||
		    strchr(v->key, '='))
			bad_env = 1;
	if (bad_env) {
		respond_err(c, 400, "env must be an object of strings", NULL);
		goto out;
	}
	if (cwd && (cwd->type != JSON_STR || strlen(cwd->s) != cwd->len)) {
		respond_err(c, 400, "cwd must be a string", NULL);
		goto out;
	}
	if (!(s = session_new(cols, rows, argv, line.p ? line.p : "", env,
	    cwd ? cwd->s : NULL, &status, &why))) {
		err_warn("%s", why.p);
		respond_err(c, status, why.p, NULL);
		goto out;
	}
	buf_addf(&b, "{\"id\":\"%s\",\"pid\":%ld}\n", s->id, (long)s->pid);
	respond_json(c, 201, &b, NULL);
out:
	buf_free(&why);
	buf_free(&line);
	buf_free(&b);
	json_doc_free(&d);
}

static void
api_list(struct conn *c)
{
	struct buf b = { 0 };

	buf_adds(&b, "[");
	for (struct session *s = sessions; s; s = s->next) {
		if (s != sessions)
			buf_adds(&b, ",");
		session_json(&b, s);
	}
	buf_adds(&b, "]\n");
	respond_json(c, 200, &b, NULL);
	buf_free(&b);
}

static void
session_resize(struct session *s, int cols, int rows)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	s->cols = cols;
	s->rows = rows;
	if (s->ptm >= 0)
		ioctl(s->ptm, TIOCSWINSZ, &ws);
}

static void
api_resize(struct conn *c, struct session *s)
{
	struct json_doc d;
	const struct json *o;
	int cols = -1, rows = -1;
	struct buf b = { 0 };

	if (!(o = body_object(c, &d)))
		return;
	if (dims(c, o, &cols, &rows) < 0)
		goto out;
	if (cols < 0 || rows < 0) {
		respond_err(c, 400, "cols and rows are required", NULL);
		goto out;
	}
	if (s->eof) {
		respond_err(c, 409, "the session has exited", NULL);
		goto out;
	}
	session_resize(s, cols, rows);
	session_json(&b, s);
	buf_adds(&b, "\n");
	respond_json(c, 200, &b, NULL);
out:
	buf_free(&b);
	json_doc_free(&d);
}

static void
api_terminate(struct conn *c, struct session *s)
{
	struct buf b = { 0 };

	if (s->reaped) {
		respond_err(c, 409, "the session has exited", NULL);
		return;
	}
	/* SIGHUP as a closed terminal would (interactive shells ignore
	 * SIGTERM), SIGTERM for the rest, SIGKILL after a grace. */
	pg_signal(s->pid, SIGHUP);
	pg_signal(s->pid, SIGTERM);
	pg_signal(s->pid, SIGCONT);
	if (!s->kill_at)
		s->kill_at = clock_ms() + KILL_GRACE_MS;
	session_json(&b, s);
	buf_adds(&b, "\n");
	respond_json(c, 202, &b, NULL);
	buf_free(&b);
}

static int
header_has(const struct http_req *r, const char *name, const char *token_)
{
	const char *v = http_req_header(r, name);
	size_t n = strlen(token_);

	while (v && *v) {
		size_t k;
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		k = strcspn(v, ", \t");
		if (k == n && strncasecmp(v, token_, n) == 0)
			return 1;
		v += k;
	}
	return 0;
}

static void
api_attach(struct conn *c, struct session *s)
{
	const char *ver = http_req_header(&c->req, "Sec-WebSocket-Version");
	const char *rest;
	char accept[29];
	size_t n;

	if (strcmp(c->req.method, "GET")) {
		respond_err(c, 405, "a WebSocket upgrade must be a GET", NULL);
		return;
	}
	if (!ver || strcmp(ver, "13")) {
		respond_err(c, 426, "WebSocket version 13 required",
		    "Sec-WebSocket-Version: 13\r\n");
		return;
	}
	if (!header_has(&c->req, "Connection", "upgrade") ||
	    ws_accept_key(http_req_header(&c->req, "Sec-WebSocket-Key"),
	    accept) < 0) {
		respond_err(c, 400, "bad WebSocket handshake", NULL);
		return;
	}
	buf_addf(&c->out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	n = http_req_rest(&c->req, &rest);
	buf_add(&c->in, rest, n);
	c->state = C_WS;
	c->deadline = 0;
	ws_rx_init(&c->rx, 1, MSG_MAX);
	if (s->live) {
		if (verbose)
			err_info("session %s: client fd %d preempted", s->id, s->live->fd);
		conn_close_frame(s->live, CLOSE_PREEMPTED, "preempted");
	}
	s->live = c;
	c->s = s;
	c->off = replay_start(s);
	c->flush_at = 0;
	if (verbose)
		err_info("session %s: client fd %d attached at %llu", s->id, c->fd,
		    (unsigned long long)c->off);
}

static void
serve_asset(struct conn *c, const char *path, size_t n)
{
	const struct web_asset *a;

	if (n == 1)
		path = "/index.html", n = 11;
	for (a = web_assets; a->path; a++) {
		if (strlen(a->path) != n || memcmp(a->path, path, n))
			continue;
		char extra[128];
		snprintf(extra, sizeof extra, "Cache-Control: %s\r\n"
		    "X-Content-Type-Options: nosniff\r\n",
		    strstr(a->type, "html") ? "no-cache" : "max-age=3600");
		respond(c, 200, a->type, a->data, a->len, extra);
		return;
	}
	respond_err(c, 404, "not found", NULL);
}

/* GET /?token=T: set the cookie and send the browser to the clean URL,
 * so the token does not stay in its address bar or history. */
static int
token_login(struct conn *c, const char *q)
{
	const char *p = q;
	char extra[512];
	const char *w;
	size_t k;

	while ((w = word_next(&p, "&", &k))) {
		if (k < 6 || strncmp(w, "token=", 6))
			continue;
		if (!token || !token_eq(token, w + 6, k - 6)) {
			respond_err(c, 401, "wrong token", NULL);
			return 1;
		}
		snprintf(extra, sizeof extra, "Location: /\r\n"
		    "Set-Cookie: ptyd_token=%s; Path=/; HttpOnly; "
		    "SameSite=Strict%s\r\n", token, tls ? "; Secure" : "");
		respond(c, 303, NULL, "", 0, extra);
		return 1;
	}
	return 0;
}

/* Content-Type: application/json, parameters allowed. */
static int
json_type(const struct http_req *r)
{
	const char *v = http_req_header(r, "Content-Type");

	return v && strncasecmp(v, "application/json", 16) == 0 &&
	    (!v[16] || v[16] == ';' || v[16] == ' ');
}

/* What POST /terminals/ID/ACTION does to session ID. */
static const struct {
	const char *path;
	void (*fn)(struct conn *, struct session *);
} acts[] = {
	{ "/resize", api_resize },
	{ "/terminate", api_terminate },
};

static void
route(struct conn *c)
{
	const char *m = c->req.method, *t = c->req.target, *q, *id, *rest;
	int get = !strcmp(m, "GET"),
	    post = !strcmp(m, "POST");
	size_t plen = strcspn(t, "?"), idlen;
	struct session *s;
	struct buf b = { 0 };

	q = t[plen] == '?' ? t + plen + 1 : NULL;
	/* Browsers' doors, on every route: a name that is not ours (DNS
	 * rebinding), a page of another origin (a cross-site request, which
	 * a "simple" POST is without a preflight), a body that is not JSON
	 * (what a form or text/plain POST sends).  No CORS answer at all. */
	if (!host_ok(&c->req)) {
		respond_err(c, 403, "host not allowed", NULL);
		return;
	}
	if (!origin_ok(&c->req)) {
		respond_err(c, 403, "origin not allowed", NULL);
		return;
	}
	if (post && c->req.body_len && !json_type(&c->req)) {
		respond_err(c, 415, "the body must be application/json",
		    NULL);
		return;
	}
	if (plen == 7 && !strncmp(t, "/health", 7)) {
		if (!get) {
			respond_err(c, 405, "method not allowed", NULL);
			return;
		}
		buf_adds(&b, "{\"status\":\"ok\"}\n");
		respond_json(c, 200, &b, NULL);
		buf_free(&b);
		return;
	}
	if (get && plen == 1 && token_login(c, q))
		return;
	if (!authorized(&c->req)) {
		respond_err(c, 401, "missing or wrong token",
		    "WWW-Authenticate: Bearer\r\n");
		return;
	}
	if (plen == 10 && !strncmp(t, "/terminals", 10)) {
		if (post) {
			api_create(c);
			return;
		}
		if (get) {
			api_list(c);
			return;
		}
		respond_err(c, 405, "method not allowed", NULL);
		return;
	}
	if (plen > 11 && !strncmp(t, "/terminals/", 11)) {
		id = t + 11;
		idlen = strcspn(id, "/?");
		rest = id + idlen;
		if (!(s = session_find(id, idlen))) {
			respond_err(c, 404, "no such session", NULL);
			return;
		}
		if (rest == t + plen) {
			if (header_has(&c->req, "Upgrade", "websocket")) {
				api_attach(c, s);
				return;
			}
			if (!get) {
				respond_err(c, 405, "method not allowed",
				    NULL);
				return;
			}
			session_json(&b, s);
			buf_adds(&b, "\n");
			respond_json(c, 200, &b, NULL);
			buf_free(&b);
			return;
		}
		for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
			if ((size_t)(t + plen - rest) != strlen(acts[i].path) ||
			    strncmp(rest, acts[i].path, t + plen - rest))
				continue;
			if (post)
				acts[i].fn(c, s);
			else
				respond_err(c, 405, "method not allowed", NULL);
			return;
		}
		respond_err(c, 404, "not found", NULL);
		return;
	}
	if (get) {
		serve_asset(c, t, plen);
		return;
	}
	respond_err(c, 404, "not found", NULL);
}

/* A control message from the live client. */
static void
ws_control(struct conn *c, const uint8_t *p, size_t n)
{
	struct json_doc d;
	const struct json *ty;
	int cols = -1, rows = -1;
	struct buf e = { 0 };
	const char *err = NULL;

	if (json_parse(&d, (const char *)p, n, 64) < 0) {
		err = "invalid JSON";
	} else {
		if (d.root->type != JSON_OBJ || !(ty = json_get(d.root, "type")) ||
		    ty->type != JSON_STR)
			err = "a control message needs a type";
		else if (strcmp(ty->s, "resize"))
			err = "unknown control message type";
		else if (dims(NULL, d.root, &cols, &rows) < 0 || cols < 0 ||
		    rows < 0)
			err = "resize needs cols and rows from 1 to 4096";
		else if (c->s)
			session_resize(c->s, cols, rows);
		json_doc_free(&d);
	}
	if (err) {
		buf_adds(&e, "{\"type\":\"error\",\"error\":");
		json_esc(&e, err, strlen(err));
		buf_adds(&e, "}");
		ws_frame(&c->out, WS_TEXT, e.p, e.len);
		buf_free(&e);
	}
}

/* Parse what the client sent; stop while the PTY's input queue is full. */
static void
ws_input(struct conn *c)
{
	struct ws_msg m;
	size_t used;
	int r, code;

	while (c->inoff < c->in.len && c->state == C_WS) {
		if (c->s && c->s->inq.len >= INQ_MAX)
			break;
		/* Replies it asked for (pongs, errors) and does not read: it
		 * is not a terminal client. */
		if (c->out.len - c->outoff > OUT_MAX) {
			if (verbose)
				err_info("client fd %d: over %d bytes of replies "
				    "unread: close 1008", c->fd, OUT_MAX);
			conn_close_frame(c, WS_POLICY, "replies not read");
			break;
		}
		r = ws_rx_feed(&c->rx, (uint8_t *)c->in.p + c->inoff,
		    c->in.len - c->inoff, &used, &m);
		c->inoff += used;
		if (r < 0) {
			if (verbose)
				err_info("client protocol error: close %d",
				    c->rx.close_code);
			conn_close_frame(c, c->rx.close_code, "protocol error");
			c->state = C_DONE;
			break;
		}
		if (r == 0)
			break;
		switch (m.op) {
		case WS_BINARY:
			if (c->s && c->s->ptm >= 0)
				buf_add(&c->s->inq, m.data, m.len);
			break;
		case WS_TEXT:
			ws_control(c, m.data, m.len);
			break;
		case WS_PING:
			if (!c->close_sent)
				ws_frame(&c->out, WS_PONG, m.data, m.len);
			break;
		case WS_CLOSE:
			code = ws_close_code(m.data, m.len);
			if (code < 0)
				conn_close_frame(c, WS_PROTOCOL, "bad close");
			else
				conn_close_frame(c, code == 1005 ? WS_NORMAL :
				    code, "");
			c->state = C_DONE;
			c->rd_eof = 1; /* the handshake is complete */
			break;
		}
	}
	if (c->inoff == c->in.len || c->state != C_WS)
		c->in.len = c->inoff = 0;
}

/* Give the live client its next frame of output, or the exit. */
static void
ws_pump(struct conn *c, long long now)
{
	struct session *s = c->s;
	uint64_t avail;
	size_t n, at, k;
	uint8_t h[14];

	if (c->state != C_WS || !s || s->live != c || c->close_sent)
		return;
	if (c->out.len - c->outoff >= FRAME_OUT_MAX)
		return;
	avail = s->end - c->off;
	if (avail) {
		if (avail < flush_bytes && c->flush_at > now &&
		    !s->eof)
			return;
		n = avail > FRAME_OUT_MAX ? FRAME_OUT_MAX : avail;
		buf_add(&c->out, h, ws_frame_head(h, WS_BINARY, 1, n, NULL));
		at = c->off % scrollback;
		k = scrollback - at < n ? scrollback - at : n;
		buf_add(&c->out, s->ring + at, k);
		buf_add(&c->out, s->ring, n - k);
		c->off += n;
		c->flush_at = 0;
		c->sent_at = now;
		if (c->off != s->end)
			return;
	}
	/* The exit right behind the last output: once a TLS flush has
	 * taken that output, nothing may wake us for another pump. */
	if (s->eof && s->reaped && !c->exit_sent) {
		exit_event(&c->out, s);
		c->exit_sent = 1;
	}
}

/* What the client sent, to its session (or our answers). */
static void
conn_input(struct conn *c)
{
	if (c->state == C_WS || c->in.len) {
		ws_input(c);
		if (c->s)
			session_write(c->s);
	}
}

/* Request bytes: once the head is in, the rest of REQ_TIMEOUT_MS for the
 * body (HEAD_TIMEOUT_MS was the head's); complete or bad: C_ROUTE. */
static void
req_feed(struct conn *c, const char *p, size_t n)
{
	int had_head = c->req.head_len != 0;

	if (http_req_feed(&c->req, p, n) != 0)
		c->state = C_ROUTE;
	if (!had_head && c->req.head_len)
		c->deadline = c->accepted + REQ_TIMEOUT_MS;
}

/* What c may take in now, the same for plain and TLS: a WebSocket holds
 * at most MSG_MAX bytes not parsed yet (ws_input stops while its session's
 * input queue is full, and while c has more unread replies than OUT_MAX),
 * so a client is read only as fast as its session takes the input. */
static size_t
in_room(const struct conn *c)
{
	size_t held = c->in.len - c->inoff;

	if (c->rd_eof || c->out.len - c->outoff > OUT_MAX)
		return 0;
	if (c->state != C_WS)
		return 16384;
	return held < MSG_MAX ? MSG_MAX - held : 0;
}

/* Move bytes between the socket and in/out.  -1: the connection is gone. */
static int
conn_io(struct conn *c, short rev)
{
	char tmp[16384];
	ssize_t r;
	size_t used = 0;
	int moved = 0;          /* bytes went into the socket */

	if (c->tls) {
		struct buf got = { 0 };
		unsigned long long sent = tls_sent(c->tls);
		int w = tls_io(c->tls, c->fd, &got, in_room(c),
		    c->out.p + c->outoff, c->out.len - c->outoff, &used);
		c->outoff += used;
		moved = tls_sent(c->tls) > sent;
		if (w < 0) {
			buf_free(&got);
			return -1;
		}
		if (w == 0)
			c->rd_eof = 1; /* closed cleanly */
		c->tls_want = w;
		if (got.len) {
			if (c->state == C_HTTP) {
				req_feed(c, got.p, got.len);
			} else if (c->state == C_WS) {
				buf_add(&c->in, got.p, got.len);
			}
		}
		buf_free(&got);
	} else {
		size_t room = in_room(c);
		if ((rev & (POLLIN | POLLHUP | POLLERR)) && room) {
			r = read(c->fd, tmp, room < sizeof tmp ? room : sizeof tmp);
			if (r == 0) {
				c->rd_eof = 1;
			} else if (r < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			} else if (r > 0 && c->state == C_HTTP) {
				req_feed(c, tmp, r);
			} else if (r > 0 && c->state == C_WS) {
				buf_add(&c->in, tmp, r);
			}
			/* C_DONE: what a client sends after its request or
			 * our close frame is read and dropped. */
		}
		if (c->outoff < c->out.len) {
			r = write(c->fd, c->out.p + c->outoff,
			    c->out.len - c->outoff);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				return -1;
			if (r > 0)
				c->outoff += r, moved = 1;
		}
	}
	/* A closing client that still takes bytes has DRAIN_MS from its
	 * last progress, not from our close frame: a slow reader of a big
	 * output, seconds of it in the socket, is not cut off mid-read. */
	if (c->close_sent && moved &&
	    (c->tls_want & POLLOUT || c->outoff < c->out.len))
		c->deadline = clock_ms() + DRAIN_MS;
	if (c->outoff == c->out.len)
		c->out.len = c->outoff = 0;
	if (c->state == C_ROUTE) {
		c->state = C_HTTP;
		if (c->req.done < 0)
			respond_err(c, c->req.status,
			    c->req.status == 431 ? "request head too large" :
			    c->req.status == 413 ? "request body too large" :
			    "malformed request", NULL);
		else
			route(c);
	}
	if (c->state == C_HTTP && c->rd_eof)
		return -1; /* gone before a whole request */
	return 0;
}

static long long accept_paused;  /* out of descriptors: until then */

/* The peer's address as 16 bytes (a Unix socket's: all zero). */
static void
peer_key(const struct sockaddr_storage *ss, unsigned char key[16])
{
	memset(key, 0, 16);
	if (ss->ss_family == AF_INET)
		memcpy(key, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

/* Room for a connection from peer: one whose request is not in yet goes,
 * the oldest first, when the peer holds PEER_PENDING_MAX of those or
 * every slot is taken; so half-sent requests hold no slot a real client
 * needs.  0, or -1 when every connection is past its request. */
static int
make_room(const unsigned char peer[16])
{
	struct conn *c, *old = NULL, *mine = NULL;
	int n = 0;

	for (c = conns; c; c = c->next) {
		if (c->state != C_HTTP || c->req.head_len)
			continue;
		if (!old || c->accepted <= old->accepted)
			old = c;
		if (!memcmp(c->peer, peer, 16)) {
			n++;
			if (!mine || c->accepted <= mine->accepted)
				mine = c;
		}
	}
	if (n >= PEER_PENDING_MAX)
		old = mine;
	else if (nconns < CONN_MAX)
		return 0;
	if (!old)
		return -1;
	if (verbose)
		err_info("client fd %d: request not sent in time for another: "
		    "closed", old->fd);
	conn_free(old);
	return 0;
}

static void
accept_conns(long long now)
{
	static long long warned;

	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss = { 0 };
		socklen_t sl = sizeof ss;
		int fd = accept4(lsock, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		unsigned char peer[16];
		struct conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* The listener stays ready: stop polling it
				 * a while, and say so once a second. */
				accept_paused = now + ACCEPT_PAUSE_MS;
				if (now - warned >= 1000) {
					err_warnsys("unable to accept (for %d ms)",
					    ACCEPT_PAUSE_MS);
					warned = now;
				}
			} else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED) {
				err_warnsys("unable to accept");
			}
			return;
		}
		peer_key(&ss, peer);
		if (make_room(peer) < 0 || !(c = calloc(1, sizeof *c))) {
			close(fd); /* over the limit: refused at once */
			continue;
		}
		c->fd = fd;
		c->state = C_HTTP;
		c->accepted = now;
		memcpy(c->peer, peer, 16);
		c->deadline = now + HEAD_TIMEOUT_MS;
		http_req_init(&c->req, HTTP_HEAD_MAX, BODY_MAX);
		if (tls && !(c->tls = tls_conn_new(tls))) {
			close(fd);
			free(c);
			continue;
		}
		c->tls_want = POLLIN;
		c->next = conns;
		conns = c;
		nconns++;
	}
}

/* After all of c->out went out: is c finished? */
static int
conn_finished(struct conn *c, long long now)
{
	if (c->out.len)
		return 0;
	if (c->state == C_WS && c->exit_sent && !c->close_sent) {
		if (c->s)
			c->s->seen = 1;
		conn_close_frame(c, WS_NORMAL, "exited");
		c->state = C_DONE;
		return 0;
	}
	if (c->state != C_DONE)
		return 0;
	/* Our last bytes are out: half-close, let the peer finish (read
	 * and drop its close frame or leftovers) until EOF or the linger. */
	if (!c->wr_shut) {
		if (c->tls) {
			tls_close(c->tls);
			c->tls_want |= POLLOUT; /* its close_notify */
		} else {
			shutdown(c->fd, SHUT_WR);
		}
		c->wr_shut = 1;
	}
	/* With TLS, c->out empty means the engine took the bytes, not that
	 * they went: records wait in it while the socket is full (a slow
	 * reader).  The linger starts once they are written; until then
	 * the close frame's DRAIN_MS bounds it.  (Closing earlier dropped
	 * the output's last record: t0304's large output, under load.) */
	if (c->tls && (c->tls_want & POLLOUT))
		return 0;
	if (!c->deadline || c->deadline > now + LINGER_MS)
		c->deadline = now + LINGER_MS;
	return c->rd_eof;
}

static void
shutdown_all(void)
{
	long long end = clock_ms() + KILL_GRACE_MS;
	int left;

	for (struct session *s = sessions; s; s = s->next)
		if (!s->reaped) {
			pg_signal(s->pid, SIGHUP);
			pg_signal(s->pid, SIGTERM);
			pg_signal(s->pid, SIGCONT);
		}
	do {
		reap(clock_ms());
		left = 0;
		for (struct session *s = sessions; s; s = s->next)
			left += !s->reaped;
		if (left)
			clock_sleep_ms(10);
	} while (left && clock_ms() < end);
	for (struct session *s = sessions; s; s = s->next)
		if (!s->reaped)
			pg_signal(s->pid, SIGKILL);
}

static void
serve(void)
{
	struct pollfd *pf = NULL;
	void **who = NULL;
	size_t cap = 0;

	for (;;) {
		long long now = clock_ms(), next = -1;
		size_t n = 0, need = 2 + nsessions + nconns;
		struct session *s, *sn;
		struct conn *c, *cn;
		int timeout;

		if (need > cap) {
			cap = need * 2;
			pf = realloc(pf, cap * sizeof *pf);
			who = realloc(who, cap * sizeof *who);
			if (!pf || !who)
				err_die(EX_SYS, "unable to allocate poll set: "
				    "out of memory");
		}
#define WAKE(t) do { if ((t) > 0 && (next < 0 || (t) < next)) next = (t); } while (0)
		pf[n] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		who[n++] = NULL;
		pf[n] = (struct pollfd){ .fd = now >= accept_paused ? lsock : -1,
		    .events = POLLIN };
		who[n++] = NULL;
		WAKE(accept_paused > now ? accept_paused : 0);
		for (s = sessions; s; s = s->next) {
			short ev = 0;
			if (session_room(s))
				ev |= POLLIN;
			if (s->inq.len)
				ev |= POLLOUT;
			pf[n] = (struct pollfd){ .fd = ev ? s->ptm : -1,
			    .events = ev };
			who[n++] = s;
			WAKE(s->kill_at);
			if (s->reaped && s->eof && !s->live && idle_ms)
				WAKE(s->exited_ms + idle_ms);
			if (s->reaped && s->ptm >= 0)
				WAKE(s->exited_ms + EOF_GRACE_MS);
		}
		for (c = conns; c; c = c->next) {
			short ev = 0;
			if (c->tls) {
				ev = c->tls_want;
				if (!in_room(c))
					ev &= ~POLLIN;
			} else {
				if (in_room(c))
					ev |= POLLIN;
				if (c->out.len)
					ev |= POLLOUT;
			}
			pf[n] = (struct pollfd){ .fd = c->fd, .events = ev };
			who[n++] = c;
			WAKE(c->deadline);
			if (c->s && c->s->live == c && c->s->end != c->off)
				WAKE(c->flush_at ? c->flush_at : now);
			/* TLS moves bytes only in conn_io: no POLLOUT to wait
			 * for until the engine has records to send. */
			if (c->tls && c->out.len && !(c->tls_want & POLLOUT))
				WAKE(now);
		}
		timeout = next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
		if (poll(pf, n, timeout) < 0 && errno != EINTR)
			err_diesys(EX_SYS, "unable to poll");
		now = clock_ms();

		if (pf[0].revents) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGCHLD)
					continue;
				if (verbose)
					err_info("%s: stopping", signame(si.ssi_signo));
				shutdown_all();
				if (upath)
					unlink(upath);
				exit(0);
			}
			reap(now);
		}
		if (pf[1].revents)
			accept_conns(now);
		/* The poll set covers the sessions and connections that
		 * existed before it, in list order; newer ones (at the head
		 * of the lists) wait for the next round. */
		size_t i = 2;
		for (s = sessions; s && i < n; s = s->next) {
			if (who[i] != s) /* added this round */
				continue;
			if (pf[i].revents & POLLOUT)
				session_write(s);
			if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
				session_read(s, now);
			i++;
		}
		for (s = sessions; s; s = s->next) {
			/* After the reap, read what is left, then EOF. */
			if (s->reaped && s->ptm >= 0)
				session_read(s, now);
			if (s->kill_at && now >= s->kill_at) {
				if (!s->reaped)
					pg_signal(s->pid, SIGKILL);
				s->kill_at = 0;
			}
		}
		for (c = conns; c; c = cn) {
			short rev = 0;
			cn = c->next;
			if (i < n && who[i] == c)
				rev = pf[i++].revents;
			ws_pump(c, now);
			if ((rev || c->tls || c->out.len) && conn_io(c, rev) < 0) {
				conn_free(c);
				continue;
			}
			conn_input(c);
			ws_pump(c, now);
			/* This flush reads too: TLS records that came in the
			 * meantime are decrypted into c->in, and no poll event
			 * will announce them again, so they are taken now (a
			 * client's first frame right behind its upgrade request
			 * sat there unread). */
			if (c->tls && c->out.len) {
				if (conn_io(c, 0) < 0) {
					conn_free(c);
					continue;
				}
				conn_input(c);
			}
			if (c->state == C_WS && c->rd_eof && !c->close_sent) {
				conn_free(c); /* gone without a close frame */
				continue;
			}
			if (conn_finished(c, now) ||
			    (c->deadline && now >= c->deadline)) {
				if (c->state == C_HTTP && !c->out.len &&
				    !c->rd_eof) {
					respond_err(c, 408, "request timeout",
					    NULL);
					continue;
				}
				conn_free(c);
			}
		}
		for (s = sessions; s; s = sn) {
			sn = s->next;
			if (s->seen || (s->reaped && s->eof && !s->live &&
			    idle_ms && now >= s->exited_ms + idle_ms))
				session_free(s);
		}
	}
}

/* --- the client: ptyd attach -------------------------------------------- */

static struct termios saved_tio;
static int raw_on;

static void
tty_restore(void)
{
	if (raw_on)
		tcsetattr(0, TCSAFLUSH, &saved_tio);
	raw_on = 0;
}

static void
send_frame(int fd, int op, const void *p, size_t n)
{
	uint8_t mk[4], h[14], *f;
	size_t hl;

	if (getrandom(mk, 4, 0) != 4)
		err_diesys(EX_SYS, "unable to get random bytes");
	hl = ws_frame_head(h, op, 1, n, mk);
	if (!(f = malloc(hl + n)))
		err_die(EX_SYS, "unable to allocate a frame: out of memory");
	memcpy(f, h, hl);
	memcpy(f + hl, p, n);
	ws_mask(f + hl, n, mk, 0);
	if (io_writeall(fd, f, hl + n) < 0) {
		tty_restore();
		err_diesys(EX_SYS, "unable to write to the server");
	}
	free(f);
}

static void
send_size(int fd)
{
	struct winsize ws;
	char j[96];

	if (ioctl(0, TIOCGWINSZ, &ws) < 0 || !ws.ws_col || !ws.ws_row)
		return;
	snprintf(j, sizeof j, "{\"type\":\"resize\",\"cols\":%d,\"rows\":%d}",
	    ws.ws_col, ws.ws_row);
	send_frame(fd, WS_TEXT, j, strlen(j));
}

static int
client_connect(const char *where, char *host, size_t hcap)
{
	const char *p;
	int fd;

	if (!strncmp(where, "http://", 7) || !strncmp(where, "ws://", 5)) {
		p = strstr(where, "//") + 2;
		snprintf(host, hcap, "%.*s", (int)strcspn(p, "/"), p);
		if ((fd = http_connect(host, 10000)) < 0)
			err_diesys(EX_SYS, "unable to connect to %s", host);
		return fd;
	}
	if (!strncmp(where, "https://", 8) || !strncmp(where, "wss://", 6))
		err_die(EX_USAGE, "unable to attach to %s: TLS is not supported "
		    "by the client; use a Unix socket or plain http", where);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(where) >= sizeof sa.sun_path)
		err_die(EX_USAGE, "unable to use socket %s: path too long", where);
	strcpy(sa.sun_path, where);
	snprintf(host, hcap, "localhost");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		err_diesys(EX_SYS, "unable to connect to %s", where);
	return fd;
}

/* Read the handshake reply; leftover bytes (frames) go to *rest. */
static void
client_handshake(int fd, const char *host, const char *id, const char *tok,
    struct buf *rest)
{
	unsigned char rnd[16];
	char accept[29], *end, *a;
	struct buf k = { 0 }, rq = { 0 }, in = { 0 };
	char tmp[4096];
	ssize_t r;
	int st;

	if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
		err_diesys(EX_SYS, "unable to get random bytes");
	b64_encode(&k, rnd, sizeof rnd);
	ws_accept_key(k.p, accept);
	buf_addf(&rq, "GET /terminals/%s HTTP/1.1\r\nHost: %s\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
	    id, host, k.p);
	if (tok)
		buf_addf(&rq, "Authorization: Bearer %s\r\n", tok);
	buf_adds(&rq, "\r\n");
	if (io_writeall(fd, rq.p, rq.len) < 0)
		err_diesys(EX_SYS, "unable to send the handshake");
	while (!(end = in.p ? strstr(in.p, "\r\n\r\n") : NULL)) {
		if (in.len > HTTP_HEAD_MAX)
			err_die(EX_SYS, "unable to attach to %s: reply head "
			    "too large", id);
		r = read(fd, tmp, sizeof tmp);
		if (r <= 0)
			err_die(EX_SYS, "unable to attach to %s: connection "
			    "closed during the handshake", id);
		buf_add(&in, tmp, r);
	}
	if (sscanf(in.p, "HTTP/1.%*d %d", &st) != 1)
		err_die(EX_SYS, "unable to attach to %s: not an HTTP reply", id);
	if (st != 101) {
		/* Show the server's {"error": ...}: read the body to EOF. */
		while (in.len < 65536 && (r = read(fd, tmp, sizeof tmp)) > 0)
			buf_add(&in, tmp, r);
		end = strstr(in.p, "\r\n\r\n") + 4;
		end[strcspn(end, "\n")] = 0;
		err_die(EX_SYS, "unable to attach to %s: %d %s", id, st, end);
	}
	*end = 0;
	a = strcasestr(in.p, "\r\nSec-WebSocket-Accept: ");
	if (!a || strncmp(a + 24, accept, 28))
		err_die(EX_SYS, "unable to attach to %s: wrong "
		    "Sec-WebSocket-Accept", id);
	buf_add(rest, end + 4, in.len - (end + 4 - in.p));
	buf_free(&k);
	buf_free(&rq);
	buf_free(&in);
}

static int
attach_main(int argc, char **argv)
{
	const char *tokfile = NULL;
	char *tok = NULL, host[256], tmp[16384];
	struct buf rest = { 0 };
	struct ws_rx rx;
	struct ws_msg m;
	int opt, fd, sfd, vflag = 0, code = -1, in_open = 1, tty;
	sigset_t set;

	while ((opt = getopt(argc, argv, "+hvk:")) != -1) {
		switch (opt) {
		case 'v': vflag = 1; break;
		case 'k': tokfile = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (tokfile) {
		char t[4096];
		ssize_t n = io_readsmall(AT_FDCWD, tokfile, t, sizeof t);
		if (n < 0)
			err_diesys(EX_USAGE, "unable to read token file %s",
			    tokfile);
		t[strcspn(t, "\r\n")] = 0;
		tok = strdup(t);
	} else if (getenv("PTYD_TOKEN")) {
		tok = getenv("PTYD_TOKEN");
	}
	fd = client_connect(argv[optind], host, sizeof host);
	client_handshake(fd, host, argv[optind + 1], tok, &rest);

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		err_diesys(EX_SYS, "unable to open a signalfd");
	tty = isatty(0);
	if (tty && tcgetattr(0, &saved_tio) == 0) {
		struct termios t = saved_tio;
		cfmakeraw(&t);
		if (tcsetattr(0, TCSAFLUSH, &t) == 0)
			raw_on = 1;
		atexit(tty_restore);
		send_size(fd);
	}
	ws_rx_init(&rx, 0, 1 << 24);
	for (;;) {
		size_t used, off = 0;
		int r;

		while (off < rest.len) {
			r = ws_rx_feed(&rx, (uint8_t *)rest.p + off,
			    rest.len - off, &used, &m);
			off += used;
			if (r < 0) {
				tty_restore();
				err_die(EX_SYS, "unable to read from the server: "
				    "protocol error %d", rx.close_code);
			}
			if (r == 0)
				break;
			if (m.op == WS_BINARY) {
				if (io_writeall(1, m.data, m.len) < 0) {
					tty_restore();
					err_diesys(EX_SYS, "unable to write "
					    "output");
				}
			} else if (m.op == WS_TEXT) {
				struct json_doc d;
				const struct json *t, *v;
				long long x;
				if (vflag)
					fprintf(stderr, "%.*s\n", (int)m.len,
					    (const char *)m.data);
				if (json_parse(&d, (const char *)m.data, m.len,
				    64) < 0)
					continue;
				t = json_get(d.root, "type");
				if (t && t->type == JSON_STR &&
				    !strcmp(t->s, "exit")) {
					v = json_get(d.root, "exit_code");
					if (v && json_int(v, 0, 255, &x) == 0)
						code = x;
					v = json_get(d.root, "signal");
					for (int sg = 1; sg < 65 && v &&
					    v->type == JSON_STR; sg++)
						if (!strcmp(signame(sg), v->s))
							code = 128 + sg;
				}
				json_doc_free(&d);
			} else if (m.op == WS_PING) {
				send_frame(fd, WS_PONG, m.data, m.len);
			} else if (m.op == WS_CLOSE) {
				int cc = ws_close_code(m.data, m.len);
				send_frame(fd, WS_CLOSE, m.data,
				    m.len >= 2 ? 2 : 0);
				tty_restore();
				if (cc == CLOSE_PREEMPTED)
					err_die(EX_FALSE, "detached: preempted "
					    "by a newer client");
				if (code >= 0)
					exit(code);
				err_die(EX_SYS, "closed by the server: %d %.*s",
				    cc, m.len > 2 ? (int)m.len - 2 : 0,
				    (const char *)m.data + 2);
			}
		}
		rest.len = 0;

		struct pollfd pf[3] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = in_open ? 0 : -1, .events = POLLIN },
		};
		if (poll(pf, 3, -1) < 0 && errno != EINTR)
			err_diesys(EX_SYS, "unable to poll");
		if (pf[1].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGWINCH) {
					send_size(fd);
					continue;
				}
				tty_restore();
				exit(EX_CANCEL);
			}
		}
		if (pf[2].revents) {
			ssize_t n = read(0, tmp, sizeof tmp);
			if (n <= 0) {
				in_open = 0; /* output keeps coming */
			} else if (tty && memchr(tmp, 0x1c, n)) {
				/* ^\ detaches, as in dtach */
				tty_restore();
				exit(0);
			} else {
				send_frame(fd, WS_BINARY, tmp, n);
			}
		}
		if (pf[0].revents) {
			ssize_t n = read(fd, tmp, sizeof tmp);
			if (n <= 0) {
				tty_restore();
				if (code >= 0)
					exit(code);
				err_die(EX_SYS, "unable to read from the server: "
				    "connection closed");
			}
			buf_add(&rest, tmp, n);
		}
	}
}

/* --- main --------------------------------------------------------------- */

static int
listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return -1;
	/* A stale socket from a crash is replaced; a live one is not. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		close(fd);
		errno = EADDRINUSE;
		return -1;
	}
	unlink(path);
	mode_t old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(fd, 128) < 0) {
		int e = errno;
		umask(old);
		close(fd);
		errno = e;
		return -1;
	}
	umask(old);
	return fd;
}

static int
loopback(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (http_addr(addr, 1, &ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >>
		    24) == 127;
	if (ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
	return 0;
}

enum { O_CERT = 256, O_KEY, O_TOKEN, O_ORIGIN, O_SCROLLBACK, O_FLUSH,
	O_MAXSESS, O_IDLE, O_HOST };

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "token", required_argument, NULL, O_TOKEN },
		{ "origin", required_argument, NULL, O_ORIGIN },
		{ "host", required_argument, NULL, O_HOST },
		{ "scrollback", required_argument, NULL, O_SCROLLBACK },
		{ "flush", required_argument, NULL, O_FLUSH },
		{ "max-sessions", required_argument, NULL, O_MAXSESS },
		{ "idle-timeout", required_argument, NULL, O_IDLE },
		{ 0 },
	};
	const char *addr = NULL, *fifo = NULL, *cert = NULL,
	    *key = NULL, *tokfile = NULL, *ready_env;
	long long nfd = -1, x;
	int opt;
	char where[300];

	err_setprog(argv[0]);
	if (argc > 1 && !strcmp(argv[1], "attach"))
		return attach_main(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "+hl:u:c:R:N:v", lopts,
	    NULL)) != -1) {
		switch (opt) {
		case 'l': addr = optarg; break;
		case 'u': upath = optarg; break;
		case 'c': default_cmd = optarg; break;
		case 'R': fifo = optarg; break;
		case 'N': nfd = xnum_opt('N', optarg, 0, 1 << 20, "descriptor"); break;
		case 'v': verbose = 1; break;
		case O_CERT: cert = optarg; break;
		case O_KEY: key = optarg; break;
		case O_TOKEN: tokfile = optarg; break;
		case O_ORIGIN: origins = optarg; break;
		case O_HOST: hosts = optarg; break;
		case O_SCROLLBACK:
			if (num_parse(optarg, 4096, 1 << 30, &x) < 0)
				err_die(EX_USAGE, "unable to parse --scrollback "
				    "%s: not a number from 4096 to 1073741824",
				    optarg);
			scrollback = x;
			break;
		case O_FLUSH: {
			char *colon = strchr(optarg, ':');
			long long b;
			if (!colon)
				err_die(EX_USAGE, "unable to parse --flush %s: "
				    "not ms:bytes", optarg);
			*colon = 0;
			if (num_parse(optarg, 0, 1000, &x) < 0 ||
			    num_parse(colon + 1, 1, FRAME_OUT_MAX, &b) < 0)
				err_die(EX_USAGE, "unable to parse --flush: "
				    "not ms (0 to 1000):bytes (1 to 65536)");
			flush_ms = x;
			flush_bytes = b;
			break;
		}
		case O_MAXSESS:
			if (num_parse(optarg, 1, 100000, &max_sessions) < 0)
				err_die(EX_USAGE, "unable to parse --max-sessions "
				    "%s: not a number from 1 to 100000", optarg);
			break;
		case O_IDLE:
			if (num_parse(optarg, 0, 1LL << 31, &x) < 0)
				err_die(EX_USAGE, "unable to parse --idle-timeout "
				    "%s: not a number of seconds", optarg);
			idle_ms = x * 1000;
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (addr && upath)
		err_die(EX_USAGE, "unable to use -l and -u together");
	if (!cert != !key)
		err_die(EX_USAGE, "unable to use TLS: --cert and --key go together");
	if (!addr && !upath)
		addr = DEFAULT_ADDR;
	if (addr && !loopback(addr) && !tokfile)
		err_die(EX_USAGE, "unable to listen on %s: a non-loopback "
		    "address requires --token", addr);
	if (!default_cmd)
		default_cmd = getenv("SHELL") && *getenv("SHELL") ?
		    getenv("SHELL") : "/bin/sh";
	if (tokfile) {
		char t[4096];
		ssize_t n = io_readsmall(AT_FDCWD, tokfile, t, sizeof t);
		if (n < 0)
			err_diesys(EX_USAGE, "unable to read token file %s",
			    tokfile);
		t[strcspn(t, "\r\n")] = 0;
		if (strlen(t) < 16 || strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-._~+/=") != strlen(t))
			err_die(EX_USAGE, "unable to use token file %s: the "
			    "token must be 16 or more URL-safe characters",
			    tokfile);
		token = strdup(t);
	}
	if (cert) {
		char why[256];
		if (tls_srv_load(&tls, cert, key, why, sizeof why) < 0)
			err_die(EX_USAGE, "unable to load TLS certificate %s "
			    "and key %s: %s", cert, key, why);
	}
	/* Every connection and session costs descriptors: take all we may. */
	{
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if ((sigfd = sigfd_open()) < 0)
		err_diesys(EX_SYS, "unable to set up signals");
	if (upath)
		lsock = listen_unix(upath);
	else
		lsock = http_listen(addr, 128);
	if (lsock < 0)
		err_diesys(EX_SYS, "unable to listen on %s", upath ? upath : addr);
	if (upath)
		snprintf(where, sizeof where, "%s", upath);
	else
		http_sockname(lsock, where, sizeof where);
	err_info("listening on %s%s", tls ? "https://" : upath ? "" :
	    "http://", where);

	/* Ready only now that the listener is bound; a parent must not
	 * wait forever on a failure, so it is fatal. */
	ready_env = getenv("PTYD_READY_PIPE");
	if (!fifo && ready_env && *ready_env)
		fifo = ready_env;
	if (fifo && ready_fifo(fifo, READY_TIMEOUT_MS) < 0)
		err_diesys(EX_SYS, "unable to signal readiness on %s", fifo);
	if (nfd >= 0 && ready_fd(nfd) < 0)
		err_diesys(EX_SYS, "unable to signal readiness on fd %lld", nfd);
	serve();
	return 0;
}
