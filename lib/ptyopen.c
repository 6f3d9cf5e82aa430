#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "io.h"
#include "ptyopen.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static int
finish(int m, int s, const struct winsize *ws)
{
	if (fcntl(m, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(s, F_SETFD, FD_CLOEXEC) < 0 ||
	    (ws && ioctl(m, TIOCSWINSZ, ws) < 0)) {
		int e = errno;
		close(m);
		close(s);
		errno = e;
		return -1;
	}
	return 0;
}

int
pty_open_peer(int *master, int *slave, const struct winsize *ws)
{
	int m, s, unlock = 0;

	if ((m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return -1;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 ||
	    (s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return io_close_fail(m);
	if (finish(m, s, ws) < 0)
		return -1;
	*master = m;
	*slave = s;
	return 0;
}

int
pty_open(int *master, int *slave, const struct winsize *ws)
{
	int m, s;

	if (openpty(&m, &s, NULL, NULL, NULL) < 0)
		return pty_open_peer(master, slave, ws);
	if (finish(m, s, ws) < 0)
		return -1;
	*master = m;
	*slave = s;
	return 0;
}
