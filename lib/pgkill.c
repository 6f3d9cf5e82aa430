#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "pgkill.h"

int
pg_signal(pid_t pgid, int sig)
{
	if (pgid <= 1 || pgid == getpgrp()) {
		errno = EPERM;
		return -1;
	}
	return kill(-pgid, sig);
}

int
pg_alive(pid_t pgid)
{
	if (pg_signal(pgid, 0) == 0)
		return 1;
	return errno == ESRCH ? 0 : -1;
}

/* Reap the leader (once) and any other dead children of ours that are in
 * the group; returns 1 once the leader has been reaped. */
static int
reap(pid_t leader, pid_t pgid, int *reaped, int *wstatus)
{
	int st;
	pid_t p;

	while ((p = waitpid(-pgid, &st, WNOHANG)) > 0)
		if (p == leader) {
			*reaped = 1;
			*wstatus = st;
		}
	if (!*reaped && (p = waitpid(leader, &st, WNOHANG)) == leader) {
		*reaped = 1;
		*wstatus = st;
	}
	return *reaped;
}

int
pg_kill(pid_t leader, pid_t pgid, int grace_ms, int *wstatus)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	long long deadline;
	int reaped = 0, st = 0, killed = 0;

	if (pg_signal(pgid, SIGTERM) < 0) {
		if (errno != ESRCH)
			return -1;
	} else {
		pg_signal(pgid, SIGCONT);
	}
	deadline = clock_ms() + grace_ms;
	for (;;) {
		reap(leader, pgid, &reaped, &st);
		if (reaped && pg_alive(pgid) == 0)
			break;
		if (!reaped && leader > 0 && kill(leader, 0) < 0 &&
		    errno == ESRCH && pg_alive(pgid) == 0)
			break; /* not our child: nothing to reap */
		if (clock_ms() >= deadline) {
			if (!killed) {
				pg_signal(pgid, SIGKILL);
				killed = 1;
				/* SIGKILL cannot be ignored: allow the kernel
				 * a bounded moment to tear the group down. */
				deadline = clock_ms() + 5000;
			} else {
				errno = ETIMEDOUT;
				return -1;
			}
		}
		nanosleep(&ts, NULL);
	}
	if (wstatus)
		*wstatus = st;
	return killed;
}

int
status_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}
