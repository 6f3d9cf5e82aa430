/* http_conn: the connection layer of a small HTTP server, one request per
 * connection (husk-api's; guest-agent's has the same shape).
 *
 * A table of non-blocking connections, each with a deadline: to send its
 * head (head_ms), then the whole request and take the answer (req_ms).
 * When the table is full, a new connection evicts the oldest one whose
 * head has not passed (idle, or without the token), so such clients never
 * keep a served one out; with none, it is refused with a 503.  Each head
 * is checked (the head callback) before a byte of its body is kept, and
 * the bodies of all connections draw on one budget.  An answer is
 * buffered whole and written as the socket takes it; then the connection
 * shuts its side and waits (linger_ms at most) for the client to close,
 * so a request not read whole (a body refused) does not end in a reset
 * that loses the answer.
 *
 * Each turn of the tool's loop (lib/loop):
 *
 *	li = http_conns_wait(&s, &l);     the listener and each connection
 *	loop_wait(&l);
 *	http_conns_run(&s, &l, li);       accept, read, answer, write
 */
#ifndef HUSK_HTTP_CONN_H
#define HUSK_HTTP_CONN_H

#include <stddef.h>

#include "buf.h"
#include "http.h"
#include "loop.h"

struct http_conn {
	int fd;                 /* -1: slot free */
	struct http_req req;
	long long accepted, deadline;
	int continued;          /* sent 100 Continue */
	int head_ok;            /* the head passed: its body is read */
	int draining;           /* answered: waiting for the client's end */
	size_t reserved;        /* of the budget, for its body */
	struct buf out;         /* the answer, once there is one */
	size_t off;             /* of out, written */
};

struct http_conns {
	struct http_conn *v;
	int n;
	int lfd;
	size_t budget;          /* bytes the bodies may still take */
	size_t head_max, body_max;
	int head_ms, req_ms, linger_ms;
	/* The head is in: 0 to read the body, -1 after answering. */
	int (*head)(struct http_conn *);
	/* The request is whole: answer it (http_conn_answer). */
	void (*request)(struct http_conn *);
	/* Answer status (400, 408, 413, 503...) with msg, the tool's way. */
	void (*error)(struct http_conn *, int status, const char *msg);
};

/* Every slot free. */
void http_conns_init(struct http_conns *s);
/* This turn's wait: the listener (its loop index is returned) and each
 * connection, closing or answering (408) the late ones.  Exits 111 out
 * of memory (xloop_add). */
int http_conns_wait(struct http_conns *s, struct loop *l);
/* After the wait: accept, read, answer, write. */
void http_conns_run(struct http_conns *s, struct loop *l, int li);
/* Answer: the response, whole, goes out as the socket takes it. */
void http_conn_answer(struct http_conn *c, int status, const char *ctype,
    const void *body, size_t n, const char *extra);
void http_conns_close_all(struct http_conns *s);

#endif
