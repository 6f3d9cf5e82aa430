/* vmm/virtio_balloon.c: free page reporting (virtio_balloon.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "err.h"
#include "virtio_balloon.h"
#include "vm.h"

/* x86: the guest's pages and the host's are 4 KiB. */
#define PAGE 4096UL

/* Config space (5.5.4): num_pages, actual; the hinting and poison words
 * after them belong to features not offered. */
#define BALLOON_CONFIG_LEN 8

/* Drop the whole pages inside [p, p+len): the guest freed them. */
static void
drop(struct virtio_balloon *b, void *p, size_t len)
{
	uintptr_t s = ((uintptr_t)p + PAGE - 1) & ~(PAGE - 1);
	uintptr_t e = ((uintptr_t)p + len) & ~(PAGE - 1);

	if (e <= s)
		return;
	if (madvise((void *)s, e - s, MADV_DONTNEED) < 0) {
		virtio_mmio_rate_warn(&b->mmio, 1, "unable to drop reported "
		    "pages", ++b->failed);
		return;
	}
	b->bytes += e - s;
}

static void
notify(void *dev, unsigned qi)
{
	struct virtio_balloon *b = dev;
	struct virtq *q = &b->mmio.vq[qi];
	struct virtq_chain *c = &b->chain;
	unsigned i;
	int r;

	if (!q->ready)
		return;
	/* To the last chain, the next kick asked for. */
	while ((r = virtio_mmio_pop(&b->mmio, q, c)) == VIRTQ_CHAIN) {
		/* Reported runs are the chain's writable buffers (the
		 * driver's inbufs); inflate and deflate chains go back as
		 * they came: the balloon is never inflated. */
		if (qi == BALLOON_REPORTQ && c->nin) {
			for (i = c->nout; i < c->nout + c->nin; i++)
				drop(b, c->iov[i].iov_base, c->iov[i].iov_len);
			b->reports++;
		}
		virtq_push(q, c->head, 0);
	}
	if (r == VIRTQ_EMPTY)
		virtio_mmio_used(&b->mmio, qi);
}

static int
activate(void *dev)
{
	return 0;
}

static void
reset(void *dev)
{
	((struct virtio_balloon *)dev)->actual = 0;
}

static void
config_read(void *dev, unsigned off, void *data, unsigned size)
{
	struct virtio_balloon *b = dev;
	uint32_t cfg[2] = { 0, b->actual };     /* num_pages 0: never inflate */

	memcpy(data, (char *)cfg + off, size);
}

static void
config_write(void *dev, unsigned off, const void *data, unsigned size)
{
	struct virtio_balloon *b = dev;

	/* Only actual is the driver's to write. */
	if (off == 4 && size == 4)
		memcpy(&b->actual, data, 4);
}

const struct virtio_dev_ops virtio_balloon_ops = {
	.name = "virtio-balloon",
	.device_id = VIRTIO_BALLOON_ID,
	.nqueues = BALLOON_NQ,
	.features = 1ULL << VIRTIO_BALLOON_F_REPORTING,
	.config_len = BALLOON_CONFIG_LEN,
	.config_read = config_read,
	.config_write = config_write,
	.activate = activate,
	.notify = notify,
	.reset = reset,
	/* No fds of its own, and every queue is served at its kick: none
	 * of the I/O thread's hooks. */
};

int
virtio_balloon_init(struct virtio_balloon *b, const struct guest_mem *mem,
    uint64_t base, unsigned gsi)
{
	int e;

	memset(b, 0, sizeof *b);
	if (virtio_mmio_init(&b->mmio, &virtio_balloon_ops, b, mem, base,
	    gsi) < 0)
		return -1;
	if (virtio_io_open(&b->mmio) < 0) {
		e = errno;
		virtio_mmio_destroy(&b->mmio);
		errno = e;
		return -1;
	}
	return 0;
}

static void
stop(void *arg)
{
	struct virtio_balloon *b = arg;

	virtio_io_stop(&b->mmio);
	if (b->verbose)
		err_info("virtio-balloon: %llu reports, %llu MiB given back to "
		    "the host", (unsigned long long)b->reports,
		    (unsigned long long)(b->bytes >> 20));
	virtio_io_close(&b->mmio);
}

static int
start(void *arg)
{
	struct virtio_balloon *b = arg;

	if (virtio_io_start(&b->mmio) < 0)
		return vm_fail("start the I/O thread for", "virtio-balloon");
	return 0;
}

/* Snapshots: the transport's state and actual; reported pages are zeros
 * in the saved memory. */
struct balloon_state {
	struct virtio_mmio_state t;
	uint32_t actual, pad;
};

static void
state_save(void *arg, void *buf)
{
	struct virtio_balloon *b = arg;
	struct balloon_state *s = buf;

	virtio_mmio_save(&b->mmio, &s->t);
	s->actual = b->actual;
}

static int
state_load(void *arg, const void *buf, const char **why)
{
	struct virtio_balloon *b = arg;
	struct balloon_state s;

	memcpy(&s, buf, sizeof s);
	if (virtio_mmio_load(&b->mmio, &s.t, why) < 0)
		return -1;
	b->actual = s.actual;
	return 0;
}

int
virtio_balloon_add(struct vm *vm)
{
	struct virtio_balloon *b;
	uint64_t base;
	unsigned gsi;

	if (!(b = malloc(sizeof *b)))
		return vm_fail("allocate", "virtio-balloon");
	if (vm_alloc_mmio(vm, &base, &gsi) < 0) {
		errno = ENOSPC;
		free(b);
		return vm_fail("place the virtio-mmio window for",
		    "virtio-balloon");
	}
	if (virtio_balloon_init(b, &vm->mem, base, gsi) < 0) {
		free(b);
		return vm_fail("set up", "virtio-balloon");
	}
	b->verbose = vm->cfg.verbose;
	if (vm_add_virtio(vm, &b->mmio, b, start, stop, "virtio-balloon") < 0)
		return -1;
	if (snap_register(vm, "balloon", sizeof(struct balloon_state),
	    state_save, state_load, b) < 0)
		return vm_fail("register the snapshot state of", "virtio-balloon");
	if (vm->cfg.verbose)
		err_info("virtio-balloon: free page reporting at 0x%llx irq %u",
		    (unsigned long long)base, gsi);
	return 0;
}
