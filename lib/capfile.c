/* capfile: see capfile.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "capfile.h"
#include "io.h"

void
capfile_init(struct capfile *f, int fd, off_t max)
{
	f->fd = fd;
	f->max = max;
	f->size = 0;
	f->cut = 0;
}

static int
pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	while (n) {
		ssize_t r = pwrite(fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p = (const char *)p + r;
		n -= r;
		off += r;
	}
	return 0;
}

/* Keep the head and the newest half of the tail's room; cut the rest. */
static int
compact(struct capfile *f)
{
	const size_t ml = sizeof CAPFILE_CUT - 1;
	off_t head = f->max / 2, keep = (f->max - head - ml) / 2;
	off_t from = f->size - keep, to = head + ml;
	char buf[8192];

	if (!f->cut && pwrite_all(f->fd, CAPFILE_CUT, ml, head) < 0)
		return -1;
	f->cut = 1;
	/* Forwards is safe: the source lies above the destination. */
	for (off_t done = 0; done < keep; ) {
		size_t n = keep - done < (off_t)sizeof buf ? (size_t)(keep - done) :
		    sizeof buf;
		ssize_t r = pread(f->fd, buf, n, from + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		if (pwrite_all(f->fd, buf, r, to + done) < 0)
			return -1;
		done += r;
	}
	if (ftruncate(f->fd, to + keep) < 0)
		return -1;
	f->size = to + keep;
	return 0;
}

int
capfile_write(struct capfile *f, const void *p, size_t n)
{
	if (!f->max)            /* a stream: a pipe or a terminal too */
		return io_writeall(f->fd, p, n) < 0 ? -1 : 0;
	while (n) {
		size_t k = n;
		if (f->size >= f->max && compact(f) < 0)
			return -1;
		if ((off_t)k > f->max - f->size)
			k = f->max - f->size;
		if (pwrite_all(f->fd, p, k, f->size) < 0)
			return -1;
		f->size += k;
		p = (const char *)p + k;
		n -= k;
	}
	return 0;
}
