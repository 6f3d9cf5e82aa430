/* ptyd's connections: accept, the bytes in and out (plain or TLS),
 * timeouts and the limits on what a client may hold, and the loop. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "pgkill.h"
#include "tls.h"
#include "ptyd/ptyd.h"

void
conn_detach(struct conn *c)
{
	if (c->s && c->s->live == c)
		c->s->live = NULL;
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
	if (c->tls)
		tls_conn_free(c->tls);
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

/* Move bytes between the socket and in/out.  -1: the connection is gone. */
static int
conn_io(struct conn *c, short rev)
{
	char tmp[16384];
	ssize_t r;
	size_t used = 0;
	int moved = 0;          /* bytes went into the socket */

	if (c->tls) {
		struct buf got = { 0 };
		unsigned long long sent = tls_sent(c->tls);
		int w = tls_io(c->tls, c->fd, &got, in_room(c),
		    c->out.p + c->outoff, c->out.len - c->outoff, &used);
		c->outoff += used;
		moved = tls_sent(c->tls) > sent;
		if (w < 0) {
			buf_free(&got);
			return -1;
		}
		if (w == 0)
			c->rd_eof = 1; /* closed cleanly */
		c->tls_want = w;
		if (got.len) {
			if (c->state == C_HTTP) {
				req_feed(c, got.p, got.len);
			} else if (c->state == C_WS) {
				buf_add(&c->in, got.p, got.len);
			}
		}
		buf_free(&got);
	} else {
		size_t room = in_room(c);
		if ((rev & (POLLIN | POLLHUP | POLLERR)) && room) {
			r = read(c->fd, tmp, room < sizeof tmp ? room : sizeof tmp);
			if (r == 0) {
				c->rd_eof = 1;
			} else if (r < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			} else if (r > 0 && c->state == C_HTTP) {
				req_feed(c, tmp, r);
			} else if (r > 0 && c->state == C_WS) {
				buf_add(&c->in, tmp, r);
			}
			/* C_DONE: what a client sends after its request or
			 * our close frame is read and dropped. */
		}
		if (c->outoff < c->out.len) {
			r = write(c->fd, c->out.p + c->outoff,
			    c->out.len - c->outoff);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				return -1;
			if (r > 0)
				c->outoff += r, moved = 1;
		}
	}
	/* A closing client that still takes bytes has DRAIN_MS from its
	 * last progress, not from our close frame: a slow reader of a big
	 * output, seconds of it in the socket, is not cut off mid-read. */
	if (c->close_sent && moved &&
	    (c->tls_want & POLLOUT || c->outoff < c->out.len))
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
		if (tls && !(c->tls = tls_conn_new(tls))) {
			close(fd);
			free(c);
			continue;
		}
		c->tls_want = POLLIN;
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
		if (c->tls) {
			tls_close(c->tls);
			c->tls_want |= POLLOUT; /* its close_notify */
		} else {
			shutdown(c->fd, SHUT_WR);
		}
		c->wr_shut = 1;
	}
	/* With TLS, c->out empty means the engine took the bytes, not that
	 * they went: records wait in it while the socket is full (a slow
	 * reader).  The linger starts once they are written; until then
	 * the close frame's DRAIN_MS bounds it.  (Closing earlier dropped
	 * the output's last record: t0304's large output, under load.) */
	if (c->tls && (c->tls_want & POLLOUT))
		return 0;
	if (!c->deadline || c->deadline > now + LINGER_MS)
		c->deadline = now + LINGER_MS;
	return c->rd_eof;
}

