#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "ptyopen.h"
#include "spawn.h"

extern char **environ;

const char *
spawn_what(enum spawn_step step)
{
	static const char *const what[] = { "start", "set up the terminal for",
		"set up the descriptors for", "change directory for", "reset",
		"prepare", "exec" };

	return (unsigned)step < sizeof what / sizeof *what ? what[step] :
	    "start";
}

static void
closeall(int *fd, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fd[i] >= 0) {
			close(fd[i]);
			fd[i] = -1;
		}
}

/* Close every descriptor run still holds: the go and result pipes, our
 * ends of the streams, the terminal's master. */
static void
release(struct spawn_run *run)
{
	closeall(&run->go, 1);
	closeall(&run->res, 1);
	closeall(run->fd, 3);
	closeall(&run->ptm, 1);
}

static _Noreturn void
child_fail(int res, enum spawn_step step)
{
	int msg[2] = { step, errno };

	if (write(res, msg, sizeof msg) < 0)
		_exit(111);
	_exit(step != SPAWN_EXEC ? 111 : msg[1] == ENOENT ? 127 : 126);
}

/* In the child: the steps of spawn.h, in order.  mine[i] is the child's
 * end of each stream; theirs[] are the parent's ends, closed here. */
static _Noreturn void
child(const struct spawn *sp, int *mine, int *theirs, int ptm, int go,
    int res)
{
	char g;

	closeall(theirs, 3);
	if (ptm >= 0)
		close(ptm);
	if ((sp->flags & SPAWN_SESSION) || ptm >= 0) {
		if (setsid() < 0)
			child_fail(res, SPAWN_TTY);
	} else if ((sp->flags & SPAWN_PGRP) && setpgid(0, 0) < 0) {
		child_fail(res, SPAWN_TTY);
	}
	for (int i = 0; i < 3; i++)
		if (ptm >= 0 && sp->fd[i] == SPAWN_PTY) {
			if (ioctl(mine[i], TIOCSCTTY, 0) < 0)
				child_fail(res, SPAWN_TTY);
			break;
		}
	/* Move every source above 2 first, so no dup2 overwrites a
	 * source another stream still needs.  A kept stream is in place
	 * already, as it is (closed, if ours is): no copy of it is left
	 * behind above 2. */
	for (int i = 0; i < 3; i++)
		if (sp->fd[i] != SPAWN_KEEP && mine[i] >= 0 && mine[i] <= 2 &&
		    (mine[i] = fcntl(mine[i], F_DUPFD_CLOEXEC, 3)) < 0)
			child_fail(res, SPAWN_FDS);
	for (int i = 0; i < 3; i++)
		if (sp->fd[i] != SPAWN_KEEP && mine[i] >= 0 &&
		    dup2(mine[i], i) < 0)
			child_fail(res, SPAWN_FDS);
	if ((sp->dirfd >= 0 && fchdir(sp->dirfd) < 0) ||
	    (sp->dirfd < 0 && sp->dir && chdir(sp->dir) < 0))
		child_fail(res, SPAWN_DIR);
	if (!(sp->flags & SPAWN_NORESET) && child_reset() < 0)
		child_fail(res, SPAWN_RESET);
	if (sp->setup && sp->setup(sp->arg) < 0)
		child_fail(res, SPAWN_SETUP);
	if (go >= 0 && read(go, &g, 1) != 1)
		_exit(111);	/* cancelled: nothing ran */
	if (!sp->argv) {
		/* Nothing left to fail: spawn_start returns while fn runs. */
		close(res);
		if (go >= 0)
			close(go);
		_exit(sp->fn(sp->arg));
	}
	if (sp->envp)
		environ = (char **)sp->envp;
	execvp(sp->path ? sp->path : sp->argv[0], sp->argv);
	child_fail(res, SPAWN_EXEC);
}

