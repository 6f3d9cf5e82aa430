/* inflate: RFC 1951 decoded the canonical-Huffman way (codes counted per
 * length, symbols sorted by code), as RFC 1951 section 3.2.2 builds
 * them; a bit at a time, which is plenty for the few hundred kilobytes a
 * binary carries, and leaves no table to get wrong. */
#include <errno.h>
#include <string.h>

#include "inflate.h"

#define MAXBITS 15
#define MAXLCODES 286
#define MAXDCODES 30
#define FIXLCODES 288

struct st {
	const unsigned char *in;
	size_t inlen, incnt;
	unsigned long bitbuf;
	int bitcnt;
	unsigned char *out;
	size_t outlen, outcnt;
	int err;                /* EINVAL or ENOSPC, sticky */
};

struct huff {
	short count[MAXBITS + 1];   /* codes of each length */
	short symbol[FIXLCODES];    /* symbols in code order */
};

/* need bits, least significant first; at the end of the input, 0 and
 * s->err set. */
static int
bits(struct st *s, int need)
{
	unsigned long v = s->bitbuf;

	while (s->bitcnt < need) {
		if (s->incnt == s->inlen) {
			s->err = EINVAL;
			return 0;
		}
		v |= (unsigned long)s->in[s->incnt++] << s->bitcnt;
		s->bitcnt += 8;
	}
	s->bitbuf = v >> need;
	s->bitcnt -= need;
	return (int)(v & ((1UL << need) - 1));
}

static int
fail(struct st *s, int e)
{
	if (!s->err)
		s->err = e;
	return -1;
}

/* A stored block: LEN, its complement, LEN bytes. */
static int
stored(struct st *s)
{
	const unsigned char *p;
	size_t len;

	s->bitbuf = 0;          /* to the byte boundary */
	s->bitcnt = 0;
	if (s->inlen - s->incnt < 4)
		return fail(s, EINVAL);
	p = s->in + s->incnt;
	len = p[0] | p[1] << 8;
	if ((size_t)(p[2] | p[3] << 8) != (~len & 0xffff))
		return fail(s, EINVAL);
	s->incnt += 4;
	if (s->inlen - s->incnt < len)
		return fail(s, EINVAL);
	if (s->outlen - s->outcnt < len)
		return fail(s, ENOSPC);
	memcpy(s->out + s->outcnt, s->in + s->incnt, len);
	s->incnt += len;
	s->outcnt += len;
	return 0;
}

/* The next symbol of code h, or -1. */
static int
decode(struct st *s, const struct huff *h)
{
	int code = 0, first = 0, index = 0;

	for (int len = 1; len <= MAXBITS; len++) {
		code |= bits(s, 1);
		if (s->err)
			return -1;
		int count = h->count[len];
		if (code - count < first)
			return h->symbol[index + (code - first)];
		index += count;
		first = (first + count) << 1;
		code <<= 1;
	}
	return fail(s, EINVAL);   /* past the last code: incomplete */
}

/* The code for length[0..n): 0 complete, > 0 incomplete (codes left
 * over), < 0 over-subscribed. */
static int
construct(struct huff *h, const short *length, int n)
{
	short offs[MAXBITS + 1];
	int left = 1;

	memset(h->count, 0, sizeof h->count);
	for (int sym = 0; sym < n; sym++)
		h->count[length[sym]]++;
	if (h->count[0] == n)
		return 0;       /* no codes: decode finds none */
	for (int len = 1; len <= MAXBITS; len++) {
		left = (left << 1) - h->count[len];
		if (left < 0)
			return left;
	}
	offs[1] = 0;
	for (int len = 1; len < MAXBITS; len++)
		offs[len + 1] = offs[len] + h->count[len];
	for (int sym = 0; sym < n; sym++)
		if (length[sym])
			h->symbol[offs[length[sym]]++] = sym;
	return left;
}

static const short lbase[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17,
    19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
    258 };
