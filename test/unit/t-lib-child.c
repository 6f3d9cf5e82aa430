/* child_reset: no signal ignored (the C library's reserved real-time ones
 * included), none blocked, every fd above 2 close-on-exec. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "tap.h"

/* The hex mask on the /proc/self/status line starting with key, or ~0. */
static unsigned long long
status_mask(const char *key)
{
	char line[256];
	unsigned long long m = ~0ULL;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return m;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, strlen(key)))
			sscanf(line + strlen(key), "%llx", &m);
	fclose(f);
	return m;
}

int
main(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		struct { void (*h)(int); unsigned long f; void (*r)(void);
			unsigned long m; } ign = { SIG_IGN, 0, NULL, 0 };
		sigset_t set;
		int fd, bad = 0;

		/* What a parent may leave: ignores, including on the
		 * signals libc refuses to touch, a mask, an inheritable fd. */
		for (int s = 1; s < 40; s++)
			if (s != SIGKILL && s != SIGSTOP)
				syscall(SYS_rt_sigaction, s, &ign, NULL, sizeof ign.m);
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		fd = open("/dev/null", O_RDONLY);
		if (status_mask("SigIgn:") == 0)
			_exit(8);	/* the setup did not take */
		if (child_reset() < 0)
			_exit(16);
		if (status_mask("SigIgn:") != 0)
			bad |= 1;
		if (status_mask("SigBlk:") != 0)
			bad |= 2;
		if (fd < 0 || !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			bad |= 4;
		_exit(bad);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    !(WEXITSTATUS(st) & 24), "child set up ignores, a mask and an fd");
	ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 1),
	    "no signal left ignored, 32-34 included");
	ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 2), "no signal blocked");
	ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 4), "fd 3 up close-on-exec");
	return done_testing();
}
