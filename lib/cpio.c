#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpio.h"
#include "io.h"

#define CPIO_HDR 110		/* "070701" and 13 fields of 8 hex digits */
#define CPIO_BUF 65536

struct cpio {
	int fd;
	const char *prefix;
	char *err;
	size_t errcap, len;
	unsigned long ino;
	int dry;	/* the first walk: check, write nothing */
	char buf[CPIO_BUF];
};

static int
flush(struct cpio *c)
{
	if (c->len && io_writeall(c->fd, c->buf, c->len) < 0) {
		int e = errno;
		snprintf(c->err, c->errcap, "write: %s", strerror(e));
		errno = e;
		return -1;
	}
	c->len = 0;
	return 0;
}

static int
put(struct cpio *c, const void *p, size_t n)
{
	while (n) {
		size_t k = CPIO_BUF - c->len;
		if (!k && flush(c) < 0)
			return -1;
		if (k > n)
			k = n;
		memcpy(c->buf + c->len, p, k);
		c->len += k;
		p = (const char *)p + k;
		n -= k;
	}
	return 0;
}

/* Zeros up to the next multiple of 4 after a part of partlen bytes:
 * every part (header and name, body) starts at a multiple of 4. */
static int
pad(struct cpio *c, unsigned long long partlen)
{
	static const char z[4];

	return put(c, z, (4 - partlen % 4) % 4);
}

/* What the kernel or the format cannot take: a name (with its NUL)
 * longer than PATH_MAX, which the kernel skips; a body of 4 GiB. */
static int
fits(struct cpio *c, const char *path, unsigned long long size)
{
	if (strlen(c->prefix) + 1 + strlen(path) + 1 > PATH_MAX) {
		snprintf(c->err, c->errcap, "%.80s...: path too long for the "
		    "archive", path);
		errno = ENAMETOOLONG;
		return 0;
	}
	if (size > 0xffffffffULL) {
		snprintf(c->err, c->errcap, "%.160s: 4 GiB or more: too "
		    "large for a newc archive", path);
		errno = EFBIG;
		return 0;
	}
	return 1;
}

/* One header and its name, padded: the name is dir, or dir/path. */
static int
header(struct cpio *c, const char *dir, const char *path,
    unsigned long mode, unsigned long long mtime, unsigned long long size,
    unsigned long ino)
{
	unsigned long f[13] = { ino, mode, 0, 0, 1, mtime, size, 0, 0, 0, 0,
	    0, 0 };
	char h[CPIO_HDR];
	size_t dlen = strlen(dir), len = strlen(path);
	size_t namesize = dlen + (len ? 1 + len : 0) + 1;

	/* ino mode uid gid nlink mtime filesize devmajor devminor
	 * rdevmajor rdevminor namesize check, 8 hex digits each. */
	f[11] = namesize;
	memcpy(h, "070701", 6);
	for (int i = 0; i < 13; i++)
		for (int d = 0; d < 8; d++)
			h[6 + 8 * i + d] = "0123456789ABCDEF"[
			    (f[i] >> (28 - 4 * d)) & 15];
	if (put(c, h, CPIO_HDR) < 0 || put(c, dir, dlen) < 0 ||
	    (len && (put(c, "/", 1) < 0 || put(c, path, len) < 0)) ||
	    put(c, "", 1) < 0)
		return -1;
	return pad(c, CPIO_HDR + namesize);
}

static int
entry(const struct tree_ent *e, void *arg)
{
	struct cpio *c = arg;
	unsigned long long size = 0, mtime = e->st.st_mtime, done = 0;
	unsigned long mode = e->st.st_mode & ~(S_ISUID | S_ISGID);
	ssize_t n;

	if (e->st.st_mtime < 0)
		mtime = 0;
	else if (mtime > 0xffffffffULL)
		mtime = 0xffffffffULL;
	if (e->link)
		size = strlen(e->link);
	else if (S_ISREG(e->st.st_mode))
		size = e->st.st_size;
	if (!fits(c, e->path, size))
		return -1;
	if (c->dry)
		return 0;
	if (header(c, c->prefix, e->path, mode, mtime, size, ++c->ino) < 0)
		return -1;
	if (e->link)
		return put(c, e->link, size) < 0 ? -1 : pad(c, size);
	if (!S_ISREG(e->st.st_mode))
		return 0;
	for (;;) {
		if (c->len == CPIO_BUF && flush(c) < 0)
			return -1;
		n = tree_read(e, c->buf + c->len, CPIO_BUF - c->len, &done);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		c->len += n;
	}
	return pad(c, size);
}

int
cpio_prefix_valid(const char *prefix)
{
	const char *p = prefix, *s;

	if (!*p || *p == '/' || strlen(p) > 255)
		return 0;
	for (;;) {
		size_t n = (s = strchr(p, '/')) ? (size_t)(s - p) : strlen(p);
		if (!n || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!s)
			return 1;
		p = s + 1;
	}
}

int
cpio_write(int fd, const char *root, const char *prefix,
    const struct tree_opts *o, char *err, size_t errcap)
{
	struct cpio *c;
	int r, e;

	if (!cpio_prefix_valid(prefix)) {
		snprintf(err, errcap, "%.255s: not a relative path without "
		    "empty, . or .. components", prefix);
		errno = EINVAL;
		return -1;
	}
	if (!(c = calloc(1, sizeof *c))) {
		snprintf(err, errcap, "%s", strerror(errno));
		return -1;
	}
	c->fd = fd;
	c->prefix = prefix;
	c->err = err;
	c->errcap = errcap;
	c->dry = 1;
	/* A tree refused (a special file, a bound, a name too long) is
	 * refused before a byte is written: walk it once dry. */
	r = tree_walk(root, o, entry, c, err, errcap);
	c->dry = 0;
	if (r == 0)
		r = tree_walk(root, o, entry, c, err, errcap);
	if (r == 0 && (header(c, "TRAILER!!!", "", 0, 0, 0, 0) < 0 ||
	    flush(c) < 0))
		r = -1;
	e = errno;
	free(c);
	errno = e;
	return r;
}
