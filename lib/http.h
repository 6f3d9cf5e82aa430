/* http: HTTP/1.1 (RFC 9112) for small servers and their clients, shared by
 * guest-agent(8) and ptyd.  No sockets here except http_connect and
 * http_listen: the parsers take bytes and say when a message is complete,
 * so an event loop can feed them whatever read() returns.
 *
 * Server side.  http_req_feed parses a request incrementally: the head
 * (request line and headers, at most head_max bytes and HTTP_HDRS_MAX
 * headers) and a Content-Length body (at most body_max bytes).  It returns
 * 1 once the request is complete, 0 if it needs more, -1 if the request is
 * bad; then status holds the answer to give: 400 malformed, 413 body too
 * big, 431 head too big, 501 a request body in Transfer-Encoding (not
 * supported), 505 not HTTP/1.x.  Bytes past the request (pipelined, or a
 * protocol after an Upgrade) stay in the buffer: see http_req_rest.
 * Lines may end in CRLF or a bare LF; obsolete line folding is refused.
 *
 * Client side.  http_resp_feed parses a response incrementally and hands
 * the body, de-chunked, to a callback as it arrives. */
#ifndef HUSK_HTTP_H
#define HUSK_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "buf.h"

#define HTTP_HDRS_MAX 32
#define HTTP_HEAD_MAX 8192

struct http_hdr {
	const char *name, *value;
};

struct http_req {
	size_t head_max, body_max;
	struct buf in;        /* bytes received */
	size_t scan;          /* where to resume looking for the head's end */
	size_t head_len;      /* the head, once parsed; 0 before */
	size_t body_len;      /* from Content-Length */
	int done;             /* 1 complete, -1 bad */
	int status;           /* when bad: the status to answer with */
	int keepalive;        /* HTTP/1.1 without Connection: close */
	char *method, *target, *version;
	struct http_hdr hdr[HTTP_HDRS_MAX];
	int nhdr;
	char *body;
};

void http_req_init(struct http_req *r, size_t head_max, size_t body_max);
int http_req_feed(struct http_req *r, const void *data, size_t n);
/* A header's value (the first, name compared case-insensitively), or NULL. */
const char *http_req_header(const struct http_req *r, const char *name);
/* Whether a list header's value (Accept-Encoding's) takes coding: named,
 * or covered by "*", with a q above 0; never for NULL. */
int http_accepts(const char *value, const char *coding);
/* The bytes received past the complete request. */
size_t http_req_rest(const struct http_req *r, const char **p);
void http_req_free(struct http_req *r);

/* The value of key in target's query (after '?': "k=v" pairs joined by
 * '&'), percent-decoded into out (NUL-terminated): its length, or -1 when
 * the key is not there, an escape is bad, it decodes to a NUL, or it does
 * not fit in cap - 1 bytes. */
int http_query(const char *target, const char *key, char *out, size_t cap);
/* Append s percent-encoded as a query value (all but unreserved bytes). */
int http_query_esc(struct buf *b, const char *s);

/* The reason phrase of a status code ("Unknown" if we never send it). */
const char *http_reason(int status);

/* Append a response head: status line, Content-Type (if ctype), then
 * Content-Length when clen >= 0 or Transfer-Encoding: chunked when clen
 * is -1, then extra (complete "Name: value\r\n" lines, or NULL), then
 * Connection: close and the blank line.  0 or -1 (ENOMEM). */
int http_head(struct buf *b, int status, const char *ctype, long long clen,
    const char *extra);
/* Write a whole response with a body to fd.  0 or -1 with errno. */
int http_respond(int fd, int status, const char *ctype, const void *body,
    size_t n, const char *extra);
/* Write one chunk of a chunked body; n == 0 writes the last chunk.  0 or
 * -1 with errno. */
int http_chunk(int fd, const void *p, size_t n);

/* Client side. */
struct http_resp {
	int state;
	int status;
	int head_done;        /* status and headers are in */
	long long clen;       /* -1 if none */
	int chunked;
	unsigned long long left; /* body or chunk bytes still to come */
	char line[HTTP_HEAD_MAX];
	size_t linelen, headlen;
	char retry_after[16];
	/* Called with each piece of the body; nonzero stops the parse. */
	int (*body)(void *ctx, const char *p, size_t n);
	void *ctx;
};

void http_resp_init(struct http_resp *r,
    int (*body)(void *, const char *, size_t), void *ctx);
/* 1 complete, 0 more needed, -1 malformed (errno EPROTO) or stopped by
 * the callback (errno ECANCELED). */
int http_resp_feed(struct http_resp *r, const char *p, size_t n);
/* A parser for a chunked body alone, with no head before it (a request
 * body streamed in chunks after the one its Content-Length gave, as
 * guest-agent's job input): http_resp_feed then hands body the de-chunked
 * bytes and returns 1 once the last chunk and its trailer are in (bytes
 * past them are not looked at), -1 for malformed chunking. */
void http_chunked_init(struct http_resp *r,
    int (*body)(void *, const char *, size_t), void *ctx);
/* The connection ended: 1 if that completes the response (a body that
 * runs to the end of the connection), else -1 with errno EPROTO. */
int http_resp_eof(struct http_resp *r);

/* "host:port", "[v6]:port" or ":port" (passive: all addresses, else the
 * loopback) to a socket address; and AF_VSOCK's "vsock:PORT" (passive:
 * any CID) or "vsock:CID:PORT".  0, or -1 with errno EINVAL, or ENOTSUP
 * for a host name where none is resolved.
 * host is an IP address (IPv4 as inet_aton(3) reads it, IPv6 with an
 * optional "%scope") unless the program sets http_resolve: names need
 * the DNS resolver, which a static binary holds only if something calls
 * it.  http_resolve_dns, getaddrinfo(3) (the first address; port is
 * numeric), is what a program sets that takes names (husk-api, ptyd). */
typedef int http_resolve_fn(const char *host, const char *port, int passive,
    struct sockaddr_storage *ss, socklen_t *len);
extern http_resolve_fn *http_resolve;
http_resolve_fn http_resolve_dns;
int http_addr(const char *s, int passive, struct sockaddr_storage *ss,
    socklen_t *len);
/* A listening TCP socket (close-on-exec, non-blocking). */
int http_listen(const char *addr, int backlog);
/* Connect to addr within timeout_ms; a blocking, close-on-exec socket, or
 * -1 with errno (ETIMEDOUT, ECONNREFUSED, ...).  addr may also be
 * "vsock:PATH:PORT", a path with a '/': the guest's vsock PORT through
 * vmrun's socket PATH (unixsock_vsock). */
int http_connect(const char *addr, int timeout_ms);
/* The local address of a socket as "host:port" (or "vsock:PORT"). */
int http_sockname(int fd, char *out, size_t cap);

/* Guards of a server (lib/http_guard.c).  http_loopback: 1 if addr (as
 * http_listen takes it) is a loopback address, where only this host's
 * users connect.  http_host_ok: 1 if the request's Host names us as a
 * browser's page could only if it meant to: an IP address (no name, so
 * no DNS rebinding), localhost, or one of names (comma-separated, may be
 * NULL); any port.  A request without Host (HTTP/1.0) passes. */
int http_loopback(const char *addr);
int http_host_ok(const struct http_req *r, const char *names);

#endif
