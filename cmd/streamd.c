/* streamd: a stdio broker for one running command.
 *
 * streamd runs a command with its stdout and stderr on pipes (or both on
 * a PTY with -t) and serves its stdio to one client at a time on a Unix
 * socket (mode 0600).  `streamd attach SOCKET` is that client, in
 * cmd/streamd/attach.c.  The wire format is in lib/frame.h; the states and
 * guarantees in streamd(1).  The command is started by lib/spawn, the
 * socket is lib/unixsock's, and every turn is one wait on lib/loop.
 *
 * Invariants:
 * - Output is read from the command only into free buffer space: a full
 *   buffer stops the reads and so the command (backpressure, no drops).
 * - Bytes leave the buffer only when a client acknowledges having written
 *   them out; a new client starts at the oldest unacknowledged byte.
 * - A client writes a chunk out only after it has sent a CLAIM for it and
 *   then found its connection still open for reading.  A preempted client
 *   is sent PREEMPT, then its connection is shut down for writing (the
 *   revocation: from then on its check fails, so it writes nothing more,
 *   however long it was stopped and whatever is still unread in its
 *   socket), then every claim it sent before is read.  The next client
 *   starts once those claimed chunks are acknowledged, or the old client
 *   closes, or PREEMPT_GRACE_MS have passed: only in that last case, with
 *   a claimed chunk unacknowledged, may a byte be written twice; it is
 *   logged.
 * - The exit is reported (exit file, EXIT frame) only once the command has
 *   exited, its output reached EOF and every byte was acknowledged.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "atomic.h"
#include "child.h"
#include "clock.h"
#include "err.h"
#include "frame.h"
#include "loop.h"
#include "num.h"
#include "pgkill.h"
#include "ready.h"
#include "spawn.h"
#include "unixsock.h"

#include "streamd/streamd.h"

#define PREEMPT_GRACE_MS 2000
/* Room for two data frames; the feed leaves RESERVE free for control
 * frames (PREEMPT, EXIT, STDIN_ACK), so those always fit. */
#define OUTCAP (2 * (FRAME_HDR + FRAME_MAX))
#define RESERVE (2 * FRAME_HDR)

/* One output stream: bytes [acked, end) held in buf[head, head+len). */
struct stream {
	int fd;          /* read end from the command, -1 at EOF */
	uint8_t *buf;
	size_t cap, head, len;
	uint64_t acked, sent;
};

struct client {
	int fd;
	uint8_t in[FRAME_HDR + FRAME_MAX];
	size_t inlen;
	uint8_t out[OUTCAP];
	size_t outpos, outlen;
	uint64_t stdin_off;  /* stdin bytes received from this client */
	uint64_t stdin_base; /* global stdin position when it started */
	uint64_t stdin_acked;
	uint64_t claimed[3]; /* [stream]: end of the last chunk it claimed */
	uint64_t need[3];    /* revoked: what it claimed before, to be acked */
	int revoked;         /* preempted, and its connection shut down */
	long long deadline;  /* preempted: closed by then */
};

/* The options. */
static const char *sockpath = "streamd.sock", *exitfile, *fifo;
static long long bufsize = 1 << 20, readyfd = -1, linger_ms = -1;
static int tty;

static struct loop lp;
static struct stream out[3];        /* [1] stdout, [2] stderr */
static struct client *cur, *old, *pending;
static int lsock = -1, cin = -1, ptm = -1;
static pid_t child;
static int exited, wstatus;
static long long linger_until;
/* stdin from clients to the command, in order */
static uint8_t *sin;
static size_t sinlen, sincap;
static uint64_t sin_total, sin_done;
static int sin_eof;

void
usage(void)
{
	fprintf(stderr, "usage: streamd [-t] [-s socket] [-b bytes] [-l linger] "
	    "[-e exitfile] [-R readyfifo] [-N fd] [--] command ...\n"
	    "       streamd attach [-O journal] socket\n");
	exit(EX_USAGE);
}

/* --- clients ---------------------------------------------------------- */

static void
client_close(struct client *c, const char *why)
{
	if (!c)
		return;
	if (why)
		err_info("client closed: %s", why);
	close(c->fd);
	if (c == cur)
		cur = NULL;
	if (c == old)
		old = NULL;
	if (c == pending)
		pending = NULL;
	free(c);
}

