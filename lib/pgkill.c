#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
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

/* kill(-pgid, 0) also succeeds for a group of zombies, which linger
 * until their parent (perhaps an init that reaps lazily) waits for them;
 * so when it succeeds, look in /proc for a member that still runs. */
int
pg_alive(pid_t pgid)
{
	struct dirent *de;
	DIR *d;
	int alive = 0;

	if (pg_signal(pgid, 0) < 0)
		return errno == ESRCH ? 0 : -1;
	if (!(d = opendir("/proc")))
		return 1;
	while (!alive && (de = readdir(d))) {
		char path[300], buf[512], *p, *end;
		long pg;
		int i, state;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		if (io_readsmall(AT_FDCWD, path, buf, sizeof buf) < 0 ||
		    !(p = strrchr(buf, ')')))
			continue;
		/* ") S PPID PGRP ...": by hand, as sscanf(3) would bring
		 * in all of scanf's and strtod's code. */
		state = p[1] == ' ' ? p[2] : 0;
		for (i = 0; i < 3 && p; i++)
			p = strchr(p + 1, ' ');
		if (!p)
			continue;
		pg = strtol(p + 1, &end, 10);
		if (end != p + 1 && pg == pgid && state != 'Z' &&
		    state != 'X')
			alive = 1;
	}
	closedir(d);
	return alive;
}

/* Reap the leader (once) and any other dead children of ours that are in
 * the group.  Sets *reaped once the leader has been reaped, or once it
 * shows not to be our child (recovery after a crash): then only the group
 * itself can tell when it is over. */
static void
reap(pid_t leader, pid_t pgid, int *reaped, int *ours, int *wstatus)
{
	int st;
	pid_t p;

	while ((p = waitpid(-pgid, &st, WNOHANG)) > 0)
		if (p == leader) {
			*reaped = 1;
			*wstatus = st;
		}
	if (*reaped || !*ours)
		return;
	p = waitpid(leader, &st, WNOHANG);
	if (p == leader) {
		*reaped = 1;
		*wstatus = st;
	} else if (p < 0 && errno == ECHILD) {
		*ours = 0;
	}
}

int
pg_kill(pid_t leader, pid_t pgid, int grace_ms, int *wstatus)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	long long deadline;
	int reaped = 0, ours = 1, st = 0, killed = 0;

	if (pg_signal(pgid, SIGTERM) < 0) {
		if (errno != ESRCH)
			return -1;
	} else {
		pg_signal(pgid, SIGCONT);
	}
	deadline = clock_ms() + grace_ms;
	for (;;) {
		reap(leader, pgid, &reaped, &ours, &st);
		if ((reaped || !ours) && pg_alive(pgid) == 0)
			break;
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
	/* The members left are zombies: reap those that are ours now, so a
	 * kill -0 on their pids fails once we return. */
	reap(leader, pgid, &reaped, &ours, &st);
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
