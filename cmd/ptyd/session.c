/* ptyd's PTY sessions: the command started on a new terminal (lib/spawn),
 * its output read into the session's ring (ring.c), its input written,
 * its exit reaped, and each session's part of the loop.  The invariants
 * are those of ptyd.c's opening comment. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "pgkill.h"
#include "spawn.h"
#include "ptyd/ptyd.h"

extern char **environ;

struct session *
session_find(const char *id, size_t n)
{
	for (struct session *s = sessions; s; s = s->next)
		if (!s->exec && strlen(s->id) == n && memcmp(s->id, id, n) == 0)
			return s;
	return NULL;
}

/* The command's environment: ours, TERM=xterm-256color, then the
 * request's env, each replacing a variable of its name.  What it made is
 * in e->own, for env_free.  -1 for memory. */
struct env {
	char **e, **own;
	size_t n, nown;
};

static int
env_set(struct env *e, const char *key, const char *val)
{
	size_t kl = strlen(key), i;
	char *kv = malloc(kl + strlen(val) + 2);

	if (!kv)
		return -1;
	sprintf(kv, "%s=%s", key, val);
	e->own[e->nown++] = kv;
	for (i = 0; i < e->n; i++)
		if (!strncmp(e->e[i], key, kl) && e->e[i][kl] == '=')
			break;
	e->e[i] = kv;
	if (i == e->n)
		e->n++;
	return 0;
}

static void
env_free(struct env *e)
{
	for (size_t i = 0; i < e->nown; i++)
		free(e->own[i]);
	free(e->own);
	free(e->e);
}

static int
env_make(struct env *e, const struct json *env)
{
	const struct json *v;
	size_t n = 1;

	*e = (struct env){ 0 };
	for (char **p = environ; *p; p++)
		n++;
	for (v = env ? env->child : NULL; v; v = v->next)
		n++;
	if (!(e->e = calloc(n + 1, sizeof *e->e)) ||
	    !(e->own = calloc(n, sizeof *e->own)))
		return -1;
	for (char **p = environ; *p; p++)
		e->e[e->n++] = *p;
	if (env_set(e, "TERM", "xterm-256color") < 0)
		return -1;
	for (v = env ? env->child : NULL; v; v = v->next)
		if (env_set(e, v->key, v->s) < 0)
			return -1;
	return 0;
}

/* Start a session (exec: for execute-command, without a ring).  On
 * failure: NULL, with an HTTP status and a message. */
struct session *
session_new(int cols, int rows, char **argv, const char *cmdline,
    const struct json *env, const char *cwd, int exec, int *status,
    struct buf *why)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	struct spawn sp = { .argv = argv, .fd = { SPAWN_PTY, SPAWN_PTY,
	    SPAWN_PTY }, .ws = &ws, .dirfd = -1, .dir = cwd,
	    .flags = SPAWN_SESSION };
	struct spawn_run run;
	struct session *s;
	struct env e = { 0 };
	unsigned char rnd[8];
	int r;

	*status = 500;
	if (!(s = calloc(1, sizeof *s)) ||
	    (!exec && !(s->ring.p = malloc(scrollback))) ||
	    !(s->command = strdup(cmdline)) || env_make(&e, env) < 0) {
		buf_addf(why, "unable to allocate a session: %s", strerror(errno));
		goto fail;
	}
	if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd) {
		buf_addf(why, "unable to get random bytes: %s", strerror(errno));
		goto fail;
	}
	for (int i = 0; i < 8; i++)
		snprintf(s->id + 2 * i, 3, "%02x", rnd[i]);
	sp.envp = e.e;
	r = spawn_start(&sp, &run);
	if (r < 0) {
		/* Reported, not retried: the client asked for this command;
		 * the directory and the program are its own (400). */
		int err = errno;
		if (run.pid > 0)
			waitpid(run.pid, NULL, 0);
		buf_addf(why, "unable to %s %s: %s", spawn_what(run.step),
		    run.step == SPAWN_DIR ? cwd : argv[0], strerror(err));
		if (run.step == SPAWN_DIR || run.step == SPAWN_EXEC)
			*status = 400;
		goto fail;
	}
	env_free(&e);
	s->ptm = run.ptm;
	s->pid = run.pid;
	s->cols = cols;
	s->rows = rows;
	s->ring.cap = exec ? 0 : scrollback;
	s->exec = exec;
	s->started = time(NULL);
	s->next = sessions;
	sessions = s;
	nsessions++;
	if (verbose)
		err_info("session %s: started %s, pid %ld", s->id, cmdline,
		    (long)run.pid);
	return s;
fail:
	env_free(&e);
	if (s) {
		free(s->ring.p);
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
	if (s->waiter)
		s->waiter->s = NULL;
	buf_free(&s->inq);
	buf_free(&s->out);
	free(s->ring.p);
	free(s->command);
	free(s);
}

/* How many bytes the PTY may be read into now (see the invariants). */
static size_t
room(const struct session *s)
{
	if (s->exec)    /* read all, keep what fits (exec_keep) */
		return s->ptm >= 0 ? 65536 : 0;
	return session_room(&s->ring, s->ptm >= 0, s->live ? &s->live->off :
	    NULL);
}

