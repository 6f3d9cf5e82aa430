/* frame_decode and frame_header: round trips and each malformed case. */
#include <string.h>

#include "frame.h"
#include "tap.h"

int
main(void)
{
	uint8_t b[FRAME_HDR + 16];
	struct frame f;
	const char *why = NULL;
	ssize_t n;

	frame_header(b, F_DATA, 2, 3, 0x0102030405060708ULL);
	memcpy(b + FRAME_HDR, "abc", 3);
	n = frame_decode(b, FRAME_HDR + 3, &f, &why);
	ok(n == FRAME_HDR + 3, "a DATA frame decodes whole");
	ok(f.type == F_DATA && f.stream == 2 && f.len == 3 &&
	    f.off == 0x0102030405060708ULL && !memcmp(f.data, "abc", 3),
	    "its fields round-trip");
	ok(frame_decode(b, FRAME_HDR + 2, &f, &why) == 0, "short payload: more needed");
	ok(frame_decode(b, FRAME_HDR - 1, &f, &why) == 0, "short header: more needed");
	ok(frame_decode(b, 0, &f, &why) == 0, "empty: more needed");

	frame_header(b, 99, 0, 0, 0);
	ok(frame_decode(b, FRAME_HDR, &f, &why) == -1 &&
	    !strcmp(why, "unknown frame type"), "unknown type");
	frame_header(b, F_ACK, 1, 0, 0);
	b[3] = 1;
	ok(frame_decode(b, FRAME_HDR, &f, &why) == -1 &&
	    !strcmp(why, "reserved bytes not zero"), "reserved bytes");
	frame_header(b, F_ACK, 3, 0, 0);
	ok(frame_decode(b, FRAME_HDR, &f, &why) == -1 &&
	    !strcmp(why, "stream not allowed for this frame type"), "ACK of stream 3");
	frame_header(b, F_STDIN, 1, 1, 0);
	ok(frame_decode(b, FRAME_HDR + 1, &f, &why) == -1, "STDIN on stream 1");
	frame_header(b, F_DATA, 1, FRAME_MAX + 1, 0);
	ok(frame_decode(b, FRAME_HDR, &f, &why) == -1 &&
	    !strcmp(why, "length not allowed for this frame type"),
	    "DATA longer than FRAME_MAX, refused from the header alone");
	frame_header(b, F_DATA, 1, 0, 0);
	ok(frame_decode(b, FRAME_HDR, &f, &why) == -1, "empty DATA");
	frame_header(b, F_EXIT, 0, 7, 0);
	ok(frame_decode(b, FRAME_HDR + 7, &f, &why) == -1, "EXIT of 7 bytes");
	frame_header(b, F_CLAIM, 2, 0, 42);
	ok(frame_decode(b, FRAME_HDR, &f, &why) == FRAME_HDR &&
	    f.type == F_CLAIM && f.off == 42, "CLAIM of stderr");
	frame_header(b, F_CLAIM, 0, 0, 42);
	ok(frame_decode(b, FRAME_HDR, &f, &why) == -1, "CLAIM of no stream");
	frame_header(b, F_CLAIM, 1, 1, 42);
	ok(frame_decode(b, FRAME_HDR + 1, &f, &why) == -1, "CLAIM with a payload");
	frame_header(b, F_RESIZE, 0, 4, 0);
	ok(frame_decode(b, FRAME_HDR + 4, &f, &why) == FRAME_HDR + 4, "RESIZE");
	frame_header(b, F_HELLO, 1, 7, FRAME_VERSION);
	ok(frame_decode(b, FRAME_HDR + 7, &f, &why) == FRAME_HDR + 7 &&
	    f.off == FRAME_VERSION && f.stream == 1, "HELLO with the tty flag");
	frame_header(b, F_ACK, 1, 0, ~0ULL);
	ok(frame_decode(b, FRAME_HDR, &f, &why) == FRAME_HDR && f.off == ~0ULL,
	    "64-bit offsets");
	return done_testing();
}
