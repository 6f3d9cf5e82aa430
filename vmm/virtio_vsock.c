/* vmm/virtio_vsock.c: the virtio-vsock device model, see virtio_vsock.h.
 * The transport is virtio_mmio.c; this file keeps the connection table,
 * moves packets between the queues and the Unix sockets, and runs the
 * I/O thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "err.h"
#include "num.h"
#include "unixsock.h"
#include "snapshot.h"
#include "virtio_vsock.h"
#include "vm.h"

/* Chains handled per queue before an interim interrupt. */
#define BATCH 64

_Static_assert(sizeof(struct virtio_vsock_hdr) == VSOCK_HDR_LEN,
    "the packet header is 44 bytes (5.10.6)");

/* Control packets a connection owes the guest (vsock_conn.ctl). */
#define SHUT_BOTH (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)

enum { P_REQUEST = 1, P_RESPONSE = 2, P_SHUTDOWN = 4, P_CREDIT = 8 };

enum conn_state {
	C_LINE,         /* host side connected to PATH, its CONNECT line not read */
	C_CONNECTING,   /* REQUEST to the guest owed or sent, no RESPONSE yet */
	C_OPEN,
};

struct vsock_conn {
	int fd;
	unsigned slot;
	uint32_t gen;                 /* epoll tags carry it: stale events miss */
	enum conn_state state;
	uint32_t guest_port, host_port;
	unsigned ctl;                 /* P_* owed */
	uint32_t events;              /* epoll interest in force */
	int hup;                      /* hung up: out of epoll, reads say why */
	int readable;                 /* data (or EOF) may wait on fd */
	int host_eof;                 /* fd read EOF: SHUTDOWN(SEND) owed/sent */
	int shut_wr;                  /* shutdown(SHUT_WR) done */
	uint32_t guest_shut;          /* VIRTIO_VSOCK_SHUTDOWN_* from the guest */
	char line[VSOCK_LINE_MAX];
	unsigned linelen;
	/* guest to host */
	uint32_t rx_cnt, fwd_cnt, fwd_sent;
	uint8_t *buf;                 /* ring of VSOCK_CONN_BUF, when needed */
	uint32_t head, len;
	/* host to guest */
	uint32_t tx_cnt, peer_buf_alloc, peer_fwd_cnt;
};

/* epoll tags (virtio_io_watch): the low 32 bits the listening socket's or
 * EV_CONN + slot, the high 32 bits the connection's generation. */
enum { EV_LISTEN = VIRTIO_IO_DEV, EV_CONN };

int
vsock_pkt_check(const struct virtq_chain *c, uint64_t cid,
    struct virtio_vsock_hdr *h, const char **why)
{
	memset(h, 0, sizeof *h);
	if (c->nin) {
		*why = "transmit chain with a device-writable buffer";
		return VSOCK_PKT_BROKEN;
	}
	if (c->out_len < VSOCK_HDR_LEN) {
		*why = "packet shorter than its header";
		return VSOCK_PKT_DROP;
	}
	virtq_iov_get(c->iov, c->nout, 0, h, VSOCK_HDR_LEN);
	if (h->src_cid != cid) {
		*why = "packet not from the guest's CID";
		return VSOCK_PKT_DROP;
	}
	if (h->dst_cid != VSOCK_HOST_CID) {
		*why = "packet to another CID than the host's";
		return VSOCK_PKT_RST;
	}
	if (h->type != VIRTIO_VSOCK_TYPE_STREAM) {
		*why = "packet of another type than stream";
		return VSOCK_PKT_RST;
	}
	if (h->op < VIRTIO_VSOCK_OP_REQUEST || h->op > VIRTIO_VSOCK_OP_CREDIT_REQUEST) {
		*why = "packet with an unknown op";
		return VSOCK_PKT_RST;
	}
	if (h->len > VSOCK_MAX_PKT) {
		*why = "packet longer than 64 KiB";
		return VSOCK_PKT_RST;
	}
	if (h->len > c->out_len - VSOCK_HDR_LEN) {
		*why = "packet length beyond its buffers";
		return VSOCK_PKT_RST;
	}
	if (h->op != VIRTIO_VSOCK_OP_RW && h->len) {
		*why = "payload on a packet that carries none";
		return VSOCK_PKT_RST;
	}
	return VSOCK_PKT_OK;
}

