/* ptyd's connections: accept (with eviction and the pause when out of
 * descriptors), the bytes in and out through one transport, plain or TLS,
 * the timeouts, the limits on what a client may hold (the same for
 * both), and each connection's part of the loop. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "pgkill.h"
#include "tls.h"
#include "ptyd/ptyd.h"

#define BODY_MAX 65536          /* request bodies: 413 beyond */
#define OUT_MAX (1 << 20)       /* control replies a client left unread */
#define CONN_MAX 1000
#define HEAD_TIMEOUT_MS 5000    /* a request head must arrive by then */
#define PEER_PENDING_MAX 64     /* unfinished requests one address may hold */
#define ACCEPT_PAUSE_MS 100     /* out of descriptors: accept again after */
#define LINGER_MS 2000          /* after our close frame, wait for theirs */
#define DRAIN_MS 10000          /* a closing client must take some bytes by then */

/* The one interface to the bytes of a connection; nothing outside this
 * section knows plain from TLS.
 *   open    set up after accept (-1: refuse the connection)
 *   io      read what came (rev: the poll events) into conn_got, at most
 *           in_room(c); write c->out from outoff on.  *moved: bytes went
 *           into the socket.  -1: the connection is gone
 *   events  what to poll c->fd for
 *   shut    half-close, our last bytes taken
 *   unsent  bytes taken from c->out are not in the socket yet
 *   again   io must run again this turn: bytes in c->out no poll event
 *           will ask for, and reading while writing may have taken more */
struct xport {
	int (*open)(struct conn *c);
	void (*free)(struct conn *c);
	int (*io)(struct conn *c, short rev, int *moved);
	short (*events)(const struct conn *c);
	void (*shut)(struct conn *c);
	int (*unsent)(const struct conn *c);
	int (*again)(const struct conn *c);
};

/* c lets go of its session: a terminal goes on unattached; a command c
 * waits for (execute-command) has nobody to answer, and is killed. */
void
conn_detach(struct conn *c)
{
	if (c->s && c->s->live == c)
		c->s->live = NULL;
	if (c->s && c->s->waiter == c) {
		c->s->waiter = NULL;
		if (!c->s->reaped)
			pg_signal(c->s->pid, SIGKILL);
	}
	c->s = NULL;
}

void
conn_close_frame(struct conn *c, int code, const char *reason)
{
	if (c->close_sent)
		return;
	ws_close_frame(&c->out, code, reason);
	c->close_sent = 1;
	c->state = C_DONE; /* from now on, what the client sends is dropped */
	/* Time to take what it was sent and the close frame; once those
	 * are out, LINGER_MS for its reply (conn_finished). */
	c->deadline = clock_ms() + DRAIN_MS;
	conn_detach(c);
}

