/* http: the client side (response parser) and the sockets. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "clock.h"
#include "http.h"
#include "io.h"
#include "loop.h"
#include "num.h"
#include "unixsock.h"

enum { S_STATUS, S_HEADER, S_BODY, S_CSIZE, S_CDATA, S_CCRLF, S_TRAILER,
	S_EOF, S_DONE };

void
http_resp_init(struct http_resp *r, int (*body)(void *, const char *, size_t),
    void *ctx)
{
	memset(r, 0, sizeof *r);
	r->clen = -1;
	r->body = body;
	r->ctx = ctx;
}

void
http_chunked_init(struct http_resp *r,
    int (*body)(void *, const char *, size_t), void *ctx)
{
	http_resp_init(r, body, ctx);
	r->status = 200;
	r->head_done = r->chunked = 1;
	r->state = S_CSIZE;
}

static int
proto(void)
{
	errno = EPROTO;
	return -1;
}

/* The head is complete: where does the body end? */
static int
body_start(struct http_resp *r)
{
	r->head_done = 1;
	if (r->status < 200 || r->status == 204 || r->status == 304)
		r->state = S_DONE;
	else if (r->chunked)
		r->state = S_CSIZE;
	else if (r->clen >= 0)
		r->state = r->clen ? S_BODY : S_DONE, r->left = r->clen;
	else
		r->state = S_EOF;
	return 0;
}

/* One line of the head or of the chunk framing, without its CR LF. */
static int
on_line(struct http_resp *r, char *l)
{
	char *v, *end;

	switch (r->state) {
	case S_STATUS:
		if (strncmp(l, "HTTP/1.", 7) || !l[7] || l[8] != ' ' ||
		    strlen(l) < 12 || l[12] > ' ')
			return proto();
		r->status = strtol(l + 9, &end, 10);
		if (end != l + 12 || r->status < 100 || r->status > 599)
			return proto();
		r->state = S_HEADER;
		return 0;
	case S_HEADER:
		if (!*l)
			return body_start(r);
		if (!(v = strchr(l, ':')))
			return proto();
		*v++ = 0;
		v += strspn(v, " \t");
		if (!strcasecmp(l, "Content-Length")) {
			if (*v < '0' || *v > '9' || strlen(v) > 18)
				return proto();
			r->clen = strtoll(v, &end, 10);
			if (*end)
				return proto();
		} else if (!strcasecmp(l, "Transfer-Encoding")) {
			if (strcasecmp(v, "chunked"))
				return proto();
			r->chunked = 1;
		} else if (!strcasecmp(l, "Retry-After")) {
			snprintf(r->retry_after, sizeof r->retry_after, "%s", v);
		}
		return 0;
	case S_CSIZE:
		if (!((*l >= '0' && *l <= '9') || (*l >= 'a' && *l <= 'f') ||
		    (*l >= 'A' && *l <= 'F')) || strspn(l, "0123456789abcdefABCDEF") > 15)
			return proto();
		r->left = strtoull(l, &end, 16);
		if (*end && *end != ';')
			return proto();
		r->state = r->left ? S_CDATA : S_TRAILER;
		return 0;
	case S_CCRLF:
		if (*l)
			return proto();
		r->state = S_CSIZE;
		return 0;
	case S_TRAILER:
		if (!*l)
			r->state = S_DONE;
		return 0;
	}
	return proto();
}

static int
deliver(struct http_resp *r, const char *p, size_t n)
{
	if (n && r->body && r->body(r->ctx, p, n)) {
		errno = ECANCELED;
		return -1;
	}
	return 0;
}

int
http_resp_feed(struct http_resp *r, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && r->state != S_DONE) {
		size_t k;
		switch (r->state) {
		case S_BODY:
		case S_CDATA:
			k = n - i < r->left ? n - i : r->left;
			if (deliver(r, p + i, k) < 0)
				return -1;
			i += k;
			r->left -= k;
			if (!r->left)
				r->state = r->state == S_BODY ? S_DONE : S_CCRLF;
			continue;
		case S_EOF:
			if (deliver(r, p + i, n - i) < 0)
				return -1;
			return 0;
		}
		/* A line: gather up to LF. */
		if (p[i] == '\n') {
			i++;
			if (r->linelen && r->line[r->linelen - 1] == '\r')
				r->linelen--;
			r->line[r->linelen] = 0;
			r->linelen = 0;
			if (on_line(r, r->line) < 0)
				return -1;
			continue;
		}
		/* The head and the trailer are bounded as a whole; a chunk's
		 * size line only by the line buffer, as a streamed body may
		 * have any number of chunks. */
		if (r->state != S_CSIZE && r->state != S_CCRLF)
			r->headlen++;
		if (r->linelen + 2 > sizeof r->line ||
		    r->headlen > 4 * HTTP_HEAD_MAX)
			return proto();
		r->line[r->linelen++] = p[i++];
	}
	return r->state == S_DONE;
}

int
http_resp_eof(struct http_resp *r)
{
	if (r->state == S_EOF || r->state == S_DONE) {
		r->state = S_DONE;
		return 1;
	}
	return proto();
}

