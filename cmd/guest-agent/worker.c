/* The worker: a process forked for one /exec.  It runs the job as the
 * leader of a new process group, feeds its standard input, takes its
 * output (streamed, or kept up to the cap), kills the whole group on the
 * cap, the deadline, a client that hung up or a signal, and sends the
 * result.  As a child subreaper it reaps what the job double-forked.
 *
 * A streamed standard input (stdin_stream) comes in chunks on the client's
 * connection after the request: the worker reads the socket only when
 * what it read before is all in the job's pipe, so one buffer of IN_CHUNK
 * bytes is all it holds, and the client waits on TCP's window. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "io.h"
#include "loop.h"
#include "pgkill.h"
#include "spawn.h"

#include "guest-agent/agent.h"

struct pipe {
	int fd;
	const char *name;
	struct buf out;
	long long total;
};

struct run {
	int cfd, stream, sig;
	pid_t pid;
	int reaped, wstatus, killed, truncated, timed_out, gone;
	long long cap, start, deadline;
	struct pipe p[2];
	int wfd;		/* the job's standard input, until all is in */
	const char *in;
	size_t inlen, inoff;
	int instream;		/* its chunks still come from the client */
	int drain;		/* and its last one has not come yet */
	struct http_resp dec;	/* their decoder */
	char inbuf[IN_CHUNK];	/* what they carried, for the pipe */
	const char *error;	/* why the job was killed for its input */
	char failed[512];	/* the line that tells a step failed, or "" */
	struct loop l;
};

static void
run_kill(struct run *r)
{
	int st;

	if (r->killed)
		return;
	r->killed = 1;
	if (pg_kill(r->pid, r->pid, GRACE_MS, &st) < 0 && errno != ESRCH)
		err_warnsys("unable to kill process group %d", (int)r->pid);
	if (!r->reaped) {
		r->reaped = 1;
		r->wstatus = st;
	}
}

static void
stream_line(struct run *r, struct buf *b)
{
	if (!r->gone && http_chunk(r->cfd, b->p, b->len) < 0) {
		r->gone = 1;
		run_kill(r);
	}
}

/* Output of stream i: stream it or keep it, up to the cap. */
static void
take(struct run *r, int i, const char *chunk, size_t n)
{
	struct pipe *p = &r->p[i];
	long long room = p->total >= r->cap ? 0 : r->cap - p->total;
	size_t keep = room < (long long)n ? (size_t)room : n;

	p->total += n;
	if (keep && r->stream) {
		struct buf b = { 0 };
		buf_adds(&b, "{");
		json_bytes(&b, p->name, chunk, keep);
		buf_adds(&b, "}\n");
		stream_line(r, &b);
		buf_free(&b);
	} else if (keep && buf_add(&p->out, chunk, keep) < 0) {
		err_warnsys("unable to keep output");
	}
	if (keep < n) {
		r->truncated = 1;
		run_kill(r);
	}
}

/* Take output from pipe i. */
static void
pump(struct run *r, int i)
{
	char chunk[65536];
	struct pipe *p = &r->p[i];
	ssize_t n = read(p->fd, chunk, sizeof chunk);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(p->fd);
		p->fd = -1;
		return;
	}
	take(r, i, chunk, n);
}

static void
record(struct run *r, struct buf *b, long long ms)
{
	int st = r->wstatus;

	buf_adds(b, "{");
	if (WIFSIGNALED(st))
		buf_addf(b, "\"exit_code\":null,\"signal\":%d", WTERMSIG(st));
	else
		buf_addf(b, "\"exit_code\":%d,\"signal\":null",
		    WIFEXITED(st) ? WEXITSTATUS(st) : 255);
	if (!r->stream)
		for (int i = 0; i < 2; i++) {
			buf_adds(b, ",");
			json_bytes(b, r->p[i].name, r->p[i].out.p ?
			    r->p[i].out.p : "", r->p[i].out.len);
		}
	buf_addf(b, ",\"truncated\":%s,\"timed_out\":%s,\"duration_ms\":%lld",
	    r->truncated ? "true" : "false", r->timed_out ? "true" : "false",
	    ms);
	if (r->error) {
		buf_adds(b, ",\"error\":");
		json_esc(b, r->error, strlen(r->error));
	}
	buf_adds(b, "}\n");
}

/* Write the code file; the job's argv is the language's command plus it. */
static char **
code_file(struct job *j, char *path, size_t cap)
{
	static char *argv[LANG_WORDS + 2];
	int fd, n = 0;

	snprintf(path, cap, "%s/.husk-code-%d", workdir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd < 0)
		return NULL;
	/* Byte for byte: no trimming, no added newline. */
	if (io_writeall(fd, j->code, j->codelen) < 0) {
		close(fd);
		return NULL;
	}
	if (close(fd) < 0)
		return NULL;
	while (j->lang->argv[n])
		argv[n] = j->lang->argv[n], n++;
	argv[n++] = path;
	argv[n] = NULL;
	return argv;
}

/* The job's standard input is all in its pipe: close it once no more
 * comes. */