static int
client_room(struct client *c, size_t n)
{
	if (c->outlen + n > OUTCAP && c->outpos) {
		memmove(c->out, c->out + c->outpos, c->outlen - c->outpos);
		c->outlen -= c->outpos;
		c->outpos = 0;
	}
	return c->outlen + n <= OUTCAP;
}

/* Queue a frame; the caller makes sure it fits (out is empty or has room). */
static void
client_put(struct client *c, int type, int stream, const void *data,
    uint32_t len, uint64_t off)
{
	if (c->outpos == c->outlen)
		c->outpos = c->outlen = 0;
	if (!client_room(c, FRAME_HDR + len))
		abort(); /* RESERVE keeps room for control frames */
	frame_header(c->out + c->outlen, type, stream, len, off);
	if (len)
		memcpy(c->out + c->outlen + FRAME_HDR, data, len);
	c->outlen += FRAME_HDR + len;
}

static int
client_flush(struct client *c)
{
	while (c->outpos < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outpos,
		    c->outlen - c->outpos, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -1;
		}
		c->outpos += n;
	}
	return 0;
}

static void
client_start(struct client *c)
{
	cur = c;
	/* Replay from the oldest byte not yet written out by anyone. */
	out[1].sent = out[1].acked;
	out[2].sent = out[2].acked;
	c->stdin_base = sin_total;
	client_put(c, F_HELLO, tty, "streamd", 7, FRAME_VERSION);
}

static void
stream_release(struct stream *s, uint64_t off)
{
	size_t n = off - s->acked;

	s->head += n;
	s->len -= n;
	s->acked = off;
	if (s->len == 0)
		s->head = 0;
}

static void
sin_push(const uint8_t *p, size_t n)
{
	if (sinlen + n > sincap) {
		size_t cap = sincap ? sincap : 2 * STDIN_WINDOW;
		while (cap < sinlen + n)
			cap *= 2;
		if (!(sin = realloc(sin, cap)))
			err_diesys(EX_SYS, "unable to allocate stdin buffer");
		sincap = cap;
	}
	memcpy(sin + sinlen, p, n);
	sinlen += n;
	sin_total += n;
}

/* Handle one frame from a client; -1 closes it. */
static int
client_frame(struct client *c, const struct frame *f, const char **why)
{
	struct winsize ws;

	switch (f->type) {
	case F_ACK: {
		struct stream *s = &out[f->stream];
		/* Only what was sent to this client can be acknowledged. */
		if (f->off < s->acked || f->off > s->sent || (c != cur && c != old)) {
			*why = "acknowledged bytes it was never sent";
			return -1;
		}
		stream_release(s, f->off);
		return 0;
	}
	case F_CLAIM: {
		struct stream *s = &out[f->stream];
		if (f->off < s->acked || f->off > s->sent || (c != cur && c != old)) {
			*why = "claimed bytes it was never sent";
			return -1;
		}
		if (f->off > c->claimed[f->stream])
			c->claimed[f->stream] = f->off;
		return 0;
	}
	case F_STDIN: {
		/* The window is the server's to keep: at most STDIN_WINDOW
		 * bytes past what the command has taken from this client. */
		uint64_t done = sin_done > c->stdin_base ?
		    sin_done - c->stdin_base : 0;
		if (f->off != c->stdin_off) {
			*why = "stdin offset out of sequence";
			return -1;
		}
		if (c->stdin_off + f->len > done + STDIN_WINDOW) {
			*why = "sent stdin past its window";
			return -1;
		}
		c->stdin_off += f->len;
		if (sin_eof || cin < 0) {
			/* Stdin was closed (by an earlier client's EOF, or the
			 * command ended): these bytes have nowhere to go. */
			sin_total += f->len;
			sin_done += f->len;
			return 0;
		}
		sin_push(f->data, f->len);
		return 0;
	}
	case F_STDIN_EOF:
		sin_eof = 1;
		return 0;
	case F_RESIZE:
		if (!tty)
			return 0;
		memset(&ws, 0, sizeof ws);
		ws.ws_row = f->data[0] << 8 | f->data[1];
		ws.ws_col = f->data[2] << 8 | f->data[3];
		ioctl(ptm, TIOCSWINSZ, &ws);
		return 0;
	}
	*why = "frame type not sent by clients";
	return -1;
}

