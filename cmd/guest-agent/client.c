/* guest-agent call: one request per attempt, retried with backoff when
 * the connection cannot be made or the request cannot be sent, or the
 * answer is 429 or 5xx; never once a job may have run.  A job's output
 * comes back as NDJSON lines, passed on to our standard output and error;
 * its exit record becomes our exit status. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "b64.h"
#include "buf.h"
#include "clock.h"
#include "err.h"
#include "http.h"
#include "io.h"
#include "json.h"
#include "loop.h"
#include "sigfd.h"
#include "tar.h"

#include "guest-agent/agent.h"

const struct verb call_verbs[] = {
	{ "health", "GET", "/health", 0, 0, 0, 0 },
	{ "shutdown", "POST", "/shutdown", 0, 0, 0, 0 },
	{ "exec", "POST", "/exec", 1, -1, CALL_ARGV, 0 },
	{ "run", "POST", "/exec", 2, 2, CALL_CODE, 0 },
	{ "get", "GET", "/files", 2, 2, 0, CALL_GET },
	{ "put", "PUT", "/files", 2, 3, 0, CALL_PUT },
	{ "rekey", "POST", "/rekey", 1, 1, 0, 0 },
};
const size_t call_nverbs = sizeof call_verbs / sizeof *call_verbs;

/* One streamed line: output to pass on, or the exit record. */
static int
call_line(struct call *c, const char *s, size_t n)
{
	static const char *const names[] = { "stdout", "stderr" };
	struct json_doc d;
	const struct json *v, *sig, *to, *e;
	long long x;

	if (json_parse(&d, s, n, JSON_NODES_MAX) < 0 ||
	    d.root->type != JSON_OBJ) {
		c->bad = 1;
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		char *raw;
		size_t len;
		if (json_bytes_get(d.root, names[i], &raw, &len) == 0 && raw)
			io_writeall(i + 1, raw, len);
		free(raw);
	}
	if ((v = json_get(d.root, "exit_code"))) {
		sig = json_get(d.root, "signal");
		to = json_get(d.root, "timed_out");
		c->have_record = 1;
		if ((e = json_get(d.root, "error")) && e->type == JSON_STR)
			c->error = strndup(e->s, e->len);
		if (to && to->type == JSON_TRUE)
			c->code = EX_TIMEOUT;
		else if (json_int(v, 0, 255, &x) == 0)
			c->code = x;
		else if (json_int(sig, 1, 127, &x) == 0)
			c->code = 128 + x;
		else
			c->code = 255;
	}
	json_doc_free(&d);
	return 0;
}

static int
call_body(void *ctx, const char *p, size_t n)
{
	struct call *c = ctx;
	const char *nl;
	int r;

	if (c->resp->status == 200 && c->verb->files == CALL_GET) {
		/* Past the end blocks: stop reading, the copy is whole. */
		if ((r = tar_x_feed(c->tx, p, n)) < 0)
			c->refused = 1;
		c->tar_done = r > 0;
		return r != 0;
	}
	if (c->resp->status != 200 || !c->verb->job)
		return buf_add(&c->body, p, n) < 0 || c->body.len > BODY_MAX;
	while (n && (nl = memchr(p, '\n', n))) {
		if (buf_add(&c->line, p, nl - p) < 0 ||
		    call_line(c, c->line.p, c->line.len) < 0)
			return 1;
		c->line.len = 0;
		n -= nl + 1 - p;
		p = nl + 1;
	}
	return buf_add(&c->line, p, n) < 0 || c->line.len > 2 * BODY_MAX;
}

/* Read a whole file (or stdin for "-") for a request. */
static void
slurp(const char *path, struct buf *b)
{
	char chunk[65536];
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	ssize_t n;

	if (fd < 0)
		err_diesys(EX_SYS, "unable to open %s", path);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err_diesys(EX_SYS, "unable to read %s", path);
		if (buf_add(b, chunk, n) < 0 || b->len > BODY_MAX)
			err_die(EX_USAGE, "unable to send %s: more than %d "
			    "bytes", path, BODY_MAX);
	}
	if (fd)
		close(fd);
}