/* "PORT" (passive: any CID) or "CID:PORT". */
static int
vsock_addr(const char *s, int passive, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_vm sv = { .svm_family = AF_VSOCK,
	    .svm_cid = VMADDR_CID_ANY };
	const char *colon = strchr(s, ':');
	char cid[16];
	long long n;

	if (colon) {
		if (passive || (size_t)(colon - s) >= sizeof cid)
			goto bad;
		memcpy(cid, s, colon - s);
		cid[colon - s] = 0;
		if (num_parse(cid, 0, UINT32_MAX, &n) < 0)
			goto bad;
		sv.svm_cid = n;
		s = colon + 1;
	} else if (!passive) {
		goto bad;
	}
	if (num_parse(s, 0, UINT32_MAX - 1, &n) < 0)
		goto bad;
	sv.svm_port = n;
	memcpy(ss, &sv, sizeof sv);
	*len = sizeof sv;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

http_resolve_fn *http_resolve;

/* An IP address h (NULL: all addresses if passive, else the loopback, as
 * getaddrinfo(3) has it) and port: 0, or -1 if h is not one. */
static int
ip_addr(const char *h, unsigned port, int passive,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char a[INET6_ADDRSTRLEN];
	const char *pct;
	long long n;

	memset(ss, 0, sizeof *ss);
	if (!h || inet_aton(h, &s4->sin_addr)) {
		if (!h)
			s4->sin_addr.s_addr = htonl(passive ? INADDR_ANY :
			    INADDR_LOOPBACK);
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof *s4;
		return 0;
	}
	/* "fe80::1%eth0" or "%2": a scope, by name or number. */
	if ((pct = strchr(h, '%'))) {
		if ((size_t)(pct - h) >= sizeof a)
			return -1;
		memcpy(a, h, pct - h);
		a[pct - h] = 0;
		if (num_parse(pct + 1, 0, UINT32_MAX, &n) < 0 &&
		    !(n = if_nametoindex(pct + 1)))
			return -1;
		s6->sin6_scope_id = n;
		h = a;
	}
	if (inet_pton(AF_INET6, h, &s6->sin6_addr) != 1)
		return -1;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	*len = sizeof *s6;
	return 0;
}

int
http_addr(const char *s, int passive, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':'), *h = host;
	size_t hl;
	long long port;

	if (!strncmp(s, "vsock:", 6))
		return vsock_addr(s + 6, passive, ss, len);
	if (!colon || !colon[1] || strlen(s) >= sizeof host)
		goto bad;
	hl = colon - s;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		h = host + 1;
	}
	if (!*h)
		h = NULL;
	if (num_parse(colon + 1, 0, 65535, &port) < 0)
		goto bad;
	if (ip_addr(h, port, passive, ss, len) == 0)
		return 0;
	if (http_resolve)
		return http_resolve(h, colon + 1, passive, ss, len);
	errno = ENOTSUP;
	return -1;
bad:
	errno = EINVAL;
	return -1;
}

/* A non-blocking, close-on-exec stream socket for addr.  TCP's without
 * Nagle: our writes are whole messages (a frame, a response), and a
 * small one held until the peer ACKs the one before waits out the
 * peer's delayed ACK (40 ms and more).  A listener's accepted sockets
 * inherit it. */
static int
addr_socket(const char *addr, int passive, struct sockaddr_storage *ss,
    socklen_t *len)
{
	int fd, one = 1;

	if (http_addr(addr, passive, ss, len) < 0)
		return -1;
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd >= 0 && ss->ss_family != AF_VSOCK &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		return io_close_fail(fd);
	return fd;
}

int
http_listen(const char *addr, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if ((fd = addr_socket(addr, 1, &ss, &len)) < 0)
		return -1;
	if (ss.ss_family != AF_VSOCK)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(fd, backlog) < 0)
		return io_close_fail(fd);
	return fd;
}

/* "PATH:PORT" of "vsock:PATH:PORT": through vmrun's socket PATH. */
static int
vmrun_vsock(const char *addr, int timeout_ms)
{
	char path[PATH_MAX];
	const char *colon = strrchr(addr, ':');
	long long port;

	if (!colon || (size_t)(colon - addr) >= sizeof path ||
	    num_parse(colon + 1, 0, UINT32_MAX - 1, &port) < 0) {
		errno = EINVAL;
		return -1;
	}
	memcpy(path, addr, colon - addr);
	path[colon - addr] = 0;
	return unixsock_vsock(path, port, timeout_ms);
}

int
http_connect(const char *addr, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len, el = sizeof(int);
	long long deadline = clock_ms() + timeout_ms;
	int fd, err = 0, fl;

	if (!strncmp(addr, "vsock:", 6) && strchr(addr, '/'))
		return vmrun_vsock(addr + 6, timeout_ms);
	if ((fd = addr_socket(addr, 0, &ss, &len)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		for (;;) {
			long long left = deadline - clock_ms();
			int n;
			if (left <= 0) {
				err = ETIMEDOUT;
				goto fail;
			}
			n = loop_once(fd, POLLOUT, (int)left);
			if (n < 0 && errno != EINTR) {
				err = errno;
				goto fail;
			}
			if (n > 0)
				break;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err)
			goto fail;
	}
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
fail:
	close(fd);
	errno = err;
	return -1;
}

int
http_sockname(int fd, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN];
	const void *a;
	unsigned port;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_VSOCK) {
		const struct sockaddr_vm *sv = (const void *)&ss;
		snprintf(out, cap, "vsock:%u", sv->svm_port);
		return 0;
	}
	if (ss.ss_family == AF_INET6) {
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else if (ss.ss_family == AF_INET) {
		a = &((struct sockaddr_in *)&ss)->sin_addr;
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else {
		errno = EINVAL;
		return -1;
	}
	if (!inet_ntop(ss.ss_family, a, host, sizeof host))
		return -1;
	snprintf(out, cap, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
	    host, port);
	return 0;
}
