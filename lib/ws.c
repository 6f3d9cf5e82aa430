/* ws: WebSocket framing, see ws.h. */
#include <errno.h>
#include <string.h>

#include <bearssl.h>

#include "b64.h"
#include "utf8.h"
#include "ws.h"

static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int
ws_accept_key(const char *key, char out[29])
{
	br_sha1_context c;
	unsigned char raw[18], h[20];
	struct buf b = { 0 };
	size_t n = key ? strlen(key) : 0;

	if (n != 24 || b64_decode(key, n, raw) != 16) {
		errno = EINVAL;
		return -1;
	}
	br_sha1_init(&c);
	br_sha1_update(&c, key, n);
	br_sha1_update(&c, guid, sizeof guid - 1);
	br_sha1_out(&c, h);
	if (b64_encode(&b, h, sizeof h) < 0)
		return -1;
	memcpy(out, b.p, 29); /* 28 characters and the NUL */
	buf_free(&b);
	return 0;
}

size_t
ws_frame_head(uint8_t *out, int op, int fin, uint64_t len,
    const uint8_t *mask)
{
	size_t n = 2;

	out[0] = (fin ? 0x80 : 0) | (op & 0x0f);
	out[1] = mask ? 0x80 : 0;
	if (len < 126) {
		out[1] |= len;
	} else if (len <= 0xffff) {
		out[1] |= 126;
		out[2] = len >> 8;
		out[3] = len;
		n = 4;
	} else {
		out[1] |= 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = len >> (56 - 8 * i);
		n = 10;
	}
	if (mask) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

void
ws_mask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= mask[(off + i) & 3];
}

int
ws_frame(struct buf *b, int op, const void *p, size_t n)
{
	uint8_t h[14];
	size_t hl = ws_frame_head(h, op, 1, n, NULL);
	size_t old = b->len;

	if (buf_add(b, h, hl) < 0)
		return -1;
	if (buf_add(b, p, n) < 0) {
		b->len = old;
		return -1;
	}
	return 0;
}

int
ws_close_frame(struct buf *b, int code, const char *reason)
{
	uint8_t p[125];
	size_t n = reason ? strlen(reason) : 0;

	if (n > 123)
		n = 123;
	p[0] = code >> 8;
	p[1] = code;
	memcpy(p + 2, reason, n);
	return ws_frame(b, WS_CLOSE, p, n + 2);
}

void
ws_rx_init(struct ws_rx *rx, int server, size_t max)
{
	memset(rx, 0, sizeof *rx);
	rx->server = server;
	rx->max = max;
	rx->hdrneed = 2;
}

void
ws_rx_free(struct ws_rx *rx)
{
	buf_free(&rx->msg);
}

static int
fail(struct ws_rx *rx, int code)
{
	rx->close_code = code;
	errno = EPROTO;
	return -1;
}

/* The header is complete: check it against the rules in ws.h. */
static int
header(struct ws_rx *rx)
{
	uint8_t *h = rx->hdr;
	size_t at = 2;

	rx->fin = h[0] >> 7;
	rx->op = h[0] & 0x0f;
	rx->masked = h[1] >> 7;
	rx->len = h[1] & 0x7f;
	if (rx->len == 126) {
		rx->len = (uint64_t)h[2] << 8 | h[3];
		at = 4;
		if (rx->len < 126)
			return fail(rx, WS_PROTOCOL); /* not minimal */
	} else if (rx->len == 127) {
		rx->len = 0;
		for (int i = 0; i < 8; i++)
			rx->len = rx->len << 8 | h[2 + i];
		at = 10;
		if (rx->len >> 63 || rx->len <= 0xffff)
			return fail(rx, WS_PROTOCOL);
	}
	if (rx->masked)
		memcpy(rx->mask, h + at, 4);
	rx->got = 0;
	if (h[0] & 0x70)
		return fail(rx, WS_PROTOCOL);
	if (rx->masked != rx->server)
		return fail(rx, WS_PROTOCOL);
	switch (rx->op) {
	case WS_CLOSE: case WS_PING: case WS_PONG:
		if (!rx->fin || rx->len > 125)
			return fail(rx, WS_PROTOCOL);
		return 0;
	case WS_CONT:
		if (!rx->msg_op)
			return fail(rx, WS_PROTOCOL);
		break;
	case WS_TEXT: case WS_BINARY:
		if (rx->msg_op)
			return fail(rx, WS_PROTOCOL);
		rx->msg_op = rx->op;
		rx->msg.len = 0;
		break;
	default:
		return fail(rx, WS_PROTOCOL);
	}
	if (rx->len > rx->max || rx->msg.len + rx->len > rx->max)
		return fail(rx, WS_TOOBIG);
	return 0;
}