/* -I: the next chunk of our standard input, read when the last is sent;
 * its end is the last chunk. */
static void
stdin_chunk(struct call *c)
{
	char raw[IN_CHUNK];
	ssize_t n = read(0, raw, sizeof raw);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0)
		err_diesys(EX_SYS, "unable to read standard input");
	c->in.len = c->inoff = 0;
	c->in_eof = n == 0;
	if (buf_addf(&c->in, "%zx\r\n", (size_t)n) < 0 ||
	    buf_add(&c->in, raw, n) < 0 || buf_adds(&c->in, "\r\n") < 0)
		err_die(EX_SYS, "unable to send standard input: out of memory");
}

/* -I: send what the socket takes of the chunk; a peer that stopped
 * reading ends the sending, and the answer says why. */
static void
stdin_send(struct call *c, int fd)
{
	ssize_t n = send(fd, c->in.p + c->inoff, c->in.len - c->inoff,
	    MSG_NOSIGNAL);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) {
		c->in_done = 1;
		return;
	}
	c->inoff += n;
	if (c->inoff == c->in.len && c->in_eof)
		c->in_done = 1;
}

/* Nothing listens there yet, and -w's time has not passed: the agent is
 * still starting (a refused TCP connect, no vmrun socket yet, the
 * guest's reset through it). */
static int
refused(const struct call *c)
{
	return (errno == ECONNREFUSED || errno == ENOENT ||
	    errno == ECONNRESET) && clock_ms() < c->wait_until;
}

/* get: the temp directory in DEST the tar goes into, removed on exit
 * unless all went into place. */
static char get_tmp[4200];
static struct tar_x get_x;
static int get_destfd = -1, get_sigfd = -1;
static const char *get_base;

/* One attempt: 0 answered (c->status), 1 worth retrying (could not
 * connect or send: nothing ran), 2 refused while -w waits (not an
 * attempt), -1 failed after sending.  With -I, our standard input goes
 * in chunks once the answer's head says the job runs, while its output
 * comes back: an answer that refuses or defers the request finds it
 * untouched. */
static int
call_once(struct call *c, const char *req, size_t reqlen, int wait_ms)
{
	struct http_resp r;
	struct loop l;
	char chunk[65536];
	long long deadline = clock_ms() + wait_ms;
	int fd = http_connect(c->addr, c->connect_ms), got = 0;

	if (fd < 0) {
		if (refused(c))
			return 2;
		err_warnsys("unable to connect to %s", c->addr);
		return 1;
	}
	if (io_writeall(fd, req, reqlen) < 0) {
		err_warnsys("unable to send to %s", c->addr);
		close(fd);
		return 1;
	}
	/* put's tar: when the agent stops it early, its answer says why. */
	if (c->upfd >= 0) {
		off_t off = 0;
		while (off < c->uplen && sendfile(fd, c->upfd, &off,
		    c->uplen - off) > 0)
			;
	}
	c->status = 0;
	c->body.len = c->line.len = 0;
	http_resp_init(&r, call_body, c);
	c->resp = &r;
	c->in.len = c->inoff = 0;
	c->in_eof = 0;
	c->in_done = !c->stdin_stream;
	if (c->stdin_stream)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	loop_init(&l, 0);
	while (got == 0) {
		int sending = !c->in_done && r.head_done && r.status == 200;
		int si, ii = -1, gi;
		short rev;
		ssize_t n;
		loop_begin(&l);
		if (l.now >= deadline) {
			loop_free(&l);
			close(fd);
			errno = ETIMEDOUT;
			return -1;
		}
		loop_wake(&l, deadline);
		si = xloop_add(&l, fd, POLLIN | (sending &&
		    c->inoff < c->in.len ? POLLOUT : 0), NULL);
		if (sending && c->inoff == c->in.len)
			ii = xloop_add(&l, 0, POLLIN, NULL);
		gi = get_sigfd >= 0 ? xloop_add(&l, get_sigfd, POLLIN, NULL) :
		    -1;
		if (loop_wait(&l) < 0)
			err_diesys(EX_SYS, "unable to poll");
		if (loop_rev(&l, gi)) {
			struct signalfd_siginfo ss;
			if (read(get_sigfd, &ss, sizeof ss) == sizeof ss) {
				err_warn("stopped by signal %u: removing %s",
				    ss.ssi_signo, get_tmp);
				exit(128 + (int)ss.ssi_signo); /* get_cleanup */
			}
		}
		if (loop_rev(&l, ii))
			stdin_chunk(c);
		if ((rev = loop_rev(&l, si)) & POLLOUT)
			stdin_send(c, fd);
		if (!(rev & ~POLLOUT))
			continue;
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			loop_free(&l);
			close(fd);
			return -1;
		}
		/* The status is known once the head is in: body_cb uses it. */
		got = n ? http_resp_feed(&r, chunk, n) : http_resp_eof(&r);
	}
	loop_free(&l);
	close(fd);
	c->status = r.status;
	if (got < 0 && c->tar_done)
		return 0;
	if (got < 0) {
		if (!errno)
			errno = EPROTO;
		return -1;
	}
	return 0;
}


