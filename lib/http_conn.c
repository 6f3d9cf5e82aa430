/* http_conn: see http_conn.h. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "http_conn.h"
#include "io.h"

void
http_conns_init(struct http_conns *s)
{
	for (int i = 0; i < s->n; i++)
		s->v[i].fd = -1;
}

static void
conn_close(struct http_conns *s, struct http_conn *c)
{
	close(c->fd);
	c->fd = -1;
	s->budget += c->reserved;
	c->reserved = 0;
	http_req_free(&c->req);
	if (c->out.cap)         /* not http_conn_answer's static one */
		buf_free(&c->out);
	c->out = (struct buf){ 0 };
	c->off = 0;
	c->draining = 0;
}

void
http_conns_close_all(struct http_conns *s)
{
	for (int i = 0; i < s->n; i++)
		if (s->v[i].fd >= 0)
			conn_close(s, &s->v[i]);
}

void
http_conn_answer(struct http_conn *c, int status, const char *ctype,
    const void *body, size_t n, const char *extra)
{
	static const char oom[] = "HTTP/1.1 500 Internal Server Error\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";

	if (!c->out.cap)
		c->out = (struct buf){ 0 };
	c->out.len = 0;
	if (http_head(&c->out, status, ctype, n, extra) < 0 ||
	    buf_add(&c->out, body, n) < 0) {
		err_warn("unable to answer a client: out of memory");
		buf_free(&c->out);
		c->out = (struct buf){ (char *)oom, sizeof oom - 1, 0 };
	}
}

static int
answered(const struct http_conn *c)
{
	return c->out.len > 0;
}

static void
conn_write(struct http_conns *s, struct http_conn *c)
{
	ssize_t n = write(c->fd, c->out.p + c->off, c->out.len - c->off);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(s, c);
		return;
	}
	if ((c->off += n) < c->out.len)
		return;
	shutdown(c->fd, SHUT_WR);
	c->draining = 1;
	c->deadline = clock_ms() + s->linger_ms;
}

static void
conn_drain(struct http_conns *s, struct http_conn *c)
{
	char chunk[65536];
	ssize_t n = read(c->fd, chunk, sizeof chunk);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		conn_close(s, c);
}

/* The head is in: the tool's checks, then room for the body. */
static int
conn_head(struct http_conns *s, struct http_conn *c)
{
	if (s->head(c) < 0)
		return -1;
	if (c->req.body_len > s->budget) {
		s->error(c, 503, "busy: other requests' bodies fill the "
		    "memory for them");
		return -1;
	}
	c->head_ok = 1;
	c->reserved = c->req.body_len;
	s->budget -= c->reserved;
	c->deadline = c->accepted + s->req_ms;
	return 0;
}

static void
conn_read(struct http_conns *s, struct http_conn *c)
{
	char chunk[65536];
	ssize_t n = read(c->fd, chunk, sizeof chunk);
	const char *ex;
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(s, c);
		return;
	}
	if ((r = http_req_feed(&c->req, chunk, n)) < 0)
		s->error(c, c->req.status, http_reason(c->req.status));
	else if (c->req.head_len && !c->head_ok && conn_head(s, c) < 0)
		;       /* answered */
	else if (r > 0)
		s->request(c);
	else if (c->req.head_len && !c->continued &&
	    (ex = http_req_header(&c->req, "Expect")) &&
	    !strcasecmp(ex, "100-continue")) {
		c->continued = 1;
		io_writeall(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
}

static void
conn_accept(struct http_conns *s)
{
	struct http_conn *c = NULL;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int free_slot;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			err_warnsys("unable to accept a connection");
		return;
	}
	for (int i = 0; i < s->n && !c; i++)
		if (s->v[i].fd < 0)
			c = &s->v[i];
	free_slot = c != NULL;
	/* No slot: the oldest connection already answered and lingering
	 * (a refused one that stays open must not keep anyone out), else
	 * the oldest whose head has not passed the doors. */
	for (int i = 0; i < s->n && !free_slot; i++) {
		struct http_conn *o = &s->v[i];
		if (o->draining ? !c || !c->draining ||
		    o->accepted < c->accepted : !o->head_ok && !answered(o) &&
		    (!c || (!c->draining && o->accepted < c->accepted)))
			c = o;
	}
	if (c && !free_slot)
		conn_close(s, c);
	if (!c) {
		static const char busy[] = "HTTP/1.1 503 Service Unavailable"
		    "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		/* Refused either way: whether it hears why is its luck. */
		(void)!write(fd, busy, sizeof busy - 1);
		close(fd);
		return;
	}
	c->fd = fd;
	c->accepted = clock_ms();
	c->deadline = c->accepted + s->head_ms;
	c->continued = c->head_ok = c->draining = 0;
	c->out = (struct buf){ 0 };
	c->off = 0;
	http_req_init(&c->req, s->head_max, s->body_max);
}

int
http_conns_wait(struct http_conns *s, struct loop *l)
{
	int li = xloop_add(l, s->lfd, POLLIN, NULL);

	for (int i = 0; i < s->n; i++) {
		struct http_conn *c = &s->v[i];
		if (c->fd < 0)
			continue;
		if (l->now >= c->deadline) {
			if (answered(c)) {
				conn_close(s, c);
				continue;
			}
			s->error(c, 408, "request timeout");
			c->deadline = l->now + s->linger_ms;
		}
		loop_wake(l, c->deadline);
		xloop_add(l, c->fd, answered(c) && !c->draining ? POLLOUT :
		    POLLIN, c);
	}
	return li;
}

void
http_conns_run(struct http_conns *s, struct loop *l, int li)
{
	int k = li + 1;

	if (loop_rev(l, li))
		conn_accept(s);
	/* A slot accept refilled takes its old entry's events: a read
	 * then finds nothing yet. */
	for (int i = 0; i < s->n; i++) {
		struct http_conn *c = &s->v[i];
		if (!loop_take(l, &k, c) || c->fd < 0)
			continue;
		if (c->draining)
			conn_drain(s, c);
		else if (answered(c))
			conn_write(s, c);
		else
			conn_read(s, c);
		/* An answer made now goes out at once, mostly whole. */
		if (c->fd >= 0 && answered(c) && !c->draining && c->off == 0)
			conn_write(s, c);
	}
}
