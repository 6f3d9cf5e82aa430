/* The connections: accept (evicting, when full, the oldest whose head has
 * not passed), the head and body bounds, the answer written as the socket
 * takes it, the deadlines; and the loop.  Nothing here blocks. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "io.h"
#include "json.h"
#include "loop.h"

#include "husk-api/api.h"

static struct conn conns[CONNS_MAX];
static int lfd = -1;
static struct loop loop;
static size_t bodies_left = BODIES_MAX;

static void
conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	bodies_left += c->reserved;
	c->reserved = 0;
	http_req_free(&c->req);
	buf_free(&c->out);
	c->off = 0;
	c->draining = 0;
}

/* The answer goes out from the loop; the request is over. */
void
reply(struct conn *c, int status, const struct buf *body, const char *extra)
{
	c->out.len = 0;
	if (http_head(&c->out, status, "application/json", body->len,
	    extra) < 0 || buf_add(&c->out, body->p, body->len) < 0) {
		err_warn("unable to answer a client: out of memory");
		c->out.len = 0;
	}
	c->deadline = c->accepted + REQ_TIMEOUT_MS;
}

void
reply_error(struct conn *c, int status, const char *msg)
{
	struct buf b = { 0 };

	buf_adds(&b, "{\"error\":");
	json_esc(&b, msg, strlen(msg));
	buf_adds(&b, "}\n");
	reply(c, status, &b, status == 401 ? "WWW-Authenticate: Bearer\r\n" :
	    NULL);
	buf_free(&b);
}

static int
answered(const struct conn *c)
{
	return c->out.len > 0;
}

static void
conn_write(struct conn *c)
{
	ssize_t n = write(c->fd, c->out.p + c->off, c->out.len - c->off);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	if ((c->off += n) < c->out.len)
		return;
	/* Close only once the client has read the answer and closed its
	 * side: closing on a request not read whole (a body refused) would
	 * reset the connection and lose the answer on its way. */
	shutdown(c->fd, SHUT_WR);
	c->draining = 1;
	c->deadline = clock_ms() + LINGER_MS;
}

static void
conn_drain(struct conn *c)
{
	char chunk[65536];
	ssize_t n = read(c->fd, chunk, sizeof chunk);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		conn_close(c);
}

static void
conn_read(struct conn *c)
{
	char chunk[65536];
	ssize_t n = read(c->fd, chunk, sizeof chunk);
	const char *ex;
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	r = http_req_feed(&c->req, chunk, n);
	if (r < 0) {
		reply_error(c, c->req.status, http_reason(c->req.status));
		return;
	}
	if (c->req.head_len && !c->head_ok) {
		if (route_head(c) < 0)
			return;
		if (c->req.body_len > bodies_left) {
			reply_error(c, 503, "busy: other requests' bodies "
			    "fill the memory for them");
			return;
		}
		c->head_ok = 1;
		c->reserved = c->req.body_len;
		bodies_left -= c->reserved;
		c->deadline = c->accepted + REQ_TIMEOUT_MS;
	}
	if (r > 0)
		route(c);
	else if (c->req.head_len && !c->continued &&
	    (ex = http_req_header(&c->req, "Expect")) &&
	    !strcasecmp(ex, "100-continue")) {
		c->continued = 1;
		io_writeall(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
}

static void
conn_accept(void)
{
	struct conn *c = NULL;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int free_slot;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			err_warnsys("unable to accept a connection");
		return;
	}
	for (int i = 0; i < CONNS_MAX && !c; i++)
		if (conns[i].fd < 0)
			c = &conns[i];
	free_slot = c != NULL;
	/* Full: one whose head did not pass yet (idle, or without the
	 * token) makes room, the oldest first. */
	for (int i = 0; i < CONNS_MAX && !free_slot; i++)
		if (!conns[i].head_ok && !answered(&conns[i]) &&
		    (!c || conns[i].accepted < c->accepted))
			c = &conns[i];
	if (c && !free_slot)
		conn_close(c);
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
	c->deadline = c->accepted + HEAD_TIMEOUT_MS;
	c->continued = c->head_ok = c->draining = 0;
	c->out = (struct buf){ 0 };
	c->off = 0;
	http_req_init(&c->req, HTTP_HEAD_MAX, code_max + BODY_SLACK);
}

/* Serve until SIGTERM, SIGINT or SIGHUP. */
void
server_loop(void)
{
	struct loop *l = &loop;
	int sig;

	for (;;) {
		int li, k;

		loop_begin(l);
		li = xloop_add(l, lfd, POLLIN, NULL);
		k = (int)l->n;
		for (int i = 0; i < CONNS_MAX; i++) {
			struct conn *c = &conns[i];
			if (c->fd < 0)
				continue;
			if (l->now >= c->deadline) {
				if (answered(c) || c->draining) {
					conn_close(c);
					continue;
				}
				reply_error(c, 408, "request timeout");
				c->deadline = l->now + 1000;
			}
			loop_wake(l, c->deadline);
			xloop_add(l, c->fd, answered(c) && !c->draining ?
			    POLLOUT : POLLIN, c);
		}
		if (loop_wait(l) < 0)
			err_diesys(EX_SYS, "unable to poll");
		if (loop_rev(l, 0))
			while ((sig = loop_signal(l)))
				if (sig != SIGCHLD) {
					err_info("stopping on signal %d", sig);
					return;
				}
		if (loop_rev(l, li))
			conn_accept();
		/* A slot accept refilled takes its old entry's events: a
		 * read then finds nothing yet. */
		for (int i = 0; i < CONNS_MAX; i++) {
			struct conn *c = &conns[i];
			short ev = loop_take(l, &k, c);
			if (!ev || c->fd < 0)
				continue;
			if (c->draining)
				conn_drain(c);
			else if (answered(c))
				conn_write(c);
			else
				conn_read(c);
			/* An answer made now goes out at once, mostly whole. */
			if (c->fd >= 0 && answered(c) && c->off == 0)
				conn_write(c);
		}
	}
}

void
server_start(const char *listen)
{
	char where[128];

	for (int i = 0; i < CONNS_MAX; i++)
		conns[i].fd = -1;
	if (loop_init(&loop, LOOP_SIGNALS) < 0)
		err_diesys(EX_SYS, "unable to create a signalfd");
	if ((lfd = http_listen(listen, 64)) < 0)
		err_diesys(EX_SYS, "unable to listen on %s", listen);
	if (http_sockname(lfd, where, sizeof where) < 0)
		err_diesys(EX_SYS, "unable to read the address of %s", listen);
	err_info("listening on %s", where);
}
