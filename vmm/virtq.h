/* vmm/virtq.h: the device side of a split virtqueue (virtio 1.x, 2.7).
 *
 * The driver (guest) owns the descriptor table and the available ring and
 * may rewrite them at any moment; the device owns the used ring.  So every
 * descriptor is copied out of guest memory once and only the copy is
 * checked and used, and every address and length the guest supplies goes
 * through gm_ptr before a byte behind it is touched.
 *
 * A guest that breaks the ring rules (a head or next index out of range, a
 * chain longer than the queue - which is how a loop shows -, a readable
 * buffer after a writable one, an indirect table that is empty, not a
 * multiple of 16 bytes, nested, or combined with NEXT, a buffer outside
 * guest RAM, the available index running ahead by more than the queue
 * size) gets VIRTQ_BROKEN back with q->why set; the transport then marks
 * the device DEVICE_NEEDS_RESET.  Nothing here ever trusts a guest value
 * for a host-side size.
 *
 * One queue is used by one thread at a time (the caller's lock). */
#ifndef VMM_VIRTQ_H
#define VMM_VIRTQ_H

#include <stdint.h>
#include <sys/uio.h>

#include "mem.h"

/* Largest queue this VMM offers (QueueNumMax); a power of two. */
#define VIRTQ_MAX_SIZE 256

/* Descriptor flags (2.7.5). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
/* avail->flags: the driver does not want interrupts (no EVENT_IDX). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
/* used->flags: the device does not want notifications (no EVENT_IDX). */
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Feature bits the ring itself implements. */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Guest memory layout (little-endian; x86 only, so no byte swapping). */
struct virtq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct virtq_used_elem { uint32_t id, len; };

struct virtq {
	/* Set by the transport from the driver's register writes. */
	uint16_t size;                /* QueueNum: power of two, <= VIRTQ_MAX_SIZE */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	int indirect;                 /* VIRTIO_F_RING_INDIRECT_DESC negotiated */
	int event_idx;                /* VIRTIO_F_RING_EVENT_IDX negotiated */

	/* Set by virtq_start from the above: host views of the three parts. */
	int ready;
	const struct guest_mem *mem;
	struct virtq_desc *desc;
	volatile uint16_t *avail;     /* flags, idx, ring[size], used_event */
	volatile uint16_t *used_hdr;  /* flags, idx */
	struct virtq_used_elem *used_ring;  /* ring[size], then avail_event */

	uint16_t last_avail;          /* next available entry the device takes */
	uint16_t used_idx;            /* device's copy of used->idx */
	uint16_t signalled;           /* used_idx at the last interrupt */
	const char *why;              /* what the guest got wrong */
};

/* One descriptor chain: the readable (out) buffers first, then the
 * writable (in) ones, as the spec requires them in that order. */
struct virtq_chain {
	uint16_t head;
	unsigned nout, nin;
	uint64_t out_len, in_len;
	struct iovec iov[VIRTQ_MAX_SIZE];   /* iov[0..nout) out, then nin in */
};

enum { VIRTQ_BROKEN = -1, VIRTQ_EMPTY = 0, VIRTQ_CHAIN = 1 };

/* Check and map the three areas (alignment 16/2/4, wholly in guest RAM,
 * size a power of two in 1..VIRTQ_MAX_SIZE) and start from index 0.
 * 0, or VIRTQ_BROKEN with q->why. */
int virtq_start(struct virtq *q, const struct guest_mem *mem);
/* Forget everything (device reset). */
void virtq_reset(struct virtq *q);

/* Take the next available chain into *c: VIRTQ_CHAIN, VIRTQ_EMPTY, or
 * VIRTQ_BROKEN with q->why (the queue must then not be used again until
 * reset). */
int virtq_pop(struct virtq *q, struct virtq_chain *c);
/* Give back the last n popped chains unused (e.g. no room for a packet). */
void virtq_unpop(struct virtq *q, uint16_t n);
/* Return a chain with len bytes written into its writable buffers. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* After pushes: should the driver be interrupted?  Honours EVENT_IDX's
 * used_event or else avail->flags NO_INTERRUPT; 1 or 0. */
int virtq_should_signal(struct virtq *q);
/* Ask for (1) or suppress (0) the driver's next notification.  After
 * enabling, re-check for work: returns 1 if chains are already waiting,
 * which the caller must process (the race the spec's 2.7.10 describes). */
int virtq_notify_on(struct virtq *q, int on);
/* Number of available chains not taken yet; VIRTQ_BROKEN if the driver's
 * index is impossible. */
int virtq_pending(struct virtq *q);

/* Copy len bytes of v to byte off of the buffers iov[0..cnt) (a chain's
 * writable part), or out of them into v (virtq_iov_get); a part beyond
 * the buffers is left out.  The bytes copied. */
size_t virtq_iov_put(const struct iovec *iov, unsigned cnt, size_t off,
    const void *v, size_t len);
size_t virtq_iov_get(const struct iovec *iov, unsigned cnt, size_t off,
    void *v, size_t len);
/* The buffers iov[0..cnt) from byte off on, at most max bytes, as a new
 * vector in out[0..return) (out has room for cnt). */
unsigned virtq_iov_tail(const struct iovec *iov, unsigned cnt, size_t off,
    size_t max, struct iovec *out);

/* The EVENT_IDX test of 2.7.7.2: did new_idx pass event since old? */
static inline int
virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif
