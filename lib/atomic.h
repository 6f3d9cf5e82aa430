/* atomic: replace a file so readers see the old content or the new, never
 * a mix, and a crash leaves one of the two.
 *
 * atomic_write writes buf to a temp file ".NAME.tmp.PID" in dirfd (O_EXCL,
 * O_NOFOLLOW), fsyncs it, renames it over NAME and fsyncs the directory.  On
 * failure it returns -1 with errno set, the old NAME intact and no temp file
 * left behind.  Names starting with '.' are never valid ids (see id.h), so
 * scanners skip the temp files. */
#ifndef HUSK_ATOMIC_H
#define HUSK_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

int atomic_write(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode);

/* atomic_write, calling renamed(arg) as soon as NAME holds the new content
 * (flushed, and what any reader sees), before the directory's fsync makes
 * the rename durable: for a writer whose readers learn of it by other
 * means than inotify (which fires at the rename too). */
int atomic_write_then(int dirfd, const char *name, const void *buf,
    size_t len, mode_t mode, void (*renamed)(void *), void *arg);

/* atomic_write for a marker whose existence is what counts: the same
 * rename and directory fsync, so once it returns the name survives a
 * crash of the machine, but the bytes are not flushed first: after such
 * a crash the file may be empty or short (one fsync fewer).  Readers
 * see the whole content at once, as with atomic_write. */
int atomic_mark(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode);

/* The same for a path: its directory is opened for the duration. */
int atomic_write_path(const char *path, const void *buf, size_t len,
    mode_t mode);

/* The same in two steps, for a process that may open no path when it
 * writes (vmrun under its seccomp filter): atomic_open opens path's
 * directory and creates the temp file now; atomic_commit later writes,
 * flushes and renames it into place (renameat and, on failure, unlinkat,
 * both relative to dirfd; no open), and closes both descriptors either
 * way.  A process killed in between leaves the temp file (a dot name).
 * Both return 0, or -1 with errno. */
struct atomic_file {
	int dirfd, fd;          /* -1 when not open */
	const char *name;       /* the last component of the path */
	char tmp[512];
};

int atomic_open(struct atomic_file *a, const char *path, mode_t mode);
int atomic_commit(struct atomic_file *a, const void *buf, size_t len);
/* Or, nothing to write after all: remove the temp file, close both. */
void atomic_abort(struct atomic_file *a);

#endif
