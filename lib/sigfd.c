#include <signal.h>
#include <stddef.h>
#include <sys/signalfd.h>

#include "sigfd.h"

void
sigfd_daemons(sigset_t *mask)
{
	sigaddset(mask, SIGCHLD);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGHUP);
}

int
sigfd_open_set(const sigset_t *mask)
{
	if (sigprocmask(SIG_BLOCK, mask, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int
sigfd_open(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigfd_daemons(&mask);
	return sigfd_open_set(&mask);
}
