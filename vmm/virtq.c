/* vmm/virtq.c: split virtqueue walking, see virtq.h.
 *
 * Ordering (2.7.13 and Linux's virtio_ring.c): the driver fills ring
 * entries and then publishes avail->idx, so the device reads idx with
 * acquire before the entries; the device fills used entries and publishes
 * used->idx with release; before deciding whether to interrupt (or after
 * asking for notifications again) a full fence separates our idx store
 * from our read of the driver's flags/event index, or both sides can go to
 * sleep waiting for each other. */
#include <string.h>

#include "virtq.h"

static int
broken(struct virtq *q, const char *why)
{
	q->why = why;
	q->ready = 0;
	return VIRTQ_BROKEN;
}

void
virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof *q);
}

int
virtq_start(struct virtq *q, const struct guest_mem *mem)
{
	uint64_t n = q->size;
	uint8_t *used;

	q->ready = 0;
	q->mem = mem;
	if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return broken(q, "queue size not a power of two up to 256");
	if (q->desc_gpa % 16 || q->avail_gpa % 2 || q->used_gpa % 4)
		return broken(q, "misaligned ring address");
	/* Sizes from 2.7: both rings carry their trailing event index. */
	q->desc = gm_ptr(mem, q->desc_gpa, 16 * n);
	q->avail = gm_ptr(mem, q->avail_gpa, 6 + 2 * n);
	used = gm_ptr(mem, q->used_gpa, 6 + 8 * n);
	if (!q->desc || !q->avail || !used)
		return broken(q, "ring outside guest RAM");
	q->used_hdr = (volatile uint16_t *)used;
	q->used_ring = (struct virtq_used_elem *)(used + 4);
	q->last_avail = q->used_idx = q->signalled = 0;
	q->why = NULL;
	q->ready = 1;
	return 0;
}

static uint16_t
avail_idx(const struct virtq *q)
{
	return __atomic_load_n(&q->avail[1], __ATOMIC_ACQUIRE);
}

int
virtq_pending(struct virtq *q)
{
	uint16_t n;

	if (!q->ready)
		return 0;
	n = avail_idx(q) - q->last_avail;
	if (n > q->size)
		return broken(q, "available index ran ahead of the queue");
	return n;
}

/* Copy one descriptor out of guest memory.  The compiler barrier keeps the
 * compiler from re-reading the guest's copy, which may change under us,
 * in place of the checked local one. */
static void
load_desc(struct virtq_desc *d, const void *p)
{
	memcpy(d, p, sizeof *d);
	__asm__ __volatile__("" ::: "memory");
}

int
virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	const uint8_t *tab;
	unsigned tsize, i, count = 0;
	int n, in_indirect = 0;
	struct virtq_desc d;
	void *p;

	if ((n = virtq_pending(q)) <= 0)
		return n;
	c->head = q->avail[2 + (q->last_avail & (q->size - 1))];
	if (c->head >= q->size)
		return broken(q, "head descriptor index out of range");
	c->nout = c->nin = 0;
	c->out_len = c->in_len = 0;
	tab = (const uint8_t *)q->desc;
	tsize = q->size;
	for (i = c->head;;) {
		if (i >= tsize)
			return broken(q, "next descriptor index out of range");
		load_desc(&d, tab + 16 * i);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect)
				return broken(q, "indirect descriptor not negotiated");
			if (in_indirect)
				return broken(q, "nested indirect descriptor");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return broken(q, "indirect descriptor with NEXT");
			if (d.len == 0 || d.len % 16)
				return broken(q, "indirect table length not a multiple of 16");
			if (!(tab = gm_ptr(q->mem, d.addr, d.len)))
				return broken(q, "indirect table outside guest RAM");
			tsize = d.len / 16;
			in_indirect = 1;
			i = 0;
			continue;
		}
		/* 2.7.5.3.1: no chain is longer than the queue, indirect
		 * entries included; a loop hits this bound. */
		if (++count > q->size)
			return broken(q, "descriptor chain longer than the queue");
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			c->in_len += d.len;
		} else {
			if (c->nin)
				return broken(q, "readable descriptor after a writable one");
			c->out_len += d.len;
		}
		if (d.len) {
			if (!(p = gm_ptr(q->mem, d.addr, d.len)))
				return broken(q, "buffer outside guest RAM");
			c->iov[c->nout + c->nin].iov_base = p;
			c->iov[c->nout + c->nin].iov_len = d.len;
			if (d.flags & VIRTQ_DESC_F_WRITE)
				c->nin++;
			else
				c->nout++;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
	}
	q->last_avail++;
	return VIRTQ_CHAIN;
}