static void
feed_end(struct run *r)
{
	if (r->wfd >= 0 && r->inoff == r->inlen && !r->instream) {
		close(r->wfd);
		r->wfd = -1;
	}
}

/* Feed the job's standard input; close it once all is in, or it is
 * refused (the job closed it: what still comes is dropped). */
static void
feed(struct run *r, short rev)
{
	ssize_t n = -1;

	errno = EPIPE;
	if (rev & POLLOUT)
		n = write(r->wfd, r->in + r->inoff, r->inlen - r->inoff);
	if (n > 0)
		r->inoff += n;
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		close(r->wfd);
		r->wfd = -1;
		r->inoff = r->inlen;
	}
	if (r->inoff == r->inlen && r->instream)
		r->inoff = r->inlen = 0;
	feed_end(r);
}

/* The decoder's bytes: for the pipe, or dropped once it is closed.  The
 * buffer was empty before the read that brought them, so they fit. */
static int
in_piece(void *ctx, const char *p, size_t n)
{
	struct run *r = ctx;

	if (r->wfd < 0)
		return 0;
	if (r->inlen + n > sizeof r->inbuf)
		return 1;
	memcpy(r->inbuf + r->inlen, p, n);
	r->inlen += n;
	return 0;
}

/* Bytes of the streamed input, as the client sent them. */
static void
in_bytes(struct run *r, const char *p, size_t n)
{
	int d = http_resp_feed(&r->dec, p, n);

	if (d > 0)
		r->instream = r->drain = 0;
	if (d < 0) {
		r->instream = 0;
		r->inoff = r->inlen = 0;
		r->error = "the standard input is not valid chunked encoding";
		run_kill(r);
	}
	feed_end(r);
}

/* Read the streamed input: the buffer is empty.  An end before the last
 * chunk is a client that hung up. */
static void
in_read(struct run *r)
{
	char raw[IN_CHUNK];
	ssize_t n = read(r->cfd, raw, sizeof raw);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		r->instream = r->drain = 0;
		r->gone = 1;
		run_kill(r);
		feed_end(r);
		return;
	}
	in_bytes(r, raw, n);
}

/* The signals that came (TERM and INT kill the job; SIGHUP ends us, as
 * it always did), then the children that ended. */
static void
signals(struct run *r)
{
	int sig, st;
	pid_t p;

	while ((sig = loop_signal(&r->l)))
		switch (sig) {
		case SIGCHLD:
			break;
		case SIGHUP:
			sig_default(sig);
			break;
		default:
			r->sig = sig;
			run_kill(r);
		}
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == r->pid && !r->reaped) {
			r->reaped = 1;
			r->wstatus = st;
		}
	/* The leader is gone: so is the job.  Members it left behind are
	 * stopped, not waited for. */
	if (r->reaped && !r->killed && pg_alive(r->pid) == 1)
		run_kill(r);
}

/* Until the job is reaped and its output taken: one wait per turn on its
 * pipes, the client and the signals, until the deadline. */
static void
run_wait(struct run *r)
{
	struct loop *l = &r->l;
	long long end = r->deadline + GRACE_MS + 5000;

	while (r->p[0].fd >= 0 || r->p[1].fd >= 0 || !r->reaped) {
		int pi[2] = { -1, -1 }, wi = -1, ci;
		short ev = r->gone ? 0 : POLLRDHUP, rev;

		loop_begin(l);
		if (!r->killed && l->now >= r->deadline) {
			r->timed_out = 1;
			run_kill(r);
			continue;
		}
		if (r->killed && l->now >= end)
			break; /* pipes held open by an escapee: stop */
		loop_wake(l, r->killed ? end : r->deadline);
		for (int i = 0; i < 2; i++)
			if (r->p[i].fd >= 0)
				pi[i] = xloop_add(l, r->p[i].fd, POLLIN, NULL);
		if (r->wfd >= 0)
			wi = xloop_add(l, r->wfd, r->inoff < r->inlen ?
			    POLLOUT : 0, NULL);
		/* The next chunks once the last are in the pipe. */
		if (r->instream && !r->gone && r->inoff == r->inlen)
			ev |= POLLIN;
		ci = xloop_add(l, r->cfd, ev, NULL);
		if (loop_wait(l) < 0)
			err_diesys(EX_SYS, "unable to poll");
		for (int i = 0; i < 2; i++)
			if (loop_rev(l, pi[i]))
				pump(r, i);
		if (loop_rev(l, wi))
			feed(r, loop_rev(l, wi));
		rev = loop_rev(l, ci);
		if (r->instream && !r->gone && (rev & POLLIN))
			in_read(r);
		if (!r->gone && (rev & ~POLLIN)) {
			/* The client hung up: nobody wants the result. */
			r->gone = 1;
			run_kill(r);
		}
		if (loop_rev(l, 0))
			signals(r);
	}
	if (r->wfd >= 0)
		close(r->wfd);
	for (int i = 0; i < 2; i++)
		if (r->p[i].fd >= 0)
			close(r->p[i].fd);
}

/* The result is sent but the streamed input did not end (the job ended
 * first, or its chunking was bad): read and drop it until the client,
 * told we are done, closes, for a while, so that its unread bytes do not
 * reset the connection under the result. */
