/* libFuzzer target for the virtio-vsock device (vmm/virtio_vsock.c) as a
 * hostile guest drives it: packets through a real transmit queue, answers
 * into a receive queue, connections to a real Unix listener.
 *
 * Input: records of one control byte and a 44-byte header, then payload.
 * Control bits make the header plausible so that connections really
 * open: 1 src_cid = the guest's, 2 dst_cid = host, 4 type stream, 8 op
 * one of the seven, 16 ports from a small set (guest 1000-1003, host 1
 * with a listener or 2 without), 32 len cut to 0-299 and the payload
 * taken from the input, 64 then the host side writes to every accepted
 * socket and the device polls, 128 the driver reposts receive buffers.
 * After the records the driver resets the device: every socket must be
 * closed and the table empty; at any time it holds at most
 * VSOCK_MAX_CONNS connections. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "unixsock.h"
#include "virtio_vsock.h"
#include "../unit/vq-driver.h"

#define QSZ 16
#define RXBUF 256
#define RXDATA 0x40000u
#define TXDATA 0xa0000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct drv rxd, txd, evd;
static struct virtio_vsock v;
static int lfd = -1, hosts[64], nhosts;

static void
wr(unsigned off, uint32_t x)
{
	virtio_mmio_write(&v.mmio.bus, off, &x, 4);
}

static void
setup(void)
{
	/* In the working directory: t0010 runs this in its scratch one. */
	static char dir[] = "fuzz-vsock.XXXXXX";
	char path[128], p1[140];
	int fd;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/v", dir);
	snprintf(p1, sizeof p1, "%s_1", path);
	if ((lfd = unixsock_listen(p1, 64)) < 0 ||
	    (fd = unixsock_listen(path, 8)) < 0)
		abort();
	drv_init(&rxd, QSZ);
	txd.m = evd.m = rxd.m;
	if (virtio_vsock_init(&v, &rxd.m, 3, fd, path, 0xd0000000, 5) < 0)
		abort();
}

static void
start(void)
{
	struct drv *d[3] = { &rxd, &txd, &evd };
	unsigned q, i;

	wr(VMMIO_STATUS, 0);
	wr(VMMIO_STATUS, 3);
	wr(VMMIO_DRV_FEATURES_SEL, 1);
	wr(VMMIO_DRV_FEATURES, 1);
	wr(VMMIO_STATUS, 11);
	for (q = 0; q < 3; q++) {
		drv_init_at(d[q], QSZ, DRV_DESC + 0x8000 * q, DRV_AVAIL + 0x8000 * q,
		    DRV_USED + 0x8000 * q);
		wr(VMMIO_QUEUE_SEL, q);
		wr(VMMIO_QUEUE_NUM, QSZ);
		wr(VMMIO_QUEUE_DESC_LOW, d[q]->desc);
		wr(VMMIO_QUEUE_DRIVER_LOW, d[q]->avail);
		wr(VMMIO_QUEUE_DEVICE_LOW, d[q]->used);
		wr(VMMIO_QUEUE_READY, 1);
	}
	wr(VMMIO_STATUS, 15);
	for (i = 0; i < QSZ; i++) {
		drv_desc(&rxd, i, RXDATA + i * RXBUF, RXBUF, VIRTQ_DESC_F_WRITE, 0);
		drv_post(&rxd, i);
	}
	wr(VMMIO_QUEUE_NOTIFY, VSOCK_RXQ);
}

/* Take back every used receive buffer and post it again. */
static void
repost(void)
{
	static uint16_t seen;
	uint16_t u = drv_used16(&rxd)[1];

	if (rxd.avail_idx == QSZ)
		seen = 0;
	for (; seen != u; seen++)
		drv_post(&rxd, drv_used_elem(&rxd, seen)->id);
	wr(VMMIO_QUEUE_NOTIFY, VSOCK_RXQ);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_vsock_hdr h;
	size_t pos = 0, plen;
	uint16_t i;
	uint8_t c;
	int fd;

	if (lfd < 0)
		setup();
	start();
	while (pos + 1 + VSOCK_HDR_LEN <= size) {
		c = data[pos];
		memcpy(&h, data + pos + 1, VSOCK_HDR_LEN);
		pos += 1 + VSOCK_HDR_LEN;
		if (c & 1) h.src_cid = 3;
		if (c & 2) h.dst_cid = VSOCK_HOST_CID;
		if (c & 4) h.type = VIRTIO_VSOCK_TYPE_STREAM;
		if (c & 8) h.op = h.op % 7 + 1;
		if (c & 16) {
			h.src_port = 1000 + h.src_port % 4;
			h.dst_port = 1 + h.dst_port % 2;
		}
		plen = 0;
		if (c & 32) {
			h.len %= 300;
			plen = h.len;
		}
		/* header and payload in two descriptors */
		i = (txd.avail_idx * 2) % QSZ;
		memcpy(drv_host(&txd, TXDATA), &h, VSOCK_HDR_LEN);
		memset(drv_host(&txd, TXDATA + 4096), 0, plen);
		memcpy(drv_host(&txd, TXDATA + 4096), data + pos,
		    plen < size - pos ? plen : size - pos);
		pos += plen < size - pos ? plen : size - pos;
		drv_desc(&txd, i, TXDATA, VSOCK_HDR_LEN, plen ? VIRTQ_DESC_F_NEXT : 0, i + 1);
		drv_desc(&txd, i + 1, TXDATA + 4096, plen, 0, 0);
		drv_post(&txd, i);
		wr(VMMIO_QUEUE_NOTIFY, VSOCK_TXQ);
		while (nhosts < 64 && (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
			hosts[nhosts++] = fd;
		if (c & 64) {
			for (int k = 0; k < nhosts; k++)
				if (send(hosts[k], "data", 4, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
					;
			virtio_vsock_poll(&v, 0);
		}
		if (c & 128)
			repost();
		if (v.nconns > VSOCK_MAX_CONNS || v.rst_len > VSOCK_RST_RING)
			abort();
	}
	wr(VMMIO_STATUS, 0);
	if (v.nconns || v.rst_len)
		abort();
	while (nhosts)
		close(hosts[--nhosts]);
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
		close(fd);
	virtio_vsock_poll(&v, 0);
	return 0;
}
