#include <errno.h>

#include "b64.h"

static const char tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
b64_encode(struct buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = s[i] << 16;
		if (i + 1 < n)
			v |= s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		if (buf_add(b, q, 4) < 0)
			return -1;
	}
	return 0;
}

static int
val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
b64_decode(const char *s, size_t n, void *out)
{
	unsigned char *o = out;
	long len = 0;

	if (n % 4)
		goto bad;
	for (size_t i = 0; i < n; i += 4) {
		int last = i + 4 == n, v[4];
		int pad = last && s[i + 3] == '=' ? (s[i + 2] == '=' ? 2 : 1) : 0;
		for (int k = 0; k < 4 - pad; k++)
			if ((v[k] = val(s[i + k])) < 0)
				goto bad;
		o[len++] = v[0] << 2 | v[1] >> 4;
		if (pad < 2)
			o[len++] = (v[1] & 15) << 4 | v[2] >> 2;
		if (pad < 1)
			o[len++] = (v[2] & 3) << 6 | v[3];
	}
	return len;
bad:
	errno = EINVAL;
	return -1;
}
