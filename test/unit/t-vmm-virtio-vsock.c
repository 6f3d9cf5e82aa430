/* virtio-vsock (vmm/virtio_vsock.c) without KVM: guest RAM is a plain
 * buffer with the three queues in it (vq-driver.h), the host side real
 * Unix sockets in a scratch directory, and the I/O thread's work done by
 * calling virtio_vsock_poll.  Packet checks, connections both ways, the
 * credit both ways (a guest past its credit is reset, the host-bound
 * buffer bounded), SHUTDOWN and RST, and many connections at once. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tap.h"
#include "unixsock.h"
#include "virtio_vsock.h"
#include "mmio-driver.h"

#define CID 42
#define SHUT_BOTH_FLAGS (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)
#define QSZ 64
#define RXBUF (4096 + VSOCK_HDR_LEN)
#define RXDATA 0x40000u
#define TXDATA 0xa0000u

static struct drv rxd, txd, evd;
static struct virtio_vsock v;
static char dir[] = "/tmp/t-vmm-virtio-vsock.XXXXXX", path[128];
static uint16_t rx_seen;        /* used entries of rx taken so far */

static uint32_t rd(unsigned off) { return md_rd(&v.mmio, off); }
static void wr(unsigned off, uint32_t x) { md_wr(&v.mmio, off, x); }

/* Driver bring-up: three queues of QSZ, DRIVER_OK, every receive buffer
 * posted (buffer i at RXDATA + i * RXBUF, descriptor i). */
static void
start(void)
{
	struct drv *d[3] = { &rxd, &txd, &evd };
	unsigned i;

	md_start(&v.mmio, 1ULL << VIRTIO_F_VERSION_1, d, 3, QSZ);
	rx_seen = 0;
	for (i = 0; i < QSZ; i++) {
		drv_desc(&rxd, i, RXDATA + i * RXBUF, RXBUF, VIRTQ_DESC_F_WRITE, 0);
		drv_post(&rxd, i);
	}
	wr(VMMIO_QUEUE_NOTIFY, VSOCK_RXQ);
}

static struct virtio_vsock_hdr
hdr(uint16_t op, uint32_t src, uint32_t dst, uint32_t len)
{
	struct virtio_vsock_hdr h = {
		.src_cid = CID, .dst_cid = VSOCK_HOST_CID, .src_port = src,
		.dst_port = dst, .len = len, .type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = op, .buf_alloc = 1 << 20,
	};
	return h;
}

/* The guest sends h with len bytes of data (header and data in two
 * descriptors, as Linux does) and kicks. */
