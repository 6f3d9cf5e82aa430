/* virtio-net (vmm/virtio_net.c, vmm/tap.c): the header and offload
 * mapping, config space, and frames both ways through the device over a
 * SOCK_SEQPACKET pair standing in for the tap (one frame per read and
 * write, as a tap with IFF_VNET_HDR).  A real tap is opened too when this
 * runs as root with /dev/net/tun. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>


#include "tap.h"
#include "../../vmm/tap.h"   /* not test/unit/tap.h */
#include "ioctl.h"
#include "virtio_net.h"
#include "mmio-driver.h"

/* Two queues' rings in the test driver's RAM. */
static struct drv rxd, txd;
static struct guest_mem *mem;
static struct virtio_net n;
static int peer, raised, offload_calls;
static unsigned offload_set = 0xdead;

static void
raise_cb(void *arg)
{
	__atomic_fetch_add(&raised, 1, __ATOMIC_SEQ_CST);
}

static int
fake_offload(int fd, unsigned fl)
{
	offload_calls++;
	offload_set = fl;
	return 0;
}

static uint32_t rd(unsigned off) { return md_rd(&n.mmio, off); }
static void wr(unsigned off, uint32_t v) { md_wr(&n.mmio, off, v); }

#define F(b) (1ULL << (b))

static void
start(uint64_t feat)
{
	struct drv *d[2] = { &rxd, &txd };

	md_start(&n.mmio, feat, d, 2, 16);
	rxd.data = 0x40000;
	txd.data = 0x80000;
}

static void
test_mapping(void)
{
	static const struct { uint64_t f; unsigned want; const char *what; } t[] = {
		{ 0, 0, "nothing acked: no offloads" },
		{ F(VIRTIO_NET_F_GUEST_TSO4), 0, "GUEST_TSO4 without GUEST_CSUM: none" },
		{ F(VIRTIO_NET_F_GUEST_CSUM), TUN_F_CSUM, "GUEST_CSUM: TUN_F_CSUM" },
		{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6),
		  TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, "GUEST_CSUM+TSO4+TSO6" },
		{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_ECN), TUN_F_CSUM,
		  "GUEST_ECN without TSO: no TSO_ECN" },
		{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_ECN),
		  TUN_F_CSUM | TUN_F_TSO6 | TUN_F_TSO_ECN, "GUEST_TSO6+ECN: TSO_ECN" },
		{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_UFO), TUN_F_CSUM | TUN_F_UFO,
		  "GUEST_UFO: TUN_F_UFO" },
		{ F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_MAC), 0,
		  "host-side features map to nothing on the tap" },
	};
	for (unsigned i = 0; i < sizeof t / sizeof *t; i++)
		ok(tap_offload_flags(t[i].f) == t[i].want, "offloads: %s", t[i].what);
	ok(sizeof(struct virtio_net_hdr_v1) == TAP_VNET_HDR_LEN &&
	    offsetof(struct virtio_net_hdr_v1, num_buffers) == 10,
	    "virtio_net_hdr_v1 is the tap's 12-byte header, num_buffers at 10");
}

static void
test_config(void)
{
	uint8_t mac[6];
	uint16_t st;
	uint64_t f;

	ok(rd(VMMIO_DEVICE_ID) == VIRTIO_NET_ID, "device id 1");
	f = md_features(&n.mmio);
	ok((f & (F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
	    F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_GUEST_TSO4) |
	    F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_STATUS) | F(VIRTIO_F_VERSION_1))) ==
	    (F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
	    F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_GUEST_TSO4) |
	    F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_STATUS) | F(VIRTIO_F_VERSION_1)),
	    "offers MAC, CSUM, GUEST_CSUM, HOST/GUEST_TSO4/6, STATUS, VERSION_1");
	ok(!(f & (F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ))),
	    "no MRG_RXBUF, CTRL_VQ or MQ");
	for (unsigned i = 0; i < 6; i++)
		virtio_mmio_read(&n.mmio.bus, VMMIO_CONFIG + i, &mac[i], 1);
	virtio_mmio_read(&n.mmio.bus, VMMIO_CONFIG + 6, &st, 2);
	ok(!memcmp(mac, "\x02\x11\x22\x33\x44\x55", 6), "config: the MAC");
	ok(st == VIRTIO_NET_S_LINK_UP, "config: link up");
}

/* A frame of len bytes after the header, byte i = seed + i. */
static void
frame(uint8_t *b, size_t len, int seed)
{
	for (size_t i = 0; i < len; i++)
		b[TAP_VNET_HDR_LEN + i] = seed + i;
}