static void
linger(struct run *r)
{
	char raw[IN_CHUNK];
	long long end = clock_ms() + LINGER_MS, left;

	if (r->gone || !r->drain)
		return;
	shutdown(r->cfd, SHUT_WR);
	while ((left = end - clock_ms()) > 0) {
		int rev = loop_once(r->cfd, POLLIN, (int)left);
		ssize_t n;
		if (rev < 0 && errno == EINTR)
			continue;
		if (rev <= 0)
			break;
		if ((n = read(r->cfd, raw, sizeof raw)) == 0 ||
		    (n < 0 && errno != EINTR))
			break;
	}
}

/* The exit record: the last line of a stream, or the whole answer. */
static void
send_result(struct run *r)
{
	struct buf b = { 0 };

	if (r->gone)
		return;
	record(r, &b, clock_ms() - r->start);
	if (r->stream) {
		if (http_chunk(r->cfd, b.p, b.len) < 0 ||
		    http_chunk(r->cfd, NULL, 0) < 0)
			r->gone = 1;
	} else if (http_respond(r->cfd, 200, "application/json", b.p,
	    b.len, NULL) < 0) {
		r->gone = 1;
	}
}

/* The job as lib/spawn starts it: the leader of its own process group,
 * in its directory, with only the environment it was given; its standard
 * input from the request or /dev/null.  A step that failed comes back as
 * {step, errno}: the job's exit status and a line on its standard error
 * tell the client, as when the job itself wrote them. */
static void
job_start(struct run *r, struct job *j, char **argv)
{
	struct spawn sp = { .argv = argv, .envp = j->envp, .dirfd = -1,
	    .dir = j->cwd, .flags = SPAWN_PGRP, .fd = { j->in ||
	    j->stdin_stream ? SPAWN_PIPE : SPAWN_NULL, SPAWN_PIPE,
	    SPAWN_PIPE } };
	struct spawn_run run;
	int ret, e;

	r->start = clock_ms();
	r->deadline = r->start + j->timeout_ms;
	ret = spawn_start(&sp, &run);
	e = errno;
	r->pid = run.pid;
	r->wfd = run.fd[0];	/* all -1 after a failure */
	r->p[0] = (struct pipe){ run.fd[1], "stdout", { 0 }, 0 };
	r->p[1] = (struct pipe){ run.fd[2], "stderr", { 0 }, 0 };
	if (ret == 0)
		return;
	if (run.pid < 0)
		err_diesys(EX_SYS, "unable to %s the job", spawn_what(run.step));
	while (waitpid(run.pid, &r->wstatus, 0) < 0 && errno == EINTR)
		;
	r->reaped = 1;
	if (run.step == SPAWN_EXEC)
		snprintf(r->failed, sizeof r->failed, "guest-agent: fatal: "
		    "unable to exec %s: %s\n", argv[0], strerror(e));
	else
		snprintf(r->failed, sizeof r->failed, "guest-agent: fatal: "
		    "unable to set up the job: %s\n", strerror(e));
}

/* The worker process: lib/spawn's fn.  It keeps the main process's
 * signal mask and dispositions (SPAWN_NORESET), so a TERM sent to it
 * before its loop runs is not lost. */
int
worker(void *arg)
{
	struct work *w = arg;
	struct job *j = w->job;
	int cfd = w->cfd;
	struct run r = { .cfd = cfd, .cap = j->max_output, .stream = j->stream,
	    .in = j->in, .inlen = j->inlen };
	char codepath[4096] = "", **argv = j->argv;
	int fl;
	struct buf b = { 0 };

	/* What the main loop holds is not ours: close it. */
	server_leave(cfd);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (loop_init(&r.l, LOOP_SIGNALS) < 0)
		err_diesys(EX_SYS, "unable to create a signalfd");
	fl = fcntl(cfd, F_GETFL);
	fcntl(cfd, F_SETFL, fl & ~O_NONBLOCK);

	if (j->lang && !(argv = code_file(j, codepath, sizeof codepath))) {
		err_warnsys("unable to write %s", codepath);
		http_respond(cfd, 500, "application/json",
		    "{\"error\":\"unable to write the code file\"}\n", 41, NULL);
		unlink(codepath);
		return EX_SYS;
	}
	job_start(&r, j, argv);
	if (r.stream) {
		http_head(&b, 200, "application/x-ndjson", -1, NULL);
		if (io_writeall(cfd, b.p, b.len) < 0) {
			r.gone = 1;
			run_kill(&r);
		}
		buf_free(&b);
	}
	if (r.failed[0])
		take(&r, 1, r.failed, strlen(r.failed));
	if (j->stdin_stream) {
		r.in = r.inbuf;
		r.instream = r.drain = 1;
		http_chunked_init(&r.dec, in_piece, &r);
		in_bytes(&r, w->rest, w->restlen);
	}
	feed_end(&r);		/* an empty stdin */
	run_wait(&r);
	if (codepath[0])
		unlink(codepath);
	/* The job is over: its slot is free before the client has the
	 * result, so the client may start the next at once. */
	server_job_done();
	send_result(&r);
	linger(&r);
	return 0;
}