/* The connections. */

static void
rst_queue(struct virtio_vsock *v, uint32_t host_port, uint32_t guest_port)
{
	unsigned i;

	if (v->rst_len == VSOCK_RST_RING) {
		/* A guest that floods bad packets loses answers, not our
		 * memory; its sockets time out instead. */
		virtio_mmio_rate_warn(&v->mmio, 0,
		    "RST not sent: too many waiting", ++v->dropped);
		return;
	}
	i = (v->rst_head + v->rst_len++) % VSOCK_RST_RING;
	v->rst[i].src = host_port;
	v->rst[i].dst = guest_port;
	v->resets++;
}

static void
conn_arm(struct virtio_vsock *v, struct vsock_conn *c)
{
	struct epoll_event ev = { 0 };
	uint32_t want = 0;

	if (c->hup)
		return;
	if (c->state == C_LINE || (c->state == C_OPEN && !c->readable && !c->host_eof))
		want |= EPOLLIN;
	if (c->len)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	ev.events = want;
	ev.data.u64 = (uint64_t)c->gen << 32 | (EV_CONN + c->slot);
	if (epoll_ctl(v->mmio.epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

static struct vsock_conn *
conn_new(struct virtio_vsock *v, int fd, enum conn_state st)
{
	struct epoll_event ev = { 0 };
	struct vsock_conn *c;
	unsigned i;

	if (v->nconns == VSOCK_MAX_CONNS)
		return NULL;
	for (i = 0; v->conns[i]; i++)
		;
	if (!(c = calloc(1, sizeof *c)))
		return NULL;
	c->fd = fd;
	c->slot = i;
	c->gen = ++v->gen;
	c->state = st;
	ev.data.u64 = (uint64_t)c->gen << 32 | (EV_CONN + i);
	if (epoll_ctl(v->mmio.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		return NULL;
	}
	v->conns[i] = c;
	v->nconns++;
	conn_arm(v, c);
	return c;
}

/* Close c; with rst, tell the guest (a connection it knows of). */
static void
conn_free(struct virtio_vsock *v, struct vsock_conn *c, int rst)
{
	if (rst && c->state != C_LINE)
		rst_queue(v, c->host_port, c->guest_port);
	close(c->fd);   /* also leaves the epoll set */
	free(c->buf);
	v->conns[c->slot] = NULL;
	v->nconns--;
	free(c);
}

static struct vsock_conn *
conn_find(struct virtio_vsock *v, uint32_t guest_port, uint32_t host_port)
{
	struct vsock_conn *c;
	unsigned i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		if ((c = v->conns[i]) && c->state != C_LINE &&
		    c->guest_port == guest_port && c->host_port == host_port)
			return c;
	return NULL;
}

static uint32_t
credit(const struct vsock_conn *c)
{
	uint32_t inflight = c->tx_cnt - c->peer_fwd_cnt;

	return inflight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - inflight;
}

/* Announce forwarded bytes once half a buffer has gone unannounced: a
 * guest that used all its credit is then always told (everything it
 * sent gets forwarded eventually), one with half left keeps sending. */
static void
credit_check(struct vsock_conn *c)
{
	if (c->fwd_cnt - c->fwd_sent >= VSOCK_CONN_BUF / 2)
		c->ctl |= P_CREDIT;
}

/* After a change in c's shutdown state: SHUT_WR once the guest's data is
 * all written, and the end once both directions are over.  0, or -1 when
 * c is gone. */
static int
conn_progress(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->len)
		return 0;
	if ((c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) && !c->shut_wr) {
		shutdown(c->fd, SHUT_WR);
		c->shut_wr = 1;
	}
	if ((c->shut_wr && c->host_eof && !(c->ctl & P_SHUTDOWN)) ||
	    (c->guest_shut & SHUT_BOTH) == SHUT_BOTH) {
		conn_free(v, c, 1);
		return -1;
	}
	return 0;
}

/* Write what waits in c's buffer.  0, or -1 when c is gone. */
static int
conn_flush(struct virtio_vsock *v, struct vsock_conn *c)
{
	struct iovec iov[2];
	struct msghdr m = { .msg_iov = iov };
	uint32_t first;
	ssize_t w;

	while (c->len) {
		first = VSOCK_CONN_BUF - c->head;
		iov[0].iov_base = c->buf + c->head;
		iov[0].iov_len = c->len < first ? c->len : first;
		iov[1].iov_base = c->buf;
		iov[1].iov_len = c->len - iov[0].iov_len;
		m.msg_iovlen = iov[1].iov_len ? 2 : 1;
		w = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			conn_free(v, c, 1);
			return -1;
		}
		c->head = (c->head + w) % VSOCK_CONN_BUF;
		c->len -= w;
		c->fwd_cnt += w;
	}
	credit_check(c);
	if (conn_progress(v, c) < 0)
		return -1;
	conn_arm(v, c);
	return 0;
}

/* An RW packet's len payload bytes (after the header in ch) for the host:
 * written at once when nothing waits, the rest kept. */
static void
conn_forward(struct virtio_vsock *v, struct vsock_conn *c,
    const struct virtq_chain *ch, uint32_t len)
{
	struct msghdr m = { .msg_iov = v->tail };
	size_t off = VSOCK_HDR_LEN, k, tail;
	ssize_t w = 0;

	c->rx_cnt += len;
	if (!c->len && len) {
		m.msg_iovlen = virtq_iov_tail(ch->iov, ch->nout, off, len, v->tail);
		do
			w = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		if (w < 0 && errno != EAGAIN) {
			conn_free(v, c, 1);
			return;
		}
		if (w < 0)
			w = 0;
		c->fwd_cnt += w;
		off += w;
		len -= w;
	}
	if (len) {
		if (!c->buf && !(c->buf = malloc(VSOCK_CONN_BUF))) {
			virtio_mmio_rate_warn(&v->mmio, 0,
			    "out of memory for a connection's buffer", ++v->dropped);
			conn_free(v, c, 1);
			return;
		}
		/* The caller checked len + c->len <= VSOCK_CONN_BUF. */
		tail = (c->head + c->len) % VSOCK_CONN_BUF;
		k = VSOCK_CONN_BUF - tail < len ? VSOCK_CONN_BUF - tail : len;
		virtq_iov_get(ch->iov, ch->nout, off, c->buf + tail, k);
		virtq_iov_get(ch->iov, ch->nout, off + k, c->buf, len - k);
		c->len += len;
	}
	credit_check(c);
	conn_arm(v, c);
}

/* The guest's REQUEST to host port h->dst_port: connect to PATH_P. */
static void
guest_connect(struct virtio_vsock *v, const struct virtio_vsock_hdr *h)
{
	char path[VSOCK_PATH_MAX + 12];
	struct vsock_conn *c;
	int fd;

	/* A PATH_P too long for sun_path would need open(2) of its
	 * directory, which the filter forbids by now: refused. */
	if (snprintf(path, sizeof path, "%s_%u", v->path, h->dst_port) >=
	    VSOCK_SUN_PATH || v->nconns == VSOCK_MAX_CONNS ||
	    (fd = unixsock_connect_nb(path)) < 0) {
		v->refused++;
		rst_queue(v, h->dst_port, h->src_port);
		return;
	}
	if (!(c = conn_new(v, fd, C_OPEN))) {
		close(fd);
		v->refused++;
		rst_queue(v, h->dst_port, h->src_port);
		return;
	}
	c->guest_port = h->src_port;
	c->host_port = h->dst_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->ctl |= P_RESPONSE;
}

/* A checked packet from the guest. */
static void
handle(struct virtio_vsock *v, const struct virtio_vsock_hdr *h,
    const struct virtq_chain *ch)
{
	struct vsock_conn *c = conn_find(v, h->src_port, h->dst_port);
	char ok[24];
	struct iovec iov;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (c && c->state != C_CONNECTING) {
		/* Every packet carries the guest's credit. */
		c->peer_buf_alloc = h->buf_alloc;
		c->peer_fwd_cnt = h->fwd_cnt;
	}
	if (h->op == VIRTIO_VSOCK_OP_RST) {
		if (c)
			conn_free(v, c, 0);
		return;
	}
	if (h->op == VIRTIO_VSOCK_OP_REQUEST) {
		if (c)      /* a second REQUEST on a live connection */
			conn_free(v, c, 1);
		else
			guest_connect(v, h);
		return;
	}
	if (!c) {
		rst_queue(v, h->dst_port, h->src_port);
		return;
	}
	switch (h->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state != C_CONNECTING || (c->ctl & P_REQUEST)) {
			conn_free(v, c, 1);
			return;
		}
		c->state = C_OPEN;
		c->peer_buf_alloc = h->buf_alloc;
		c->peer_fwd_cnt = h->fwd_cnt;
		iov.iov_base = ok;
		iov.iov_len = snprintf(ok, sizeof ok, "OK %u\n", c->host_port);
		/* A fresh socket's buffer takes these few bytes whole. */
		if (sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)iov.iov_len) {
			conn_free(v, c, 1);
			return;
		}
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		if (c->state != C_OPEN) {
			conn_free(v, c, 1);
			return;
		}
		c->guest_shut |= h->flags & SHUT_BOTH;
		if (conn_progress(v, c) < 0)
			return;
		break;
	case VIRTIO_VSOCK_OP_RW:
		if (c->state != C_OPEN || (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND)) {
			conn_free(v, c, 1);
			return;
		}
		if (h->len > VSOCK_CONN_BUF - c->len) {
			/* More than the credit we gave: the guest ignores
			 * flow control, and would make us buffer without
			 * bound. */
			virtio_mmio_rate_warn(&v->mmio, 0, "guest sent past "
			    "its credit: connection reset", ++v->overruns);
			conn_free(v, c, 1);
			return;
		}
		conn_forward(v, c, ch, h->len);
		return;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->ctl |= P_CREDIT;
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		break;
	}
	conn_arm(v, c);
}

