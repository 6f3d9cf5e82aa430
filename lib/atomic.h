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

/* The same for a path: its directory is opened for the duration. */
int atomic_write_path(const char *path, const void *buf, size_t len,
    mode_t mode);

#endif
