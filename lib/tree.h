/* tree: walk a host directory tree without following a symlink, the one
 * home for reading a tree that a user hands over (husk run -C DIR).
 *
 * tree_walk calls fn first for the root itself (path "", the root's
 * lstat), then for every entry below it, parents before children and
 * the entries of each directory sorted bytewise by name (strcmp: the
 * same order in every locale and on every run).  e->path is relative to
 * the root ("a/b"), e->name its last component, e->st its lstat(2).
 *
 * - A symlink is reported with its target in e->link (readlinkat) and
 *   never followed, even when it names a directory.  Each directory is
 *   opened relative to its parent's descriptor with O_NOFOLLOW and
 *   O_DIRECTORY, and must be the one lstat saw (same device and inode),
 *   so a directory swapped for a symlink mid-walk is an error, not a
 *   way out of the tree.  Only the root path itself is resolved by
 *   open(2), as any path given by the user.
 * - A regular file comes with e->fd, opened O_RDONLY|O_NOFOLLOW|O_CLOEXEC
 *   relative to its directory, checked against the lstat (same device,
 *   inode and size) and closed by the walker after fn returns.  A reader
 *   must read exactly e->st.st_size bytes and treat more or less as the
 *   file changing while read (tree_read does); the walk never truncates
 *   silently.  For other entries e->fd is -1.
 * - A fifo, socket or device is refused: the walk stops with an error
 *   naming it.  Nothing is created on the host.
 * - An entry whose relative path or name matches one of o->exclude with
 *   pattern_match (lib/pattern.h: the path with path set, so that '*'
 *   takes no '/'; the name alone without) is
 *   skipped, and an excluded directory is not descended: "-x .git".
 *   The root is never excluded.
 * - o->max_bytes bounds the sum of the regular files' sizes, and
 *   o->max_entries the number of entries below the root (0: no bound);
 *   excluded entries count for neither.
 * - A relative path of PATH_MAX bytes or more is an error
 *   (ENAMETOOLONG).  One descriptor is open per directory level.
 *
 * fn returns 0 to go on, or -1 with errno to stop the walk; it may write
 * its own reason into err, else the walker writes "PATH: strerror".
 * tree_walk returns 0, or -1 with errno and a reason in err (naming the
 * relative path, or "." for the root): EINVAL for a special file, EFBIG
 * for a bound passed, ESTALE for an entry that changed under the walk. */
#ifndef HUSK_TREE_H
#define HUSK_TREE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct tree_ent {
	const char *path;	/* relative to the root; "" for the root */
	const char *name;	/* the last component; "" for the root */
	struct stat st;		/* lstat(2) */
	const char *link;	/* a symlink's target, else NULL */
	int fd;			/* a regular file, open for reading; else -1 */
};

struct tree_opts {
	const char *const *exclude;	/* pattern_match patterns */
	size_t nexclude;
	unsigned long long max_bytes;	/* sum of regular file sizes; 0: any */
	unsigned long long max_entries;	/* entries below the root; 0: any */
};

typedef int tree_fn(const struct tree_ent *e, void *arg);

int tree_walk(const char *root, const struct tree_opts *o, tree_fn *fn,
    void *arg, char *err, size_t errcap);

/* Read the next part of a regular file of the walk into buf: at most cap
 * bytes, never past e->st.st_size; *done counts what was read so far.
 * Returns the bytes read, 0 once all st_size bytes are read and the file
 * ends there, or -1 with errno: ESTALE when the file ended early or goes
 * on past its size (it changed while read). */
ssize_t tree_read(const struct tree_ent *e, void *buf, size_t cap,
    unsigned long long *done);

#endif
