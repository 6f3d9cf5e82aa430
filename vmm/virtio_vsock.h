/* vmm/virtio_vsock.h: virtio-vsock (device id 19; virtio 1.2, 5.10),
 * stream sockets between the guest and host processes, carried by
 * virtio-mmio (virtio_mmio.h) with three queues: rx, tx and event.
 *
 * The host side is Unix stream sockets, as Firecracker's vsock does it:
 *   - a guest connection to host port P (the host's CID is 2) reaches
 *     the Unix socket PATH_P ("PATH_" then P in decimal), which a host
 *     process listens on: vmrun connects to it when the guest's REQUEST
 *     arrives, and answers RESPONSE, or RST if nothing accepts;
 *   - a host process connects to PATH (vmrun listens there) and writes
 *     "CONNECT P\n": vmrun sends a REQUEST to the guest's port P from a
 *     fresh host port H and, once the guest answers RESPONSE, writes
 *     "OK H\n" back; every byte after that is the stream.  If the guest
 *     refuses (RST), the host process reads end of file instead.
 *
 * Flow control (5.10.6.3), both ways:
 *   - guest to host: every packet to the guest tells it buf_alloc =
 *     VSOCK_CONN_BUF and fwd_cnt = the bytes written to the Unix socket.
 *     What the socket does not take at once waits in the connection's
 *     own buffer, which the credit bounds: the guest may have at most
 *     buf_alloc bytes not yet forwarded.  A packet that would exceed it
 *     is the guest ignoring its credit: the connection is reset, and the
 *     buffer never grows past VSOCK_CONN_BUF.  A CREDIT_UPDATE goes out
 *     once half a buffer has been forwarded unannounced, or on a
 *     CREDIT_REQUEST;
 *   - host to guest: vmrun reads from the Unix socket only as much as
 *     the guest's last buf_alloc and fwd_cnt allow, straight into the
 *     guest's receive buffers: nothing is buffered on this side.
 * So vmrun holds at most VSOCK_MAX_CONNS connections of at most
 * VSOCK_CONN_BUF bytes each, whatever the guest does.
 *
 * Every guest value is checked (vsock_pkt_check): a transmit chain with
 * a writable buffer breaks the device (DEVICE_NEEDS_RESET, as for every
 * ring rule); a packet shorter than its header, or not from the guest's
 * own CID, is dropped; one to another CID than the host, of another type
 * than stream, with an unknown op, a length beyond its buffers or
 * VSOCK_MAX_PKT, or a length on a packet that carries none, is answered
 * with RST (and its connection, if any, closed).
 *
 * Shutdown: end of file from the host process is SHUTDOWN(SEND) to the
 * guest; the guest's SHUTDOWN(SEND) is shutdown(SHUT_WR) on the socket
 * once its buffered bytes are written; when both directions are done
 * (or the guest shut both), vmrun sends RST and closes the socket.  RST
 * from either side closes at once.  A device reset closes every socket.
 *
 * One I/O thread per device waits in epoll on a stop eventfd, the three
 * queues' kicks, the resample fd, the listening socket and every
 * connection's socket; the vm_at_exit hook stops it, joins it, closes
 * every fd.  PATH stays (the filter forbids unlinking it then): the next
 * vmrun on it replaces a stale socket, or the supervisor removes it. */
#ifndef VMM_VIRTIO_VSOCK_H
#define VMM_VIRTIO_VSOCK_H

#include <stdint.h>
#include <pthread.h>
#include <linux/virtio_vsock.h>

#include "virtio_mmio.h"

#define VIRTIO_VSOCK_ID 19
enum { VSOCK_RXQ = 0, VSOCK_TXQ = 1, VSOCK_EVQ = 2 };

#define VSOCK_HOST_CID 2
#define VSOCK_HDR_LEN 44              /* sizeof(struct virtio_vsock_hdr) */
#define VSOCK_MAX_PKT 65536           /* payload of one packet, either way */
#define VSOCK_CONN_BUF (128 * 1024)   /* our buf_alloc: the host-bound bound */
#define VSOCK_MAX_CONNS 256
#define VSOCK_RST_RING 512            /* RSTs waiting for receive buffers */
#define VSOCK_LINE_MAX 32             /* "CONNECT 4294967295\n" fits */
/* Host ports vmrun picks for host-initiated connections start here. */
#define VSOCK_HOST_PORT_BASE 0x40000000u
/* PATH's bound (lib/unixsock reaches a long one through its directory);
 * guest connections go to PATH_P only where it fits sun_path. */