/* Lock held.  Guest packets from the transmit queue; 1 if it stopped at
 * BATCH with more to do. */
static int
tx(struct virtio_vsock *v)
{
	struct virtq *q = &v->mmio.vq[VSOCK_TXQ];
	struct virtq_chain *ch = &v->chain;
	struct virtio_vsock_hdr h;
	struct vsock_conn *c;
	const char *why = "";
	unsigned n = 0;
	int r;

	if (!virtio_mmio_live(&v->mmio) || !q->ready)
		return 0;
	virtq_notify_on(q, 0);
	for (;;) {
		if (n++ == BATCH) {
			virtio_mmio_used(&v->mmio, VSOCK_TXQ);
			return 1;
		}
		if ((r = virtq_pop(q, ch)) == VIRTQ_BROKEN) {
			virtio_mmio_broken(&v->mmio, q->why);
			return 0;
		}
		if (r == VIRTQ_EMPTY) {
			if (virtq_notify_on(q, 1)) {
				virtq_notify_on(q, 0);
				continue;
			}
			break;
		}
		switch (vsock_pkt_check(ch, v->cid, &h, &why)) {
		case VSOCK_PKT_BROKEN:
			virtio_mmio_broken(&v->mmio, why);
			return 0;
		case VSOCK_PKT_DROP:
			virtio_mmio_rate_warn(&v->mmio, 0, why, ++v->dropped);
			break;
		case VSOCK_PKT_RST:
			virtio_mmio_rate_warn(&v->mmio, 0, why, ++v->refused);
			/* Never an answer to an RST (5.10.6.4). */
			if ((c = conn_find(v, h.src_port, h.dst_port)))
				conn_free(v, c, h.op != VIRTIO_VSOCK_OP_RST);
			else if (h.op != VIRTIO_VSOCK_OP_RST)
				rst_queue(v, h.dst_port, h.src_port);
			break;
		default:
			v->from_guest++;
			handle(v, &h, ch);
		}
		virtq_push(q, ch->head, 0);
	}
	virtio_mmio_used(&v->mmio, VSOCK_TXQ);
	return 0;
}

