/* capfile: an output file kept under a size, keeping its head and its
 * newest tail, for output nobody bounds (a guest's console over a day).
 *
 * Up to max bytes the file is what was written.  Past that it is the first
 * max/2 bytes, the line CAPFILE_CUT, and the newest bytes: when the file
 * would pass max, the newest (max - max/2 - marker) / 2 bytes are moved up
 * behind the marker and the file is cut there, so each byte is moved about
 * once and a reader always sees head, marker, tail in order; the fd is
 * written with pwrite and read with pread only, from offset 0.  max 0: no
 * bound, plain writes (a pipe or a terminal works too). */
#ifndef HUSK_CAPFILE_H
#define HUSK_CAPFILE_H

#include <stddef.h>
#include <sys/types.h>

#define CAPFILE_CUT "\n[... output cut here: older lines dropped ...]\n"
#define CAPFILE_MIN 1024        /* the least max that leaves room for a tail */

struct capfile {
	int fd;
	off_t max, size;
	int cut;                /* the marker is in */
};

void capfile_init(struct capfile *f, int fd, off_t max);
/* All of p, or -1 with errno; what was written before a failure stays. */
int capfile_write(struct capfile *f, const void *p, size_t n);

#endif