static void
test_tx(void)
{
	uint8_t got[4096], want[2000];
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .csum_start = 34, .csum_offset = 16 };
	uint64_t a, b;
	ssize_t k;

	offload_calls = 0;
	start(F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) |
	    F(VIRTIO_NET_F_CSUM));
	ok(offload_calls == 1 && offload_set == (TUN_F_CSUM | TUN_F_TSO4),
	    "DRIVER_OK: TUNSETOFFLOAD CSUM|TSO4 from the acked GUEST_CSUM, GUEST_TSO4");

	/* Header in one descriptor, the frame split over two. */
	memcpy(want, &h, 12);
	frame(want, 1000, 7);
	a = drv_buf(&txd, 12, 0);
	memcpy(drv_host(&txd, a), want, 12);
	b = drv_buf(&txd, 1000, 0);
	memcpy(drv_host(&txd, b), want + 12, 1000);
	drv_desc(&txd, 4, a, 12, VIRTQ_DESC_F_NEXT, 9);
	drv_desc(&txd, 9, b, 600, VIRTQ_DESC_F_NEXT, 2);
	drv_desc(&txd, 2, b + 600, 400, 0, 0);
	drv_post(&txd, 4);
	raised = 0;
	wr(VMMIO_QUEUE_NOTIFY, VNET_TXQ);
	k = recv(peer, got, sizeof got, MSG_DONTWAIT);
	ok(k == 1012 && !memcmp(got, want, 1012), "tx: header and frame reach the tap in one write");
	ok(drv_used16(&txd)[1] == 1 && drv_used_elem(&txd, 0)->id == 4, "tx: chain 4 returned");
	ok(raised == 1 && (rd(VMMIO_INTERRUPT_STATUS) & VIRTIO_INT_USED), "tx: used interrupt");
	wr(VMMIO_INTERRUPT_ACK, 3);
	ok(n.tx_frames == 1, "tx: counted");
}