static const short lext[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2,
    2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const unsigned short dbase[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25,
    33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
    4097, 6145, 8193, 12289, 16385, 24577 };
static const short dext[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5,
    6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

/* A block's literals and matches, to its end-of-block symbol. */
static int
codes(struct st *s, const struct huff *lc, const struct huff *dc)
{
	for (;;) {
		int sym = decode(s, lc);
		if (sym < 0)
			return -1;
		if (sym < 256) {
			if (s->outcnt == s->outlen)
				return fail(s, ENOSPC);
			s->out[s->outcnt++] = sym;
			continue;
		}
		if (sym == 256)
			return 0;
		if ((sym -= 257) >= 29)
			return fail(s, EINVAL);
		size_t len = lbase[sym] + bits(s, lext[sym]);
		if ((sym = decode(s, dc)) < 0)
			return -1;
		if (sym >= 30)
			return fail(s, EINVAL);
		size_t dist = dbase[sym] + bits(s, dext[sym]);
		if (s->err)
			return -1;
		if (dist > s->outcnt)
			return fail(s, EINVAL);   /* before the start */
		if (s->outlen - s->outcnt < len)
			return fail(s, ENOSPC);
		for (; len; len--, s->outcnt++)
			s->out[s->outcnt] = s->out[s->outcnt - dist];
	}
}

static int
fixed(struct st *s)
{
	struct huff lc, dc;
	short len[FIXLCODES];
	int sym;

	for (sym = 0; sym < 144; sym++)
		len[sym] = 8;
	for (; sym < 256; sym++)
		len[sym] = 9;
	for (; sym < 280; sym++)
		len[sym] = 7;
	for (; sym < FIXLCODES; sym++)
		len[sym] = 8;
	construct(&lc, len, FIXLCODES);
	for (sym = 0; sym < MAXDCODES; sym++)
		len[sym] = 5;
	construct(&dc, len, MAXDCODES);
	return codes(s, &lc, &dc);
}

static int
dynamic(struct st *s)
{
	static const short order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
	    11, 4, 12, 3, 13, 2, 14, 1, 15 };
	short len[MAXLCODES + MAXDCODES];
	struct huff lc, dc;
	int nlen, ndist, ncode, i, err;

	nlen = bits(s, 5) + 257;
	ndist = bits(s, 5) + 1;
	ncode = bits(s, 4) + 4;
	if (s->err || nlen > MAXLCODES || ndist > MAXDCODES)
		return fail(s, EINVAL);
	for (i = 0; i < 19; i++)
		len[order[i]] = i < ncode ? bits(s, 3) : 0;
	if (s->err || construct(&lc, len, 19) != 0)
		return fail(s, EINVAL);   /* the code lengths' code: complete */
	for (i = 0; i < nlen + ndist;) {
		int sym = decode(s, &lc), rep, val = 0;
		if (sym < 0)
			return -1;
		if (sym < 16) {
			len[i++] = sym;
			continue;
		}
		if (sym == 16) {
			if (i == 0)
				return fail(s, EINVAL);
			val = len[i - 1];
			rep = 3 + bits(s, 2);
		} else if (sym == 17) {
			rep = 3 + bits(s, 3);
		} else {
			rep = 11 + bits(s, 7);
		}
		if (s->err || i + rep > nlen + ndist)
			return fail(s, EINVAL);
		while (rep--)
			len[i++] = val;
	}
	if (len[256] == 0)
		return fail(s, EINVAL);   /* no end of block */
	/* Incomplete codes only as RFC 1951 allows: a single code. */
	err = construct(&lc, len, nlen);
	if (err && (err < 0 || nlen != lc.count[0] + lc.count[1]))
		return fail(s, EINVAL);
	err = construct(&dc, len + nlen, ndist);
	if (err && (err < 0 || ndist != dc.count[0] + dc.count[1]))
		return fail(s, EINVAL);
	return codes(s, &lc, &dc);
}

uint32_t
crc32_update(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;

	crc = ~crc;
	while (n--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320 & -(crc & 1));
	}
	return ~crc;
}

static uint32_t
le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Past the gzip header: 0, or -1. */
static int
header(struct st *s)
{
	const unsigned char *p = s->in;
	size_t n = s->inlen, i = 10;
	int flg;

	if (n < 18 || p[0] != 0x1f || p[1] != 0x8b || p[2] != 8 ||
	    (p[3] & 0xe0))
		return -1;
	flg = p[3];
	if (flg & 4) {          /* FEXTRA */
		if (n - i < 2 || n - i - 2 < (size_t)(p[i] | p[i + 1] << 8))
			return -1;
		i += 2 + (p[i] | p[i + 1] << 8);
	}
	for (int f = 8; f <= 16; f <<= 1)   /* FNAME, FCOMMENT */
		if (flg & f) {
			const unsigned char *z = memchr(p + i, 0, n - i);
			if (!z)
				return -1;
			i = z - p + 1;
		}
	if (flg & 2)            /* FHCRC */
		i += 2;
	if (i > n)
		return -1;
	s->incnt = i;
	return 0;
}

ssize_t
gunzip(const void *in, size_t inlen, void *out, size_t cap)
{
	struct st s = { .in = in, .inlen = inlen, .out = out, .outlen = cap };
	int last;

	if (header(&s) < 0) {
		errno = EINVAL;
		return -1;
	}
	do {
		last = bits(&s, 1);
		switch (bits(&s, 2)) {
		case 0: stored(&s); break;
		case 1: fixed(&s); break;
		case 2: dynamic(&s); break;
		default: fail(&s, EINVAL);
		}
	} while (!last && !s.err);
	/* The trailer, from the byte after the last block, ends the input. */
	if (!s.err && (s.inlen - s.incnt != 8 ||
	    le32(s.in + s.incnt) != crc32_update(0, s.out, s.outcnt) ||
	    le32(s.in + s.incnt + 4) != (uint32_t)s.outcnt))
		s.err = EINVAL;
	if (s.err) {
		errno = s.err;
		return -1;
	}
	return (ssize_t)s.outcnt;
}
