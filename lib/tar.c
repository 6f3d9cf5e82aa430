/* tar: see tar.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tar.h"
#include "tree.h"

/* openat2(2): musl has no wrapper, nor its header. */
struct tar_how {
	uint64_t flags, mode, resolve;
};
#define T_RESOLVE_NO_MAGICLINKS 0x02
#define T_RESOLVE_NO_SYMLINKS 0x04
#define T_RESOLVE_BENEATH 0x08

/* The ustar header's fields: offset and size. */
enum {
	H_NAME = 0, H_MODE = 100, H_UID = 108, H_GID = 116, H_SIZE = 124,
	H_MTIME = 136, H_SUM = 148, H_TYPE = 156, H_LINK = 157,
	H_MAGIC = 257, H_VERSION = 263, H_PREFIX = 345
};
#define OCTAL_MAX 077777777777LL	/* 11 digits: a size past it goes in pax */

static int
fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, 640, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- the writer ---- */

static int
emit(struct tar_w *w, const void *p, size_t n)
{
	if (w->out && w->out(w->ctx, p, n) < 0)
		return fail(w->err, "unable to write the archive: %s",
		    strerror(errno));
	return 0;
}

static int
pad(struct tar_w *w, unsigned long long n)
{
	static const char zero[TAR_BLOCK];

	return n % TAR_BLOCK ? emit(w, zero, TAR_BLOCK - n % TAR_BLOCK) : 0;
}

/* One pax record "LEN key=value\n", LEN counting itself. */
static void
pax_rec(struct buf *b, const char *key, const char *val)
{
	size_t n = strlen(key) + strlen(val) + 3, len = n + 1;

	while (snprintf(NULL, 0, "%zu", len) + n != len)
		len++;
	buf_addf(b, "%zu %s=%s\n", len, key, val);
}

static void
octal(unsigned char *f, size_t size, unsigned long long v)
{
	char s[24];

	snprintf(s, sizeof s, "%0*llo", (int)size - 1, v);
	memcpy(f, s, size - 1);
	f[size - 1] = 0;
}

static int
header(struct tar_w *w, const char *name, int type, unsigned mode,
    unsigned long long size, long long mtime, const char *link)
{
	unsigned char h[TAR_BLOCK];
	unsigned sum = 0;
	struct buf pax = { 0 };

	if (strlen(name) > 100)
		pax_rec(&pax, "path", name);
	if (link && strlen(link) > 100)
		pax_rec(&pax, "linkpath", link);
	if (size > OCTAL_MAX) {
		char s[24];
		snprintf(s, sizeof s, "%llu", size);
		pax_rec(&pax, "size", s);
	}
	if (pax.len) {
		int r = header(w, "././@PaxHeader", 'x', 0644, pax.len, 0,
		    NULL);
		if (!r)
			r = emit(w, pax.p, pax.len);
		if (!r)
			r = pad(w, pax.len);
		buf_free(&pax);
		if (r)
			return r;
	}
	memset(h, 0, sizeof h);
	memcpy(h + H_NAME, name, strnlen(name, 100));
	octal(h + H_MODE, 8, mode);
	octal(h + H_UID, 8, 0);
	octal(h + H_GID, 8, 0);
	octal(h + H_SIZE, 12, size > OCTAL_MAX ? 0 : size);
	octal(h + H_MTIME, 12, mtime < 0 ? 0 :
	    (unsigned long long)mtime > OCTAL_MAX ? OCTAL_MAX : mtime);
	h[H_TYPE] = type;
	if (link)
		memcpy(h + H_LINK, link, strnlen(link, 100));
	memcpy(h + H_MAGIC, "ustar", 6);
	memcpy(h + H_VERSION, "00", 2);
	memset(h + H_SUM, ' ', 8);
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + H_SUM, 8, "%06o", sum);
	return emit(w, h, sizeof h);
}

/* A regular file's bytes: exactly its size (tree_read fails on a file
 * that changes while read), then the padding. */
static int
copy_file(struct tar_w *w, const struct tree_ent *e, const char *name)
{
	char chunk[65536];
	unsigned long long done = 0;
	ssize_t n;

	while ((n = tree_read(e, chunk, sizeof chunk, &done)) > 0)
		if (emit(w, chunk, n) < 0)
			return -1;
	if (n < 0)
		return fail(w->err, "unable to read %s: %s", name,
		    errno == ESTALE ? "it changed while read" :
		    strerror(errno));
	return pad(w, e->st.st_size);
}