/* Read and handle what c sent: 1 if something was read, 0 if there was
 * nothing to read, -1 if c was closed (and freed). */
static int
client_read(struct client *c)
{
	const char *why = NULL;
	struct frame f;
	ssize_t n, used;
	size_t pos = 0;

	n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen,
	    MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* A disconnect, even mid-frame: the partial frame is
		 * dropped and we wait for the next client at once. */
		client_close(c, n == 0 ? "disconnected" : strerror(errno));
		return -1;
	}
	c->inlen += n;
	while ((used = frame_decode(c->in + pos, c->inlen - pos, &f, &why)) > 0) {
		if (client_frame(c, &f, &why) < 0) {
			used = -1;
			break;
		}
		pos += used;
	}
	if (used < 0) {
		err_warn("client sent a malformed frame (%s); closing it", why);
		client_close(c, NULL);
		return -1;
	}
	memmove(c->in, c->in + pos, c->inlen - pos);
	c->inlen -= pos;
	return 1;
}

/* Take the output away from the preempted client, once PREEMPT is out (or
 * its grace is over).  The shutdown comes first: a client checks for it
 * after claiming a chunk and before writing it, so any chunk it writes
 * from now on was claimed before, and every such claim is already in its
 * socket.  Those are read now; the client is done once they are acked. */
static void
old_revoke(void)
{
	if (!old || old->revoked)
		return;
	shutdown(old->fd, SHUT_WR);
	old->revoked = 1;
	while (old && client_read(old) > 0)
		;
	if (old) {
		old->need[1] = old->claimed[1];
		old->need[2] = old->claimed[2];
	}
}

/* The preempted client can write nothing the next one will be sent. */
static int
old_done(void)
{
	return old->revoked && out[1].acked >= old->need[1] &&
	    out[2].acked >= old->need[2];
}

static void
client_accept(void)
{
	struct client *c;
	int fd = accept4(lsock, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			err_warnsys("unable to accept on %s", sockpath);
		return;
	}
	if (!(c = calloc(1, sizeof *c))) {
		close(fd);
		err_warnsys("unable to allocate a client");
		return;
	}
	c->fd = fd;
	if (pending) {
		/* Never started: nothing to hand over. */
		client_put(pending, F_PREEMPT, 0, NULL, 0, 0);
		client_flush(pending);
		client_close(pending, "preempted before it started");
	}
	if (cur) {
		if (old)
			client_close(old, "preempted client too slow to close");
		old = cur;
		cur = NULL;
		old->deadline = clock_ms() + PREEMPT_GRACE_MS;
		/* After the data frames already queued: it writes none
		 * of them once revoked, which follows when this is sent. */
		client_put(old, F_PREEMPT, 0, NULL, 0, 0);
		err_info("new client preempts the current one");
	}
	if (old)
		pending = c;
	else
		client_start(c);
}

/* --- the command ------------------------------------------------------ */

/* The command in its own session, on a terminal (-t) or three pipes.
 * Any failure of the child is one to run the command: 127 for ENOENT,
 * 126 otherwise. */
static void
spawn(char **argv)
{
	struct spawn sp = { .argv = argv, .dirfd = -1, .flags = SPAWN_SESSION };
	struct spawn_run run;
	int e;

	for (int i = 0; i < 3; i++)
		sp.fd[i] = tty ? SPAWN_PTY : SPAWN_PIPE;
	if (spawn_start(&sp, &run) < 0) {
		if (run.pid < 0)
			err_diesys(EX_SYS, "unable to start %s", argv[0]);
		e = errno;
		waitpid(run.pid, NULL, 0);
		unlink(sockpath);
		errno = e;
		err_diesys(e == ENOENT ? EX_NOTFOUND : EX_NOEXEC,
		    "unable to run %s", argv[0]);
	}
	child = run.pid;
	ptm = run.ptm;
	out[1].fd = tty ? ptm : run.fd[1];
	out[2].fd = run.fd[2];
	cin = tty ? ptm : run.fd[0];
}