void
virtq_unpop(struct virtq *q, uint16_t n)
{
	q->last_avail -= n;
}

void
virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	struct virtq_used_elem *e;

	if (!q->ready)
		return;
	e = &q->used_ring[q->used_idx & (q->size - 1)];
	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, len, __ATOMIC_RELAXED);
	q->used_idx++;
	__atomic_store_n(&q->used_hdr[1], q->used_idx, __ATOMIC_RELEASE);
}

static volatile uint16_t *
avail_event(struct virtq *q)
{
	return (volatile uint16_t *)&q->used_ring[q->size];
}

int
virtq_should_signal(struct virtq *q)
{
	uint16_t old = q->signalled, ev;

	if (!q->ready || q->used_idx == old)
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled = q->used_idx;
	if (q->event_idx) {
		ev = __atomic_load_n(&q->avail[2 + q->size], __ATOMIC_RELAXED);
		return virtq_need_event(ev, q->used_idx, old);
	}
	return !(__atomic_load_n(&q->avail[0], __ATOMIC_RELAXED) &
	    VIRTQ_AVAIL_F_NO_INTERRUPT);
}

int
virtq_notify_on(struct virtq *q, int on)
{
	if (!q->ready)
		return 0;
	/* With EVENT_IDX a stale avail_event already suppresses: the driver
	 * notifies only when its index passes it, so "off" writes nothing. */
	if (!q->event_idx)
		__atomic_store_n(&q->used_hdr[0], on ? 0 : VIRTQ_USED_F_NO_NOTIFY,
		    __ATOMIC_RELAXED);
	else if (on)
		__atomic_store_n(avail_event(q), q->last_avail, __ATOMIC_RELAXED);
	if (!on)
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_pending(q) != 0;
}

/* One walk for both ways: len bytes between p and the buffers from byte
 * off on, into them if put, out of them if not. */
static size_t
iov_copy(const struct iovec *iov, unsigned cnt, size_t off, uint8_t *p,
    size_t len, int put)
{
	uint8_t *b;
	size_t k, done = 0;

	for (; cnt && len; iov++, cnt--) {
		if (off >= iov->iov_len) {
			off -= iov->iov_len;
			continue;
		}
		k = iov->iov_len - off < len ? iov->iov_len - off : len;
		b = (uint8_t *)iov->iov_base + off;
		if (put)
			memcpy(b, p + done, k);
		else
			memcpy(p + done, b, k);
		done += k;
		len -= k;
		off = 0;
	}
	return done;
}

size_t
virtq_iov_put(const struct iovec *iov, unsigned cnt, size_t off, const void *v,
    size_t len)
{
	return iov_copy(iov, cnt, off, (uint8_t *)v, len, 1);
}

size_t
virtq_iov_get(const struct iovec *iov, unsigned cnt, size_t off, void *v,
    size_t len)
{
	return iov_copy(iov, cnt, off, v, len, 0);
}

unsigned
virtq_iov_tail(const struct iovec *iov, unsigned cnt, size_t off, size_t max,
    struct iovec *out)
{
	unsigned n = 0;
	size_t k;

	for (; cnt && max; iov++, cnt--) {
		if (off >= iov->iov_len) {
			off -= iov->iov_len;
			continue;
		}
		k = iov->iov_len - off < max ? iov->iov_len - off : max;
		out[n].iov_base = (uint8_t *)iov->iov_base + off;
		out[n++].iov_len = k;
		max -= k;
		off = 0;
	}
	return n;
}
