/* vmm/virtio_net.h: virtio-net (device id 1), one rx/tx queue pair,
 * backed by a tap (tap.h) and carried by virtio-mmio (virtio_mmio.h).
 *
 * Features offered: MAC, STATUS, CSUM, GUEST_CSUM, HOST_TSO4/6,
 * GUEST_TSO4/6 (and from the transport VERSION_1, INDIRECT_DESC,
 * EVENT_IDX).  Not MRG_RXBUF: without it every frame lands in one receive
 * chain, so a frame is read from the tap straight into the guest's
 * buffers with one readv and no copy; the Linux driver then posts 64 KiB
 * "big packet" chains, which indirect descriptors keep to one ring slot
 * each.  num_buffers is always 1.
 *
 * What the guest can take (GUEST_*) is set on the tap with TUNSETOFFLOAD
 * when the driver sets DRIVER_OK, and cleared on reset; what it sends
 * (HOST_*, CSUM) the tap always accepts.
 *
 * One I/O thread per device waits in epoll on the tap, the two queues'
 * ioeventfds, the irqfd's resample fd and a stop eventfd; the vm_at_exit
 * hook stops it, joins it and closes every fd. */
#ifndef VMM_VIRTIO_NET_H
#define VMM_VIRTIO_NET_H

#include <stdint.h>
#include <pthread.h>

#include "virtio_mmio.h"

#define VIRTIO_NET_ID 1
enum { VNET_RXQ = 0, VNET_TXQ = 1 };

struct vm;

struct net_opts { const char *tap; uint8_t mac[6]; int have_mac; };

/* Create the tap-backed device, register it on vm->mmio with acpi_hid
 * "LNRO0005", hook its exit.  0, or -1 with a message already printed in
 * husk's error shape ("unable to open tap NAME: reason"). */
int virtio_net_add(struct vm *vm, const struct net_opts *o);

struct virtio_net {
	struct virtio_mmio mmio;      /* first: the transport's dev is us */
	int tap_fd;                   /* a tap, or in tests any packet fd */
	uint8_t mac[6];
	unsigned offload;             /* TUNSETOFFLOAD flags in force */
	/* tap_set_offload; a test backend that is not a tap replaces it. */
	int (*set_offload)(int fd, unsigned flags);
	int rx_starved;               /* tap frames wait for rx buffers */
	int tx_more;                  /* tx stopped at its batch bound */
	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped;
	const char *tap;              /* its name, for vmrun -v */
	int verbose;                  /* counters at exit (vmrun -v) */

	struct virtq_chain chain;     /* scratch, used under the lock */
};

/* The device without KVM or thread (unit tests; virtio_net_add builds on
 * it): tap_fd is any fd carrying one frame (with its 12-byte header) per
 * read and write.  0 or -1 errno. */
int virtio_net_init(struct virtio_net *n, const struct guest_mem *mem,
    int tap_fd, const uint8_t mac[6], uint64_t base, unsigned gsi);
/* Start the I/O thread: epoll on the stop eventfd, the tap (watched from
 * DRIVER_OK), and the transport's kick and resample fds where it has them.
 * 0, or -1 errno with nothing left open. */
int virtio_net_start(struct virtio_net *n);
/* The vm_at_exit hook: stops the transport (register accesses become
 * no-ops), stops and joins the thread, closes the eventfds and the tap.
 * Afterwards no thread and no fd of this device remain. */
void virtio_net_stop(void *n);
/* tap_fd is readable: move frames into receive buffers (takes the lock).
 * The number of frames delivered. */
unsigned virtio_net_rx(struct virtio_net *n);
/* The transport's features as the device offers them. */
extern const struct virtio_dev_ops virtio_net_ops;

#endif
