/* ws: the handshake key, frames from RFC 6455 section 5.7, and the
 * parser's rules, fed whole and one byte at a time. */
#include <string.h>

#include "tap.h"
#include "ws.h"

/* Feed all of p (in steps of step bytes); collect messages into out as
 * "op:payload;" and return the last feed result. */
static int
feed(struct ws_rx *rx, const uint8_t *p, size_t n, size_t step, char *out)
{
	struct ws_msg m;
	size_t used, i = 0;
	int r = 0;

	out[0] = 0;
	while (i < n) {
		size_t k = n - i < step ? n - i : step;
		r = ws_rx_feed(rx, p + i, k, &used, &m);
		i += used;
		if (r < 0)
			return r;
		if (r == 1)
			sprintf(out + strlen(out), "%d:%.*s;", m.op, (int)m.len,
			    (const char *)m.data);
	}
	return r;
}

static const struct {
	const char *what;
	const char *bytes;
	size_t n;
	int server, ret, code;
	const char *want;
} t[] = {
	{ "unmasked text (client side)", "\x81\x05Hello", 7, 0, 1, 0, "1:Hello;" },
	{ "masked text (server side)",
	  "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11, 1, 1, 0, "1:Hello;" },
	{ "fragmented text", "\x01\x03Hel\x80\x02lo", 9, 0, 1, 0, "1:Hello;" },
	{ "ping between fragments", "\x01\x03Hel\x89\x02hi\x80\x02lo", 13, 0, 1, 0,
	  "9:hi;1:Hello;" },
	{ "empty binary", "\x82\x00", 2, 0, 1, 0, "2:;" },
	{ "unmasked frame to a server", "\x81\x05Hello", 7, 1, -1, 1002, "" },
	{ "masked frame to a client",
	  "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11, 0, -1, 1002, "" },
	{ "reserved bit", "\xc1\x00", 2, 0, -1, 1002, "" },
	{ "unknown opcode", "\x83\x00", 2, 0, -1, 1002, "" },
	{ "fragmented ping", "\x09\x00", 2, 0, -1, 1002, "" },
	{ "long ping", "\x89\x7e\x00\x7e", 4, 0, -1, 1002, "" },
	{ "continuation of nothing", "\x80\x01x", 3, 0, -1, 1002, "" },
	{ "text inside a fragmented message", "\x01\x01x\x81\x01y", 6, 0, -1, 1002, "" },
	{ "non-minimal length", "\x82\x7e\x00\x05hello", 9, 0, -1, 1002, "" },
	{ "over max, from the header alone", "\x82\x7f\x00\x00\x00\x01\x00\x00\x00\x00", 10, 0, -1, 1009, "" },
	{ "fragments over max", "\x02\x40" "0123456789012345678901234567890123456789012345678901234567890123"
	  "\x80\x40" "0123456789012345678901234567890123456789012345678901234567890123", 132, 0, -1, 1009, "" },
	{ "text not UTF-8", "\x81\x02\xc3\x28", 4, 0, -1, 1007, "" },
	{ "64-bit length with the top bit", "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10, 0, -1, 1002, "" },
};

int
main(void)
{
	char key[29], out[512];
	struct ws_rx rx;
	uint8_t h[14], p[70000];
	struct buf b = { 0 };
	size_t used;
	struct ws_msg m;

	ok(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", key) == 0 &&
	    strcmp(key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0,
	    "accept key of RFC 6455 section 1.3");
	ok(ws_accept_key("short", key) == -1, "a key that is not 16 bytes is refused");
	ok(ws_accept_key(NULL, key) == -1, "no key is refused");

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		for (size_t step = 1; step <= 1000; step += 999) {
			ws_rx_init(&rx, t[i].server, 100);
			int r = feed(&rx, (const uint8_t *)t[i].bytes, t[i].n, step, out);
			ok(r == t[i].ret && (r < 0 ? rx.close_code == t[i].code :
			    strcmp(out, t[i].want) == 0),
			    "%s, %s (got %d, %d, \"%s\")", t[i].what,
			    step == 1 ? "byte by byte" : "whole", r, rx.close_code, out);
			ws_rx_free(&rx);
		}
	}

	/* Writer and parser agree, with 16- and 64-bit lengths and a mask. */
	for (size_t n = 0; n < sizeof p; n += n < 200 ? 61 : 33000) {
		static const uint8_t mk[4] = { 1, 2, 3, 4 };
		uint8_t *f = malloc(n + 14);
		size_t hl = ws_frame_head(h, WS_BINARY, 1, n, mk);
		for (size_t j = 0; j < n; j++)
			p[j] = j * 7;
		memcpy(f, h, hl);
		memcpy(f + hl, p, n);
		ws_mask(f + hl, n, mk, 0);
		ws_rx_init(&rx, 1, sizeof p);
		int r = ws_rx_feed(&rx, f, hl + n, &used, &m);
		ok(r == 1 && used == hl + n && m.op == WS_BINARY && m.len == n &&
		    memcmp(m.data, p, n) == 0, "round trip of %zu bytes (header %zu)", n, hl);
		ws_rx_free(&rx);
		free(f);
	}

	ok(ws_close_frame(&b, 4001, "preempted") == 0 && b.len == 13 &&
	    memcmp(b.p, "\x88\x0b\x0f\xa1preempted", 13) == 0, "close frame 4001");
	ok(ws_close_code((const uint8_t *)b.p + 2, b.len - 2) == 4001, "close code read back");
	ok(ws_close_code((const uint8_t *)"", 0) == 1005, "empty close: 1005");
	ok(ws_close_code((const uint8_t *)"\x03\xed", 2) == -1, "1005 on the wire is refused");
	ok(ws_close_code((const uint8_t *)"\x03", 1) == -1, "one byte is refused");
	buf_free(&b);
	return done_testing();
}
