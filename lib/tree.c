#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pattern.h"
#include "tree.h"

struct walk {
	const struct tree_opts *o;
	tree_fn *fn;
	void *arg;
	char *err;
	size_t errcap;
	unsigned long long bytes, entries;
	char path[PATH_MAX];
	/* A symlink's target, here and not on the stack: a walk may be
	 * 2048 levels deep, and a symlink is never descended. */
	char link[PATH_MAX];
};

/* Fail with errno e and "PATH: reason" (the root is "."; the middle of
 * a path longer than 160 bytes left out, so that the reason fits). */
static int
fail(struct walk *w, int e, const char *fmt, ...)
{
	size_t len = strlen(w->path);
	va_list ap;
	int n;

	if (len > 160)
		n = snprintf(w->err, w->errcap, "%.80s...%s: ", w->path,
		    w->path + len - 60);
	else
		n = snprintf(w->err, w->errcap, "%s: ", len ? w->path : ".");
	if (n >= 0 && (size_t)n < w->errcap) {
		va_start(ap, fmt);
		vsnprintf(w->err + n, w->errcap - n, fmt, ap);
		va_end(ap);
	}
	errno = e;
	return -1;
}

static int
failsys(struct walk *w)
{
	int e = errno;

	return fail(w, e, "%s", strerror(e));
}

static int
excluded(const struct walk *w, const char *name)
{
	for (size_t i = 0; i < w->o->nexclude; i++)
		if (pattern_match(w->o->exclude[i], w->path, 1) ||
		    pattern_match(w->o->exclude[i], name, 0))
			return 1;
	return 0;
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory d but . and .., sorted; NULL with errno. */
static char **
names(DIR *d, size_t *n)
{
	char **v = NULL, **nv;
	size_t cap = 0;
	struct dirent *de;

	*n = 0;
	for (;;) {
		errno = 0;
		if (!(de = readdir(d))) {
			if (errno)
				goto fail;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, cap * sizeof *v)))
				goto fail;
			v = nv;
		}
		if (!(v[*n] = strdup(de->d_name)))
			goto fail;
		(*n)++;
	}
	if (*n)
		qsort(v, *n, sizeof *v, namecmp);
	else if (!v && !(v = malloc(sizeof *v)))
		goto fail;
	return v;
fail:
	{
		int e = errno;
		while (*n)
			free(v[--(*n)]);
		free(v);
		errno = e;
	}
	return NULL;
}

static int walk_dir(struct walk *w, int dfd, size_t plen);

static int
same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT);
}

/* One entry NAME of directory dfd, whose relative path is in w->path
 * (plen bytes, with its name). */
static int
walk_one(struct walk *w, int dfd, const char *name, size_t plen)
{
	struct tree_ent e = { .path = w->path, .name = name, .fd = -1 };
	struct stat fst;
	int r, fd = -1;

	if (fstatat(dfd, name, &e.st, AT_SYMLINK_NOFOLLOW) < 0)
		return failsys(w);
	if (excluded(w, name))
		return 0;
	switch (e.st.st_mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
		break;
	case S_IFIFO:
		return fail(w, EINVAL, "a fifo: refused");
	case S_IFSOCK:
		return fail(w, EINVAL, "a socket: refused");
	case S_IFCHR:
		return fail(w, EINVAL, "a character device: refused");
	case S_IFBLK:
		return fail(w, EINVAL, "a block device: refused");
	default:
		return fail(w, EINVAL, "not a file, directory or symlink: "
		    "refused");
	}
	if (w->o->max_entries && ++w->entries > w->o->max_entries)
		return fail(w, EFBIG, "more than %llu entries in the tree",
		    w->o->max_entries);
	if (S_ISREG(e.st.st_mode) && w->o->max_bytes &&
	    (w->bytes += e.st.st_size) > w->o->max_bytes)
		return fail(w, EFBIG, "more than %llu bytes of files in the "
		    "tree", w->o->max_bytes);
	if (S_ISLNK(e.st.st_mode)) {
		ssize_t n = readlinkat(dfd, name, w->link, sizeof w->link);
		if (n < 0)
			return failsys(w);
		if ((size_t)n == sizeof w->link)
			return fail(w, ENAMETOOLONG, "symlink target too long");
		w->link[n] = 0;
		e.link = w->link;
	} else if (!S_ISREG(e.st.st_mode) && !S_ISDIR(e.st.st_mode)) {
		return fail(w, EINVAL, "refused");
	} else {
		int dir = S_ISDIR(e.st.st_mode);
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    (dir ? O_DIRECTORY : O_NONBLOCK));
		if (fd < 0)
			return errno == ELOOP || errno == ENOTDIR ?
			    fail(w, ESTALE, "changed while read") :
			    failsys(w);
		if (fstat(fd, &fst) < 0) {
			failsys(w);
			goto out;
		}
		if (!same(&fst, &e.st) || (!dir &&
		    fst.st_size != e.st.st_size)) {
			fail(w, ESTALE, "changed while read");
			goto out;
		}
		if (!dir)
			e.fd = fd;
	}
	if (w->fn(&e, w->arg) < 0) {
		if (!w->err[0] && errno == ESTALE)	/* tree_read */
			fail(w, ESTALE, "changed while read");
		else if (!w->err[0])
			failsys(w);
		goto out;
	}
	r = 0;
	if (S_ISDIR(e.st.st_mode)) {
		r = walk_dir(w, fd, plen);
		fd = -1;	/* walk_dir closed it */
	}
	if (fd >= 0)
		close(fd);
	return r;
