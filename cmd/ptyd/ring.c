/* ptyd's scrollback ring: pure functions (ring.h). */
#include "ptyd/ring.h"

#define SAFE_SCAN 4096	/* replay start: look this far for a line */

uint64_t
ring_start(const struct ring *r)
{
	return r->end > r->cap ? r->end - r->cap : 0;
}

static uint8_t
ring_at(const struct ring *r, uint64_t off)
{
	return r->p[off % r->cap];
}

/* The safe boundary: just after a newline within SAFE_SCAN bytes (a line
 * start is outside any escape sequence a terminal program writes), else
 * the first byte that starts a UTF-8 sequence and is not inside an escape
 * sequence's parameters. */
uint64_t
replay_start(const struct ring *r)
{
	uint64_t o = ring_start(r), lim;

	if (o == 0)
		return 0;
	lim = r->end - o > SAFE_SCAN ? o + SAFE_SCAN : r->end;
	for (uint64_t i = o; i < lim; i++)
		if (ring_at(r, i) == '\n')
			return i + 1;
	for (uint64_t i = o; i < lim; i++) {
		uint8_t c = ring_at(r, i);
		if ((c & 0xc0) == 0x80 || (c >= 0x20 && c < 0x40))
			continue; /* continuation byte, or CSI parameter */
		return i;
	}
	return lim;
}

size_t
session_room(const struct ring *r, int open, const uint64_t *client)
{
	if (!open)
		return 0;
	if (!client)
		return r->cap;
	return r->cap - (r->end - *client);
}

size_t
ring_span(const struct ring *r, size_t room, size_t max, size_t *at)
{
	size_t n;

	*at = r->end % r->cap;
	n = r->cap - *at; /* contiguous up to the ring's end */
	if (n > room)
		n = room;
	return n > max ? max : n;
}

void
ring_copy(const struct ring *r, uint64_t off, size_t n, struct buf *b)
{
	size_t at = off % r->cap, k = r->cap - at < n ? r->cap - at : n;

	buf_add(b, r->p + at, k);
	buf_add(b, r->p, n - k);
}