static void
get_cleanup(void)
{
	if (get_tmp[0] && tar_rmtree(AT_FDCWD, get_tmp) < 0)
		err_warnsys("unable to remove %s", get_tmp);
}

static int
to_fd(void *ctx, const void *p, size_t n)
{
	return io_writeall(*(int *)ctx, p, n) < 0 ? -1 : 0;
}

/* get PATH DEST: a temp directory in DEST to extract into.  put PATH
 * GUESTDIR: the tar of PATH in an unlinked temp file, for its length. */
static void
files_setup(struct call *c, struct buf *target)
{
	static char base[256];
	long long max = c->max_output >= 0 ? c->max_output : FILES_MAX;
	const char *guest = c->verb->files == CALL_GET ? c->args[0] :
	    c->args[1];
	sigset_t set;
	int tfd;

	const char *named = c->nargs > 2 ? c->args[2] : c->args[0];

	if (tar_name_of(named, base, sizeof base) < 0 ||
	    (c->nargs > 2 && strcmp(base, named)))
		err_die(EX_USAGE, "unable to use %s: %s", named,
		    errno == EINVAL ? "it has no name of its own" :
		    strerror(errno));
	c->wait_ms = c->timeout_ms >= 0 ? c->timeout_ms : FILES_WAIT_MS;
	buf_adds(target, "/files?path=");
	http_query_esc(target, guest);
	if (c->verb->files == CALL_GET) {
		buf_addf(target, "&max=%lld", max);
		get_base = base;
		if ((get_destfd = open(c->args[1], O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) < 0)
			err_diesys(EX_USAGE, "unable to use %s", c->args[1]);
		/* SIGINT, SIGTERM and SIGHUP come through a descriptor from
		 * before the temp directory is made: stopped, we remove it
		 * first (call_once). */
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGHUP);
		if ((get_sigfd = sigfd_open_set(&set)) < 0)
			err_diesys(EX_SYS, "unable to create a signalfd");
		snprintf(get_tmp, sizeof get_tmp, "%s/.husk-get-XXXXXX",
		    c->args[1]);
		if (!mkdtemp(get_tmp)) {
			get_tmp[0] = 0;
			err_diesys(EX_SYS, "unable to make a directory in %s",
			    c->args[1]);
		}
		atexit(get_cleanup);
		if ((tfd = open(get_tmp, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) < 0)
			err_diesys(EX_SYS, "unable to open %s", get_tmp);
		tar_x_init(&get_x, tfd, max, FILES_ENTRIES_MAX);
		/* Modes as a local copy takes them: less the umask. */
		get_x.umask = umask(077);
		umask(get_x.umask);
		c->tx = &get_x;
	} else {
		struct tar_w w = { to_fd, &c->upfd, max, FILES_ENTRIES_MAX, 0,
		    0, "", c->nargs > 2 ? c->args[2] : NULL, c->exclude,
		    c->nexclude };
		const char *dir = getenv("TMPDIR");
		char tmp[4200];
		/* An agent that refuses the tar early closes while we send:
		 * its answer says why, not SIGPIPE. */
		signal(SIGPIPE, SIG_IGN);
		snprintf(tmp, sizeof tmp, "%s/.husk-put-XXXXXX", dir && *dir ?
		    dir : "/tmp");
		if ((c->upfd = mkostemp(tmp, O_CLOEXEC)) < 0)
			err_diesys(EX_SYS, "unable to create %s", tmp);
		unlink(tmp);
		if (tar_write(&w, c->args[0]) < 0)
			err_die(EX_REFUSED, "%s", w.err);
		if ((c->uplen = lseek(c->upfd, 0, SEEK_CUR)) < 0)
			err_diesys(EX_SYS, "unable to read the tar's length");
	}
}

/* get: the one entry the tar may hold, PATH's name, into DEST. */
static void
get_finish(struct call *c)
{
	DIR *d;
	struct dirent *de;
	int n = 0, named = 0;

	if (tar_x_end(c->tx) < 0)
		err_die(EX_REFUSED, "%s", c->tx->err);
	if (!(d = fdopendir(dup(c->tx->dirfd))))
		err_diesys(EX_SYS, "unable to read %s", get_tmp);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			n++;
			named |= !strcmp(de->d_name, get_base);
		}
	closedir(d);
	if (n != 1 || !named)
		err_die(EX_REFUSED, "unable to get %s: the archive holds other "
		    "than %s", c->args[0], get_base);
	if (tar_place(c->tx->dirfd, get_base, get_destfd, get_base) < 0)
		err_diesys(EX_SYS, "unable to move %s into %s", get_base,
		    c->args[1]);
	tar_x_free(c->tx);
	if (rmdir(get_tmp) == 0)
		get_tmp[0] = 0;
}

