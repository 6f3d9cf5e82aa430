#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int
cloexec_all(void)
{
	DIR *d;
	struct dirent *de;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
#endif
	if (!(d = opendir("/proc/self/fd"))) {
		/* No /proc either: close the low range outright. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (fd > 2 && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
	return 0;
}

/* The kernel's struct sigaction as rt_sigaction(2) takes it on x86_64
 * and arm64: handler, flags, restorer, mask. */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

int
child_reset(void)
{
	struct sigaction sa = { 0 };
	sigset_t none;

	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++) {
		if (sigaction(s, &sa, NULL) == 0 || s == SIGKILL || s == SIGSTOP)
			continue;
		/* The C library keeps a few real-time signals for itself
		 * (musl 32-34, glibc 32-33) and refuses them, but an ignore
		 * inherited on them survives exec like any other (GNU make
		 * leaves 32 and 33 ignored): reset them with the system call. */
		struct ksigaction k = { SIG_DFL, 0, NULL, 0 };
		syscall(SYS_rt_sigaction, s, &k, NULL, sizeof k.mask);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return -1;
	return cloexec_all();
}
