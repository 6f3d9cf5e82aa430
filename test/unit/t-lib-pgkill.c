/* pg_kill: TERM, grace, KILL, whole group, grandchildren included;
 * pg_signal never touches a group that is not ours. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "pgkill.h"
#include "tap.h"

/* Start a group leader; with stubborn, it and a double-forked grandchild
 * ignore SIGTERM.  The grandchild's pid comes back through a pipe. */
static pid_t
spawn(int stubborn, pid_t *grandchild)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		setpgid(0, 0);
		if (stubborn)
			signal(SIGTERM, SIG_IGN);
		if (fork() == 0) {
			if (fork() == 0) {
				pid_t me = getpid();
				write(p[1], &me, sizeof me);
				for (;;)
					pause();
			}
			_exit(0); /* the grandchild is now an orphan */
		}
		wait(NULL);
		for (;;)
			pause();
	}
	setpgid(pid, pid);
	close(p[1]);
	read(p[0], grandchild, sizeof *grandchild);
	close(p[0]);
	return pid;
}

int
main(void)
{
	pid_t pid, gc;
	int st = 0, r;
	long long t0;

	/* Orphans come to us, as they come to relayd. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	errno = 0;
	ok(pg_signal(0, SIGTERM) == -1 && errno == EPERM, "pgid 0 refused");
	errno = 0;
	ok(pg_signal(1, SIGTERM) == -1 && errno == EPERM, "pgid 1 refused");
	errno = 0;
	ok(pg_signal(-5, SIGTERM) == -1 && errno == EPERM, "negative refused");
	errno = 0;
	ok(pg_signal(getpgrp(), 0) == -1 && errno == EPERM,
	    "our own group refused");

	pid = spawn(0, &gc);
	t0 = clock_ms();
	r = pg_kill(pid, pid, 2000, &st);
	ok(r == 0, "a cooperative group ends on SIGTERM (r=%d)", r);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "leader died of TERM");
	ok(status_code(st) == 143, "status_code is 143");
	ok(clock_ms() - t0 < 1000, "without waiting out the grace");
	ok(kill(gc, 0) == -1 && errno == ESRCH, "grandchild gone");

	pid = spawn(1, &gc);
	t0 = clock_ms();
	r = pg_kill(pid, pid, 300, &st);
	ok(r == 1, "a stubborn group needs SIGKILL (r=%d)", r);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "leader died of KILL");
	ok(clock_ms() - t0 >= 300 && clock_ms() - t0 < 1300,
	    "after the grace and within a second of it");
	ok(kill(gc, 0) == -1 && errno == ESRCH, "stubborn grandchild gone");
	ok(pg_alive(pid) == 0, "group is empty");

	ok(status_code(0) == 0 && status_code(3 << 8) == 3, "exit codes pass");
	return done_testing();
}
