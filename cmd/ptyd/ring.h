/* ring: a session's scrollback, and where its readers stand in it.
 *
 * Every byte the PTY produces is at a global offset; the ring holds the
 * last cap of them (offsets ring_start to end).  A client is an offset
 * into it.  These are pure functions of their arguments, so a unit test
 * drives them (test/unit/t-ptyd-session.c). */
#ifndef PTYD_RING_H
#define PTYD_RING_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct ring {
	uint8_t *p;
	size_t cap;	/* --scrollback */
	uint64_t end;	/* bytes produced */
};

/* The offset of the oldest byte held. */
uint64_t ring_start(const struct ring *r);

/* Where a new client starts: the oldest byte held, moved forward to a
 * safe boundary once the ring has wrapped (see ring.c). */
uint64_t replay_start(const struct ring *r);

/* How many bytes the PTY may be read into now: none once it is closed
 * (open 0), the whole ring while no client is attached (client NULL:
 * the oldest bytes go), else only the space the client was sent already
 * (*client: its next offset), so a slow client holds the command back. */
size_t session_room(const struct ring *r, int open, const uint64_t *client);

/* Where the next read goes: *at in r->p, and how many bytes fit there
 * contiguously, at most room and max. */
size_t ring_span(const struct ring *r, size_t room, size_t max, size_t *at);

/* Append the n bytes from offset off (held, off + n <= end) to b. */
void ring_copy(const struct ring *r, uint64_t off, size_t n, struct buf *b);

#endif
