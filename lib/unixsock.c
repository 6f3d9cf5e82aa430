#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "loop.h"
#include "unixsock.h"

/* The socket address of path.  A path too long for sun_path is reached
 * through its directory, as "/proc/self/fd/N/NAME": N is an O_PATH
 * descriptor of the directory, left in *dfd for the caller to close once
 * its bind or connect is done (-1 when there is none). */
static int
addr(struct sockaddr_un *sa, const char *path, int *dfd)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int n;

	*dfd = -1;
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) < sizeof sa->sun_path) {
		strcpy(sa->sun_path, path);
		return 0;
	}
	if (!slash || (size_t)(slash - path) >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, slash - path);
	dir[slash - path] = 0;
	if ((*dfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return -1;
	n = snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s",
	    *dfd, slash + 1);
	if (n < 0 || (size_t)n >= sizeof sa->sun_path) {
		close(*dfd);
		*dfd = -1;
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Close what addr left open, keeping errno; returns r. */
static int
addr_done(int dfd, int r)
{
	int e = errno;

	if (dfd >= 0)
		close(dfd);
	errno = e;
	return r;
}

static int
connect_flags(const char *path, int flags)
{
	struct sockaddr_un sa;
	int fd, dfd;

	if (addr(&sa, path, &dfd) < 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0)) < 0)
		return addr_done(dfd, -1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return addr_done(dfd, io_close_fail(fd));
	return addr_done(dfd, fd);
}

int
unixsock_connect(const char *path)
{
	return connect_flags(path, 0);
}

int
unixsock_connect_nb(const char *path)
{
	return connect_flags(path, SOCK_NONBLOCK);
}

int
unixsock_listen(const char *path, int backlog)
{
	struct sockaddr_un sa, tmp;
	struct stat st;
	mode_t um;
	int fd, n, e, dfd;

	if (addr(&sa, path, &dfd) < 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return addr_done(dfd, -1);
	/* EAGAIN: a live server whose backlog is full. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ||
	    errno == EAGAIN) {
		errno = EADDRINUSE;
		goto fail;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			goto fail;
		}
		unlink(path);	/* stale: nobody accepts on it */
	}
	/* connect left fd unusable for bind on some kernels: a new one. */
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return addr_done(dfd, -1);
	tmp = sa;
	n = snprintf(tmp.sun_path, sizeof tmp.sun_path, "%s.%ld", sa.sun_path,
	    (long)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp.sun_path)
		tmp = sa;	/* no room for a temporary name: path itself */
	um = umask(0177);
	n = bind(fd, (struct sockaddr *)&tmp, sizeof tmp);
	e = errno;
	umask(um);
	errno = e;
	if (n < 0)
		goto fail;
	if (listen(fd, backlog) < 0 || (strcmp(tmp.sun_path, sa.sun_path) &&
	    rename(tmp.sun_path, sa.sun_path) < 0)) {
		e = errno;
		unlink(tmp.sun_path);
		errno = e;
		goto fail;
	}
	return addr_done(dfd, fd);
fail:
	return addr_done(dfd, io_close_fail(fd));
}

int
unixsock_vsock(const char *path, unsigned port, int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;
	char line[32], c;
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = unixsock_connect(path)) < 0)
		return -1;
	n = snprintf(line, sizeof line, "CONNECT %u\n", port);
	if (io_writeall(fd, line, n) < 0)
		return io_close_fail(fd);
	for (n = 0;;) {
		long long left = deadline - clock_ms();
		int ev = 0;
		if (left <= 0 || (ev = loop_once(fd, POLLIN, (int)left)) == 0) {
			errno = ETIMEDOUT;
			return io_close_fail(fd);
		}
		if (ev < 0 && errno == EINTR)
			continue;
		if (ev < 0)
			return io_close_fail(fd);
		if ((r = read(fd, &c, 1)) < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return io_close_fail(fd);
		if (r == 0) {
			errno = ECONNREFUSED;
			return io_close_fail(fd);
		}
		if (c == '\n')
			break;
		if (n == sizeof line - 1) {
			errno = EPROTO;
			return io_close_fail(fd);
		}
		line[n++] = c;
	}
	line[n] = 0;
	if (strncmp(line, "OK ", 3)) {
		errno = EPROTO;
		return io_close_fail(fd);
	}
	return fd;
}
