/* vmm/virtio_net.c: the virtio-net device model, see virtio_net.h.
 * The transport is virtio_mmio.c, the tap plumbing tap.c; this file moves
 * frames between the two queues and the tap fd and runs the I/O thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <linux/virtio_net.h>

#include "err.h"
#include "tap.h"
#include "virtio_net.h"
#include "vm.h"

#define F(b) (1ULL << (b))
#define NET_FEATURES (F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) | \
	F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_GUEST_TSO4) | \
	F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_HOST_TSO4) | \
	F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_STATUS))

/* Chains handled per queue before the thread looks at its other fds and
 * before an interim interrupt: latency for the other direction. */
#define BATCH 64

/* Config space (5.1.4): mac[6], status, max_virtqueue_pairs. */
#define CONFIG_LEN 10

/* The tap's epoll tag (virtio_io_watch). */
enum { EV_TAP = VIRTIO_IO_DEV };

static void
config_read(void *dev, unsigned off, void *data, unsigned size)
{
	struct virtio_net *n = dev;
	uint8_t cfg[CONFIG_LEN];
	uint16_t status = VIRTIO_NET_S_LINK_UP;

	memcpy(cfg, n->mac, 6);
	memcpy(cfg + 6, &status, 2);
	memset(cfg + 8, 0, 2);
	memcpy(data, cfg + off, size);
}

/* The tap fd's interest: nothing while frames wait for receive buffers,
 * or a level-triggered epoll would spin on them. */
static void
tap_interest(struct virtio_net *n, int on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.u64 = EV_TAP };

	if (n->mmio.epfd >= 0)
		epoll_ctl(n->mmio.epfd, EPOLL_CTL_MOD, n->tap_fd, &ev);
}

/* Lock held.  Tap frames into receive chains until one side runs out. */
static unsigned
rx(struct virtio_net *n)
{
	struct virtq *q = &n->mmio.vq[VNET_RXQ];
	struct virtq_chain *c = &n->chain;
	uint16_t one = 1;
	unsigned frames = 0;
	ssize_t len;
	int r;

	if (!virtio_mmio_live(&n->mmio) || !q->ready) {
		/* No driver to take frames: stop watching the tap until the
		 * next DRIVER_OK or receive kick. */
		n->rx_starved = 1;
		tap_interest(n, 0);
		return 0;
	}
	for (;;) {
		if ((r = virtio_mmio_pop(&n->mmio, q, c)) == VIRTQ_BROKEN)
			return frames;
		if (r == VIRTQ_EMPTY) {
			/* Wait for the driver's kick on the receive queue. */
			n->rx_starved = 1;
			tap_interest(n, 0);
			break;
		}
		if (c->nout) {
			virtio_mmio_broken(&n->mmio, "receive chain with a device-readable buffer");
			return frames;
		}
		if (c->in_len < TAP_VNET_HDR_LEN) {
			virtio_mmio_broken(&n->mmio, "receive chain shorter than the header");
			return frames;
		}
		len = readv(n->tap_fd, c->iov, c->nin);
		if (len < 0) {
			virtq_unpop(q, 1);
			if (errno == EAGAIN)
				break;
			if (errno == EINTR)
				continue;
			/* EFAULT/EINVAL: the frame did not fit the chain and
			 * tun dropped it; anything else: the tap is gone. */
			virtio_mmio_rate_warn(&n->mmio, 1,
			    "unable to read a frame from the tap", ++n->rx_dropped);
			if (errno == EFAULT || errno == EINVAL || errno == EMSGSIZE)
				continue;
			break;
		}
		if (len < TAP_VNET_HDR_LEN || (uint64_t)len > c->in_len) {
			/* tun truncates a frame longer than the chain and
			 * still returns its whole length: drop it, keep the
			 * chain for the next one. */
			virtq_unpop(q, 1);
			virtio_mmio_rate_warn(&n->mmio, 0, "frame longer than "
			    "the guest's receive buffer dropped", ++n->rx_dropped);
			continue;
		}
		/* tun leaves num_buffers alone; without MRG_RXBUF it is 1. */
		virtq_iov_put(c->iov, c->nin, 10, &one, 2);
		virtq_push(q, c->head, len);
		n->rx_frames++;
		if (++frames % BATCH == 0)
			virtio_mmio_used(&n->mmio, VNET_RXQ);
	}
	virtio_mmio_used(&n->mmio, VNET_RXQ);
	return frames;
}