static void
conn_free(struct conn *c)
{
	struct conn **pp;

	conn_detach(c);
	for (pp = &conns; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	nconns--;
	close(c->fd);
	if (c->x)
		c->x->free(c);
	http_req_free(&c->req);
	ws_rx_free(&c->rx);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

/* Request bytes: once the head is in, the rest of REQ_TIMEOUT_MS for the
 * body (HEAD_TIMEOUT_MS was the head's); complete or bad: C_ROUTE. */
static void
req_feed(struct conn *c, const char *p, size_t n)
{
	int had_head = c->req.head_len != 0;

	if (http_req_feed(&c->req, p, n) != 0)
		c->state = C_ROUTE;
	if (!had_head && c->req.head_len)
		c->deadline = c->accepted + REQ_TIMEOUT_MS;
}

/* What c may take in now, the same for plain and TLS: a WebSocket holds
 * at most MSG_MAX bytes not parsed yet (ws_input stops while its session's
 * input queue is full, and while c has more unread replies than OUT_MAX),
 * so a client is read only as fast as its session takes the input. */
static size_t
in_room(const struct conn *c)
{
	size_t held = c->in.len - c->inoff;

	if (c->rd_eof || c->out.len - c->outoff > OUT_MAX)
		return 0;
	if (c->state != C_WS)
		return 16384;
	return held < MSG_MAX ? MSG_MAX - held : 0;
}

/* Replies it asked for (pongs, errors) and does not read: c is not a
 * terminal client, and is closed with 1008.  1 when it was. */
int
conn_unread(struct conn *c)
{
	if (c->out.len - c->outoff <= OUT_MAX)
		return 0;
	if (verbose)
		err_info("client fd %d: over %d bytes of replies unread: close "
		    "1008", c->fd, OUT_MAX);
	conn_close_frame(c, WS_POLICY, "replies not read");
	return 1;
}

/* Bytes that came from the client. */
static void
conn_got(struct conn *c, const char *p, size_t n)
{
	if (c->state == C_HTTP)
		req_feed(c, p, n);
	else if (c->state == C_WS)
		buf_add(&c->in, p, n);
	/* C_WAIT, C_DONE: what a client sends after its request or our
	 * close frame is read and dropped. */
}

/* --- the transport: plain or TLS ---------------------------------------- */

static int
plain_open(struct conn *c)
{
	return 0;
}

static void
plain_free(struct conn *c)
{
}

static int
plain_io(struct conn *c, short rev, int *moved)
{
	char tmp[16384];
	size_t room = in_room(c);
	ssize_t r;

	if ((rev & (POLLIN | POLLHUP | POLLERR)) && room) {
		r = read(c->fd, tmp, room < sizeof tmp ? room : sizeof tmp);
		if (r == 0)
			c->rd_eof = 1;
		else if (r < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		else if (r > 0)
			conn_got(c, tmp, r);
	}
	if (c->outoff < c->out.len) {
		r = write(c->fd, c->out.p + c->outoff, c->out.len - c->outoff);
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (r > 0)
			c->outoff += r, *moved = 1;
	}
	return 0;
}

static short
plain_events(const struct conn *c)
{
	return (in_room(c) ? POLLIN : 0) | (c->out.len ? POLLOUT : 0);
}

static void
plain_shut(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
}

static int
plain_none(const struct conn *c)
{
	return 0;
}

static int
tls_open(struct conn *c)
{
	c->tls_want = POLLIN;
	return (c->tls = tls_conn_new(tls)) ? 0 : -1;
}

static void
tls_free(struct conn *c)
{
	tls_conn_free(c->tls);
}

/* TLS moves bytes only here, whatever the poll said: the engine holds
 * records of its own. */
static int
tls_xio(struct conn *c, short rev, int *moved)
{
	struct buf got = { 0 };
	unsigned long long sent = tls_sent(c->tls);
	size_t used = 0;
	int w = tls_io(c->tls, c->fd, &got, in_room(c), c->out.p + c->outoff,
	    c->out.len - c->outoff, &used);

	c->outoff += used;
	*moved = tls_sent(c->tls) > sent;
	if (w < 0) {
		buf_free(&got);
		return -1;
	}
	if (w == 0)
		c->rd_eof = 1; /* closed cleanly */
	c->tls_want = w;
	if (got.len)
		conn_got(c, got.p, got.len);
	buf_free(&got);
	return 0;
}

static short
tls_events(const struct conn *c)
{
	return in_room(c) ? c->tls_want : c->tls_want & ~POLLIN;
}

static void
tls_shut(struct conn *c)
{
	tls_close(c->tls);
	c->tls_want |= POLLOUT; /* its close_notify */
}

/* With TLS, c->out empty means the engine took the bytes, not that they
 * went: records wait in it while the socket is full (a slow reader). */
static int
tls_unsent(const struct conn *c)
{
	return (c->tls_want & POLLOUT) != 0;
}

/* A flush reads too: TLS records that came in the meantime are decrypted
 * into c->in, and no poll event will announce them again (a client's
 * first frame right behind its upgrade request sat there unread). */
static int
tls_again(const struct conn *c)
{
	return c->out.len != 0;
}

static const struct xport plain_xport = { plain_open, plain_free, plain_io,
	plain_events, plain_shut, plain_none, plain_none };
static const struct xport tls_xport = { tls_open, tls_free, tls_xio,
	tls_events, tls_shut, tls_unsent, tls_again };

/* Move bytes between the socket and in/out, then answer a request that
 * is in.  -1: the connection is gone. */
static int
conn_io(struct conn *c, short rev)
{
	int moved = 0;          /* bytes went into the socket */

	if (c->x->io(c, rev, &moved) < 0)
		return -1;
	/* A closing client that still takes bytes has DRAIN_MS from its
	 * last progress, not from our close frame: a slow reader of a big
	 * output, seconds of it in the socket, is not cut off mid-read. */
	if (c->close_sent && moved &&
	    (c->x->unsent(c) || c->outoff < c->out.len))
		c->deadline = clock_ms() + DRAIN_MS;
	if (c->outoff == c->out.len)
		c->out.len = c->outoff = 0;
	if (c->state == C_ROUTE) {
		c->state = C_HTTP;
		if (c->req.done < 0)
			respond_err(c, c->req.status,
			    c->req.status == 431 ? "request head too large" :
			    c->req.status == 413 ? "request body too large" :
			    "malformed request", NULL);
		else
			route(c);
	}
	if (c->state == C_HTTP && c->rd_eof)
		return -1; /* gone before a whole request */
	if (c->state == C_WAIT && c->rd_eof)
		return -1; /* gone before its answer: the command is killed */
	return 0;
}

static long long accept_paused;  /* out of descriptors: until then */

/* The peer's address as 16 bytes (a Unix socket's: all zero). */
static void
peer_key(const struct sockaddr_storage *ss, unsigned char key[16])
{
	memset(key, 0, 16);
	if (ss->ss_family == AF_INET)
		memcpy(key, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

/* Room for a connection from peer: one whose request is not in yet goes,
 * the oldest first, when the peer holds PEER_PENDING_MAX of those or
 * every slot is taken; so half-sent requests hold no slot a real client
 * needs.  0, or -1 when every connection is past its request. */
static int
make_room(const unsigned char peer[16])
{
	struct conn *c, *old = NULL, *mine = NULL;
	int n = 0;

	for (c = conns; c; c = c->next) {
		if (c->state != C_HTTP || c->req.head_len)
			continue;
		if (!old || c->accepted <= old->accepted)
			old = c;
		if (!memcmp(c->peer, peer, 16)) {
			n++;
			if (!mine || c->accepted <= mine->accepted)
				mine = c;
		}
	}
	if (n >= PEER_PENDING_MAX)
		old = mine;
	else if (nconns < CONN_MAX)
		return 0;
	if (!old)
		return -1;
	if (verbose)
		err_info("client fd %d: request not sent in time for another: "
		    "closed", old->fd);
	conn_free(old);
	return 0;
}

static void
accept_conns(long long now)
{
	static long long warned;

	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss = { 0 };
		socklen_t sl = sizeof ss;
		int fd = accept4(lsock, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		unsigned char peer[16];
		struct conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* The listener stays ready: stop polling it
				 * a while, and say so once a second. */
				accept_paused = now + ACCEPT_PAUSE_MS;
				if (now - warned >= 1000) {
					err_warnsys("unable to accept (for %d ms)",
					    ACCEPT_PAUSE_MS);
					warned = now;
				}
			} else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED) {
				err_warnsys("unable to accept");
			}
			return;
		}
		peer_key(&ss, peer);
		if (make_room(peer) < 0 || !(c = calloc(1, sizeof *c))) {
			close(fd); /* over the limit: refused at once */
			continue;
		}
		c->fd = fd;
		c->state = C_HTTP;
		c->accepted = now;
		memcpy(c->peer, peer, 16);
		c->deadline = now + HEAD_TIMEOUT_MS;
		http_req_init(&c->req, HTTP_HEAD_MAX, BODY_MAX);
		c->x = tls ? &tls_xport : &plain_xport;
		if (c->x->open(c) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = conns;
		conns = c;
		nconns++;
	}
}

/* After all of c->out went out: is c finished? */
static int
conn_finished(struct conn *c, long long now)
{
	if (c->out.len)
		return 0;
	if (c->state == C_WS && c->exit_sent && !c->close_sent) {
		if (c->s)
			c->s->seen = 1;
		conn_close_frame(c, WS_NORMAL, "exited");
		c->state = C_DONE;
		return 0;
	}
	if (c->state != C_DONE)
		return 0;
	/* Our last bytes are out: half-close, let the peer finish (read
	 * and drop its close frame or leftovers) until EOF or the linger. */
	if (!c->wr_shut) {
		c->x->shut(c);
		c->wr_shut = 1;
	}
	/* The linger starts once the transport wrote all it took; until
	 * then the close frame's DRAIN_MS bounds it.  (Closing earlier
	 * dropped a TLS output's last record: t0304's large output, under
	 * load.) */
	if (c->x->unsent(c))
		return 0;
	if (!c->deadline || c->deadline > now + LINGER_MS)
		c->deadline = now + LINGER_MS;
	return c->rd_eof;
}

/* The listener and every connection into l, and their deadlines; the
 * listener's entry. */
int
conns_wait(struct loop *l)
{
	int i = xloop_add(l, l->now >= accept_paused ? lsock : -1, POLLIN, NULL);

	loop_wake(l, accept_paused > l->now ? accept_paused : 0);
	for (struct conn *c = conns; c; c = c->next) {
		short ev = c->x->events(c);
		xloop_add(l, c->fd, ev, c);
		loop_wake(l, c->deadline);
		if (c->s && c->s->live == c && c->s->ring.end != c->off)
			loop_wake(l, c->flush_at ? c->flush_at : l->now);
		/* Output the transport was not handed yet (TLS): no POLLOUT
		 * to wait for until it has records to send. */
		if (c->out.len && !(ev & POLLOUT))
			loop_wake(l, l->now);
	}
	return i;
}

/* New connections, when the listener (entry i) is ready. */
void
conns_accept(struct loop *l, int i)
{
	if (loop_rev(l, i))
		accept_conns(l->now);
}

/* One turn of c: what came in, what goes out, its end.  -1: c is gone. */
static int
conn_turn(struct conn *c, short rev, long long now)
{
	ws_pump(c, now);
	if (conn_io(c, rev) < 0)
		return -1;
	conn_input(c);
	ws_pump(c, now);
	if (c->x->again(c)) {
		if (conn_io(c, 0) < 0)
			return -1;
		conn_input(c);
	}
	if (c->state == C_WS && c->rd_eof && !c->close_sent)
		return -1; /* gone without a close frame */
	if (conn_finished(c, now) || (c->deadline && now >= c->deadline)) {
		if (c->state == C_HTTP && !c->out.len && !c->rd_eof) {
			respond_err(c, 408, "request timeout", NULL);
			return 0;
		}
		return -1;
	}
	return 0;
}

/* Every connection's turn; their entries start at i.  The poll set
 * covers the connections that existed before it, in list order; newer
 * ones (at the head of the list) wait for the next turn. */
void
conns_run(struct loop *l, int i)
{
	struct conn *c, *cn;

	for (c = conns; c; c = cn) {
		cn = c->next;
		if (conn_turn(c, loop_take(l, &i, c), l->now) < 0)
			conn_free(c);
	}
}