/* The next connection with something for the guest, round robin. */
static struct vsock_conn *
next_work(struct virtio_vsock *v)
{
	struct vsock_conn *c;
	unsigned i, k;

	for (k = 0; k < VSOCK_MAX_CONNS; k++) {
		i = (v->rr + k) % VSOCK_MAX_CONNS;
		if (!(c = v->conns[i]))
			continue;
		if (c->ctl || (c->state == C_OPEN && c->readable && !c->host_eof &&
		    !(c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV) && credit(c))) {
			v->rr = i + 1;
			return c;
		}
	}
	return NULL;
}

/* Lock held.  RSTs, control packets and host data into the guest's
 * receive buffers until either runs out. */
static void
rx(struct virtio_vsock *v)
{
	struct virtq *q = &v->mmio.vq[VSOCK_RXQ];
	struct virtq_chain *ch = &v->chain;
	struct virtio_vsock_hdr h;
	struct vsock_conn *c;
	unsigned n = 0, k;
	size_t room;
	ssize_t r;
	int rc;

	if (!virtio_mmio_live(&v->mmio) || !q->ready) {
		v->rx_starved = 1;
		return;
	}
	v->rx_starved = 0;
	for (;;) {
		c = v->rst_len ? NULL : next_work(v);
		if (!v->rst_len && !c)
			break;
		if ((rc = virtio_mmio_pop(&v->mmio, q, ch)) == VIRTQ_BROKEN)
			return;
		if (rc == VIRTQ_EMPTY) {
			v->rx_starved = 1;
			break;
		}
		if (ch->nout || ch->in_len < VSOCK_HDR_LEN) {
			virtio_mmio_broken(&v->mmio, ch->nout ?
			    "receive chain with a device-readable buffer" :
			    "receive chain shorter than the packet header");
			return;
		}
		memset(&h, 0, sizeof h);
		h.src_cid = VSOCK_HOST_CID;
		h.dst_cid = v->cid;
		h.type = VIRTIO_VSOCK_TYPE_STREAM;
		h.buf_alloc = VSOCK_CONN_BUF;
		if (!c) {
			h.op = VIRTIO_VSOCK_OP_RST;
			h.src_port = v->rst[v->rst_head].src;
			h.dst_port = v->rst[v->rst_head].dst;
			v->rst_head = (v->rst_head + 1) % VSOCK_RST_RING;
			v->rst_len--;
		} else {
			h.src_port = c->host_port;
			h.dst_port = c->guest_port;
			h.fwd_cnt = c->fwd_cnt;
			if (c->ctl & (P_REQUEST | P_RESPONSE)) {
				h.op = c->ctl & P_REQUEST ? VIRTIO_VSOCK_OP_REQUEST :
				    VIRTIO_VSOCK_OP_RESPONSE;
				c->ctl &= ~(P_REQUEST | P_RESPONSE);
			} else if (c->ctl & P_SHUTDOWN) {
				h.op = VIRTIO_VSOCK_OP_SHUTDOWN;
				h.flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
				c->ctl &= ~P_SHUTDOWN;
			} else if (c->ctl & P_CREDIT && !(c->readable && credit(c) &&
			    c->state == C_OPEN && !c->host_eof)) {
				h.op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
			} else {
				/* Data: as much as the guest's credit, this
				 * chain and one packet allow, straight in. */
				room = ch->in_len - VSOCK_HDR_LEN;
				if (room > credit(c))
					room = credit(c);
				if (room > VSOCK_MAX_PKT)
					room = VSOCK_MAX_PKT;
				k = virtq_iov_tail(ch->iov, ch->nin, VSOCK_HDR_LEN, room, v->tail);
				r = room ? readv(c->fd, v->tail, k) : 0;
				if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
					/* Drained: wait for more, keep the chain. */
					virtq_unpop(q, 1);
					if (errno == EAGAIN) {
						c->readable = 0;
						conn_arm(v, c);
					}
					continue;
				}
				if (r < 0) {
					virtq_unpop(q, 1);
					conn_free(v, c, 1);
					continue;
				}
				if (!room) {
					/* A chain with room for the header only:
					 * it carries the credit, nothing more. */
					h.op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
				} else if (r == 0) {
					c->host_eof = 1;
					h.op = VIRTIO_VSOCK_OP_SHUTDOWN;
					h.flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
				} else {
					h.op = VIRTIO_VSOCK_OP_RW;
					h.len = r;
					c->tx_cnt += r;
				}
			}
			c->ctl &= ~P_CREDIT;
			c->fwd_sent = c->fwd_cnt;
		}
		virtq_iov_put(ch->iov, ch->nin, 0, &h, VSOCK_HDR_LEN);
		virtq_push(q, ch->head, VSOCK_HDR_LEN + h.len);
		v->to_guest++;
		if (c && h.op == VIRTIO_VSOCK_OP_SHUTDOWN && conn_progress(v, c) == 0)
			conn_arm(v, c);
		if (++n % BATCH == 0)
			virtio_mmio_used(&v->mmio, VSOCK_RXQ);
	}
	virtio_mmio_used(&v->mmio, VSOCK_RXQ);
}