/* Lock held.  Transmit chains to the tap; 1 if it stopped at BATCH with
 * more to do. */
static int
tx(struct virtio_net *n)
{
	struct virtq *q = &n->mmio.vq[VNET_TXQ];
	struct virtq_chain *c = &n->chain;
	unsigned frames = 0;
	int r, more = 0;

	if (!virtio_mmio_live(&n->mmio) || !q->ready)
		return 0;
	virtq_notify_on(q, 0);
	for (;;) {
		if (frames == BATCH) {
			more = 1;
			break;
		}
		if ((r = virtq_pop(q, c)) == VIRTQ_BROKEN) {
			virtio_mmio_broken(&n->mmio, q->why);
			return 0;
		}
		if (r == VIRTQ_EMPTY) {
			if (virtq_notify_on(q, 1)) {
				virtq_notify_on(q, 0);
				continue;
			}
			break;
		}
		if (c->nin) {
			virtio_mmio_broken(&n->mmio, "transmit chain with a device-writable buffer");
			return 0;
		}
		if (c->out_len < TAP_VNET_HDR_LEN) {
			virtio_mmio_broken(&n->mmio, "transmit chain shorter than the header");
			return 0;
		}
		/* tun checks the header (gso type and sizes, checksum
		 * offsets) and refuses a bad one with EINVAL: dropped. */
		if (writev(n->tap_fd, c->iov, c->nout) < 0)
			virtio_mmio_rate_warn(&n->mmio, 1,
			    "unable to write a frame to the tap", ++n->tx_dropped);
		else
			n->tx_frames++;
		virtq_push(q, c->head, 0);
		frames++;
	}
	virtio_mmio_used(&n->mmio, VNET_TXQ);
	return more;
}

static void
notify(void *dev, unsigned qi)
{
	struct virtio_net *n = dev;

	if (qi == VNET_TXQ) {
		n->tx_more = tx(n);
		return;
	}
	if (n->rx_starved) {
		n->rx_starved = 0;
		tap_interest(n, 1);
	}
	rx(n);
}

static int
activate(void *dev)
{
	struct virtio_net *n = dev;
	unsigned fl = tap_offload_flags(n->mmio.acked);

	if (n->set_offload(n->tap_fd, fl) < 0) {
		err_warnsys("%s: unable to set tap offloads 0x%x", n->mmio.ops->name, fl);
		return -1;
	}
	n->offload = fl;
	n->rx_starved = 0;
	tap_interest(n, 1);
	return 0;
}

static void
reset(void *dev)
{
	struct virtio_net *n = dev;

	/* Frames in flight belong to the old driver; offloads to it too. */
	if (n->offload && n->set_offload(n->tap_fd, 0) == 0)
		n->offload = 0;
	n->rx_starved = 1;
	tap_interest(n, 0);
	n->tx_more = 0;
}

/* The I/O thread's hooks (virtio_io_start): the tap is readable; */
static void
io_event(void *dev, uint64_t data, uint32_t events)
{
	virtio_net_rx(dev);
}

/* lock held, after a round: transmit resumes where its batch stopped; */
static int
io_round(void *dev)
{
	struct virtio_net *n = dev;

	if (n->tx_more)
		n->tx_more = tx(n);
	return n->tx_more;
}

/* lock held: does queue q wait for a kick (for the sweep)? */
static int
io_waits(void *dev, unsigned q)
{
	struct virtio_net *n = dev;

	return q == VNET_TXQ ? !n->tx_more : n->rx_starved;
}

const struct virtio_dev_ops virtio_net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_NET_ID,
	.nqueues = 2,
	.features = NET_FEATURES,
	.config_len = CONFIG_LEN,
	.config_read = config_read,
	.activate = activate,
	.notify = notify,
	.reset = reset,
	.io_event = io_event,
	.io_round = io_round,
	.io_waits = io_waits,
};