void
serve(void)
{
	struct pollfd *pf = NULL;
	void **who = NULL;
	size_t cap = 0;

	for (;;) {
		long long now = clock_ms(), next = -1;
		size_t n = 0, need = 2 + nsessions + nconns;
		struct session *s, *sn;
		struct conn *c, *cn;
		int timeout;

		if (need > cap) {
			cap = need * 2;
			pf = realloc(pf, cap * sizeof *pf);
			who = realloc(who, cap * sizeof *who);
			if (!pf || !who)
				err_die(EX_SYS, "unable to allocate poll set: "
				    "out of memory");
		}
#define WAKE(t) do { if ((t) > 0 && (next < 0 || (t) < next)) next = (t); } while (0)
		pf[n] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		who[n++] = NULL;
		pf[n] = (struct pollfd){ .fd = now >= accept_paused ? lsock : -1,
		    .events = POLLIN };
		who[n++] = NULL;
		WAKE(accept_paused > now ? accept_paused : 0);
		for (s = sessions; s; s = s->next) {
			short ev = 0;
			if (session_room(s))
				ev |= POLLIN;
			if (s->inq.len)
				ev |= POLLOUT;
			pf[n] = (struct pollfd){ .fd = ev ? s->ptm : -1,
			    .events = ev };
			who[n++] = s;
			WAKE(s->kill_at);
			if (s->reaped && s->eof && !s->live && idle_ms)
				WAKE(s->exited_ms + idle_ms);
			if (s->reaped && s->ptm >= 0)
				WAKE(s->exited_ms + EOF_GRACE_MS);
		}
		for (c = conns; c; c = c->next) {
			short ev = 0;
			if (c->tls) {
				ev = c->tls_want;
				if (!in_room(c))
					ev &= ~POLLIN;
			} else {
				if (in_room(c))
					ev |= POLLIN;
				if (c->out.len)
					ev |= POLLOUT;
			}
			pf[n] = (struct pollfd){ .fd = c->fd, .events = ev };
			who[n++] = c;
			WAKE(c->deadline);
			if (c->s && c->s->live == c && c->s->end != c->off)
				WAKE(c->flush_at ? c->flush_at : now);
			/* TLS moves bytes only in conn_io: no POLLOUT to wait
			 * for until the engine has records to send. */
			if (c->tls && c->out.len && !(c->tls_want & POLLOUT))
				WAKE(now);
		}
		timeout = next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
		if (poll(pf, n, timeout) < 0 && errno != EINTR)
			err_diesys(EX_SYS, "unable to poll");
		now = clock_ms();

		if (pf[0].revents) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGCHLD)
					continue;
				if (verbose)
					err_info("%s: stopping", signame(si.ssi_signo));
				shutdown_all();
				if (upath)
					unlink(upath);
				exit(0);
			}
			reap(now);
		}
		if (pf[1].revents)
			accept_conns(now);
		/* The poll set covers the sessions and connections that
		 * existed before it, in list order; newer ones (at the head
		 * of the lists) wait for the next round. */
		size_t i = 2;
		for (s = sessions; s && i < n; s = s->next) {
			if (who[i] != s) /* added this round */
				continue;
			if (pf[i].revents & POLLOUT)
				session_write(s);
			if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
				session_read(s, now);
			i++;
		}
		for (s = sessions; s; s = s->next) {
			/* After the reap, read what is left, then EOF. */
			if (s->reaped && s->ptm >= 0)
				session_read(s, now);
			if (s->kill_at && now >= s->kill_at) {
				if (!s->reaped)
					pg_signal(s->pid, SIGKILL);
				s->kill_at = 0;
			}
		}
		for (c = conns; c; c = cn) {
			short rev = 0;
			cn = c->next;
			if (i < n && who[i] == c)
				rev = pf[i++].revents;
			ws_pump(c, now);
			if ((rev || c->tls || c->out.len) && conn_io(c, rev) < 0) {
				conn_free(c);
				continue;
			}
			conn_input(c);
			ws_pump(c, now);
			/* This flush reads too: TLS records that came in the
			 * meantime are decrypted into c->in, and no poll event
			 * will announce them again, so they are taken now (a
			 * client's first frame right behind its upgrade request
			 * sat there unread). */
			if (c->tls && c->out.len) {
				if (conn_io(c, 0) < 0) {
					conn_free(c);
					continue;
				}
				conn_input(c);
			}
			if (c->state == C_WS && c->rd_eof && !c->close_sent) {
				conn_free(c); /* gone without a close frame */
				continue;
			}
			if (conn_finished(c, now) ||
			    (c->deadline && now >= c->deadline)) {
				if (c->state == C_HTTP && !c->out.len &&
				    !c->rd_eof) {
					respond_err(c, 408, "request timeout",
					    NULL);
					continue;
				}
				conn_free(c);
			}
		}
		for (s = sessions; s; s = sn) {
			sn = s->next;
			if (s->seen || (s->reaped && s->eof && !s->live &&
			    idle_ms && now >= s->exited_ms + idle_ms))
				session_free(s);
		}
	}
}
