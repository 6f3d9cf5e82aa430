#include "frame.h"

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* What each type allows: its streams (a bitmask of 1 << stream) and
 * payload lengths. */
static const struct {
	uint8_t streams;
	uint32_t minlen, maxlen;
} rules[256] = {
	[F_HELLO] = { 0x03, 0, 64 },
	[F_DATA] = { 0x06, 1, FRAME_MAX },
	[F_EXIT] = { 0x01, 8, 8 },
	[F_PREEMPT] = { 0x01, 0, 0 },
	[F_STDIN_ACK] = { 0x01, 0, 0 },
	[F_ACK] = { 0x06, 0, 0 },
	[F_STDIN] = { 0x01, 1, FRAME_MAX },
	[F_STDIN_EOF] = { 0x01, 0, 0 },
	[F_RESIZE] = { 0x01, 4, 4 },
	[F_CLAIM] = { 0x06, 0, 0 },
};

ssize_t
frame_decode(const void *buf, size_t len, struct frame *f, const char **why)
{
	const uint8_t *p = buf;

	if (len < FRAME_HDR)
		return 0;
	f->type = p[0];
	f->stream = p[1];
	f->len = be32(p + 4);
	f->off = be64(p + 8);
	f->data = p + FRAME_HDR;
	if (!rules[f->type].streams) {
		*why = "unknown frame type";
		return -1;
	}
	if (p[2] || p[3]) {
		*why = "reserved bytes not zero";
		return -1;
	}
	if (f->stream > 7 || !(rules[f->type].streams & (1 << f->stream))) {
		*why = "stream not allowed for this frame type";
		return -1;
	}
	if (f->len < rules[f->type].minlen || f->len > rules[f->type].maxlen) {
		*why = "length not allowed for this frame type";
		return -1;
	}
	if (len - FRAME_HDR < f->len)
		return 0;
	return FRAME_HDR + f->len;
}

void
frame_header(uint8_t h[FRAME_HDR], int type, int stream, uint32_t len,
    uint64_t off)
{
	h[0] = type;
	h[1] = stream;
	h[2] = h[3] = 0;
	for (int i = 0; i < 4; i++)
		h[4 + i] = len >> (24 - 8 * i);
	for (int i = 0; i < 8; i++)
		h[8 + i] = off >> (56 - 8 * i);
}