int
virtio_net_init(struct virtio_net *n, const struct guest_mem *mem,
    int tap_fd, const uint8_t mac[6], uint64_t base, unsigned gsi)
{
	memset(n, 0, sizeof *n);
	n->tap_fd = tap_fd;
	n->set_offload = tap_set_offload;
	memcpy(n->mac, mac, 6);
	return virtio_mmio_init(&n->mmio, &virtio_net_ops, n, mem, base, gsi);
}

unsigned
virtio_net_rx(struct virtio_net *n)
{
	unsigned k;

	pthread_mutex_lock(&n->mmio.lock);
	k = rx(n);
	pthread_mutex_unlock(&n->mmio.lock);
	return k;
}

void
virtio_net_stop(void *arg)
{
	struct virtio_net *n = arg;

	virtio_io_stop(&n->mmio);
	if (n->verbose)
		err_info("virtio-net: tap %s: rx %llu frames (%llu dropped), tx %llu "
		    "(%llu dropped); %llu interrupts raised again; kicks missed: "
		    "rx %llu, tx %llu",
		    n->tap, (unsigned long long)n->rx_frames,
		    (unsigned long long)n->rx_dropped,
		    (unsigned long long)n->tx_frames,
		    (unsigned long long)n->tx_dropped,
		    (unsigned long long)n->mmio.reraised,
		    (unsigned long long)n->mmio.unkicked[VNET_RXQ],
		    (unsigned long long)n->mmio.unkicked[VNET_TXQ]);
	virtio_io_close(&n->mmio);
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	n->tap_fd = -1;
}

int
virtio_net_start(struct virtio_net *n)
{
	int e;

	if (virtio_io_open(&n->mmio) < 0)
		return -1;
	if (virtio_io_watch(&n->mmio, n->tap_fd, 0, EV_TAP) == 0 &&
	    virtio_io_start(&n->mmio) == 0)
		return 0;
	e = errno;
	virtio_io_close(&n->mmio);
	errno = e;
	return -1;
}

/* The start hook (vm_start). */
static int
start(void *arg)
{
	struct virtio_net *n = arg;

	if (virtio_net_start(n) < 0)
		return vm_fail("start the I/O thread for tap", n->tap);
	return 0;
}

int
virtio_net_add(struct vm *vm, const struct net_opts *o)
{
	struct virtio_net *n;
	char what[64];
	uint8_t mac[6];
	uint64_t base;
	unsigned gsi;
	int fd, e;

	if (o->have_mac) {
		memcpy(mac, o->mac, 6);
	} else {
		/* Locally administered unicast, random per run. */
		if (getrandom(mac, 6, 0) != 6)
			return vm_fail("get random bytes for the MAC of", o->tap);
		mac[0] = (mac[0] & 0xfe) | 0x02;
	}
	if ((fd = tap_open(o->tap)) < 0)
		return vm_fail("open tap", o->tap);
	if (!(n = malloc(sizeof *n))) {
		e = errno;
		close(fd);
		errno = e;
		return vm_fail("allocate the device for tap", o->tap);
	}
	if (vm_alloc_mmio(vm, &base, &gsi) < 0) {
		errno = ENOSPC;
		vm_fail("place the virtio-mmio window for tap", o->tap);
		goto fail_tap;
	}
	if (virtio_net_init(n, &vm->mem, fd, mac, base, gsi) < 0) {
		vm_fail("set up virtio-net for tap", o->tap);
		goto fail_tap;
	}
	n->tap = o->tap;
	n->verbose = vm->cfg.verbose;
	/* Level: the DSDT (virtio_mmio_init sets bus.irq_level) describes the
	 * virtio GSIs as level-triggered, active-high, so the irqfd resamples
	 * (virtio_mmio.h says why level).  The exit hook closes the tap. */
	snprintf(what, sizeof what, "virtio-net on tap %s", o->tap);
	if (vm_add_virtio(vm, &n->mmio, n, start, virtio_net_stop, what) < 0)
		return -1;
	if (vm->cfg.verbose)
		err_info("virtio-net: tap %s at 0x%llx irq %u mac "
		    "%02x:%02x:%02x:%02x:%02x:%02x", o->tap,
		    (unsigned long long)base, gsi,
		    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return 0;

fail_tap:
	close(fd);
	free(n);
	return -1;
}