static void
send_h(struct virtio_vsock_hdr h, const void *data, uint32_t len)
{
	uint16_t i = (txd.avail_idx * 2) % QSZ;

	memcpy(drv_host(&txd, TXDATA), &h, VSOCK_HDR_LEN);
	memcpy(drv_host(&txd, TXDATA + 4096), data, len);
	drv_desc(&txd, i, TXDATA, VSOCK_HDR_LEN, len ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	drv_desc(&txd, i + 1, TXDATA + 4096, len, 0, 0);
	drv_post(&txd, i);
	wr(VMMIO_QUEUE_NOTIFY, VSOCK_TXQ);
}

static void
send_op(uint16_t op, uint32_t src, uint32_t dst, uint32_t flags)
{
	struct virtio_vsock_hdr h = hdr(op, src, dst, 0);

	h.flags = flags;
	send_h(h, "", 0);
}

/* The next packet the device put in the receive queue (its buffer
 * posted again): 1, or 0 if none. */
static int
recv_pkt(struct virtio_vsock_hdr *h, uint8_t *data)
{
	struct virtq_used_elem *e;
	uint16_t id;

	if (drv_used16(&rxd)[1] == rx_seen)
		return 0;
	e = drv_used_elem(&rxd, rx_seen++);
	id = e->id;
	memcpy(h, drv_host(&rxd, RXDATA + id * RXBUF), VSOCK_HDR_LEN);
	if (data)
		memcpy(data, drv_host(&rxd, RXDATA + id * RXBUF + VSOCK_HDR_LEN), h->len);
	if (e->len != VSOCK_HDR_LEN + h->len)
		h->op = 0xffff;     /* used length and header disagree */
	drv_post(&rxd, id);
	wr(VMMIO_QUEUE_NOTIFY, VSOCK_RXQ);
	return 1;
}

/* Let the device see host-side events until none is left. */
static void
pump(void)
{
	int i;

	for (i = 0; i < 50; i++)
		virtio_vsock_poll(&v, 5);
}

static int
readall(int fd, uint8_t *b, size_t want)
{
	size_t got = 0;
	ssize_t k;
	struct pollfd p = { fd, POLLIN, 0 };

	while (got < want && poll(&p, 1, 2000) == 1) {
		if ((k = read(fd, b + got, want - got)) <= 0)
			break;
		got += k;
	}
	return got;
}

/* Read fd until EOF (or 2 s of nothing): its bytes, -1 on a timeout. */
static long
drain_eof(int fd)
{
	uint8_t b[65536];
	struct pollfd p = { fd, POLLIN, 0 };
	long n = 0;
	ssize_t k;

	while (poll(&p, 1, 2000) == 1) {
		if ((k = read(fd, b, sizeof b)) == 0)
			return n;
		if (k < 0)
			return errno == ECONNRESET ? n : -1;
		n += k;
	}
	return -1;
}

static void
test_config(void)
{
	uint64_t cid = 0;

	ok(rd(VMMIO_DEVICE_ID) == VIRTIO_VSOCK_ID, "device id 19");
	virtio_mmio_read(&v.mmio.bus, VMMIO_CONFIG, &cid, 8);
	ok(cid == CID, "config: guest_cid");
	wr(VMMIO_QUEUE_SEL, 2);
	ok(rd(VMMIO_QUEUE_NUM_MAX) == VIRTQ_MAX_SIZE, "three queues: the event queue exists");
	wr(VMMIO_QUEUE_SEL, 3);
	ok(rd(VMMIO_QUEUE_NUM_MAX) == 0, "and no fourth");
}

/* vsock_pkt_check on hand-made chains: every bad header refused. */
static void
test_check(void)
{
	static uint8_t buf[2][VSOCK_HDR_LEN + 100];
	static const struct {
		int field;      /* what to spoil */
		int want;
		const char *what;
	} t[] = {
		{ 0, VSOCK_PKT_OK, "a good RW packet" },
		{ 1, VSOCK_PKT_BROKEN, "a writable buffer in a transmit chain" },
		{ 2, VSOCK_PKT_DROP, "43 bytes: shorter than the header" },
		{ 3, VSOCK_PKT_DROP, "src_cid not the guest's" },
		{ 4, VSOCK_PKT_RST, "dst_cid not the host's" },
		{ 5, VSOCK_PKT_RST, "type seqpacket" },
		{ 6, VSOCK_PKT_RST, "op 0" },
		{ 7, VSOCK_PKT_RST, "op 8" },
		{ 8, VSOCK_PKT_RST, "len beyond the descriptors" },
		{ 9, VSOCK_PKT_RST, "len over 64 KiB" },
		{ 10, VSOCK_PKT_RST, "payload on a REQUEST" },
		{ 11, VSOCK_PKT_OK, "header split over two descriptors" },
		{ 12, VSOCK_PKT_OK, "len shorter than the buffers: the rest ignored" },
	};
	struct virtio_vsock_hdr h, g;
	struct virtq_chain c;
	const char *why;
	unsigned i;
	int r;

	for (i = 0; i < sizeof t / sizeof *t; i++) {
		h = hdr(VIRTIO_VSOCK_OP_RW, 5, 6, 100);
		memset(&c, 0, sizeof c);
		c.nout = 2;
		c.iov[0].iov_base = buf[0];
		c.iov[0].iov_len = VSOCK_HDR_LEN;
		c.iov[1].iov_base = buf[1];
		c.iov[1].iov_len = 100;
		switch (t[i].field) {
		case 1: c.nout = 1; c.nin = 1; break;
		case 2: c.nout = 1; c.iov[0].iov_len = 43; break;
		case 3: h.src_cid = CID + 1; break;
		case 4: h.dst_cid = 3; break;
		case 5: h.type = VIRTIO_VSOCK_TYPE_SEQPACKET; break;
		case 6: h.op = 0; break;
		case 7: h.op = 8; break;
		case 8: h.len = 101; break;
		case 9: h.len = VSOCK_MAX_PKT + 1; c.iov[1].iov_len = sizeof buf[1]; break;
		case 10: h.op = VIRTIO_VSOCK_OP_REQUEST; h.len = 4; break;
		case 11: c.iov[0].iov_len = 20; c.iov[1].iov_len = 24 + 100; break;
		case 12: h.len = 50; break;
		}
		c.out_len = c.iov[0].iov_len + (c.nout == 2 ? c.iov[1].iov_len : 0);
		if (t[i].field == 11) {
			memcpy(buf[0], &h, 20);
			memcpy(buf[1], (uint8_t *)&h + 20, 24);
		} else {
			memcpy(buf[0], &h, VSOCK_HDR_LEN);
		}
		why = NULL;
		r = vsock_pkt_check(&c, CID, &g, &why);
		ok(r == t[i].want && (r == VSOCK_PKT_OK ? !memcmp(&g, &h, sizeof h) : !!why),
		    "check: %s (%d%s%s)", t[i].what, r, why ? ": " : "", why ? why : "");
	}
}

/* A guest connection to host port 1234 and its listener: the accepted
 * fd; the device's RESPONSE is checked. */
static int listen_1234 = -1;

static int
guest_connect(uint32_t gport)
{
	struct virtio_vsock_hdr h;
	int fd, got = 0;

	send_op(VIRTIO_VSOCK_OP_REQUEST, gport, 1234, 0);
	while (recv_pkt(&h, NULL))
		if (h.op == VIRTIO_VSOCK_OP_RESPONSE && h.dst_port == gport &&
		    h.src_port == 1234 && h.src_cid == VSOCK_HOST_CID &&
		    h.dst_cid == CID && h.buf_alloc == VSOCK_CONN_BUF &&
		    h.type == VIRTIO_VSOCK_TYPE_STREAM)
			got = 1;
	fd = accept4(listen_1234, NULL, NULL, SOCK_CLOEXEC);
	return got ? fd : (fd >= 0 ? close(fd), -1 : -1);
}

static void
test_guest_to_host(void)
{
	struct virtio_vsock_hdr h;
	static uint8_t b[65536], g[65536];
	int fd, n, i, shut = 0;
	long total;

	start();
	fd = guest_connect(5000);
	ok(fd >= 0, "guest REQUEST to port 1234: PATH_1234 accepts, RESPONSE back");
	{
		struct virtio_vsock_hdr w = hdr(VIRTIO_VSOCK_OP_RW, 5000, 1234, 5);
		send_h(w, "hello", 5);
	}
	ok(readall(fd, b, 5) == 5 && !memcmp(b, "hello", 5), "guest RW reaches the host");

	/* Host to guest, within the guest's credit of 5000: not a multiple
	 * of the receive buffers, so the last packet is cut to it. */
	for (i = 0; i < 20000; i++)
		b[i] = i * 7;
	ok(write(fd, b, 20000) == 20000, "host writes 20000 bytes");
	{
		struct virtio_vsock_hdr c = hdr(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 5000, 1234, 0);
		c.buf_alloc = 5000;
		send_h(c, "", 0);
	}
	pump();
	for (total = 0; recv_pkt(&h, g);) {
		if (h.op == VIRTIO_VSOCK_OP_RW && !memcmp(g, b + total, h.len))
			total += h.len;
		else
			total = -1000000;
	}
	ok(total == 5000, "the device sends as much as the guest's credit: %ld of 5000", total);
	{
		struct virtio_vsock_hdr c = hdr(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 5000, 1234, 0);
		c.buf_alloc = 8192;
		c.fwd_cnt = 5000;
		send_h(c, "", 0);
	}
	pump();
	n = 0;
	while (recv_pkt(&h, g))
		if (h.op == VIRTIO_VSOCK_OP_RW && !memcmp(g, b + total, h.len))
			total += h.len, n++;
	ok(total == 13192, "a CREDIT_UPDATE (8192 of room, 5000 taken) lets 8192 more "
	    "through: %ld of 13192", total);
	{
		struct virtio_vsock_hdr c = hdr(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 5000, 1234, 0);
		c.buf_alloc = 1 << 20;
		c.fwd_cnt = 13192;
		send_h(c, "", 0);
	}
	pump();
	while (recv_pkt(&h, g))
		if (h.op == VIRTIO_VSOCK_OP_RW && !memcmp(g, b + total, h.len))
			total += h.len;
	ok(total == 20000, "and the rest: %ld", total);

	/* Host shuts its writing: SHUTDOWN(SEND) to the guest. */
	shutdown(fd, SHUT_WR);
	pump();
	while (recv_pkt(&h, NULL))
		if (h.op == VIRTIO_VSOCK_OP_SHUTDOWN && h.flags == VIRTIO_VSOCK_SHUTDOWN_SEND)
			shut = 1;
	ok(shut, "host EOF: SHUTDOWN(SEND) to the guest");
	/* The guest shuts too: the host reads EOF, the guest gets RST. */
	send_op(VIRTIO_VSOCK_OP_SHUTDOWN, 5000, 1234, VIRTIO_VSOCK_SHUTDOWN_SEND);
	shut = 0;
	while (recv_pkt(&h, NULL))
		if (h.op == VIRTIO_VSOCK_OP_RST && h.dst_port == 5000)
			shut = 1;
	ok(drain_eof(fd) == 0, "guest SHUTDOWN(SEND): the host reads EOF");
	ok(shut && virtio_vsock_conns(&v) == 0, "both ways shut: RST, connection gone");
	close(fd);

	/* The guest closes first (Linux: SHUTDOWN with both flags). */
	fd = guest_connect(5001);
	send_op(VIRTIO_VSOCK_OP_SHUTDOWN, 5001, 1234, SHUT_BOTH_FLAGS);
	shut = 0;
	while (recv_pkt(&h, NULL))
		if (h.op == VIRTIO_VSOCK_OP_RST && h.dst_port == 5001)
			shut = 1;
	ok(shut && drain_eof(fd) == 0 && virtio_vsock_conns(&v) == 0,
	    "guest SHUTDOWN(RCV|SEND): RST back, host EOF, connection gone");
	close(fd);

	/* RST from the guest closes. */
	fd = guest_connect(5002);
	send_op(VIRTIO_VSOCK_OP_RST, 5002, 1234, 0);
	ok(drain_eof(fd) == 0 && virtio_vsock_conns(&v) == 0 && !recv_pkt(&h, NULL),
	    "guest RST: host EOF, connection gone, no answer");
	close(fd);
	/* A host that goes away: RST to the guest once it writes. */
	fd = guest_connect(5003);
	close(fd);
	pump();
	shut = 0;
	while (recv_pkt(&h, NULL))
		if (h.op == VIRTIO_VSOCK_OP_SHUTDOWN && h.dst_port == 5003)
			shut = 1;
	{
		struct virtio_vsock_hdr w = hdr(VIRTIO_VSOCK_OP_RW, 5003, 1234, 3);
		send_h(w, "abc", 3);
	}
	while (recv_pkt(&h, NULL))
		if (h.op == VIRTIO_VSOCK_OP_RST && h.dst_port == 5003)
			shut |= 2;
	ok(shut == 3 && virtio_vsock_conns(&v) == 0,
	    "host closed: SHUTDOWN, then RST when the guest writes to it");
}

/* A guest that follows the credit fills the host-bound buffer exactly;
 * one byte more and it is reset.  The host never reads meanwhile. */
static void
test_overrun(void)
{
	struct virtio_vsock_hdr h, w;
	static uint8_t b[65536];
	uint32_t sent = 0, fwd = 0, k;
	int fd, rst = 0, i;
	long got;

	start();
	fd = guest_connect(6000);
	for (i = 0; i < 1000 && !rst; i++) {
		k = VSOCK_CONN_BUF - (sent - fwd);
		if (k > sizeof b)
			k = sizeof b;
		if (!k) {
			/* Credit used up as far as we know: ask for the
			 * exact count; nothing new forwarded means full. */
			uint32_t before = fwd;

			send_op(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 6000, 1234, 0);
			while (recv_pkt(&h, NULL))
				if (h.op == VIRTIO_VSOCK_OP_CREDIT_UPDATE)
					fwd = h.fwd_cnt;
			if (fwd == before)
				break;
			continue;
		}
		memset(b, i, k);
		w = hdr(VIRTIO_VSOCK_OP_RW, 6000, 1234, k);
		send_h(w, b, k);
		sent += k;
		while (recv_pkt(&h, NULL)) {
			if (h.op == VIRTIO_VSOCK_OP_RST)
				rst = 1;
			else if (h.dst_port == 6000)
				fwd = h.fwd_cnt;
		}
	}
	ok(!rst && sent - fwd == VSOCK_CONN_BUF && virtio_vsock_conns(&v) == 1,
	    "a guest within its credit is not reset: %u sent, %u forwarded, %u held",
	    sent, fwd, sent - fwd);
	w = hdr(VIRTIO_VSOCK_OP_RW, 6000, 1234, 1);
	send_h(w, "x", 1);
	while (recv_pkt(&h, NULL))
		if (h.op == VIRTIO_VSOCK_OP_RST && h.dst_port == 6000)
			rst = 1;
	ok(rst && v.overruns == 1 && virtio_vsock_conns(&v) == 0,
	    "one byte past the credit: RST, connection gone");
	got = drain_eof(fd);
	ok(got == (long)fwd, "the host got exactly what was forwarded: %ld of %u", got, fwd);
	close(fd);
}

static void
test_host_to_guest(void)
{
	struct virtio_vsock_hdr h;
	uint8_t g[4096];
	char line[32];
	uint32_t hp = 0;
	int fd, n, req = 0;

	start();
	fd = unixsock_connect(path);
	ok(fd >= 0 && write(fd, "CONNECT 77\nearly", 16) == 16, "host connects to PATH");
	pump();
	while (recv_pkt(&h, NULL))
		if (h.op == VIRTIO_VSOCK_OP_REQUEST && h.dst_port == 77 &&
		    h.src_port >= VSOCK_HOST_PORT_BASE && h.dst_cid == CID)
			req = 1, hp = h.src_port;
	ok(req, "CONNECT 77: REQUEST to guest port 77 from host port %u", hp);
	{
		struct virtio_vsock_hdr r = hdr(VIRTIO_VSOCK_OP_RESPONSE, 77, hp, 0);
		r.buf_alloc = 65536;
		send_h(r, "", 0);
	}
	n = snprintf(line, sizeof line, "OK %u\n", hp);
	memset(g, 0, sizeof g);
	ok(readall(fd, g, n) == n && !memcmp(g, line, n), "RESPONSE: the host reads %.*s",
	    n - 1, line);
	pump();
	req = 0;
	while (recv_pkt(&h, g))
		if (h.op == VIRTIO_VSOCK_OP_RW && h.len == 5 && !memcmp(g, "early", 5))
			req = 1;
	ok(req, "bytes after the CONNECT line reach the guest, not one lost");
	close(fd);
	pump();
	req = 0;
	while (recv_pkt(&h, NULL))
		req |= h.op == VIRTIO_VSOCK_OP_SHUTDOWN && h.dst_port == 77;
	send_op(VIRTIO_VSOCK_OP_RST, 77, hp, 0);
	ok(req && virtio_vsock_conns(&v) == 0,
	    "the host closes: SHUTDOWN to the guest; its RST ends it");

	/* The guest refuses: the host reads EOF and no OK. */
	fd = unixsock_connect(path);
	ok(write(fd, "CONNECT 78\n", 11) == 11, "CONNECT 78");
	pump();
	while (recv_pkt(&h, NULL))
		if (h.op == VIRTIO_VSOCK_OP_REQUEST)
			hp = h.src_port;
	send_op(VIRTIO_VSOCK_OP_RST, 78, hp, 0);
	ok(drain_eof(fd) == 0, "guest RST to a CONNECT: the host reads EOF, no OK");
	close(fd);

	/* A line that is not CONNECT: closed, the guest hears nothing. */
	fd = unixsock_connect(path);
	ok(write(fd, "HELLO 1\n", 8) == 8, "a bad line");
	pump();
	ok(drain_eof(fd) == 0 && !recv_pkt(&h, NULL) && virtio_vsock_conns(&v) == 0,
	    "a bad line: EOF, nothing to the guest");
	close(fd);
	fd = unixsock_connect(path);
	ok(write(fd, "CONNECT 99999999999\n", 20) == 20 && (pump(), drain_eof(fd) == 0),
	    "a port beyond 32 bits: EOF");
	close(fd);
}

/* A PATH whose PATH_P does not fit sun_path: vmrun may listen on it
 * (lib/unixsock goes through the directory), but under the filter it
 * could not open that directory, so a guest's REQUEST gets RST even
 * with a listener there. */
static void
test_long_path(void)
{
	char deep[300], lp[340], saved[sizeof v.path];
	struct virtio_vsock_hdr h;
	int l, a = 0, fd;

	snprintf(deep, sizeof deep, "%s/%0110d", dir, 0);
	snprintf(lp, sizeof lp, "%s/v.sock_1234", deep);
	l = mkdir(deep, 0700) == 0 ? unixsock_listen(lp, 4) : -1;
	memcpy(saved, v.path, sizeof saved);
	snprintf(v.path, sizeof v.path, "%s/v.sock", deep);
	start();
	send_op(VIRTIO_VSOCK_OP_REQUEST, 7100, 1234, 0);
	while (recv_pkt(&h, NULL))
		a += h.op == VIRTIO_VSOCK_OP_RST && h.dst_port == 7100;
	fd = l >= 0 ? accept4(l, NULL, NULL, SOCK_CLOEXEC) : -1;
	ok(l >= 0 && a == 1 && fd < 0 && virtio_vsock_conns(&v) == 0,
	    "a PATH_P longer than sun_path: RST, never a connect");
	memcpy(v.path, saved, sizeof saved);
	if (fd >= 0)
		close(fd);
	if (l >= 0)
		close(l);
	unlink(lp);
	rmdir(deep);
}

static void
test_rst(void)
{
	struct virtio_vsock_hdr h, w;
	int n = 0, a = 0;

	start();
	w = hdr(VIRTIO_VSOCK_OP_RW, 7000, 1234, 1);
	send_h(w, "x", 1);
	while (recv_pkt(&h, NULL))
		n += h.op == VIRTIO_VSOCK_OP_RST && h.dst_port == 7000 && h.src_port == 1234;
	ok(n == 1, "RW on no connection: RST");
	send_op(VIRTIO_VSOCK_OP_RST, 7000, 1234, 0);
	ok(!recv_pkt(&h, NULL), "RST on no connection: no answer");
	send_op(VIRTIO_VSOCK_OP_REQUEST, 7001, 4321, 0);
	while (recv_pkt(&h, NULL))
		a += h.op == VIRTIO_VSOCK_OP_RST && h.dst_port == 7001 && h.src_port == 4321;
	ok(a == 1 && v.refused > 0, "REQUEST to a port nobody listens on: RST");
	w = hdr(VIRTIO_VSOCK_OP_REQUEST, 7002, 1234, 0);
	w.dst_cid = 7;
	send_h(w, "", 0);
	a = 0;
	while (recv_pkt(&h, NULL))
		a += h.op == VIRTIO_VSOCK_OP_RST && h.dst_port == 7002;
	ok(a == 1 && virtio_vsock_conns(&v) == 0, "REQUEST to another CID: RST, no connection");
	w = hdr(VIRTIO_VSOCK_OP_REQUEST, 7003, 1234, 0);
	w.src_cid = 3;
	send_h(w, "", 0);
	ok(!recv_pkt(&h, NULL) && virtio_vsock_conns(&v) == 0,
	    "a packet with another source CID: dropped");
	/* a writable buffer in a transmit chain breaks the device */
	drv_desc(&txd, 0, TXDATA, VSOCK_HDR_LEN, VIRTQ_DESC_F_WRITE, 0);
	drv_post(&txd, 0);
	wr(VMMIO_QUEUE_NOTIFY, VSOCK_TXQ);
	ok(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET, "a writable tx buffer: DEVICE_NEEDS_RESET");
}

/* Many connections at once, each its own bytes both ways; then the
 * table's bound; then a reset closes them all. */
static void
test_many(void)
{
	static int fds[VSOCK_MAX_CONNS + 1];
	struct virtio_vsock_hdr h, w;
	uint8_t g[4096];
	char s[16];
	unsigned i, good = 0, back = 0, rst = 0, eofs = 0;

	start();
	for (i = 0; i < 100; i++) {
		fds[i] = guest_connect(10000 + i);
		snprintf(s, sizeof s, "c%03u", i);
		w = hdr(VIRTIO_VSOCK_OP_RW, 10000 + i, 1234, 4);
		send_h(w, s, 4);
	}
	for (i = 0; i < 100; i++) {
		char b[5] = "";
		snprintf(s, sizeof s, "c%03u", i);
		good += fds[i] >= 0 && readall(fds[i], (uint8_t *)b, 4) == 4 &&
		    !memcmp(b, s, 4);
		snprintf(s, sizeof s, "h%03u", i);
		if (fds[i] >= 0 && write(fds[i], s, 4) != 4)
			good = 0;
	}
	ok(good == 100 && virtio_vsock_conns(&v) == 100,
	    "100 connections at once, each its own bytes to the host (%u)", good);
	pump();
	while (recv_pkt(&h, g)) {
		snprintf(s, sizeof s, "h%03u", h.dst_port - 10000);
		back += h.op == VIRTIO_VSOCK_OP_RW && h.len == 4 && !memcmp(g, s, 4);
	}
	ok(back == 100, "and each its own bytes back to the guest (%u)", back);
	for (i = 100; i < VSOCK_MAX_CONNS; i++)
		fds[i] = guest_connect(10000 + i);
	ok(virtio_vsock_conns(&v) == VSOCK_MAX_CONNS, "%d connections: the bound",
	    VSOCK_MAX_CONNS);
	send_op(VIRTIO_VSOCK_OP_REQUEST, 20000, 1234, 0);
	while (recv_pkt(&h, NULL))
		rst += h.op == VIRTIO_VSOCK_OP_RST && h.dst_port == 20000;
	ok(rst == 1 && virtio_vsock_conns(&v) == VSOCK_MAX_CONNS,
	    "one more: RST, the table stays at its bound");
	wr(VMMIO_STATUS, 0);
	for (i = 0; i < VSOCK_MAX_CONNS; i++) {
		eofs += fds[i] >= 0 && drain_eof(fds[i]) >= 0;
		if (fds[i] >= 0)
			close(fds[i]);
	}
	ok(virtio_vsock_conns(&v) == 0 && eofs == VSOCK_MAX_CONNS,
	    "a device reset closes every socket (%u EOFs)", eofs);
}

static void
test_thread(void)
{
	struct virtio_vsock_hdr h;
	int fd, i, got = 0;

	start();
	ok(virtio_vsock_start(&v) == 0, "the I/O thread starts");
	fd = unixsock_connect(path);
	ok(fd >= 0 && write(fd, "CONNECT 5\n", 10) == 10, "a host connection meanwhile");
	for (i = 0; i < 200 && !got; i++) {
		usleep(10000);
		/* The driver's side of the ring: no lock, as a guest. */
		while (recv_pkt(&h, NULL))
			got |= h.op == VIRTIO_VSOCK_OP_REQUEST && h.dst_port == 5;
	}
	ok(got, "the thread serves it: REQUEST to the guest");
	virtio_vsock_stop(&v);
	ok(drain_eof(fd) == 0 && v.mmio.epfd < 0 && v.listen_fd < 0 && !v.mmio.running,
	    "stop: thread joined, every fd closed, the host connection ends");
	close(fd);
}

int
main(void)
{
	int lfd;
	char p2[160];

	if (!mkdtemp(dir)) {
		printf("Bail out! unable to make %s\n", dir);
		return 1;
	}
	snprintf(path, sizeof path, "%s/v.sock", dir);
	snprintf(p2, sizeof p2, "%s_1234", path);
	lfd = unixsock_listen(path, 64);
	listen_1234 = unixsock_listen(p2, 512);
	rxd.m.host = NULL;
	drv_init(&rxd, QSZ);
	txd.m = evd.m = rxd.m;
	if (lfd < 0 || listen_1234 < 0 ||
	    virtio_vsock_init(&v, &rxd.m, CID, lfd, path, 0xd0000000, 5) < 0) {
		printf("Bail out! unable to set up: %s\n", strerror(errno));
		return 1;
	}
	test_config();
	test_check();
	test_guest_to_host();
	test_overrun();
	test_host_to_guest();
	test_rst();
	test_long_path();
	test_many();
	test_thread();
	virtio_mmio_destroy(&v.mmio);
	close(listen_1234);
	unlink(path);
	unlink(p2);
	rmdir(dir);
	free(rxd.m.host);
	return done_testing();
}