/* The result of the exec: 0, or -1 with errno and run->step. */
static int
result(struct spawn_run *run)
{
	int msg[2];
	ssize_t n;

	char eof;

	do
		n = read(run->res, msg, sizeof msg);
	while (n < 0 && errno == EINTR);
	if (n != sizeof msg) {
		closeall(&run->res, 1);
		return 0;
	}
	/* Wait for the child's end to close as it exits: a terminal's
	 * master closed before that hangs the child up, and SIGHUP, not
	 * the exit status of the step, would be its end. */
	while (read(run->res, &eof, 1) < 0 && errno == EINTR)
		;
	closeall(&run->res, 1);
	release(run);
	run->step = msg[0];
	errno = msg[1];
	return -1;
}

int
spawn_start(const struct spawn *sp, struct spawn_run *run)
{
	int mine[3] = { -1, -1, -1 }, gp[2] = { -1, -1 }, rp[2] = { -1, -1 };
	int pts = -1, e;

	*run = (struct spawn_run){ .pid = -1, .fd = { -1, -1, -1 }, .ptm = -1,
	    .step = SPAWN_FORK, .go = -1, .res = -1 };
	for (int i = 0; i < 3; i++) {
		int p[2];
		switch (sp->fd[i]) {
		case SPAWN_KEEP:
			mine[i] = i;
			break;
		case SPAWN_NULL:
			if ((mine[i] = open("/dev/null", (i ? O_WRONLY :
			    O_RDONLY) | O_CLOEXEC)) < 0)
				goto fail;
			break;
		case SPAWN_PIPE:
			if (pipe2(p, O_CLOEXEC) < 0)
				goto fail;
			mine[i] = p[i ? 1 : 0];
			run->fd[i] = p[i ? 0 : 1];
			fcntl(run->fd[i], F_SETFL, O_NONBLOCK);
			break;
		case SPAWN_PTY:
			if (run->ptm < 0 && pty_open(&run->ptm, &pts, sp->ws) < 0)
				goto fail;
			if ((mine[i] = fcntl(pts, F_DUPFD_CLOEXEC, 0)) < 0)
				goto fail;
			break;
		default:
			if ((mine[i] = fcntl(sp->fd[i], F_DUPFD_CLOEXEC, 0)) < 0)
				goto fail;
		}
	}
	if (run->ptm >= 0)
		fcntl(run->ptm, F_SETFL, O_NONBLOCK);
	if (pipe2(rp, O_CLOEXEC) < 0 ||
	    ((sp->flags & SPAWN_GO) && pipe2(gp, O_CLOEXEC) < 0) ||
	    (run->pid = fork()) < 0)
		goto fail;
	if (run->pid == 0) {
		close(rp[0]);
		if (gp[1] >= 0)
			close(gp[1]);
		if (pts >= 0)
			close(pts);
		child(sp, mine, run->fd, run->ptm, gp[0], rp[1]);
	}
	for (int i = 0; i < 3; i++)
		if (sp->fd[i] != SPAWN_KEEP)
			close(mine[i]);
	if (pts >= 0)
		close(pts);
	close(rp[1]);
	run->res = rp[0];
	if (gp[0] >= 0) {
		close(gp[0]);
		run->go = gp[1];
		return 0;
	}
	return result(run);
fail:
	e = errno;
	for (int i = 0; i < 3; i++)
		if (sp->fd[i] != SPAWN_KEEP && mine[i] >= 0)
			close(mine[i]);
	closeall(rp, 2);
	closeall(gp, 2);
	if (pts >= 0)
		close(pts);
	release(run);
	run->pid = -1;
	errno = e;
	return -1;
}

int
spawn_go(struct spawn_run *run)
{
	if (run->go >= 0) {
		/* A child that failed before the go byte has closed its end:
		 * EPIPE here, and its reason waits in the result pipe. */
		write(run->go, "g", 1);
		closeall(&run->go, 1);
	}
	return result(run);
}

void
spawn_cancel(struct spawn_run *run)
{
	release(run);
}