static void
stream_fill(struct stream *s)
{
	ssize_t n;

	if (s->head + s->len == s->cap && s->head) {
		memmove(s->buf, s->buf + s->head, s->len);
		s->head = 0;
	}
	n = read(s->fd, s->buf + s->head + s->len, s->cap - s->head - s->len);
	if (n > 0) {
		s->len += n;
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EOF, or EIO from a PTY whose slave side is all closed. */
	if (s->fd != ptm)
		close(s->fd);
	s->fd = -1;
}

static void
stdin_drain(void)
{
	ssize_t n;

	if (cin < 0)
		return;
	while (sinlen) {
		n = write(cin, sin, sinlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* The command closed its stdin: what is left cannot be
			 * delivered; count it as consumed so clients move on. */
			n = sinlen;
		}
		memmove(sin, sin + n, sinlen - n);
		sinlen -= n;
		sin_done += n;
	}
	if (sin_eof) {
		if (tty) {
			/* A PTY has no half-close: send the EOF character. */
			struct termios t;
			char eof = 4;
			if (tcgetattr(ptm, &t) == 0 && t.c_cc[VEOF])
				eof = t.c_cc[VEOF];
			write(ptm, &eof, 1);
		} else {
			close(cin);
		}
		cin = -1;
	}
}

/* Queue data (and stdin acks) for the current client while it has room. */
static void
client_feed(struct client *c)
{
	uint64_t done = sin_done > c->stdin_base ? sin_done - c->stdin_base : 0;

	if (done > c->stdin_off)
		done = c->stdin_off;
	if (done != c->stdin_acked) {
		client_put(c, F_STDIN_ACK, 0, NULL, 0, done);
		c->stdin_acked = done;
	}
	for (int i = 1; i <= 2; i++) {
		struct stream *s = &out[i];
		while (s->sent < s->acked + s->len) {
			size_t n = s->acked + s->len - s->sent;
			if (n > FRAME_MAX)
				n = FRAME_MAX;
			if (!client_room(c, FRAME_HDR + n + RESERVE))
				return;
			client_put(c, F_DATA, i,
			    s->buf + s->head + (s->sent - s->acked), n, s->sent);
			s->sent += n;
		}
	}
}

/* All output read from the command (and, with acked, all acknowledged). */
static int
drained(int acked)
{
	for (int i = 1; i <= 2; i++)
		if (out[i].fd >= 0 || (acked && out[i].len))
			return 0;
	return 1;
}

static void
write_exitfile(void)
{
	char buf[64];
	int n;

	if (!exitfile)
		return;
	if (WIFSIGNALED(wstatus))
		n = snprintf(buf, sizeof buf, "signal %d\n", WTERMSIG(wstatus));
	else
		n = snprintf(buf, sizeof buf, "exit %d\n", WEXITSTATUS(wstatus));
	if (atomic_write_path(exitfile, buf, n, 0644) < 0)
		err_warnsys("unable to write %s", exitfile);
}

/* The end, once the exit was delivered (the EXIT frame went out) or no
 * client took the output within the linger time: the exit status. */
static int
finish(int delivered)
{
	if (!delivered)
		write_exitfile();
	unlink(sockpath);
	if (delivered)
		return status_code(wstatus);
	err_warn("no client took the output (%llu bytes) within the linger "
	    "time", (unsigned long long)(out[1].len + out[2].len));
	return EX_TIMEOUT;
}

/* Everything acknowledged: report the exit.  The exit file is written
 * before the EXIT frame goes out, so a client that has seen EXIT finds
 * the file in place. */
static int
report_exit(void)
{
	int32_t code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	int32_t sig = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
	uint8_t e[8];

	write_exitfile();
	for (int i = 0; i < 4; i++) {
		e[i] = (uint32_t)code >> (24 - 8 * i);
		e[4 + i] = (uint32_t)sig >> (24 - 8 * i);
	}
	client_put(cur, F_EXIT, 0, e, 8, 0);
	fcntl(cur->fd, F_SETFL, 0);
	client_flush(cur);
	shutdown(cur->fd, SHUT_WR);
	return finish(1);
}

/* The preempted client's grace is over: whatever it claimed and has not
 * acknowledged, the next client writes again; that range is logged. */
static void
old_expire(void)
{
	old_revoke();
	for (int i = 1; old && i <= 2; i++)
		if (out[i].acked < old->need[i])
			err_warn("%s bytes %llu-%llu may be written twice: a "
			    "preempted client was still writing them out "
			    "after %d s", i == 1 ? "stdout" : "stderr",
			    (unsigned long long)out[i].acked,
			    (unsigned long long)old->need[i],
			    PREEMPT_GRACE_MS / 1000);
	if (old)
		client_close(old, "preempted client too slow to close");
}

/* Move the clients on: the current one fed and flushed, the preempted
 * one taken back and closed once done or out of time, then the waiting
 * one started. */
static void
clients_settle(long long now)
{
	if (cur)
		client_feed(cur);
	if (cur && client_flush(cur) < 0)
		client_close(cur, strerror(errno));
	if (old && client_flush(old) < 0)
		client_close(old, strerror(errno));
	if (old && !old->revoked && old->outpos == old->outlen)
		old_revoke();
	if (old && old_done())
		client_close(old, "preempted, its output handed over");
	if (old && now >= old->deadline)
		old_expire();
	if (!old && pending)
		client_start(pending), pending = NULL;
}

/* The signals that came: -1 to go on, else the status to exit with. */
static int
signals(void)
{
	int sig;

	while ((sig = loop_signal(&lp)) > 0) {
		if (sig == SIGCHLD) {
			if (!exited && waitpid(child, &wstatus, WNOHANG) == child)
				exited = 1;
		} else if (!exited) {
			/* Forwarded: the command decides. */
			pg_signal(child, sig);
		} else if (!cur) {
			/* Once it has exited, they end the linger. */
			return finish(0);
		}
	}
	return -1;
}

static short
want_out(const struct client *c)
{
	return c->outpos < c->outlen ? POLLOUT : 0;
}

/* The first part of a turn: stdin written, the clients moved on, then
 * the exit reported or the linger ended if it is time (the status to
 * exit with), else -1. */
static int
settle(void)
{
	/* Stdin first, so its acknowledgement goes out in this pass. */
	stdin_drain();
	clients_settle(lp.now);
	if (exited && drained(1) && cur && cur->outpos == cur->outlen)
		return report_exit();
	/* Linger only while nobody is attached or waiting. */
	if (exited && drained(0) && !cur && !old && !pending &&
	    linger_ms >= 0) {
		if (!linger_until)
			linger_until = lp.now + linger_ms;
		if (lp.now >= linger_until)
			return finish(0);
		loop_wake(&lp, linger_until);
	} else {
		linger_until = 0;
	}
	if (exited && cin >= 0) {
		/* Nobody will read stdin any more. */
		if (cin != ptm)
			close(cin);
		cin = -1;
		sin_done += sinlen;
		sinlen = 0;
	}
	return -1;
}

/* What this turn waits for, in the order handle() takes it. */
static void
watch(void)
{
	for (int i = 1; i <= 2; i++)
		if (out[i].fd >= 0 && out[i].len < out[i].cap)
			loop_add(&lp, out[i].fd, POLLIN, &out[i]);
	if (cin >= 0 && sinlen)
		loop_add(&lp, cin, POLLOUT, &cin);
	if (old) {
		loop_add(&lp, old->fd, POLLIN | want_out(old), old);
		loop_wake(&lp, old->deadline);
	}
	if (cur)
		loop_add(&lp, cur->fd, POLLIN | want_out(cur), cur);
	/* POLLHUP is not asked for but always reported: a waiting client
	 * is watched only for going away. */
	if (pending)
		loop_add(&lp, pending->fd, POLLHUP, pending);
	loop_add(&lp, lsock, POLLIN, &lsock);
}

/* What came: the status to exit with if a signal ends the linger, else
 * -1.  Each entry is taken by its object in watch()'s order; no handler
 * frees a client other than its own before that client's turn, and the
 * accept, which makes one, comes last. */
static int
handle(void)
{
	int i = 1, code;

	if (loop_rev(&lp, 0) && (code = signals()) >= 0)
		return code;
	for (int s = 1; s <= 2; s++)
		if (loop_take(&lp, &i, &out[s]))
			stream_fill(&out[s]);
	loop_take(&lp, &i, &cin);	/* written at the next turn */
	if (old && loop_take(&lp, &i, old))
		client_read(old);
	if (cur && loop_take(&lp, &i, cur) & (POLLIN | POLLHUP | POLLERR))
		client_read(cur);
	if (pending && loop_take(&lp, &i, pending) & (POLLHUP | POLLERR))
		client_close(pending, "disconnected while waiting");
	if (loop_take(&lp, &i, &lsock))
		client_accept();
	return -1;
}

/* The server's turns, one wait each, until the exit is delivered or the
 * linger is over: the status to exit with. */
static int
serve(void)
{
	int code;

	for (;;) {
		loop_begin(&lp);
		if ((code = settle()) >= 0)
			return code;
		watch();
		if (loop_wait(&lp) < 0)
			err_diesys(EX_SYS, "unable to poll");
		if ((code = handle()) >= 0)
			return code;
	}
}

/* The listening socket first, so a failure leaves no command running;
 * then the signal descriptor, before there is a child to signal; then
 * the command; then readiness. */
static void
setup(char **argv)
{
	for (int i = 1; i <= 2; i++) {
		out[i].cap = bufsize;
		if (!(out[i].buf = malloc(bufsize)))
			err_diesys(EX_SYS, "unable to allocate %lld bytes",
			    bufsize);
	}
	/* A stale socket from a crash is replaced, a live one refused
	 * (lib/unixsock: only a socket is removed, mode 0600). */
	if ((lsock = unixsock_listen(sockpath, 16)) < 0) {
		if (errno == EADDRINUSE)
			err_die(EX_SYS, "unable to bind %s: another streamd "
			    "serves it", sockpath);
		err_diesys(EX_SYS, "unable to bind %s", sockpath);
	}
	if (loop_init(&lp, LOOP_SIGNALS) < 0)
		err_diesys(EX_SYS, "unable to create signalfd");
	spawn(argv);
	err_info("serving pid %ld on %s", (long)child, sockpath);
	if (fifo && ready_fifo(fifo, READY_TIMEOUT_MS) < 0) {
		err_warnsys("unable to notify readiness on %s", fifo);
		pg_kill(child, child, 1000, NULL);
		unlink(sockpath);
		err_die(EX_SYS, "unable to notify readiness on %s: no reader "
		    "within %d s", fifo, READY_TIMEOUT_MS / 1000);
	}
	if (readyfd >= 0 && ready_fd(readyfd) < 0)
		err_warnsys("unable to notify readiness on fd %lld", readyfd);
}

static void
parse(int argc, char **argv)
{
	int c;

	if ((fifo = getenv(READY_ENV)) && !*fifo)
		fifo = NULL;
	while ((c = getopt(argc, argv, "+ts:b:l:e:R:N:h")) != -1) {
		switch (c) {
		case 't': tty = 1; break;
		case 's': sockpath = optarg; break;
		case 'b':
			bufsize = xnum_opt(c, optarg, 4096, 1LL << 30,
			    "number of bytes");
			break;
		case 'l':
			linger_ms = 1000 * xnum_opt(c, optarg, 0, 31536000,
			    "number of seconds");
			break;
		case 'e': exitfile = optarg; break;
		case 'R': fifo = optarg; break;
		case 'N':
			readyfd = xnum_opt(c, optarg, 3, 1 << 20,
			    "file descriptor");
			break;
		default: usage();
		}
	}
}

int
main(int argc, char **argv)
{
	err_setprog(argv[0]);
	if (argc > 1 && strcmp(argv[1], "attach") == 0)
		return attach(argc - 1, argv + 1);
	parse(argc, argv);
	if (optind >= argc)
		usage();
	if (strlen(sockpath) >= SUN_PATH_MAX)
		err_die(EX_USAGE, "unable to use socket %s: longer than %zu "
		    "bytes", sockpath, SUN_PATH_MAX - 1);
	if (readyfd >= 0 && fcntl(readyfd, F_GETFD) < 0)
		err_diesys(EX_USAGE, "unable to use -N %lld", readyfd);
	setup(argv + optind);
	return serve();
}
