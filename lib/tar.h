/* tar: the one home of the tar format (POSIX ustar, with pax 'x' headers
 * for what ustar cannot hold), both ways.
 *
 * The writer archives one file or directory tree.  Entries are named from
 * the path's last component ("a/b/c" gives "c", "c/x", ...), a directory's
 * entries sorted by name.  It never follows a symbolic link (the path's
 * own last component included: a link is archived as a link) and takes
 * regular files, directories and links only: anything else is an error
 * naming it.  lib/tree walks a directory; max_bytes bounds the sum of the
 * files' sizes and max_entries the entries, the top one included (0: no
 * bound).  Modes keep the permission bits and the sticky bit, never
 * setuid or setgid; the owner is 0:0 and no user or group name is kept.
 * With out NULL it is a dry run: the tree is walked and checked (types,
 * bounds) and no file is read.
 *
 * The extractor takes a stream piece by piece (from an HTTP body as it
 * comes) into a directory it is given as a descriptor, and refuses:
 * - a name that is absolute, empty, or has an empty, "." or ".."
 *   component (a directory may end in one '/');
 * - a parent that is not a directory beneath dirfd reached without any
 *   symbolic link (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or a
 *   leaf that is a directory where a file goes; an existing file or link
 *   at a leaf is replaced, never opened (O_NOFOLLOW, O_EXCL);
 * - a symbolic link whose target is absolute, or climbs ("..") above the
 *   tree from the link's directory, or has ".." after a name (a link in
 *   the name could make the climb longer than it reads), unless any_link
 *   (a trusted sender's links: none is followed while extracting);
 * - a hard link, device, fifo or any other type;
 * - a header with a wrong checksum or bad numbers, a pax header past
 *   TAR_PAX_MAX, a second 'x' header before an entry, more than 16 'g'
 *   headers (so that a stream of headers alone cannot go on unbounded);
 * - a name of more than TAR_DEPTH_MAX components;
 * - an entry whose cost would take the total past max_bytes, or an entry
 *   past max_entries, before a byte of it is written: a file costs its
 *   size, and every entry a block (512) and its name's and link's
 *   lengths besides, so that directories and links are bounded too.
 * A stream that ends before its two zero blocks is an error (tar_x_end);
 * anything after them is ignored.  Modes are applied without setuid and
 * setgid and without the bits of umask, a directory's once all is in
 * (tar_x_end), so a read-only one still takes its entries; a directory
 * named again keeps its first mode.  On an error the tree is partial: the caller
 * removes it (tar_rmtree).
 *
 * Errors: -1, and err holds "unable to VERB OBJECT: reason" to print
 * after "prog: fatal: ". */
#ifndef HUSK_TAR_H
#define HUSK_TAR_H

#include <stddef.h>

#include "buf.h"

#define TAR_BLOCK 512
#define TAR_PAX_MAX 65536
#define TAR_NAME_MAX 4095
#define TAR_DEPTH_MAX 256	/* components of a name: tar_rmtree's fds */

struct tar_w {
	/* out: 0, or -1 with errno; NULL: a dry run */
	int (*out)(void *ctx, const void *p, size_t n);
	void *ctx;
	long long max_bytes, max_entries;
	long long bytes, entries;       /* so far */
	char err[640];
	const char *as;                 /* the top entry's name; NULL: path's */
	const char *const *exclude;     /* lib/tree's patterns, left out */
	size_t nexclude;
};

/* The name path's entries go under: its last component ("a/b/" gives
 * "b"), into out.  0, or -1 with errno: ENAMETOOLONG, or EINVAL when it
 * has none of its own ("/", ".", ".."). */
int tar_name_of(const char *path, char *out, size_t cap);

/* Archive path (its entries, then the two zero blocks).  0 or -1. */
int tar_write(struct tar_w *w, const char *path);

struct tar_x {
	int dirfd;
	unsigned umask;                 /* taken off every mode (0: none) */
	int any_link;                   /* keep a link whatever its target */
	long long max_bytes, max_entries;
	long long bytes, entries;       /* so far: file bytes, entries */
	long long used;                 /* so far, against max_bytes */
	char err[640];
	/* private */
	int state, zeros, fd, paxed, globals;
	unsigned char hdr[TAR_BLOCK];
	size_t got;
	unsigned long long left, pad;
	struct buf pax, dirs;
	char *ppath, *plink;
	long long psize;
	char name[TAR_NAME_MAX + 1];
};

void tar_x_init(struct tar_x *x, int dirfd, long long max_bytes,
    long long max_entries);
/* 0, 1 once the end blocks are in (what follows is ignored), or -1
 * (and every later call fails) */
int tar_x_feed(struct tar_x *x, const void *p, size_t n);
/* The stream ended: 0 if it was complete (the directories' modes are
 * then applied), else -1. */
int tar_x_end(struct tar_x *x);
void tar_x_free(struct tar_x *x);

/* Remove name in dirfd and all below it, following no symbolic link and
 * making read-only directories writable first.  0, or -1 with errno. */
int tar_rmtree(int dirfd, const char *name);

/* Move from (in fromfd) to to (in tofd), as a whole: a rename over what
 * is not there or is a file or link; an exchange (renameat2
 * RENAME_EXCHANGE) with a directory, or with anything when from is a
 * directory, whose old tree, now at from, is then removed.  0, or -1 with
 * errno: what was at to is still there, unless the exchange was made and
 * only the old tree's removal failed (it is then at from). */
int tar_place(int fromfd, const char *from, int tofd, const char *to);

#endif