/* rekey NEWTOKENFILE: the new token (-k's rules), 64 random bytes and
 * our clock, for a VM restored from a snapshot. */
static void
rekey_body(struct call *c, struct buf *body)
{
	char new[TOKEN_MAX + 1], rnd[64];
	struct timespec ts;

	token_load(c->args[0], 0, new);
	if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
		err_diesys(EX_SYS, "unable to read random bytes");
	clock_gettime(CLOCK_REALTIME, &ts);
	buf_adds(body, "{\"token\":");
	json_esc(body, new, strlen(new));
	buf_adds(body, ",\"entropy_b64\":\"");
	b64_encode(body, rnd, sizeof rnd);
	buf_addf(body, "\",\"time\":\"%lld.%09ld\"}", (long long)ts.tv_sec,
	    ts.tv_nsec);
	explicit_bzero(rnd, sizeof rnd);
}

/* The request: the verb's body (a job's argv, or its language and code
 * file, and standard input with -i), with the token if there is one. */
void
call_setup(struct call *c, const char *tokfile)
{
	struct buf body = { 0 }, in = { 0 }, code = { 0 };
	const struct verb *v = c->verb;
	struct buf target = { 0 };

	c->wait_ms = 30000;
	c->upfd = -1;
	if (v->files)
		files_setup(c, &target);
	if (v->job) {
		buf_adds(&body, "{\"stream\":true");
		if (v->job == CALL_CODE) {
			slurp(c->args[1], &code);
			buf_adds(&body, ",\"language\":");
			json_esc(&body, c->args[0], strlen(c->args[0]));
			buf_adds(&body, ",\"code_b64\":\"");
			b64_encode(&body, code.p, code.len);
			buf_adds(&body, "\"");
		} else {
			buf_adds(&body, ",\"argv\":[");
			for (int i = 0; i < c->nargs; i++) {
				if (i)
					buf_adds(&body, ",");
				json_esc(&body, c->args[i], strlen(c->args[i]));
			}
			buf_adds(&body, "]");
		}
		if (c->cwd) {
			buf_adds(&body, ",\"cwd\":");
			json_esc(&body, c->cwd, strlen(c->cwd));
		}
		if (c->stdin_stream)
			buf_adds(&body, ",\"stdin_stream\":true");
		if (c->stdin_too) {
			slurp("-", &in);
			buf_adds(&body, ",\"stdin_b64\":\"");
			b64_encode(&body, in.p, in.len);
			buf_adds(&body, "\"");
		}
		if (c->timeout_ms >= 0)
			buf_addf(&body, ",\"timeout_ms\":%lld", c->timeout_ms);
		if (c->max_output >= 0)
			buf_addf(&body, ",\"max_output\":%lld", c->max_output);
		buf_adds(&body, "}");
		c->wait_ms = (c->timeout_ms >= 0 ? c->timeout_ms :
		    TIMEOUT_DEFAULT) + GRACE_MS + 30000;
	}
	if (!strcmp(v->name, "rekey"))
		rekey_body(c, &body);
	if (tokfile)
		token_load(tokfile, 0, token);
	buf_addf(&c->req, "%s %s HTTP/1.1\r\nHost: %s\r\n", v->method,
	    target.p ? target.p : v->path, c->addr);
	if (token[0])
		buf_addf(&c->req, "Authorization: Bearer %s\r\n", token);
	if (body.len)
		buf_adds(&c->req, "Content-Type: application/json\r\n");
	if (c->upfd >= 0)
		buf_adds(&c->req, "Content-Type: application/x-tar\r\n");
	buf_addf(&c->req, "Content-Length: %lld\r\nConnection: close\r\n"
	    "\r\n", c->upfd >= 0 ? c->uplen : (long long)body.len);
	buf_add(&c->req, body.p, body.len);
	if (!c->req.p)
		err_die(EX_SYS, "unable to build the request: out of memory");
	buf_free(&body);
	buf_free(&in);
	buf_free(&code);
	buf_free(&target);
}

