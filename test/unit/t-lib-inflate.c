/* inflate: what gzip(1) makes comes back byte for byte, at each level,
 * with and without a name in the header; a damaged member (any byte of
 * it changed, cut short, followed by more) is refused, never decoded
 * wrong and never read or written out of bounds (the asan build). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inflate.h"
#include "tap.h"

static unsigned char out[1 << 20];

/* gzip ARGS over p[0..n): the member, malloc'd, its length in *len. */
static unsigned char *
gzip(const char *args, const void *p, size_t n, size_t *len)
{
	char cmd[256], in[] = "/tmp/t-lib-inflate.XXXXXX";
	int fd = mkstemp(in);
	unsigned char *b = malloc(2 << 20);
	FILE *f;

	if (fd < 0 || !b || write(fd, p, n) != (ssize_t)n)
		return NULL;
	close(fd);
	snprintf(cmd, sizeof cmd, "gzip -c %s <%s", args, in);
	if (!(f = popen(cmd, "r")))
		return NULL;
	*len = fread(b, 1, 2 << 20, f);
	pclose(f);
	unlink(in);
	return b;
}

static int
same(const char *args, const void *p, size_t n)
{
	size_t len;
	unsigned char *z = gzip(args, p, n, &len);
	ssize_t r = z ? gunzip(z, len, out, sizeof out) : -1;
	int good = r == (ssize_t)n && memcmp(out, p, n) == 0;

	free(z);
	return good;
}

int
main(void)
{
	static unsigned char text[300000], rnd[70000], run[100000];
	const char *levels[] = { "-n -1", "-n -6", "-n -9", "-9" };
	unsigned x = 1;
	size_t len;
	unsigned char *z;
	int bad;

	for (size_t i = 0; i < sizeof text; i++)
		text[i] = "the quick brown fox jumps over the lazy dog\n"[i % 44]
		    ^ (i % 997 == 0);
	for (size_t i = 0; i < sizeof rnd; i++)
		rnd[i] = (x = x * 1103515245 + 12345) >> 16;
	memset(run, 'a', sizeof run);

	for (int l = 0; l < 4; l++) {
		ok(same(levels[l], "", 0), "gzip %s: empty", levels[l]);
		ok(same(levels[l], "hello\n", 6), "gzip %s: a line", levels[l]);
		ok(same(levels[l], text, sizeof text),
		    "gzip %s: 300 kB of text (distances to 32 kB)", levels[l]);
		ok(same(levels[l], rnd, sizeof rnd),
		    "gzip %s: 70 kB of noise (stored blocks)", levels[l]);
		ok(same(levels[l], run, sizeof run),
		    "gzip %s: one byte repeated (copies overlapping)", levels[l]);
	}

	z = gzip("-n -9", text, 5000, &len);
	ok(z && gunzip(z, len, out, 4999) < 0 && errno == ENOSPC,
	    "one byte more than the buffer: ENOSPC");
	ok(gunzip(z, len, out, 5000) == 5000, "exactly the buffer: decoded");
	ok(gunzip(z, len - 1, out, sizeof out) < 0 && errno == EINVAL,
	    "cut short: EINVAL");
	memcpy(out + 500000, z, len);
	out[500000 + len] = 0;
	ok(gunzip(out + 500000, len + 1, out, 400000) < 0 && errno == EINVAL,
	    "a byte after the member: EINVAL");
	/* Every byte of a member changed in turn: refused every time (the
	 * header, a block, the CRC or the length says so), or, where the
	 * byte does not matter (MTIME, XFL, OS), decoded right. */
	bad = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char *c = malloc(len);
		memcpy(c, z, len);
		c[i] ^= 0x5a;
		ssize_t r = gunzip(c, len, out, sizeof out);
		if (r >= 0 && (r != 5000 || memcmp(out, text, 5000) ||
		    !(i >= 4 && i < 10)))
			bad++;
		free(c);
	}
	ok(bad == 0, "each of its %zu bytes changed: refused, or harmless (%d "
	    "bad)", len, bad);
	free(z);
	z = gzip("-n -1", rnd, 70000, &len);
	bad = 0;
	for (size_t i = 0; i < len; i += 97) {
		z[i] ^= 1;
		ssize_t r = gunzip(z, len, out, sizeof out);
		if (r >= 0 && (i < 4 || i >= 10))
			bad++;
		z[i] ^= 1;
	}
	ok(bad == 0, "stored blocks, a bit flipped here and there: refused");
	free(z);
	ok(gunzip("\x1f\x8b\x07\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 18, out,
	    sizeof out) < 0 && errno == EINVAL, "not DEFLATE: EINVAL");
	ok(crc32_update(0, "123456789", 9) == 0xcbf43926,
	    "CRC-32 of 123456789 is cbf43926");
	return done_testing();
}
