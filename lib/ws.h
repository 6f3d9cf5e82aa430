/* ws: the WebSocket protocol (RFC 6455) without sockets: the handshake's
 * accept key, a frame writer, and an incremental frame parser that an
 * event loop feeds whatever read() returns.
 *
 * The parser (struct ws_rx) enforces the rules of one side:
 * - a server (ws_rx_init with server = 1) requires every frame masked, a
 *   client requires none masked (RFC 6455 5.1): else close code 1002;
 * - reserved bits set, unknown opcodes, control frames fragmented or over
 *   125 bytes, a continuation with nothing to continue, a new data frame
 *   inside a fragmented message: 1002;
 * - a message (all its fragments) over max bytes: 1009, detected from the
 *   frame header, before the payload is buffered;
 * - a text message that is not UTF-8: 1007.
 * Control frames may arrive between the fragments of a message and are
 * returned on their own. */
#ifndef HUSK_WS_H
#define HUSK_WS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum {
	WS_CONT = 0x0, WS_TEXT = 0x1, WS_BINARY = 0x2,
	WS_CLOSE = 0x8, WS_PING = 0x9, WS_PONG = 0xA,
};

/* Close codes (RFC 6455 7.4.1); 4000-4999 are ours, see ptyd(1). */
enum {
	WS_NORMAL = 1000, WS_GOING_AWAY = 1001, WS_PROTOCOL = 1002,
	WS_BADDATA = 1007, WS_POLICY = 1008, WS_TOOBIG = 1009,
	WS_INTERNAL = 1011,
};

/* The Sec-WebSocket-Accept value for a Sec-WebSocket-Key: base64 of the
 * SHA-1 of key + the RFC's GUID, 28 characters and a NUL.  The key must
 * be the base64 of 16 bytes: else -1 with errno EINVAL. */
int ws_accept_key(const char *key, char out[29]);

/* Write a frame header for a payload of len bytes into out (room for 14
 * bytes); op is the opcode, fin 1 for a final frame; mask (4 bytes) or
 * NULL.  Returns the header length.  The caller masks the payload with
 * ws_mask. */
size_t ws_frame_head(uint8_t *out, int op, int fin, uint64_t len,
    const uint8_t *mask);
/* XOR p[0..n) with mask, starting at payload offset off. */
void ws_mask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t off);
/* Append a whole unfragmented frame (unmasked: the server side) to b.
 * 0 or -1 (ENOMEM). */
int ws_frame(struct buf *b, int op, const void *p, size_t n);
/* Append a close frame with code and reason (at most 123 bytes). */
int ws_close_frame(struct buf *b, int code, const char *reason);

struct ws_rx {
	int server;          /* 1: frames must be masked */
	size_t max;          /* biggest message accepted */
	int close_code;      /* after -1: the close code to send */
	/* the frame being read */
	uint8_t hdr[14];
	size_t hdrlen, hdrneed;
	int op, fin, masked;
	uint8_t mask[4];
	uint64_t len, got;
	/* the message being assembled */
	int msg_op;          /* opcode of a fragmented message, 0 if none */
	struct buf msg;
	uint8_t ctl[125];
	int delivered;       /* the last call returned a data message */
};

/* What ws_rx_feed returns with 1: op WS_TEXT or WS_BINARY (a whole
 * message) or a control frame; data valid until the next feed. */
struct ws_msg {
	int op;
	const uint8_t *data;
	size_t len;
};

void ws_rx_init(struct ws_rx *rx, int server, size_t max);
/* Consume bytes from p[0..n) into *used until a message or control
 * frame is complete.  1: *m holds it (call again with the rest); 0: all
 * of p was consumed and more is needed; -1: a protocol violation, the
 * close code to send in rx->close_code (the connection is done). */
int ws_rx_feed(struct ws_rx *rx, const uint8_t *p, size_t n, size_t *used,
    struct ws_msg *m);
void ws_rx_free(struct ws_rx *rx);

/* The close code in a close frame's payload: 1005 (none) if empty, -1 if
 * malformed (one byte, or a code a peer may not send). */
int ws_close_code(const uint8_t *p, size_t n);

#endif
