/* io: whole reads and writes, retried across EINTR and short counts. */
#ifndef HUSK_IO_H
#define HUSK_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all of buf; -1 with errno on failure. */
ssize_t io_writeall(int fd, const void *buf, size_t len);

/* Read a small regular file NAME in dirfd (O_NOFOLLOW: a planted symlink
 * fails with ELOOP) into buf, NUL-terminated.  Returns the length, or -1
 * with errno; EFBIG when it does not fit in cap-1 bytes. */
ssize_t io_readsmall(int dirfd, const char *name, char *buf, size_t cap);

/* The failure path of a function that opened fd: close it, keeping the
 * errno that made it fail, and return -1. */
int io_close_fail(int fd);

#endif
