#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "io.h"

/* The temp file ".NAME.tmp.PID" in dirfd, created new: its fd, or -1. */
static int
tmp_create(int dirfd, const char *name, mode_t mode, char *tmp, size_t cap)
{
	int fd;

	if ((size_t)snprintf(tmp, cap, ".%s.tmp.%ld", name,
	    (long)getpid()) >= cap) {
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
	return fd;
}

/* Write, flush (unless !data) and rename the temp file fd over name (then
 * renamed(arg), if given); closes fd, and removes the temp file on
 * failure.  Uses no path outside dirfd. */
static int
tmp_commit(int dirfd, int fd, const char *tmp, const char *name,
    const void *buf, size_t len, int data, void (*renamed)(void *), void *arg)
{
	int e;

	if (io_writeall(fd, buf, len) < 0 || (data && fsync(fd) < 0))
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		goto fail;
	if (renamed)
		renamed(arg);
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

/* The temp file, written, flushed (unless !data) and renamed over name. */
static int
write_new(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode, int data, void (*renamed)(void *), void *arg)
{
	char tmp[512];
	int fd = tmp_create(dirfd, name, mode, tmp, sizeof tmp);

	if (fd < 0)
		return -1;
	return tmp_commit(dirfd, fd, tmp, name, buf, len, data, renamed, arg);
}

int
atomic_write_then(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode, void (*renamed)(void *), void *arg)
{
	return write_new(dirfd, name, buf, len, mode, 1, renamed, arg);
}

int
atomic_write(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode)
{
	return write_new(dirfd, name, buf, len, mode, 1, NULL, NULL);
}

int
atomic_mark(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode)
{
	return write_new(dirfd, name, buf, len, mode, 0, NULL, NULL);
}

/* path's directory, opened; *base is its last component. */
static int
open_dir(const char *path, const char **base)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
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
	if (!**base) {
		errno = EISDIR;
		return -1;
	}
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int
atomic_write_path(const char *path, const void *buf, size_t len, mode_t mode)
{
	const char *base;
	int dfd, r, e;

	if ((dfd = open_dir(path, &base)) < 0)
		return -1;
	r = atomic_write(dfd, base, buf, len, mode);
	e = errno;
	close(dfd);
	errno = e;
	return r;
}

int
atomic_open(struct atomic_file *a, const char *path, mode_t mode)
{
	int d;

	a->fd = -1;
	if ((a->dirfd = open_dir(path, &a->name)) < 0)
		return -1;
	if ((a->fd = tmp_create(a->dirfd, a->name, mode, a->tmp,
	    sizeof a->tmp)) < 0) {
		d = a->dirfd;
		a->dirfd = -1;
		return io_close_fail(d);
	}
	return 0;
}

int
atomic_commit(struct atomic_file *a, const void *buf, size_t len)
{
	int r, e;

	if (a->fd < 0) {
		errno = EBADF;
		return -1;
	}
	r = tmp_commit(a->dirfd, a->fd, a->tmp, a->name, buf, len, 1, NULL,
	    NULL);
	e = errno;
	close(a->dirfd);
	a->fd = a->dirfd = -1;
	errno = e;
	return r;
}

void
atomic_abort(struct atomic_file *a)
{
	if (a->fd < 0)
		return;
	unlinkat(a->dirfd, a->tmp, 0);
	close(a->fd);
	close(a->dirfd);
	a->fd = a->dirfd = -1;
}