out:
	if (fd >= 0) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return -1;
}

/* The entries of the directory open as dfd (closed here), whose relative
 * path is w->path, plen bytes. */
static int
walk_dir(struct walk *w, int dfd, size_t plen)
{
	DIR *d;
	char **v;
	size_t n, i;
	int r = 0;

	if (!(d = fdopendir(dfd))) {
		r = failsys(w);
		close(dfd);
		return r;
	}
	if (!(v = names(d, &n))) {
		r = failsys(w);
		closedir(d);
		return r;
	}
	for (i = 0; i < n && r == 0; i++) {
		size_t l = strlen(v[i]), sl = plen ? plen + 1 : 0;
		if (sl + l >= sizeof w->path) {
			r = fail(w, ENAMETOOLONG, "%.60s: path too long",
			    v[i]);
			break;
		}
		if (plen)
			w->path[plen] = '/';
		memcpy(w->path + sl, v[i], l + 1);
		r = walk_one(w, dirfd(d), v[i], sl + l);
		if (r == 0)
			w->path[plen] = 0;
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	if (r == 0 && closedir(d) < 0)
		return failsys(w);
	if (r < 0) {
		int e = errno;
		closedir(d);
		errno = e;
	}
	return r;
}

int
tree_walk(const char *root, const struct tree_opts *o, tree_fn *fn,
    void *arg, char *err, size_t errcap)
{
	static const struct tree_opts none;
	struct walk *w;
	struct tree_ent e = { .path = "", .name = "", .fd = -1 };
	int fd, r, eno;

	if (errcap)
		err[0] = 0;
	if (!(w = calloc(1, sizeof *w))) {
		snprintf(err, errcap, "%s", strerror(errno));
		return -1;
	}
	*w = (struct walk){ .o = o ? o : &none, .fn = fn, .arg = arg,
	    .err = errcap ? err : (char[1]){ 0 }, .errcap = errcap ? errcap : 1 };
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = failsys(w);
		goto out;
	}
	if (fstat(fd, &e.st) < 0) {
		r = failsys(w);
		close(fd);
		goto out;
	}
	if ((r = fn(&e, arg)) < 0) {
		if (!w->err[0])
			failsys(w);
		close(fd);
		r = -1;
		goto out;
	}
	r = walk_dir(w, fd, 0);
out:
	eno = errno;
	free(w);
	errno = eno;
	return r;
}

ssize_t
tree_read(const struct tree_ent *e, void *buf, size_t cap,
    unsigned long long *done)
{
	unsigned long long left = e->st.st_size - *done;
	char extra;
	ssize_t n;

	if (cap > left)
		cap = left;
	/* All read: one more byte tells the end from a file that grew. */
	do
		n = left ? read(e->fd, buf, cap) : read(e->fd, &extra, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (left && n == 0) {
		errno = ESTALE;	/* shrank */
		return -1;
	}
	if (!left && n > 0) {
		errno = ESTALE;	/* grew */
		return -1;
	}
	*done += n;
	return n;
}
