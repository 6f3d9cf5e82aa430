#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "io.h"

int
atomic_write(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode)
{
	char tmp[512];
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof tmp, ".%s.tmp.%ld", name,
	    (long)getpid()) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST) {
		/* Left by a crash of an earlier process with our pid. */
		unlinkat(dirfd, tmp, 0);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, mode);
	}
	if (fd < 0)
		return -1;
	if (io_writeall(fd, buf, len) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		goto fail;
	/* The rename is durable only once the directory is. */
	if (fsync(dirfd) < 0 && errno != EINVAL)
		return -1;
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	errno = e;
	return -1;
}

int
atomic_write_path(const char *path, const void *buf, size_t len, mode_t mode)
{
	char dir[4096];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	int dfd, r, e;

	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else if ((size_t)(slash - path) < sizeof dir)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	else {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!*base) {
		errno = EISDIR;
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = atomic_write(dfd, base, buf, len, mode);
	e = errno;
	close(dfd);
	errno = e;
	return r;
}
