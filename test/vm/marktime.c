/* marktime: how long a command takes to print a marker (the VM benchmark's
 * stopwatch, so vmrun and qemu are timed the same way).
 *
 *   marktime MARKER command [arg ...]
 *
 * Runs the command with its standard output and error on a pipe, copies
 * what it prints to marktime's standard output, and when a line holding
 * MARKER first comes through, writes "marktime: MARKER after N us" to
 * standard error: microseconds of CLOCK_MONOTONIC from just before the
 * exec.  Then reads on to the end and exits with the command's status
 * (128+N if a signal killed it).
 *
 * Exit status: the command's; 1 the marker never came (after the
 * command's own status was 0); 100 usage; 111 a system call failed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "err.h"

static long long
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

int
main(int argc, char **argv)
{
	char buf[4096], line[512];
	size_t ll = 0, ml;
	long long t0;
	int fd[2], st, seen = 0;
	ssize_t n;
	pid_t pid;

	err_prog = "marktime";
	if (argc < 3) {
		fprintf(stderr, "usage: marktime marker command [arg ...]\n");
		return 100;
	}
	ml = strlen(argv[1]);
	if (ml == 0 || ml >= sizeof line)
		err_die(100, "unable to use marker %s: empty or too long", argv[1]);
	if (pipe(fd) < 0)
		err_diesys(111, "unable to make a pipe");
	t0 = now_us();
	if ((pid = fork()) < 0)
		err_diesys(111, "unable to fork");
	if (pid == 0) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "marktime: fatal: unable to run %s: %s\n",
		    argv[2], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(fd[1]);
	while ((n = read(fd[0], buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_diesys(111, "unable to read the command's output");
		}
		fwrite(buf, 1, n, stdout);
		/* Line by line, a line's tail kept while shorter than the
		 * buffer: a marker split across reads is still found. */
		for (ssize_t i = 0; i < n && !seen; i++) {
			if (buf[i] == '\n') {
				ll = 0;
				continue;
			}
			if (ll < sizeof line - 1)
				line[ll++] = buf[i];
			line[ll] = 0;
			if (ll >= ml && memcmp(line + ll - ml, argv[1], ml) == 0) {
				seen = 1;
				fprintf(stderr, "marktime: %s after %lld us\n",
				    argv[1], now_us() - t0);
			}
		}
	}
	fflush(stdout);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			err_diesys(111, "unable to wait for %s", argv[2]);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	if (WEXITSTATUS(st) == 0 && !seen)
		return 1;
	return WEXITSTATUS(st);
}
