/* ptyd's PTY sessions: spawning the command on a new terminal, the
 * scrollback ring its output goes into, reading and writing the PTY, and
 * reaping.  The invariants are those of ptyd.c's opening comment. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"
#include "err.h"
#include "pgkill.h"
#include "ptyopen.h"
#include "ptyd/ptyd.h"

struct session *
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
uint64_t
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
struct session *
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


void
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
size_t
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

void
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

void
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

void
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

void
session_resize(struct session *s, int cols, int rows)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	s->cols = cols;
	s->rows = rows;
	if (s->ptm >= 0)
		ioctl(s->ptm, TIOCSWINSZ, &ws);
}

void
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