/* The attempts, then the answer as our output and exit status. */
int
call_run(struct call *c)
{
	const char *verb = c->verb->name;
	long long backoff = 100;

	for (long long t = 1;; t++) {
		int r = call_once(c, c->req.p, c->req.len, c->wait_ms);
		if (r == 2) {
			t--;            /* not an attempt: waiting for it */
			clock_sleep_ms(10);
			continue;
		}
		if (r < 0 && c->refused)
			err_die(EX_REFUSED, "%s", c->tx->err);
		if (r < 0)
			err_diesys(EX_SYS, "unable to %s on %s", verb, c->addr);
		if (r == 0 && c->status != 429 && c->status < 500)
			break;
		if (t >= c->tries) {
			if (r)
				err_die(EX_SYS, "unable to %s on %s: gave up "
				    "after %lld tries", verb, c->addr, t);
			break;
		}
		clock_sleep_ms(backoff);
		backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
	}
	if (c->status != 200) {
		char *nl;
		if (c->body.p && (nl = strchr(c->body.p, '\n')))
			*nl = 0;
		err_die(c->status >= 400 && c->status < 500 &&
		    c->status != 429 ? EX_USAGE : EX_SYS,
		    "unable to %s on %s: %d %s: %s", verb, c->addr, c->status,
		    http_reason(c->status), c->body.p ? c->body.p : "");
	}
	if (c->verb->files == CALL_GET) {
		get_finish(c);
		return 0;
	}
	if (!c->verb->job) {
		io_writeall(1, c->body.p ? c->body.p : "", c->body.len);
		return 0;
	}
	if (c->bad || !c->have_record)
		err_die(EX_SYS, "unable to %s on %s: the answer ended without "
		    "an exit record", verb, c->addr);
	if (c->error)
		err_die(EX_SYS, "unable to %s on %s: %s", verb, c->addr,
		    c->error);
	return c->code;
}