static void
test_rx(void)
{
	uint8_t pkt[1600], *p;
	uint64_t a, b;
	uint16_t nb;

	/* The frame waits in the "tap" until the guest posts a buffer. */
	memset(pkt, 0, 12);
	pkt[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	pkt[10] = pkt[11] = 0xee;   /* tun leaves num_buffers alone */
	frame(pkt, 1500, 3);
	ok(send(peer, pkt, 1512, 0) == 1512, "peer sends a 1500-byte frame");
	ok(virtio_net_rx(&n) == 0 && n.rx_starved, "no receive buffers: frame waits");

	/* Header split 6+6 over two buffers, then room for the frame. */
	a = drv_buf(&rxd, 6, 0x55);
	b = drv_buf(&rxd, 2000, 0x55);
	drv_desc(&rxd, 0, a, 6, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	drv_desc(&rxd, 1, b, 2000, VIRTQ_DESC_F_WRITE, 0);
	drv_post(&rxd, 0);
	raised = 0;
	wr(VMMIO_QUEUE_NOTIFY, VNET_RXQ);
	ok(drv_used16(&rxd)[1] == 1 && drv_used_elem(&rxd, 0)->id == 0 &&
	    drv_used_elem(&rxd, 0)->len == 1512, "rx kick: the frame lands, used len 1512");
	p = drv_host(&rxd, b);
	memcpy(&nb, p + 4, 2);
	ok(!memcmp(drv_host(&rxd, a), pkt, 6) && !memcmp(p, pkt + 6, 4) && nb == 1 &&
	    !memcmp(p + 6, pkt + 12, 1500), "rx: header and frame intact, num_buffers 1");
	ok(raised == 1, "rx: used interrupt");
	wr(VMMIO_INTERRUPT_ACK, 3);

	/* Three frames, two buffers: two delivered, one waits. */
	for (int i = 0; i < 3; i++) {
		frame(pkt, 60, i);
		send(peer, pkt, 72, 0);
	}
	for (int i = 0; i < 2; i++) {
		drv_desc(&rxd, 2 + i, drv_buf(&rxd, 1526, 0), 1526, VIRTQ_DESC_F_WRITE, 0);
		drv_post(&rxd, 2 + i);
	}
	ok(virtio_net_rx(&n) == 2 && n.rx_starved, "3 frames, 2 buffers: 2 delivered");
	drv_desc(&rxd, 4, drv_buf(&rxd, 1526, 0), 1526, VIRTQ_DESC_F_WRITE, 0);
	drv_post(&rxd, 4);
	wr(VMMIO_QUEUE_NOTIFY, VNET_RXQ);
	p = drv_host(&rxd, *(uint64_t *)drv_host(&rxd, rxd.desc + 16 * 4));
	ok(drv_used16(&rxd)[1] == 4 && p[12] == 2 && p[13] == 3,
	    "the third after the next kick, in order");
	ok(virtio_net_rx(&n) == 0, "nothing more to read");
}

static void
test_broken(void)
{
	uint8_t pkt[100] = { 0 };

	/* A device-writable buffer on the transmit queue. */
	start(F(VIRTIO_F_VERSION_1));
	ok(offload_set == 0, "DRIVER_OK without GUEST_CSUM: offloads 0");
	drv_desc(&txd, 0, drv_buf(&txd, 100, 0), 100, VIRTQ_DESC_F_WRITE, 0);
	drv_post(&txd, 0);
	raised = 0;
	wr(VMMIO_QUEUE_NOTIFY, VNET_TXQ);
	ok((rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET) && raised == 1 &&
	    rd(VMMIO_INTERRUPT_STATUS) == VIRTIO_INT_CONFIG,
	    "writable tx buffer: NEEDS_RESET and a config interrupt");

	/* The same after a readable buffer that holds a header and more:
	 * refused for the writable one, not sent. */
	start(F(VIRTIO_F_VERSION_1));
	drv_desc(&txd, 0, drv_buf(&txd, 100, 0), 100, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(&txd, 1, drv_buf(&txd, 100, 0), 100, VIRTQ_DESC_F_WRITE, 0);
	drv_post(&txd, 0);
	wr(VMMIO_QUEUE_NOTIFY, VNET_TXQ);
	ok(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET,
	    "readable then writable tx buffer: broken");

	start(F(VIRTIO_F_VERSION_1));
	ok(!(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET), "reset recovers");
	drv_desc(&txd, 0, drv_buf(&txd, 8, 0), 8, 0, 0);
	drv_post(&txd, 0);
	wr(VMMIO_QUEUE_NOTIFY, VNET_TXQ);
	ok(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET, "tx chain shorter than the header: broken");

	start(F(VIRTIO_F_VERSION_1));
	send(peer, pkt, 72, 0);
	drv_desc(&rxd, 0, drv_buf(&rxd, 100, 0), 100, 0, 0);
	drv_post(&rxd, 0);
	wr(VMMIO_QUEUE_NOTIFY, VNET_RXQ);
	ok(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET, "readable rx buffer: broken");

	start(F(VIRTIO_F_VERSION_1));
	drv_desc(&rxd, 0, drv_buf(&rxd, 8, 0), 8, VIRTQ_DESC_F_WRITE, 0);
	drv_post(&rxd, 0);
	wr(VMMIO_QUEUE_NOTIFY, VNET_RXQ);
	ok(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET, "rx chain shorter than the header: broken");
	ok(virtio_net_rx(&n) == 0, "a broken device takes no frames");

	/* A frame bigger than the buffer: dropped, the buffer kept. */
	start(F(VIRTIO_F_VERSION_1));
	drv_desc(&rxd, 0, drv_buf(&rxd, 40, 0), 40, VIRTQ_DESC_F_WRITE, 0);
	drv_post(&rxd, 0);
	wr(VMMIO_QUEUE_NOTIFY, VNET_RXQ);   /* the frame queued above */
	ok(!(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET), "frame too big for the buffer: not broken");
	wr(VMMIO_STATUS, 0);
	ok(offload_set == 0 && rd(VMMIO_STATUS) == 0, "reset: status 0");
}

static int
tasks(void)
{
	char b[64];
	FILE *f = fopen("/proc/self/status", "r");
	int n = -1;

	while (f && fgets(b, sizeof b, f))
		if (sscanf(b, "Threads: %d", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/* Wait up to 5 s for the used index of a queue to reach want. */
static int
used_reaches(struct drv *d, uint16_t want)
{
	for (int i = 0; i < 500; i++) {
		if (__atomic_load_n(&drv_used16(d)[1], __ATOMIC_ACQUIRE) == want)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* The I/O thread: frames from the "tap" reach the guest without anyone
 * calling virtio_net_rx, and the stop hook joins it and closes every fd. */
static void
test_thread(void)
{
	uint8_t pkt[200] = { 0 };
	int t0 = tasks(), sfd, efd, tfd = n.tap_fd;

	ok(virtio_net_start(&n) == 0 && tasks() == t0 + 1, "I/O thread started");
	start(F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_GUEST_CSUM));
	for (int i = 0; i < 4; i++) {
		drv_desc(&rxd, i, drv_buf(&rxd, 1526, 0), 1526, VIRTQ_DESC_F_WRITE, 0);
		drv_post(&rxd, i);
	}
	raised = 0;
	wr(VMMIO_QUEUE_NOTIFY, VNET_RXQ);
	for (int i = 0; i < 3; i++) {
		frame(pkt, 100, i);
		send(peer, pkt, 112, 0);
	}
	ok(used_reaches(&rxd, 3), "the thread moves 3 tap frames into receive buffers");
	ok(raised >= 1, "and interrupts the guest");

	/* An interrupt the guest never took (lost between KVM and it) is
	 * raised again within a few watchdog periods; once acked, no more. */
	int r0 = __atomic_load_n(&raised, __ATOMIC_SEQ_CST);
	usleep(50 * 1000 * 10);
	pthread_mutex_lock(&n.mmio.lock);
	uint64_t again = n.mmio.reraised;
	pthread_mutex_unlock(&n.mmio.lock);
	ok(__atomic_load_n(&raised, __ATOMIC_SEQ_CST) > r0 && again >= 1,
	    "an interrupt never acknowledged is raised again (%llu times)",
	    (unsigned long long)again);
	wr(VMMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
	usleep(50 * 1000);
	r0 = __atomic_load_n(&raised, __ATOMIC_SEQ_CST);
	usleep(50 * 1000 * 8);
	ok(__atomic_load_n(&raised, __ATOMIC_SEQ_CST) == r0, "acknowledged: not raised again");

	/* A transmit chain whose kick never came is sent all the same. */
	uint8_t got[200];
	memset(pkt, 0, TAP_VNET_HDR_LEN);
	frame(pkt, 60, 7);
	uint64_t g = drv_buf(&txd, 72, 0);
	memcpy(drv_host(&txd, g), pkt, 72);
	drv_desc(&txd, 0, g, 72, 0, 0);
	drv_post(&txd, 0);
	ok(used_reaches(&txd, 1), "a transmit chain posted without a kick is served");
	ok(recv(peer, got, sizeof got, MSG_DONTWAIT) == 72 && !memcmp(got, pkt, 72),
	    "and its frame reaches the tap");
	pthread_mutex_lock(&n.mmio.lock);
	again = n.mmio.unkicked[VNET_TXQ];
	pthread_mutex_unlock(&n.mmio.lock);
	ok(again == 1 && n.mmio.unkicked[VNET_RXQ] == 0,
	    "counted as a missed transmit kick (%llu)", (unsigned long long)again);
	sfd = n.mmio.stop_fd;
	efd = n.mmio.epfd;
	virtio_net_stop(&n);
	ok(tasks() == t0, "stop: the thread is joined");
	errno = 0;
	ok(fcntl(tfd, F_GETFD) < 0 && errno == EBADF && fcntl(sfd, F_GETFD) < 0 &&
	    fcntl(efd, F_GETFD) < 0 && n.tap_fd == -1, "stop: tap, stop eventfd and epoll closed");
	ok(rd(VMMIO_MAGIC) == 0, "stop: register accesses are no-ops");
}

static void
test_real_tap(void)
{
	int fd;

	errno = 0;
	ok(tap_open("a-name-longer-than-15") < 0 && errno == ENAMETOOLONG,
	    "tap name longer than IFNAMSIZ refused");
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		ok(1, "# SKIP real tap: needs root and /dev/net/tun");
		return;
	}
	fd = tap_open("hk-vt0");
	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		ok(1, "# SKIP real tap: no CAP_NET_ADMIN here");
		return;
	}
	ok(fd >= 0, "real tap hk-vt0 opened with IFF_VNET_HDR");
	int sz = 0;
	ok(vmm_ioctl(fd, TUNGETVNETHDRSZ, &sz) == 0 && sz == 12, "vnet header size 12");
	unsigned all = tap_offload_flags(F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) |
	    F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_ECN));
	ok(tap_set_offload(fd, all) == 0 && tap_set_offload(fd, 0) == 0,
	    "the kernel takes the mapped offloads (0x%x) and 0", all);
	close(fd);
}

int
main(void)
{
	int sv[2];

	rxd.m.host = NULL;
	drv_init(&rxd, 16);
	txd.m = rxd.m;             /* one guest RAM for both queues */
	mem = &rxd.m;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0)
		return 1;
	peer = sv[1];
	ok(virtio_net_init(&n, mem, sv[0], (const uint8_t *)"\x02\x11\x22\x33\x44\x55",
	    0xd0000000, 5) == 0, "init");
	n.set_offload = fake_offload;
	n.mmio.raise = raise_cb;
	test_mapping();
	test_config();
	test_tx();
	test_rx();
	test_broken();
	test_thread();     /* closes sv[0] */
	test_real_tap();
	virtio_mmio_destroy(&n.mmio);
	close(sv[1]);
	free(mem->host);
	return done_testing();
}