static void
notify(void *dev, unsigned qi)
{
	struct virtio_vsock *v = dev;

	if (qi == VSOCK_TXQ)
		v->tx_more = tx(v);
	/* New receive buffers, or answers the packets just taken owe. */
	if (qi != VSOCK_EVQ)
		rx(v);
}

static void
close_all(struct virtio_vsock *v)
{
	unsigned i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conns[i])
			conn_free(v, v->conns[i], 0);
	v->rst_len = v->rst_head = 0;
}

static int
activate(void *dev)
{
	struct virtio_vsock *v = dev;

	v->rx_starved = 0;
	v->tx_more = 0;
	return 0;
}

static void
reset(void *dev)
{
	/* The old driver's sockets are gone with it (5.10.6.6). */
	close_all(dev);
}

static void
config_read(void *dev, unsigned off, void *data, unsigned size)
{
	struct virtio_vsock *v = dev;
	uint64_t cid = v->cid;

	memcpy(data, (uint8_t *)&cid + off, size);
}

/* Host side: PATH accepts; a connection's CONNECT line; its socket ready. */

static void
accept_all(struct virtio_vsock *v)
{
	int fd, i;

	for (i = 0; i < 16; i++) {
		if ((fd = accept4(v->listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
			return;
		/* No driver, or no room: the client reads EOF at once. */
		if (!virtio_mmio_live(&v->mmio) || !conn_new(v, fd, C_LINE)) {
			v->refused++;
			close(fd);
		}
	}
}

static int
port_used(struct virtio_vsock *v, uint32_t p)
{
	unsigned i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conns[i] && v->conns[i]->state != C_LINE &&
		    v->conns[i]->host_port == p)
			return 1;
	return 0;
}

/* Read "CONNECT P\n" a byte at a time, so not a byte of the stream
 * behind it is taken before the guest accepts. */
static void
conn_line(struct virtio_vsock *v, struct vsock_conn *c)
{
	long long port;
	ssize_t r;
	char ch;

	for (;;) {
		r = read(c->fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0 || c->linelen == VSOCK_LINE_MAX - 1)
			goto bad;
		if (ch == '\n')
			break;
		c->line[c->linelen++] = ch;
	}
	c->line[c->linelen] = 0;
	if (strncmp(c->line, "CONNECT ", 8) || num_parse(c->line + 8, 0,
	    UINT32_MAX, &port) < 0)
		goto bad;
	do {
		if (v->next_port < VSOCK_HOST_PORT_BASE)   /* wrapped */
			v->next_port = VSOCK_HOST_PORT_BASE;
		c->host_port = v->next_port++;
	} while (port_used(v, c->host_port));
	c->guest_port = port;
	c->state = C_CONNECTING;
	c->ctl |= P_REQUEST;
	conn_arm(v, c);
	return;
bad:
	v->refused++;
	conn_free(v, c, 0);
}

static void
conn_event(struct virtio_vsock *v, uint64_t tag, uint32_t events)
{
	unsigned slot = (uint32_t)tag - EV_CONN;
	struct vsock_conn *c;

	if (slot >= VSOCK_MAX_CONNS || !(c = v->conns[slot]) ||
	    c->gen != (uint32_t)(tag >> 32))
		return;     /* closed earlier in this round */
	if (events & (EPOLLHUP | EPOLLERR)) {
		/* Reported whatever the interest: out of the set, or a
		 * level-triggered wait would spin; reads and writes now
		 * return at once with the end or the error. */
		epoll_ctl(v->mmio.epfd, EPOLL_CTL_DEL, c->fd, NULL);
		c->hup = 1;
		c->readable = 1;
		events |= EPOLLIN | (c->len ? EPOLLOUT : 0);
	}
	if (c->state == C_LINE) {
		conn_line(v, c);
		return;
	}
	if (events & EPOLLOUT && conn_flush(v, c) < 0)
		return;
	if (events & EPOLLIN)
		c->readable = 1;
	conn_arm(v, c);
}

/* The I/O thread's hooks (virtio_io_start): a new connection or a
 * connection's socket ready; */
static void
io_event(void *dev, uint64_t data, uint32_t events)
{
	struct virtio_vsock *v = dev;

	pthread_mutex_lock(&v->mmio.lock);
	if ((uint32_t)data == EV_LISTEN)
		accept_all(v);
	else
		conn_event(v, data, events);
	pthread_mutex_unlock(&v->mmio.lock);
}

/* lock held, after a round: transmit resumes where its batch stopped,
 * and what the round made owed goes to the guest; */
static int
io_round(void *dev)
{
	struct virtio_vsock *v = dev;

	if (v->tx_more)
		v->tx_more = tx(v);
	rx(v);
	return v->tx_more;
}

/* lock held: does queue q wait for a kick (for the sweep)? */
static int
io_waits(void *dev, unsigned q)
{
	struct virtio_vsock *v = dev;

	return q == VSOCK_TXQ ? !v->tx_more : q == VSOCK_RXQ && v->rx_starved;
}

const struct virtio_dev_ops virtio_vsock_ops = {
	.name = "virtio-vsock",
	.device_id = VIRTIO_VSOCK_ID,
	.nqueues = 3,
	.features = 0,
	.config_len = 8,
	.config_read = config_read,
	.activate = activate,
	.notify = notify,
	.reset = reset,
	.io_event = io_event,
	.io_round = io_round,
	.io_waits = io_waits,
};

int
virtio_vsock_poll(struct virtio_vsock *v, int ms)
{
	return virtio_io_poll(&v->mmio, ms);
}

unsigned
virtio_vsock_conns(struct virtio_vsock *v)
{
	unsigned n;

	pthread_mutex_lock(&v->mmio.lock);
	n = v->nconns;
	pthread_mutex_unlock(&v->mmio.lock);
	return n;
}

int
virtio_vsock_init(struct virtio_vsock *v, const struct guest_mem *mem,
    uint64_t cid, int listen_fd, const char *path, uint64_t base, unsigned gsi)
{
	int e;

	memset(v, 0, sizeof *v);
	v->listen_fd = listen_fd;
	v->cid = cid;
	v->next_port = VSOCK_HOST_PORT_BASE;
	if (strlen(path) >= sizeof v->path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(v->path, path);
	if (virtio_mmio_init(&v->mmio, &virtio_vsock_ops, v, mem, base, gsi) < 0)
		return -1;
	if (virtio_io_open(&v->mmio) < 0 || (listen_fd >= 0 &&
	    virtio_io_watch(&v->mmio, listen_fd, EPOLLIN, EV_LISTEN) < 0)) {
		e = errno;
		virtio_io_close(&v->mmio);
		virtio_mmio_destroy(&v->mmio);
		errno = e;
		return -1;
	}
	return 0;
}

int
virtio_vsock_start(struct virtio_vsock *v)
{
	return virtio_io_start(&v->mmio);
}

void
virtio_vsock_stop(void *arg)
{
	struct virtio_vsock *v = arg;

	virtio_io_stop(&v->mmio);
	if (v->verbose)
		err_info("virtio-vsock: cid %llu: %llu packets to the guest, %llu "
		    "from it; %llu dropped, %llu refused, %llu resets, %llu credit "
		    "overruns; %llu interrupts raised again; kicks missed: rx %llu, "
		    "tx %llu", (unsigned long long)v->cid,
		    (unsigned long long)v->to_guest, (unsigned long long)v->from_guest,
		    (unsigned long long)v->dropped, (unsigned long long)v->refused,
		    (unsigned long long)v->resets, (unsigned long long)v->overruns,
		    (unsigned long long)v->mmio.reraised,
		    (unsigned long long)v->mmio.unkicked[VSOCK_RXQ],
		    (unsigned long long)v->mmio.unkicked[VSOCK_TXQ]);
	close_all(v);
	virtio_io_close(&v->mmio);
	if (v->listen_fd >= 0)
		close(v->listen_fd);
	v->listen_fd = -1;
}

/* Snapshots (snapshot.h): the transport's state, and whether the guest
 * had connections; none is kept.  If it had, the restored guest is told
 * its transport was reset (5.10.6.6, as Firecracker does): it closes what
 * it thought connected and reads its CID again; its listening sockets
 * stay.  If it had none, no event: the guest would handle it late, and
 * reset a connection the host made in the meantime. */
struct vsock_state {
	struct virtio_mmio_state t;
	uint32_t conns;
};

static void
snap_save_vsock(void *arg, void *buf)
{
	struct virtio_vsock *v = arg;
	struct vsock_state *s = buf;

	virtio_mmio_save(&v->mmio, &s->t);
	pthread_mutex_lock(&v->mmio.lock);
	s->conns = v->nconns;
	pthread_mutex_unlock(&v->mmio.lock);
}

static int
snap_load_vsock(void *arg, const void *buf, const char **why)
{
	struct virtio_vsock *v = arg;
	struct virtio_vsock_event ev = { .id = VIRTIO_VSOCK_EVENT_TRANSPORT_RESET };
	struct virtq *q = &v->mmio.vq[VSOCK_EVQ];
	struct vsock_state s;

	memcpy(&s, buf, sizeof s);
	if (virtio_mmio_load(&v->mmio, &s.t, why) < 0)
		return -1;
	pthread_mutex_lock(&v->mmio.lock);
	if (s.conns && virtio_mmio_live(&v->mmio) && q->ready &&
	    virtq_pop(q, &v->chain) == VIRTQ_CHAIN) {
		virtq_push(q, v->chain.head, virtq_iov_put(v->chain.iov +
		    v->chain.nout, v->chain.nin, 0, &ev, sizeof ev));
		virtio_mmio_used(&v->mmio, VSOCK_EVQ);
		if (v->verbose)
			err_info("virtio-vsock: the snapshot had %u connections: "
			    "transport reset sent", (unsigned)s.conns);
	} else if (v->verbose) {
		err_info("virtio-vsock: the snapshot had %u connections: no "
		    "transport reset (live %d, event queue ready %d)",
		    (unsigned)s.conns, virtio_mmio_live(&v->mmio), q->ready);
	}
	pthread_mutex_unlock(&v->mmio.lock);
	return 0;
}

/* The start hook (vm_start). */
static int
start(void *arg)
{
	struct virtio_vsock *v = arg;

	if (virtio_vsock_start(v) < 0)
		return vm_fail("start the I/O thread for", v->path);
	return 0;
}

int
virtio_vsock_add(struct vm *vm, struct vsock_opts *o)
{
	struct virtio_vsock *v;
	char what[VSOCK_PATH_MAX + 16];
	uint64_t base;
	unsigned gsi;
	int fd;

	if (strlen(o->uds) >= VSOCK_PATH_MAX) {
		errno = ENAMETOOLONG;
		return vm_fail("listen on", o->uds);
	}
	/* Before the filter, which allows accept but no bind. */
	if ((fd = unixsock_listen(o->uds, 64)) < 0)
		return vm_fail("listen on", o->uds);
	if (!(v = malloc(sizeof *v))) {
		vm_fail("allocate the vsock device for", o->uds);
		goto fail_fd;
	}
	if (vm_alloc_mmio(vm, &base, &gsi) < 0) {
		errno = ENOSPC;
		vm_fail("place the virtio-mmio window for", o->uds);
		goto fail_v;
	}
	if (virtio_vsock_init(v, &vm->mem, o->cid, fd, o->uds, base, gsi) < 0) {
		vm_fail("set up virtio-vsock on", o->uds);
		goto fail_v;
	}
	v->verbose = vm->cfg.verbose;
	snprintf(what, sizeof what, "virtio-vsock on %s", o->uds);
	if (vm_add_virtio(vm, &v->mmio, v, start, virtio_vsock_stop, what) < 0)
		return -1;
	o->listen_fd = fd;      /* the device's now; the filter allows accept4 on it */
	if (snap_register(vm, "vsock", sizeof(struct vsock_state),
	    snap_save_vsock, snap_load_vsock, v) < 0)
		return vm_fail("register the snapshot state of", o->uds);
	if (vm->cfg.verbose)
		err_info("virtio-vsock: cid %llu uds %s at 0x%llx irq %u",
		    (unsigned long long)o->cid, o->uds, (unsigned long long)base, gsi);
	return 0;

fail_v:
	free(v);
fail_fd:
	close(fd);
	return -1;
}
