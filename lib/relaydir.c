#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "io.h"
#include "num.h"
#include "proc.h"
#include "relaydir.h"

/* A subdirectory, made with mode (exactly: the umask does not apply) if
 * missing; when shared, one of ours is brought to mode and to the top's
 * group. */
static int
subdir(int root, const char *name, mode_t mode, int shared, gid_t gid)
{
	struct stat st;
	int fd, made = 0;

	fd = openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(root, name, 0700) < 0 && errno != EEXIST)
			return -1;
		made = 1;
		fd = openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (fd >= 0 && (made || shared) && fstat(fd, &st) == 0 &&
	    st.st_uid == geteuid()) {
		if (shared && st.st_gid != gid)
			fchown(fd, -1, gid);
		if ((st.st_mode & 07777) != mode)
			fchmod(fd, mode);
	}
	return fd;
}

int
relaydir_open(struct relaydir *d, const char *path, const char **what)
{
	static const struct { const char *name; size_t off; } subs[] = {
		{ "cmd", offsetof(struct relaydir, cmd) },
		{ "srv", offsetof(struct relaydir, srv) },
		{ "run", offsetof(struct relaydir, run) },
		{ "cancel", offsetof(struct relaydir, cancel) },
		{ "result", offsetof(struct relaydir, result) },
	};
	char v[64];
	ssize_t n;
	struct stat st;

	d->path = path;
	*what = path;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	/* The top directory may be a symlink the user chose; below it,
	 * nothing is followed. */
	d->root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->root < 0 || fstat(d->root, &st) < 0)
		return -1;
	d->shared = (st.st_mode & S_IWGRP) != 0;
	d->fmode = d->shared ? 0640 : 0600;
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		int *fd = (int *)((char *)d + subs[i].off);
		*what = subs[i].name;
		if ((*fd = subdir(d->root, subs[i].name, d->shared ? 02770 :
		    0700, d->shared, st.st_gid)) < 0)
			return -1;
	}
	*what = "version";
	n = io_readsmall(d->root, "version", v, sizeof v);
	if (n < 0 && errno == ENOENT)
		return atomic_write(d->root, "version", RELAY_VERSION,
		    strlen(RELAY_VERSION), d->fmode);
	if (n < 0)
		return -1;
	if (strcmp(v, RELAY_VERSION) != 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static void
sanitize_host(char *buf, size_t cap)
{
	char h[256] = "";

	if (gethostname(h, sizeof h - 1) < 0 || !h[0])
		strcpy(h, "host");
	for (char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			*p = '-';
	snprintf(buf, cap, "%s", h);
}

void
relay_newid(char *buf, size_t cap)
{
	static unsigned counter;
	struct timespec ts;
	char host[33];

	clock_gettime(CLOCK_REALTIME, &ts);
	sanitize_host(host, sizeof host);
	/* A '.' cannot lead: the time does. */
	snprintf(buf, cap, "%010lld.%09ld-%s-%ld-%u", (long long)ts.tv_sec,
	    ts.tv_nsec, host, (long)getpid(), counter++);
}

void
relay_self(struct server *s)
{
	char link[64];
	ssize_t n;

	memset(s, 0, sizeof *s);
	sanitize_host(s->host, sizeof s->host);
	n = readlink("/proc/self/ns/pid", link, sizeof link - 1);
	if (n > 0) {
		link[n] = 0;
		/* "pid:[4026531836]" */
		char *p = strchr(link, '[');
		if (p)
			s->pidns = strtoull(p + 1, NULL, 10);
	}
	s->pid = getpid();
	proc_starttime(getpid(), &s->ticks);
}

int
relay_samenode(const struct server *a, const struct server *b)
{
	return strcmp(a->host, b->host) == 0 && a->pidns == b->pidns;
}

/* Copy the line s (which must end in a newline) into buf and split it
 * at ':' into exactly n fields.  Returns 0, or -1 for anything else. */
static int
fields(const char *s, char *buf, size_t cap, char **f, int n)
{
	size_t len = strlen(s);
	int i = 0;

	if (len == 0 || len >= cap || s[len - 1] != '\n')
		return -1;
	memcpy(buf, s, len - 1);
	buf[len - 1] = 0;
	f[i++] = buf;
	for (char *p = buf; *p; p++)
		if (*p == ':') {
			if (i == n)
				return -1;
			*p = 0;
			f[i++] = p + 1;
		}
	return i == n ? 0 : -1;
}

/* The fields of a record line, in order: text (non-empty, fitting in
 * size bytes with its NUL), or a number within [lo, hi] stored as a long
 * or an unsigned long long. */
enum { F_TEXT, F_LONG, F_ULL };
struct field {
	int kind;
	size_t off, size;
	long long lo, hi;
};

#define FIELD_TEXT(type, m) \
	{ F_TEXT, offsetof(type, m), sizeof ((type *)0)->m, 0, 0 }
static const struct field server_fields[] = {
	FIELD_TEXT(struct server, host),
	{ F_ULL, offsetof(struct server, pidns), 0, 0, 0xffffffffLL },
	{ F_LONG, offsetof(struct server, pid), 0, 2, 0x7fffffffLL },
	{ F_ULL, offsetof(struct server, ticks), 0, 0, 0x7fffffffffffffffLL },
};
static const struct field marker_fields[] = {
	FIELD_TEXT(struct marker, id),
	{ F_LONG, offsetof(struct marker, pid), 0, 2, 0x7fffffffLL },
	{ F_LONG, offsetof(struct marker, pgid), 0, 2, 0x7fffffffLL },
	{ F_ULL, offsetof(struct marker, ticks), 0, 0, 0x7fffffffffffffffLL },
	FIELD_TEXT(struct marker, node),
};

/* Parse the line s into out's fields as fd[0..n-1] says.  0, or -1 with
 * EINVAL for anything else. */
static int
record(const char *s, const struct field *fd, int n, void *out)
{
	char buf[512], *f[5];
	long long v;

	if (fields(s, buf, sizeof buf, f, n) < 0)
		goto bad;
	for (int i = 0; i < n; i++) {
		char *p = (char *)out + fd[i].off;
		if (fd[i].kind == F_TEXT) {
			if (!f[i][0] || strlen(f[i]) >= fd[i].size)
				goto bad;
			strcpy(p, f[i]);
		} else if (num_parse(f[i], fd[i].lo, fd[i].hi, &v) < 0) {
			goto bad;
		} else if (fd[i].kind == F_LONG) {
			*(long *)p = v;
		} else {
			*(unsigned long long *)p = v;
		}
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
relay_server_parse(const char *s, struct server *sv)
{
	return record(s, server_fields, 4, sv);
}

int
relay_server_alive(const struct server *sv)
{
	struct server me;

	relay_self(&me);
	if (!relay_samenode(&me, sv))
		return -1;
	return proc_same(sv->pid, sv->ticks);
}

int
relay_marker_parse(const char *s, struct marker *m)
{
	if (record(s, marker_fields, 5, m) < 0)
		return -1;
	if (!id_valid(m->id)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
relay_wake_path(const struct relaydir *d, const char *node, char *buf,
    size_t cap)
{
	int n = snprintf(buf, cap, "%s/srv/%s/" RELAY_WAKE, d->path, node);

	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
relay_exit_parse(const char *s, size_t len, int *code)
{
	char buf[8];
	long long v;

	/* No newline: torn or not ours; a NUL: a stale block's zeros. */
	if (len < 2 || len >= sizeof buf || s[len - 1] != '\n' ||
	    memchr(s, 0, len)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, s, len - 1);
	buf[len - 1] = 0;
	if (num_parse(buf, 0, 255, &v) < 0) {
		errno = EINVAL;
		return -1;
	}
	*code = v;
	return 0;
}

int
relay_exit_read(const struct relaydir *d, const char *id, int *code)
{
	char name[ID_MAX + 8], buf[16];

	ssize_t len;

	snprintf(name, sizeof name, "%s.exit", id);
	if ((len = io_readsmall(d->result, name, buf, sizeof buf)) < 0)
		return errno == ENOENT ? 0 : -1;
	if (relay_exit_parse(buf, len, code) < 0)
		return -1;
	return 1;
}

int
relay_marker_read(const struct relaydir *d, const char *id, struct marker *m,
    int *code)
{
	return relay_marker_readat(d->run, id, m, code);
}

int
relay_marker_readat(int dirfd, const char *id, struct marker *m, int *code)
{
	char buf[512], *nl;
	ssize_t len;

	if ((len = io_readsmall(dirfd, id, buf, sizeof buf)) < 0)
		return errno == EFBIG ? 0 : -1;
	if (relay_exit_parse(buf, len, code) == 0)
		return RELAY_MARK_EXIT;
	if (relay_marker_parse(buf, m) == 0 && strcmp(m->id, id) == 0)
		return RELAY_MARK_RUN;
	/* A status over the marker's first bytes, the rest not cut yet. */
	if ((nl = memchr(buf, '\n', len)) &&
	    relay_exit_parse(buf, nl + 1 - buf, code) == 0)
		return RELAY_MARK_ENDING;
	return 0;
}

/* Checked in the order a command moves, cmd/ to srv/NODE/ (and run/) to
 * result/, each step written before the last one is undone: a command
 * that moves on while we look is found at its next place.  Only recovery
 * moves one back (srv/NODE/ to cmd/), hence the second look in cmd/. */
int
relay_state(const struct relaydir *d, const char *id)
{
	char name[ID_MAX + 8];
	struct dirent *de;
	int fd, found = 0;
	DIR *dd;

	if (faccessat(d->cmd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return RELAY_PENDING;
	if ((fd = openat(d->srv, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (!(dd = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while (!found && (de = readdir(dd))) {
		char path[sizeof de->d_name + ID_MAX + 2];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", de->d_name, id);
		found = faccessat(d->srv, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	}
	closedir(dd);
	if (found || faccessat(d->run, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return RELAY_PENDING;
	snprintf(name, sizeof name, "%s.exit", id);
	if (faccessat(d->result, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return RELAY_DONE;
	if (faccessat(d->cmd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return RELAY_PENDING;
	return RELAY_GONE;
}

int
relay_fsnow(int dirfd, time_t *now)
{
	char id[ID_MAX + 1], name[ID_MAX + 16];
	struct stat st;
	int fd, r;

	/* A dot name is never an id; relay_newid's is unique across hosts. */
	relay_newid(id, sizeof id);
	snprintf(name, sizeof name, ".clock.%s", id);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	/* Set to the server's time: an NFS exclusive create may not be. */
	r = futimens(fd, NULL) < 0 || fstat(fd, &st) < 0 ? -1 : 0;
	unlinkat(dirfd, name, 0);
	close(fd);
	if (r == 0)
		*now = st.st_mtime;
	return r;
}

int
relay_cancel_stale(const struct relaydir *d, const char *id, int clockfd,
    time_t *now)
{
	struct stat st;
	int s = relay_state(d, id);

	if (s < 0 || s == RELAY_DONE)
		return s;
	if (s == RELAY_PENDING)
		return 0;
	if (fstatat(d->cancel, id, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!*now && relay_fsnow(clockfd, now) < 0)
		return -1;
	return *now - st.st_mtime >= RELAY_CANCEL_WAIT ? RELAY_GONE : 0;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
relay_names(int dirfd, const char *suffix, char ***out)
{
	size_t sl = suffix ? strlen(suffix) : 0;
	char **v = NULL;
	int n = 0, cap = 0, fd;
	struct dirent *de;
	DIR *dir;

	/* A fresh fd: a DIR stream owns its fd and its read position. */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (!(dir = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while ((de = readdir(dir))) {
		char name[ID_MAX + 16];
		size_t len = strlen(de->d_name);
		if (len >= sizeof name)
			continue;
		strcpy(name, de->d_name);
		if (sl) {
			if (len <= sl || strcmp(name + len - sl, suffix))
				continue;
			name[len - sl] = 0;
		}
		if (!id_valid(name))
			continue;
		if (n == cap) {
			char **nv;
			cap = cap ? cap * 2 : 64;
			if (!(nv = realloc(v, cap * sizeof *v)))
				goto fail;
			v = nv;
		}
		if (!(v[n] = strdup(name)))
			goto fail;
		n++;
	}
	closedir(dir);
	qsort(v, n, sizeof *v, cmpstr);
	*out = v;
	return n;
fail:
	closedir(dir);
	relay_names_free(v, n);
	errno = ENOMEM;
	return -1;
}

void
relay_names_free(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
relay_remote_fs(int fd)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) < 0)
		return 1;
	switch ((unsigned long)fs.f_type) {
	case 0x6969:     /* NFS */
	case 0x01021997: /* 9p */
	case 0x65735546: /* FUSE, virtiofs, gRPC-FUSE */
	case 0xff534d42: /* CIFS */
	case 0xfe534d42: /* SMB2 */
	case 0x517b:     /* SMB */
	case 0x00c36400: /* Ceph */
		return 1;
	}
	return 0;
}

int
relaydir_trusted(const struct relaydir *d, uid_t uid, long gid,
    const char **what, mode_t *mode)
{
	const struct { const char *name; int fd; } all[] = {
		{ ".", d->root }, { "cmd", d->cmd }, { "srv", d->srv },
		{ "run", d->run }, { "cancel", d->cancel },
		{ "result", d->result },
	};
	struct stat st;

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		*what = all[i].name;
		if (fstat(all[i].fd, &st) < 0)
			return -1;
		*mode = st.st_mode & 07777;
		if ((st.st_uid != uid && st.st_uid != 0) ||
		    (st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) &&
		    (gid < 0 || st.st_gid != (gid_t)gid))) {
			errno = EPERM;
			return -1;
		}
	}
	return 0;
}

int
relay_cmd_trusted(int dirfd, const char *name, uid_t uid, long gid,
    uid_t *owner)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	*owner = st.st_uid;
	return st.st_uid == uid || st.st_uid == 0 ||
	    (gid >= 0 && st.st_gid == (gid_t)gid);
}

/* musl 1.2.3 has no statx(2) wrapper, nor these (linux/stat.h); glibc
 * has both. */
#ifndef AT_STATX_FORCE_SYNC
#define AT_STATX_FORCE_SYNC 0x2000
#endif
#ifndef STATX_MTIME
#define STATX_MTIME 0x40U
#define STATX_CTIME 0x80U
#define STATX_SIZE 0x200U
#endif

/* statx with AT_STATX_FORCE_SYNC: NFS revalidates the inode at the
 * server (__nfs_revalidate_inode), and a directory's new change
 * attribute invalidates its dentries, negative ones included.  A plain
 * fstat would be answered from the cache. */
int
relay_refresh(int fd)
{
	unsigned long long stx[32]; /* struct statx: 256 bytes */

	return syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_FORCE_SYNC,
	    STATX_MTIME | STATX_CTIME | STATX_SIZE, stx) < 0 ? -1 : 0;
}
