/* ptyd's session ring: replay_start, session_room, ring_span, ring_copy. */
#include <string.h>

#include "ptyd/ring.c"
#include "tap.h"

/* A ring of cap bytes holding the last cap of the bytes of s, which
 * were produced from offset end - strlen(s). */
static struct ring
mk(uint8_t *mem, size_t cap, uint64_t end, const char *s)
{
	struct ring r = { mem, cap, end };
	size_t n = strlen(s);

	memset(mem, '.', cap);
	for (size_t i = 0; i < n; i++)
		mem[(end - n + i) % cap] = (uint8_t)s[i];
	return r;
}

int
main(void)
{
	static uint8_t mem[8192];
	static char big[8192];
	static const struct {
		size_t cap;
		uint64_t end;
		const char *held;	/* the last bytes produced */
		uint64_t want;
		const char *what;
	} rs[] = {
		{ 16, 0, "", 0, "empty: from 0" },
		{ 16, 10, "0123456789", 0, "not wrapped: from 0" },
		{ 16, 16, "0123456789abcdef", 0, "full, not wrapped: from 0" },
		{ 16, 20, "abcd\nfghijklmnop", 9, "wrapped: after the newline" },
		{ 16, 20, "\nbcdefghijklmnop", 5, "newline first: the byte after" },
		{ 16, 20, "abcdefghijklmno\n", 20, "newline last: the end" },
		{ 16, 20, "\x80\x80" "cdefghijklmnop", 6,
		    "no newline: after UTF-8 continuation bytes" },
		{ 16, 20, "12;4mxyzxyzxyzxy", 8, "no newline: past CSI parameters" },
		{ 16, 20, "\xe2\x94\x80" "defghijklmnop", 4,
		    "a UTF-8 lead byte is a start" },
		{ 16, 1000020, "\x1b[1mxyzxyzxyzxyz", 1000004,
		    "ESC starts: offsets are global" },
		{ 16, 20, "0123456789:;<=>?", 20, "all parameters: the end" },
	};
	static const struct {
		size_t cap;
		uint64_t end;
		int open, attached;
		uint64_t sent;
		size_t want;
		const char *what;
	} rm[] = {
		{ 16, 5, 0, 0, 0, 0, "closed: no room" },
		{ 16, 5, 0, 1, 5, 0, "closed and attached: no room" },
		{ 16, 5, 1, 0, 0, 16, "unattached: the whole ring" },
		{ 16, 500, 1, 0, 0, 16, "unattached, wrapped: the whole ring" },
		{ 16, 5, 1, 1, 5, 16, "client sent everything: the whole ring" },
		{ 16, 5, 1, 1, 0, 11, "client sent nothing: the rest" },
		{ 16, 20, 1, 1, 4, 0, "client a ring behind: none" },
		{ 16, 20, 1, 1, 10, 6, "client behind, wrapped: what it took" },
	};
	static const struct {
		const char *what;
		size_t cap;
		uint64_t end;
		size_t room, max, at, want;
	} sp[] = {
		{ "empty: the whole ring", 16, 0, 16, 65536, 0, 16 },
		{ "to the ring's end only", 16, 10, 16, 65536, 10, 6 },
		{ "at most room", 16, 10, 3, 65536, 10, 3 },
		{ "at most max", 16, 10, 16, 4, 10, 4 },
		{ "wrapped: from end mod cap", 16, 37, 16, 65536, 5, 11 },
		{ "at a multiple of cap: from 0", 16, 32, 16, 65536, 0, 16 },
	};

	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
		struct ring r = mk(mem, rs[i].cap, rs[i].end, rs[i].held);
		ok(replay_start(&r) == rs[i].want, "replay_start: %s (%llu)",
		    rs[i].what, (unsigned long long)replay_start(&r));
	}
	/* No newline within SAFE_SCAN and nothing but parameters: at most
	 * SAFE_SCAN bytes are skipped. */
	memset(big, '0', sizeof big - 1);
	{
		struct ring r = mk(mem, sizeof big - 1, 3 * (sizeof big - 1), big);
		ok(replay_start(&r) == ring_start(&r) + 4096,
		    "replay_start: scans at most 4096 bytes");
	}
	for (size_t i = 0; i < sizeof rm / sizeof rm[0]; i++) {
		struct ring r = { mem, rm[i].cap, rm[i].end };
		size_t got = session_room(&r, rm[i].open,
		    rm[i].attached ? &rm[i].sent : NULL);
		ok(got == rm[i].want, "session_room: %s (%zu)", rm[i].what, got);
	}
	for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
		struct ring r = { mem, sp[i].cap, sp[i].end };
		size_t at = 999, got = ring_span(&r, sp[i].room, sp[i].max, &at);
		ok(got == sp[i].want && at == sp[i].at, "ring_span: %s (%zu at "
		    "%zu)", sp[i].what, got, at);
	}
	{
		struct ring r = mk(mem, 8, 13, "56789abc");
		struct buf b = { 0 };
		ring_copy(&r, 6, 7, &b);
		ok(b.len == 7 && !memcmp(b.p, "6789abc", 7),
		    "ring_copy: across the wrap");
		b.len = 0;
		ring_copy(&r, 8, 0, &b);
		ok(b.len == 0, "ring_copy: nothing");
		ok(ring_start(&r) == 5, "ring_start: end - cap once wrapped");
		buf_free(&b);
	}
	return done_testing();
}
