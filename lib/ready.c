#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "ready.h"

int
ready_fifo_open(const char *path, int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;
	struct stat st;
	int fd;

	for (;;) {
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			break;
		/* ENXIO: no reader yet.  Anything else is final. */
		if (errno != ENXIO)
			return -1;
		if (clock_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		clock_sleep_ms(10);
	}
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int
ready_fifo_fd(int fd)
{
	/* 6 bytes into a pipe are written whole or not at all. */
	if (io_writeall(fd, "READY\n", 6) < 0)
		return io_close_fail(fd);
	return close(fd);
}

int
ready_fifo(const char *path, int timeout_ms)
{
	int fd = ready_fifo_open(path, timeout_ms);

	return fd < 0 ? -1 : ready_fifo_fd(fd);
}

int
ready_fd(int fd)
{
	if (io_writeall(fd, "\n", 1) < 0)
		return io_close_fail(fd);
	return close(fd);
}
