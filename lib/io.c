#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

ssize_t
io_writeall(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += n;
	}
	return done;
}

ssize_t
io_readsmall(int dirfd, const char *name, char *buf, size_t cap)
{
	struct stat st;
	size_t len = 0;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	for (;;) {
		/* Full: one more byte tells EOF from too big. */
		int full = len + 1 >= cap;
		char extra;
		ssize_t n = full ? read(fd, &extra, 1) :
		    read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		if (full) {
			errno = EFBIG;
			goto fail;
		}
		len += n;
	}
	close(fd);
	buf[len] = 0;
	return len;
fail:
	return io_close_fail(fd);
}

int
io_close_fail(int fd)
{
	int e = errno;

	close(fd);
	errno = e;
	return -1;
}