#define VSOCK_PATH_MAX 1024
#define VSOCK_SUN_PATH 108

struct vm;

struct vsock_opts {
	uint64_t cid;
	const char *uds;
	int listen_fd;      /* set by virtio_vsock_add: for the seccomp filter */
};

/* Create the device: listen on o->uds (unixsock_listen: mode 0600, a
 * stale socket replaced, a live one or another file refused), register
 * on vm->mmio with acpi_hid "LNRO0005", hook its exit.  0, or -1 with a
 * message printed ("unable to listen on PATH: reason"). */
int virtio_vsock_add(struct vm *vm, struct vsock_opts *o);

/* What vsock_pkt_check makes of a transmit chain. */
enum {
	VSOCK_PKT_OK = 0,
	VSOCK_PKT_BROKEN,   /* a ring rule broken: the device needs a reset */
	VSOCK_PKT_DROP,     /* not answerable: dropped */
	VSOCK_PKT_RST,      /* refused with RST (none to an RST) */
};
/* Check one transmit chain from a guest of CID cid: the header is copied
 * out of guest memory into *h once, and only the copy is looked at.
 * VSOCK_PKT_OK with h->len payload bytes after the header, or another
 * VSOCK_PKT_* with *why saying what was wrong. */
int vsock_pkt_check(const struct virtq_chain *c, uint64_t cid,
    struct virtio_vsock_hdr *h, const char **why);

struct vsock_conn;

struct virtio_vsock {
	struct virtio_mmio mmio;      /* first: the transport's dev is us */
	uint64_t cid;                 /* the guest's */
	int listen_fd;                /* PATH, -1 when absent */
	char path[VSOCK_PATH_MAX];    /* PATH; PATH_P for guest connections */

	struct vsock_conn *conns[VSOCK_MAX_CONNS];
	unsigned nconns, rr;          /* in use; where rx's scan resumes */
	uint32_t next_port;           /* next host port for CONNECT */
	struct { uint32_t src, dst; } rst[VSOCK_RST_RING];
	unsigned rst_head, rst_len;   /* RSTs to send: host port, guest port */

	int rx_starved;               /* work waits for receive buffers */
	int tx_more;                  /* tx stopped at its batch bound */
	uint32_t gen;                 /* last connection generation */
	/* counters (vmrun -v, tests) */
	uint64_t to_guest, from_guest, dropped, resets, overruns, refused;
	int verbose;

	struct virtq_chain chain;     /* scratch, used under the lock */
	struct iovec tail[VIRTQ_MAX_SIZE];
};

/* The device without KVM or thread (unit tests; virtio_vsock_add builds
 * on it): listen_fd (or -1) is a listening Unix socket, path the PATH
 * the guest's connections go to.  Creates the epoll fd the I/O thread
 * and virtio_vsock_poll wait in.  0 or -1 errno. */
int virtio_vsock_init(struct virtio_vsock *v, const struct guest_mem *mem,
    uint64_t cid, int listen_fd, const char *path, uint64_t base, unsigned gsi);
/* Wait up to ms milliseconds for one round of host-side events (new
 * connections, readable or writable sockets, kicks) and handle them.
 * The I/O thread is a loop of this; tests call it directly.  1 to go on,
 * 0 when the stop eventfd fired, -1 errno. */
int virtio_vsock_poll(struct virtio_vsock *v, int ms);
/* Start the I/O thread.  0, or -1 errno. */
int virtio_vsock_start(struct virtio_vsock *v);
/* The vm_at_exit hook: stops the transport, stops and joins the thread,
 * closes every connection, the listening socket and the
 * eventfds. */
void virtio_vsock_stop(void *v);
/* Connections open now (tests). */
unsigned virtio_vsock_conns(struct virtio_vsock *v);
extern const struct virtio_dev_ops virtio_vsock_ops;

#endif