/* The payload is complete. 1 with a message, 0 if a fragment was added. */
static int
frame_done(struct ws_rx *rx, struct ws_msg *m)
{
	rx->hdrlen = 0;
	rx->hdrneed = 2;
	if (rx->op & 0x8) {
		m->op = rx->op;
		m->data = rx->ctl;
		m->len = rx->len;
		return 1;
	}
	if (!rx->fin)
		return 0;
	m->op = rx->msg_op;
	m->data = (const uint8_t *)(rx->msg.p ? rx->msg.p : "");
	m->len = rx->msg.len;
	rx->msg_op = 0;
	if (m->op == WS_TEXT && !utf8_valid(m->data, m->len))
		return fail(rx, WS_BADDATA);
	rx->delivered = 1;
	return 1;
}

int
ws_rx_feed(struct ws_rx *rx, const uint8_t *p, size_t n, size_t *used,
    struct ws_msg *m)
{
	size_t i = 0;
	int r;

	if (rx->delivered) {
		rx->msg.len = 0;
		rx->delivered = 0;
	}
	*used = 0;
	for (;;) {
		if (rx->hdrlen < rx->hdrneed) {
			while (rx->hdrlen < rx->hdrneed && i < n)
				rx->hdr[rx->hdrlen++] = p[i++];
			if (rx->hdrlen < rx->hdrneed)
				break;
			if (rx->hdrneed == 2) {
				size_t l = rx->hdr[1] & 0x7f;
				rx->hdrneed += (l == 126 ? 2 : l == 127 ? 8 : 0) +
				    (rx->hdr[1] & 0x80 ? 4 : 0);
				if (rx->hdrneed > 2)
					continue;
			}
			if (header(rx) < 0) {
				*used = i;
				return -1;
			}
		}
		/* payload */
		size_t k = n - i;
		if (k > rx->len - rx->got)
			k = rx->len - rx->got;
		if (k) {
			uint8_t *dst;
			if (rx->op & 0x8) {
				dst = rx->ctl + rx->got;
				memcpy(dst, p + i, k);
			} else {
				if (buf_add(&rx->msg, p + i, k) < 0) {
					*used = i;
					return fail(rx, WS_INTERNAL);
				}
				dst = (uint8_t *)rx->msg.p + rx->msg.len - k;
			}
			if (rx->masked)
				ws_mask(dst, k, rx->mask, rx->got);
			rx->got += k;
			i += k;
		}
		if (rx->got < rx->len)
			break;
		r = frame_done(rx, m);
		if (r != 0) {
			*used = i;
			return r;
		}
	}
	*used = i;
	return 0;
}

int
ws_close_code(const uint8_t *p, size_t n)
{
	int c;

	if (n == 0)
		return 1005;
	if (n == 1)
		return -1;
	c = p[0] << 8 | p[1];
	if (c < 1000 || c >= 5000 || c == 1004 || c == 1005 || c == 1006 ||
	    c == 1015 || (c > 1011 && c < 3000))
		return -1;
	if (!utf8_valid(p + 2, n - 2))
		return -1;
	return c;
}
