/* capfile: a million numbered lines in odd-sized pieces through a 64 KiB
 * cap: never larger, then head, marker and the newest bytes, exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "capfile.h"
#include "tap.h"

static int
tmpfile_fd(void)
{
	char path[] = "/tmp/t-capfile.XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

int
main(void)
{
	struct buf all = { 0 };
	struct { char *p; size_t len; } got;
	struct capfile f;
	struct stat st;
	off_t max = 65536, biggest = 0;
	const size_t ml = sizeof CAPFILE_CUT - 1;
	size_t i, off = 0;
	int fd = tmpfile_fd(), bad = 0;

	for (i = 0; i < 1000000; i++)
		buf_addf(&all, "line %zu\n", i);
	capfile_init(&f, fd, max);
	srand(7);
	while (off < all.len && !bad) {
		size_t n = 1 + rand() % 3000;
		if (n > all.len - off)
			n = all.len - off;
		bad = capfile_write(&f, all.p + off, n) < 0 ||
		    fstat(fd, &st) < 0 || st.st_size != f.size;
		if (st.st_size > biggest)
			biggest = st.st_size;
		off += n;
	}
	ok(!bad && biggest <= max, "never over the cap: %lld <= %lld bytes",
	    (long long)biggest, (long long)max);
	got.p = malloc(max + 1);
	got.len = pread(fd, got.p, max + 1, 0);
	ok(got.len == (size_t)f.size && got.len > (size_t)max / 2 + ml,
	    "the file holds %zu bytes", got.len);
	ok(!memcmp(got.p, all.p, max / 2), "the head is the first %lld bytes",
	    (long long)max / 2);
	ok(!memcmp(got.p + max / 2, CAPFILE_CUT, ml), "then the marker");
	{
		size_t t = got.len - max / 2 - ml;
		ok(t >= (size_t)(max - max / 2 - ml) / 2 &&
		    !memcmp(got.p + max / 2 + ml, all.p + all.len - t, t),
		    "then the newest %zu bytes", t);
	}
	close(fd);

	/* No cap: all of it. */
	fd = tmpfile_fd();
	capfile_init(&f, fd, 0);
	ok(capfile_write(&f, all.p, all.len) == 0 && fstat(fd, &st) == 0 &&
	    (size_t)st.st_size == all.len, "max 0 keeps everything");
	/* Under the cap: untouched. */
	close(fd);
	fd = tmpfile_fd();
	capfile_init(&f, fd, max);
	got.len = 0;
	ok(capfile_write(&f, all.p, 1000) == 0 &&
	    pread(fd, got.p, 2000, 0) == 1000 && !memcmp(got.p, all.p, 1000),
	    "under the cap the file is what was written");
	close(fd);
	buf_free(&all);
	free(got.p);
	return done_testing();
}
