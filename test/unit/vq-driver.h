/* vq-driver.h: the driver side of a split virtqueue, for unit tests and
 * the virtqueue fuzzer: guest RAM is a malloc'd block, the rings sit at
 * fixed guest addresses, buffers are handed out from DRV_DATA up. */
#ifndef VQ_DRIVER_H
#define VQ_DRIVER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "virtq.h"

#define DRV_RAM (1u << 20)
#define DRV_DESC 0x1000u
#define DRV_AVAIL 0x3000u
#define DRV_USED 0x4000u
#define DRV_DATA 0x10000u

struct drv {
	struct guest_mem m;
	uint64_t desc, avail, used;   /* guest addresses of the three parts */
	uint16_t size, avail_idx, last_used;
	uint64_t data;                /* next free data address */
};

static inline void
drv_init_at(struct drv *d, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	if (!d->m.host) {
		d->m.host = aligned_alloc(4096, DRV_RAM);
		d->m.size = DRV_RAM;
	}
	memset(d->m.host, 0, DRV_RAM);
	d->size = size;
	d->desc = desc;
	d->avail = avail;
	d->used = used;
	d->avail_idx = d->last_used = 0;
	d->data = DRV_DATA;
}

static inline void
drv_init(struct drv *d, uint16_t size)
{
	drv_init_at(d, size, DRV_DESC, DRV_AVAIL, DRV_USED);
}

static inline void *
drv_host(struct drv *d, uint64_t gpa)
{
	return d->m.host + gpa;
}

/* Point q at the driver's rings, as the transport would. */
static inline void
drv_queue(struct drv *d, struct virtq *q)
{
	virtq_reset(q);
	q->size = d->size;
	q->desc_gpa = d->desc;
	q->avail_gpa = d->avail;
	q->used_gpa = d->used;
}

/* Descriptor i of the table at gpa tab. */
static inline void
drv_desc_at(struct drv *d, uint64_t tab, unsigned i, uint64_t addr, uint32_t len,
    uint16_t flags, uint16_t next)
{
	struct virtq_desc x = { addr, len, flags, next };

	memcpy(drv_host(d, tab + 16 * i), &x, 16);
}

static inline void
drv_desc(struct drv *d, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
    uint16_t next)
{
	drv_desc_at(d, d->desc, i, addr, len, flags, next);
}

/* A data buffer of len bytes (16-aligned), filled with fill. */
static inline uint64_t
drv_buf(struct drv *d, uint32_t len, int fill)
{
	uint64_t a = d->data;

	memset(drv_host(d, a), fill, len);
	d->data = (a + len + 15) & ~15ULL;
	if (d->data >= DRV_RAM - 65536)
		d->data = DRV_DATA;
	return a;
}

static inline uint16_t *
drv_avail(struct drv *d)
{
	return drv_host(d, d->avail);
}

static inline uint16_t *
drv_used16(struct drv *d)
{
	return drv_host(d, d->used);
}

static inline struct virtq_used_elem *
drv_used_elem(struct drv *d, uint16_t idx)
{
	return (struct virtq_used_elem *)drv_host(d, d->used + 4 + 8 * (idx % d->size));
}

/* Make head available and publish the new index. */
static inline void
drv_post(struct drv *d, uint16_t head)
{
	uint16_t *a = drv_avail(d);

	a[2 + d->avail_idx % d->size] = head;
	a[1] = ++d->avail_idx;
}

/* used_event (EVENT_IDX): interrupt me when used->idx passes v. */
static inline void
drv_used_event(struct drv *d, uint16_t v)
{
	drv_avail(d)[2 + d->size] = v;
}

static inline uint16_t
drv_avail_event(struct drv *d)
{
	return *(uint16_t *)drv_host(d, d->used + 4 + 8 * d->size);
}

#endif