/* What the PTY is polled for: room to read into, input to write. */
static short
session_events(const struct session *s)
{
	return (room(s) ? POLLIN : 0) | (s->inq.len ? POLLOUT : 0);
}

static void
session_eof(struct session *s)
{
	close(s->ptm);
	s->ptm = -1;
	s->eof = 1;
}

/* execute-command's output: the first EXEC_OUT_MAX bytes, the rest
 * dropped (and said so). */
static void
exec_keep(struct session *s, const char *p, size_t n)
{
	size_t k = EXEC_OUT_MAX - s->out.len;

	if (n > k)
		s->truncated = 1;
	else
		k = n;
	if (buf_add(&s->out, p, k) < 0)
		s->truncated = 1;
}

/* The PTY is still held EOF_GRACE_MS after the reap: it is ended.  An
 * execute-command's group is killed then, so what it left behind (which
 * holds the terminal, so the group is still its own) does not outlive
 * its answer. */
static void
session_held(struct session *s)
{
	if (s->exec)
		pg_signal(s->pid, SIGKILL);
	session_eof(s);
}

static void
session_read(struct session *s, long long now)
{
	static char tmp[65536];
	size_t at, n, budget = 4 * sizeof tmp;
	ssize_t r;

	while ((n = room(s)) > 0) {
		if (s->exec) {
			/* Bounded per turn: a flood must not hold the loop
			 * (nor, after the reap, the answer: below). */
			if (!budget) {
				if (s->reaped &&
				    now >= s->exited_ms + EOF_GRACE_MS)
					session_held(s);
				return;
			}
			budget -= n;
			r = read(s->ptm, tmp, n);
			if (r > 0) {
				exec_keep(s, tmp, r);
				continue;
			}
		} else {
			n = ring_span(&s->ring, n, 65536, &at);
			r = read(s->ptm, s->ring.p + at, n);
		}
		if (r > 0) {
			struct conn *c = s->live;
			/* Coalescing: under sustained output (QUIET_BYTES
			 * or more in this flush window) the rest of the
			 * window waits; a quiet session's output (echoed
			 * keystrokes, even typed fast) goes at once. */
			if (c && c->off == s->ring.end && !c->flush_at) {
				if (now >= c->win_at + flush_ms) {
					c->win_at = now;
					c->win_bytes = 0;
				}
				c->flush_at = c->win_bytes < QUIET_BYTES ? now :
				    c->win_at + flush_ms;
			}
			s->ring.end += r;
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
		if (r == 0 || (r < 0 && errno != EAGAIN))
			session_eof(s);
		else if (s->reaped && now >= s->exited_ms + EOF_GRACE_MS)
			session_held(s);
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
			/* An execute-command runs once: what it left in its
			 * group (a child that let go of the terminal) goes
			 * with it, not at some later limit. */
			if (s->exec)
				pg_signal(s->pid, SIGKILL);
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


/* Every session's PTY into l, and their deadlines; the first entry. */
int
sessions_wait(struct loop *l)
{
	int first = (int)l->n;

	for (struct session *s = sessions; s; s = s->next) {
		xloop_add(l, s->ptm, session_events(s), s);
		loop_wake(l, s->kill_at);
		loop_wake(l, s->exec_deadline);
		if (s->reaped && s->eof && !s->live && idle_ms)
			loop_wake(l, s->exited_ms + idle_ms);
		if (s->reaped && s->ptm >= 0)
			loop_wake(l, s->exited_ms + EOF_GRACE_MS);
	}
	return first;
}

/* Every session's turn; their entries start at i (sessions_wait).  The
 * poll set covers the sessions that existed before it, in list order;
 * newer ones (at the head of the list) wait for the next turn. */
void
sessions_run(struct loop *l, int i)
{
	struct session *s;
	short rev;

	for (s = sessions; s; s = s->next) {
		rev = loop_take(l, &i, s);
		if (rev & POLLOUT)
			session_write(s);
		if (rev & (POLLIN | POLLHUP | POLLERR))
			session_read(s, l->now);
	}
	for (s = sessions; s; s = s->next) {
		/* After the reap, read what is left, then EOF. */
		if (s->reaped && s->ptm >= 0)
			session_read(s, l->now);
		/* execute-command's time limit: the group is killed. */
		if (s->exec_deadline && l->now >= s->exec_deadline) {
			if (!s->reaped) {
				pg_signal(s->pid, SIGKILL);
				s->timed_out = 1;
			}
			s->exec_deadline = 0;
		}
		if (s->kill_at && l->now >= s->kill_at) {
			if (!s->reaped)
				pg_signal(s->pid, SIGKILL);
			s->kill_at = 0;
		}
	}
}

/* s may go: an execute-command that is over, a session whose exit a
 * client was sent, or that nobody attached to within --idle-timeout of
 * its exit. */
static int
session_over(const struct session *s, long long now)
{
	if (s->exec)
		return s->reaped && s->eof;
	return s->seen || (s->reaped && s->eof && !s->live && idle_ms &&
	    now >= s->exited_ms + idle_ms);
}

/* The end of a turn: the sessions that are over go, an execute-command
 * answered first. */
void
sessions_done(long long now)
{
	struct session *s, *sn;

	for (s = sessions; s; s = sn) {
		sn = s->next;
		if (!session_over(s, now))
			continue;
		if (s->exec)
			exec_answer(s);
		session_free(s);
	}
}