struct tw {
	struct tar_w *w;
	const char *top;
};

/* One entry of the walk (or the one file given), named top/path. */
static int
put_entry(const struct tree_ent *e, void *arg)
{
	struct tw *t = arg;
	struct tar_w *w = t->w;
	char name[TAR_NAME_MAX + 1];
	mode_t m = e->st.st_mode;

	if ((size_t)snprintf(name, sizeof name, "%s%s%s", t->top,
	    *e->path ? "/" : "", e->path) >= sizeof name) {
		fail(w->err, "unable to archive %s/%s: the name is longer "
		    "than %d bytes", t->top, e->path, TAR_NAME_MAX);
		return -1;
	}
	w->entries++;
	if (S_ISLNK(m))
		return header(w, name, '2', 0777, 0, e->st.st_mtime, e->link);
	if (S_ISDIR(m))
		return header(w, name, '5', m & 01777, 0, e->st.st_mtime, NULL);
	w->bytes += e->st.st_size;
	if (!w->out)
		return 0;
	if (header(w, name, '0', m & 0777, e->st.st_size, e->st.st_mtime,
	    NULL) < 0)
		return -1;
	return copy_file(w, e, name);
}

/* What tree_walk does for a root that is a file or a link. */
static int
put_one(struct tar_w *w, struct tw *t, const char *path, struct stat *st)
{
	char link[TAR_NAME_MAX + 2];
	struct tree_ent e = { .path = "", .name = t->top, .st = *st,
	    .fd = -1 };
	ssize_t n;
	int r;

	if (S_ISLNK(st->st_mode)) {
		if ((n = readlink(path, link, sizeof link)) < 0)
			return fail(w->err, "unable to read link %s: %s", path,
			    strerror(errno));
		if (n >= (ssize_t)sizeof link - 1)
			return fail(w->err, "unable to archive %s: the link "
			    "is longer than %d bytes", path, TAR_NAME_MAX);
		link[n] = 0;
		e.link = link;
		return put_entry(&e, t);
	}
	if (!S_ISREG(st->st_mode))
		return fail(w->err, "unable to archive %s: not a regular "
		    "file, directory or symbolic link", path);
	if (w->max_bytes && st->st_size > w->max_bytes)
		return fail(w->err, "unable to archive %s: more than %lld "
		    "bytes", path, w->max_bytes);
	if ((e.fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return fail(w->err, "unable to open %s: %s", path,
		    strerror(errno));
	if (fstat(e.fd, &e.st) < 0 || e.st.st_ino != st->st_ino ||
	    e.st.st_dev != st->st_dev || !S_ISREG(e.st.st_mode) ||
	    e.st.st_size != st->st_size) {
		close(e.fd);
		return fail(w->err, "unable to archive %s: it changed while "
		    "read", path);
	}
	fcntl(e.fd, F_SETFL, 0);
	r = put_entry(&e, t);
	close(e.fd);
	return r;
}

int
tar_name_of(const char *path, char *out, size_t cap)
{
	size_t len = strlen(path);
	const char *b;

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (b = path + len; b > path && b[-1] != '/'; b--)
		;
	if ((size_t)(path + len - b) >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(out, b, path + len - b);
	out[path + len - b] = 0;
	if (!*out || !strcmp(out, ".") || !strcmp(out, "..") ||
	    !strcmp(out, "/")) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
tar_write(struct tar_w *w, const char *path)
{
	static const char zero[2 * TAR_BLOCK];
	char top[TAR_NAME_MAX + 1], err[512];
	struct tw t = { w, top };
	struct tree_opts o = { w->exclude, w->nexclude, w->max_bytes,
	    w->max_entries > 0 ? w->max_entries - 1 : 0 };
	struct stat st;

	w->bytes = w->entries = 0;
	w->err[0] = 0;
	if (tar_name_of(w->as ? w->as : path, top, sizeof top) < 0)
		return fail(w->err, "unable to archive %s: %s", path,
		    errno == ENAMETOOLONG ? "the name is too long" :
		    "it has no name of its own");
	if (lstat(path, &st) < 0)
		return fail(w->err, "unable to stat %s: %s", path,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		w->entries = 0;
		if (put_one(w, &t, path, &st) < 0)
			return -1;
	} else if (tree_walk(path, &o, put_entry, &t, err, sizeof err) < 0) {
		if (!w->err[0])
			fail(w->err, "unable to archive %s: %s", path, err);
		return -1;
	}
	return emit(w, zero, sizeof zero);
}

/* ---- the extractor ---- */

enum { X_HDR, X_DATA, X_PAX, X_SKIP, X_END, X_FAILED };

void
tar_x_init(struct tar_x *x, int dirfd, long long max_bytes,
    long long max_entries)
{
	memset(x, 0, sizeof *x);
	x->dirfd = dirfd;
	x->max_bytes = max_bytes;
	x->max_entries = max_entries;
	x->fd = -1;
	x->psize = -1;
}

void
tar_x_free(struct tar_x *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	buf_free(&x->pax);
	buf_free(&x->dirs);
	free(x->ppath);
	free(x->plink);
	x->ppath = x->plink = NULL;
}

static int
xfail(struct tar_x *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, sizeof x->err, fmt, ap);
	va_end(ap);
	x->state = X_FAILED;
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	return -1;
}

/* An octal field: digits, maybe led by spaces and ended by a space or
 * NUL.  -1 if it is not that. */
static long long
field(const unsigned char *f, size_t size)
{
	size_t i = 0;
	long long v = 0;
	int digits = 0;

	while (i < size && f[i] == ' ')
		i++;
	for (; i < size && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v > (LLONG_MAX >> 3))
			return -1;
		v = v * 8 + (f[i] - '0');
	}
	for (; i < size; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	return digits ? v : -1;
}

/* A clean relative name: no empty, "." or ".." component; a directory's
 * one trailing '/' taken off.  0, -1, or -2 for more than TAR_DEPTH_MAX
 * components. */
static int
name_ok(char *s, int dir)
{
	size_t n = strlen(s);
	int depth = 0;

	if (dir && n > 1 && s[n - 1] == '/')
		s[--n] = 0;
	if (!n || s[0] == '/')
		return -1;
	for (char *c = s; ; ) {
		char *e = strchr(c, '/');
		size_t k = e ? (size_t)(e - c) : strlen(c);
		if (!k || (k == 1 && c[0] == '.') ||
		    (k == 2 && c[0] == '.' && c[1] == '.'))
			return -1;
		if (++depth > TAR_DEPTH_MAX)
			return -2;
		if (!e)
			return 0;
		c = e + 1;
	}
}

/* A link at name (clean) to target stays in the tree: relative, its
 * ".." all first and no more of them than name has parents. */
static int
link_ok(const char *name, const char *target)
{
	int depth = 0, named = 0;

	for (const char *c = name; *c; c++)
		depth += *c == '/';
	if (!*target || target[0] == '/')
		return -1;
	for (const char *c = target; ; ) {
		const char *e = strchr(c, '/');
		size_t k = e ? (size_t)(e - c) : strlen(c);
		if (k == 2 && c[0] == '.' && c[1] == '.') {
			if (named || --depth < 0)
				return -1;
		} else if (k && !(k == 1 && c[0] == '.')) {
			named = 1;
		}
		if (!e)
			return 0;
		c = e + 1;
	}
}

/* The directory holding name, reached beneath dirfd through directories
 * only; *leaf points into name.  A descriptor, or -1 with errno. */
static int
parent(struct tar_x *x, char *name, const char **leaf)
{
	char *sl = strrchr(name, '/');
	struct tar_how how = { O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
	    T_RESOLVE_BENEATH | T_RESOLVE_NO_SYMLINKS |
	    T_RESOLVE_NO_MAGICLINKS };
	long fd;

	if (!sl) {
		*leaf = name;
		return dup(x->dirfd);
	}
	*sl = 0;
	fd = syscall(SYS_openat2, x->dirfd, name, &how, sizeof how);
	*sl = '/';
	*leaf = sl + 1;
	return (int)fd;
}

/* Make room for a file or link at leaf: what is there goes, unless it
 * is a directory. */
static int
clear(int pfd, const char *leaf)
{
	struct stat st;

	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	return unlinkat(pfd, leaf, 0);
}

/* The pax records of x->pax into ppath, plink, psize. */
static int
pax_parse(struct tar_x *x)
{
	char *p = x->pax.p, *end = x->pax.p + x->pax.len;

	while (p < end) {
		char *sp, *eq, *rec = p, **dst = NULL;
		size_t len = 0;
		for (sp = p; sp < end && *sp >= '0' && *sp <= '9'; sp++)
			if ((len = len * 10 + (*sp - '0')) > TAR_PAX_MAX)
				return -1;
		if (sp == p || sp >= end || *sp != ' ' ||
		    len < (size_t)(sp - rec) + 2 ||
		    len > (size_t)(end - rec) || rec[len - 1] != '\n')
			return -1;
		rec[len - 1] = 0;
		if (!(eq = memchr(sp + 1, '=', rec + len - 1 - (sp + 1))))
			return -1;
		*eq = 0;
		if (memchr(eq + 1, 0, rec + len - 1 - (eq + 1)))
			return -1;
		if (!strcmp(sp + 1, "path"))
			dst = &x->ppath;
		else if (!strcmp(sp + 1, "linkpath"))
			dst = &x->plink;
		else if (!strcmp(sp + 1, "size")) {
			char *e;
			errno = 0;
			x->psize = strtoll(eq + 1, &e, 10);
			if (errno || *e || e == eq + 1 || x->psize < 0)
				return -1;
		}
		if (dst) {
			free(*dst);
			if (!(*dst = strdup(eq + 1)))
				return -1;
		}
		p = rec + len;
	}
	return 0;
}

static int
header_ok(const unsigned char *h)
{
	long long want = field(h + H_SUM, 8);
	unsigned sum = 0;
	int ssum = 0;

	for (int i = 0; i < TAR_BLOCK; i++) {
		unsigned char c = i >= H_SUM && i < H_SUM + 8 ? ' ' : h[i];
		sum += c;
		ssum += (signed char)c;
	}
	return want >= 0 && (want == sum || want == ssum);
}

/* A header block is in x->hdr. */
static int
entry(struct tar_x *x)
{
	unsigned char *h = x->hdr;
	const char *leaf, *t = NULL;
	char link[101];
	long long size, mode, cost;
	int type = h[H_TYPE], pfd, fd, r;
	size_t n;

	for (n = 0; n < TAR_BLOCK && !h[n]; n++)
		;
	if (n == TAR_BLOCK) {
		if (x->zeros++)
			x->state = X_END;
		return 0;
	}
	if (x->zeros)
		return xfail(x, "unable to extract the archive: a lone zero "
		    "block");
	if (!header_ok(h))
		return xfail(x, "unable to extract the archive: a header's "
		    "checksum is wrong");
	if (memcmp(h + H_MAGIC, "ustar", 5))
		return xfail(x, "unable to extract the archive: a header is "
		    "not ustar");
	size = x->psize >= 0 && type != 'x' && type != 'g' ? x->psize :
	    field(h + H_SIZE, 12);
	mode = field(h + H_MODE, 8);
	if (size < 0 || mode < 0)
		return xfail(x, "unable to extract the archive: a header's "
		    "numbers are bad");
	x->left = size;
	x->pad = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
	if (type == 'x' || type == 'g') {
		if ((type == 'x' && x->paxed++) || (type == 'g' &&
		    ++x->globals > 16))
			return xfail(x, "unable to extract the archive: pax "
			    "headers without entries");
		if (size > TAR_PAX_MAX)
			return xfail(x, "unable to extract the archive: a pax "
			    "header of more than %d bytes", TAR_PAX_MAX);
		x->pax.len = 0;
		x->state = type == 'x' ? X_PAX : X_SKIP;
		return 0;
	}
	/* The name: pax's, or ustar's prefix and name. */
	if (x->ppath) {
		if (strlen(x->ppath) > TAR_NAME_MAX)
			return xfail(x, "unable to extract the archive: a "
			    "name of more than %d bytes", TAR_NAME_MAX);
		strcpy(x->name, x->ppath);
	} else {
		size_t pl = strnlen((char *)h + H_PREFIX, 155);
		n = 0;
		if (pl) {
			memcpy(x->name, h + H_PREFIX, pl);
			x->name[pl] = '/';
			n = pl + 1;
		}
		memcpy(x->name + n, h + H_NAME, strnlen((char *)h, 100));
		x->name[n + strnlen((char *)h, 100)] = 0;
	}
	if (x->plink) {
		t = x->plink;
	} else {
		memcpy(link, h + H_LINK, 100);
		link[100] = 0;
		t = link;
	}
	if ((r = name_ok(x->name, type == '5')) == -2)
		return xfail(x, "unable to extract %.64s...: more than %d "
		    "levels deep", x->name, TAR_DEPTH_MAX);
	if (r < 0)
		return xfail(x, "unable to extract %s: not a clean relative "
		    "name", x->name);
	if (++x->entries > x->max_entries)
		return xfail(x, "unable to extract %s: more than %lld entries",
		    x->name, x->max_entries);
	if (type == '1')
		return xfail(x, "unable to extract %s: a hard link", x->name);
	if (type != '0' && type != 0 && type != '5' && type != '2')
		return xfail(x, "unable to extract %s: not a regular file, "
		    "directory or symbolic link", x->name);
	if (type == '2' && !x->any_link && link_ok(x->name, t) < 0)
		return xfail(x, "unable to extract %s: its link leads out of "
		    "the tree", x->name);
	/* Every entry costs a block besides its name and link, so that
	 * directories and links (no size of their own) are bounded too:
	 * in disk, inodes and the directories kept for their modes. */
	cost = TAR_BLOCK + (long long)strlen(x->name) +
	    (type == '2' ? (long long)strlen(t) : 0);
	if (cost > x->max_bytes - x->used || ((type == '0' || type == 0) &&
	    size > x->max_bytes - x->used - cost))
		return xfail(x, "unable to extract %s: more than %lld bytes",
		    x->name, x->max_bytes);
	if (type == '0' || type == 0) {
		cost += size;
		x->bytes += size;
	}
	if ((pfd = parent(x, x->name, &leaf)) < 0)
		return xfail(x, "unable to open the directory of %s: %s",
		    x->name, strerror(errno));
	x->used += cost;
	if (type == '5') {
		struct stat st;
		int made = mkdirat(pfd, leaf, 0700) == 0;
		if (!made && (errno != EEXIST ||
		    fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))) {
			close(pfd);
			return xfail(x, "unable to make directory %s: %s",
			    x->name, strerror(errno ? errno : EEXIST));
		}
		close(pfd);
		/* A directory named again keeps its first mode: listed once. */
		if (made && (buf_addf(&x->dirs, "%llo %s",
		    mode & 01777 & ~(unsigned long long)x->umask,
		    x->name) < 0 || buf_add(&x->dirs, "", 1) < 0))
			return xfail(x, "unable to extract %s: out of memory",
			    x->name);
		x->state = size ? X_SKIP : X_HDR;
	} else if (type == '2') {
		if (clear(pfd, leaf) < 0 || symlinkat(t, pfd, leaf) < 0) {
			close(pfd);
			return xfail(x, "unable to make link %s: %s", x->name,
			    strerror(errno));
		}
		close(pfd);
		x->state = size ? X_SKIP : X_HDR;
	} else {
		fd = clear(pfd, leaf) < 0 ? -1 : openat(pfd, leaf, O_WRONLY |
		    O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || fchmod(fd, mode & 0777 & ~x->umask) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			close(pfd);
			return xfail(x, "unable to create %s: %s", x->name,
			    strerror(e));
		}
		close(pfd);
		x->fd = fd;
		x->state = X_DATA;
	}
	free(x->ppath);
	free(x->plink);
	x->ppath = x->plink = NULL;
	x->psize = -1;
	x->paxed = 0;
	return 0;
}

/* The body of an entry: data, then padding. */
static int
body(struct tar_x *x, const char *p, size_t n)
{
	size_t k = x->left < n ? x->left : n;

	if (k && x->state == X_DATA && write(x->fd, p, k) != (ssize_t)k) {
		return xfail(x, "unable to write %s: %s", x->name,
		    errno ? strerror(errno) : "short write");
	}
	if (k && x->state == X_PAX && buf_add(&x->pax, p, k) < 0)
		return xfail(x, "unable to extract the archive: out of memory");
	return (int)k;
}

int
tar_x_feed(struct tar_x *x, const void *data, size_t n)
{
	const char *p = data;

	while (n) {
		size_t k;
		int r;
		switch (x->state) {
		case X_FAILED:
			return -1;
		case X_END:
			return 1;
		case X_HDR:
			k = TAR_BLOCK - x->got < n ? TAR_BLOCK - x->got : n;
			memcpy(x->hdr + x->got, p, k);
			x->got += k;
			p += k;
			n -= k;
			if (x->got == TAR_BLOCK) {
				x->got = 0;
				if (entry(x) < 0)
					return -1;
			}
			break;
		default:
			if (x->left) {
				if ((r = body(x, p, n)) < 0)
					return -1;
				x->left -= r;
				p += r;
				n -= r;
				break;
			}
			k = x->pad < n ? x->pad : n;
			x->pad -= k;
			p += k;
			n -= k;
			break;
		}
		if (x->state != X_HDR && x->state < X_END && !x->left &&
		    !x->pad) {
			if (x->state == X_PAX && pax_parse(x) < 0)
				return xfail(x, "unable to extract the "
				    "archive: a bad pax header");
			if (x->state == X_DATA) {
				close(x->fd);
				x->fd = -1;
			}
			x->state = X_HDR;
		}
	}
	return x->state == X_END;
}

int
tar_x_end(struct tar_x *x)
{
	const char *p = x->dirs.p ? x->dirs.p : "",
	    *end = p + x->dirs.len;

	if (x->state == X_FAILED)
		return -1;
	if (x->state != X_END)
		return xfail(x, "unable to extract the archive: it ends "
		    "before its end blocks");
	/* The last listed first: a parent comes before its children, and
	 * its mode (no x bit) could bar the way to them. */
	{
		const char **v = NULL;
		size_t nv = 0;
		for (const char *q = p; q < end; q += strlen(q) + 1)
			nv++;
		if (nv && !(v = malloc(nv * sizeof *v)))
			return xfail(x, "unable to extract the archive: out "
			    "of memory");
		nv = 0;
		for (const char *q = p; q < end; q += strlen(q) + 1)
			v[nv++] = q;
		while (nv--) {
			struct tar_how how = { O_RDONLY | O_DIRECTORY |
			    O_CLOEXEC, 0, T_RESOLVE_BENEATH |
			    T_RESOLVE_NO_SYMLINKS | T_RESOLVE_NO_MAGICLINKS };
			char *sp;
			unsigned long mode = strtoul(v[nv], &sp, 8);
			long fd = syscall(SYS_openat2, x->dirfd, sp + 1, &how,
			    sizeof how);
			if (fd < 0 || fchmod(fd, mode) < 0) {
				int e = errno;
				if (fd >= 0)
					close(fd);
				free(v);
				return xfail(x, "unable to set the mode of %s: "
				    "%s", sp + 1, strerror(e));
			}
			close(fd);
		}
		free(v);
	}
	return 0;
}

/* ---- removal ---- */

int
tar_rmtree(int at, const char *name)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int fd, r = 0, e = 0;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && errno == EACCES) {
		int p = openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (p >= 0) {
			char proc[64];
			snprintf(proc, sizeof proc, "/proc/self/fd/%d", p);
			chmod(proc, 0700);
			close(p);
		}
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	if ((st.st_mode & 0700) != 0700)
		fchmod(fd, 0700);
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    tar_rmtree(dirfd(d), de->d_name) < 0 && !r) {
			r = -1;
			e = errno;
		}
	closedir(d);
	if (unlinkat(at, name, AT_REMOVEDIR) < 0 && !r && errno != ENOENT) {
		r = -1;
		e = errno;
	}
	errno = e;
	return r;
}

int
tar_place(int fromfd, const char *from, int tofd, const char *to)
{
	struct stat a, b;

	if (fstatat(fromfd, from, &a, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (fstatat(tofd, to, &b, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -1;
		return renameat(fromfd, from, tofd, to);
	}
	if (!S_ISDIR(a.st_mode) && !S_ISDIR(b.st_mode))
		return renameat(fromfd, from, tofd, to);
	if (syscall(SYS_renameat2, fromfd, from, tofd, to,
	    2 /* RENAME_EXCHANGE */) < 0)
		return -1;
	return tar_rmtree(fromfd, from);
}
