/* cpio: a host directory tree as a newc ("070701") cpio archive, the
 * form Linux unpacks into its initramfs (Documentation/driver-api/
 * early-userspace/buffer-format.rst).  The kernel unpacks archives laid
 * one after another as one: husk run -C DIR appends one of these to the
 * guest image, and DIR's files appear under PREFIX (/job) in the guest.
 *
 * cpio_write walks root with tree_walk (lib/tree.h: no symlink followed,
 * special files refused, exclusions and bounds in o) and writes to fd:
 *
 * - the directory PREFIX itself first (the root's mode and mtime), then
 *   PREFIX/PATH for each entry in the walk's order; PREFIX is a relative
 *   path without "." or ".." components, and only its last component is
 *   written: its parents must be in the image already;
 * - owner 0:0, the mode kept but for setuid and setgid, the mtime kept
 *   (clamped to 0..2^32-1), nlink 1 and an inode number of its own for
 *   every entry (counted from 1 in each archive): a hardlinked file is
 *   written twice, as two files, since the kernel only links entries
 *   whose nlink is 2 or more; device numbers 0, check 0;
 * - a symlink as a symlink, its target as it is, even when absolute or
 *   when it climbs out of the tree: in the guest it names the guest's
 *   files, never the host's, since the archive holds only the link;
 * - names of at most PATH_MAX bytes with their NUL (the kernel skips a
 *   longer one: here it is an error), files below 4 GiB (the newc size
 *   field);
 * - each header and name, and each body, padded with zeros to 4 bytes,
 *   then TRAILER!!!: the archive's length is a multiple of 4, so the
 *   kernel goes on to an archive after it.  An uncompressed archive that
 *   follows a compressed one must itself start at an offset that is a
 *   multiple of 4 (zeros between archives are skipped).
 *
 * Returns 0, or -1 with errno and a reason in err ("PATH: reason", or
 * "write: reason").  The archive is written as the walk goes: on failure
 * part of it may already be on fd, without its trailer. */
#ifndef HUSK_CPIO_H
#define HUSK_CPIO_H

#include <stddef.h>

#include "tree.h"

int cpio_write(int fd, const char *root, const char *prefix,
    const struct tree_opts *o, char *err, size_t errcap);

/* 1 if prefix can name the archive's top directory, else 0. */
int cpio_prefix_valid(const char *prefix);

#endif
