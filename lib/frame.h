/* frame: the streamd wire format (streamd(1) documents it for clients).
 *
 * Every frame is a 16-byte header and a payload, integers big-endian:
 *
 *   0  type     1 byte   (enum below)
 *   1  stream   1 byte   0 none, 1 stdout, 2 stderr
 *   2  reserved 2 bytes  zero
 *   4  length   4 bytes  payload length, at most FRAME_MAX
 *   8  offset   8 bytes  byte offset in the stream the frame is about
 *
 * A frame that breaks a rule (unknown type, non-zero reserved bytes, a
 * stream or length that its type does not allow) is malformed: the peer
 * that sent it is closed. */
#ifndef HUSK_FRAME_H
#define HUSK_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FRAME_HDR 16
#define FRAME_MAX 65536
#define FRAME_VERSION 2 /* 2: clients CLAIM each chunk before writing it */
#define STDIN_WINDOW (64 * 1024) /* stdin bytes a client may have in flight */

enum {
	/* streamd to client */
	F_HELLO = 1,     /* offset: version; stream: flags (1 = tty) */
	F_DATA = 2,      /* stream 1|2, offset of the first payload byte */
	F_EXIT = 3,      /* payload: int32 exit code (-1), int32 signal (0) */
	F_PREEMPT = 4,   /* a newer client took over: stop and close */
	F_STDIN_ACK = 5, /* offset: stdin bytes delivered to the command */
	/* client to streamd */
	F_ACK = 16,      /* stream 1|2, offset: bytes written out so far */
	F_STDIN = 17,    /* payload: stdin bytes; offset: their position */
	F_STDIN_EOF = 18,/* end of stdin */
	F_RESIZE = 19,   /* payload: uint16 rows, uint16 cols */
	F_CLAIM = 20,    /* stream 1|2, offset: end of the chunk about to be
	                  * written out (sent before checking it may be) */
};

struct frame {
	uint8_t type, stream;
	uint32_t len;
	uint64_t off;
	const uint8_t *data;
};

/* Decode one frame from buf.  Returns the bytes it takes (header and
 * payload), 0 if buf holds only part of a frame, or -1 if it is
 * malformed, with *why saying how. */
ssize_t frame_decode(const void *buf, size_t len, struct frame *f,
    const char **why);

/* Write a header for a frame into hdr. */
void frame_header(uint8_t hdr[FRAME_HDR], int type, int stream, uint32_t len,
    uint64_t off);

#endif
