/* mmio-driver.h: a virtio-mmio driver's register side for the device
 * unit tests, on top of vq-driver.h's rings: read and write a register,
 * and bring a device up as Linux's virtio_mmio does. */
#ifndef MMIO_DRIVER_H
#define MMIO_DRIVER_H

#include <stdint.h>

#include "virtio_mmio.h"
#include "vq-driver.h"

static inline uint32_t
md_rd(struct virtio_mmio *t, unsigned off)
{
	uint32_t v;

	virtio_mmio_read(&t->bus, off, &v, 4);
	return v;
}

static inline void
md_wr(struct virtio_mmio *t, unsigned off, uint32_t v)
{
	virtio_mmio_write(&t->bus, off, &v, 4);
}

/* The device's 64 feature bits. */
static inline uint64_t
md_features(struct virtio_mmio *t)
{
	uint64_t f;

	md_wr(t, VMMIO_DEV_FEATURES_SEL, 0);
	f = md_rd(t, VMMIO_DEV_FEATURES);
	md_wr(t, VMMIO_DEV_FEATURES_SEL, 1);
	return f | (uint64_t)md_rd(t, VMMIO_DEV_FEATURES) << 32;
}

/* Reset, ACKNOWLEDGE and DRIVER, ack feat, FEATURES_OK; then queue q on
 * the rings of d[q] (drv_init_at: size entries, queue q's three parts
 * 0x8000 * q above the default addresses), each made ready; DRIVER_OK. */
static inline void
md_start(struct virtio_mmio *t, uint64_t feat, struct drv **d, unsigned nq,
    uint16_t size)
{
	md_wr(t, VMMIO_STATUS, 0);
	md_wr(t, VMMIO_STATUS, 3);
	md_wr(t, VMMIO_DRV_FEATURES_SEL, 0);
	md_wr(t, VMMIO_DRV_FEATURES, feat);
	md_wr(t, VMMIO_DRV_FEATURES_SEL, 1);
	md_wr(t, VMMIO_DRV_FEATURES, feat >> 32);
	md_wr(t, VMMIO_STATUS, 11);
	for (unsigned q = 0; q < nq; q++) {
		uint64_t base = 0x8000 * q;

		drv_init_at(d[q], size, DRV_DESC + base, DRV_AVAIL + base,
		    DRV_USED + base);
		md_wr(t, VMMIO_QUEUE_SEL, q);
		md_wr(t, VMMIO_QUEUE_NUM, size);
		md_wr(t, VMMIO_QUEUE_DESC_LOW, d[q]->desc);
		md_wr(t, VMMIO_QUEUE_DRIVER_LOW, d[q]->avail);
		md_wr(t, VMMIO_QUEUE_DEVICE_LOW, d[q]->used);
		md_wr(t, VMMIO_QUEUE_READY, 1);
	}
	md_wr(t, VMMIO_STATUS, 15);
}

#endif
