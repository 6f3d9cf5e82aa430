/* vmm/virtio_balloon.h: virtio-balloon (device id 5; virtio 1.2, 5.5)
 * for free page reporting only, carried by virtio-mmio (virtio_mmio.h).
 *
 * A booted guest has touched far more of its RAM than it uses: the
 * compressed kernel, its decompressed copy, the freed init sections, the
 * initramfs.  Only the guest knows which pages are free again.  With
 * VIRTIO_BALLOON_F_REPORTING the guest's page allocator hands runs of
 * free pages (Linux: 2 MiB and up, a few seconds after they were freed)
 * to the reporting queue, and the device gives them back to the host:
 * madvise(MADV_DONTNEED), so they read as zeros (or, restored from a
 * snapshot, as the snapshot's page) when the guest allocates them again,
 * which a reported page allows.
 *
 * The balloon itself is never inflated: num_pages stays 0, and what the
 * guest puts on the inflate and deflate queues is handed back untouched.
 * Only whole pages inside a reported buffer are dropped, so a guest that
 * reports a range it did not free loses only its own memory: gm_ptr
 * (virtq.h) keeps every buffer inside guest RAM. */
#ifndef VMM_VIRTIO_BALLOON_H
#define VMM_VIRTIO_BALLOON_H

#include <stdint.h>

#include "virtio_mmio.h"

#define VIRTIO_BALLOON_ID 5
#define VIRTIO_BALLOON_F_REPORTING 5
/* Queues without the optional statistics and hinting ones, numbered as
 * Linux and qemu number them: only the present queues count. */
enum { BALLOON_INFLATEQ, BALLOON_DEFLATEQ, BALLOON_REPORTQ, BALLOON_NQ };

struct virtio_balloon {
	struct virtio_mmio mmio;
	struct virtq_chain chain;
	uint32_t actual;                /* config: what the driver says it holds */
	uint64_t reports, bytes;        /* reported runs and whole pages dropped */
	uint64_t failed;                /* madvise failures (logged 1, 2, 4...) */
	int verbose;
};

extern const struct virtio_dev_ops virtio_balloon_ops;

/* Set up b (virtio_mmio_init and the I/O thread's epoll set).  0 or -1
 * errno. */
int virtio_balloon_init(struct virtio_balloon *b, const struct guest_mem *mem,
    uint64_t base, unsigned gsi);

struct vm;
/* vmrun --balloon: place the device, wire it to KVM, and register its
 * start, exit and snapshot hooks.  0, or -1 with a message printed. */
int virtio_balloon_add(struct vm *vm);

#endif
