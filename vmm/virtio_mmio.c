/* vmm/virtio_mmio.c: the virtio-mmio transport, see virtio_mmio.h. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <linux/kvm.h>

#include "clock.h"
#include "err.h"
#include "ioctl.h"
#include "virtio_mmio.h"

/* Features the transport and virtq.c implement for every device. */
#define TRANSPORT_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | \
	(1ULL << VIRTIO_F_RING_INDIRECT_DESC) | (1ULL << VIRTIO_F_RING_EVENT_IDX))

/* A guest that breaks its queues and resets in a loop must not flood the
 * log: this many warnings per process, the last saying the rest are
 * suppressed. */
#define MAX_WARNINGS 10

int
virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_ops *ops,
    void *dev, const struct guest_mem *mem, uint64_t base, unsigned gsi)
{
	unsigned i;
	int e;

	if (ops->nqueues > VIRTIO_MMIO_MAX_QUEUES ||
	    ops->config_len > VIRTIO_MMIO_WINDOW - VMMIO_CONFIG) {
		errno = EINVAL;
		return -1;
	}
	memset(t, 0, sizeof *t);
	if ((e = pthread_mutex_init(&t->lock, NULL))) {
		errno = e;
		return -1;
	}
	t->ops = ops;
	t->dev = dev;
	t->mem = mem;
	t->offered = ops->features | TRANSPORT_FEATURES;
	t->bus.name = ops->name;
	t->bus.base = base;
	t->bus.len = VIRTIO_MMIO_WINDOW;
	t->bus.read = virtio_mmio_read;
	t->bus.write = virtio_mmio_write;
	t->bus.acpi_hid = "LNRO0005";
	t->bus.irq = gsi;
	t->bus.irq_level = 1;
	t->bus.priv = t;
	t->gsi = gsi;
	t->vm_fd = t->irq_fd = t->resample_fd = t->epfd = t->stop_fd = -1;
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		t->kick_fd[i] = -1;
	return 0;
}

void
virtio_mmio_destroy(struct virtio_mmio *t)
{
	virtio_mmio_kvm_close(t);
	pthread_mutex_destroy(&t->lock);
}

static void
raise_irq(struct virtio_mmio *t, uint32_t bit)
{
	__atomic_fetch_or(&t->isr, bit, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&t->raises, 1, __ATOMIC_SEQ_CST);
	if (t->raise)
		t->raise(t->raise_arg);
}

int
virtio_mmio_live(const struct virtio_mmio *t)
{
	return !t->stopped && (t->status & VIRTIO_S_DRIVER_OK) &&
	    !(t->status & (VIRTIO_S_NEEDS_RESET | VIRTIO_S_FAILED));
}

int
virtio_mmio_used(struct virtio_mmio *t, unsigned q)
{
	if (!virtio_mmio_live(t) || !virtq_should_signal(&t->vq[q]))
		return 0;
	raise_irq(t, VIRTIO_INT_USED);
	return 1;
}

int
virtio_mmio_watchdog(struct virtio_mmio *t)
{
	uint64_t raises = __atomic_load_n(&t->raises, __ATOMIC_SEQ_CST);
	uint32_t isr = __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST);
	int lost;

	/* An ack clears bits and only raise_irq sets them: set at both looks
	 * with no raise between means never acked. */
	lost = isr && t->seen_isr && raises == t->seen_raises &&
	    !t->stopped && (t->status & VIRTIO_S_DRIVER_OK);
	t->seen_isr = isr;
	t->seen_raises = raises;
	if (!lost || !t->raise)
		return 0;
	t->reraised++;
	t->raise(t->raise_arg);
	return 1;
}

int
virtio_mmio_unkicked(struct virtq *q, uint16_t *seen, int look)
{
	int stuck = look && q->ready && virtq_pending(q) > 0 && q->last_avail == *seen;

	*seen = q->last_avail;
	return stuck;
}

void
virtio_mmio_config_changed(struct virtio_mmio *t)
{
	t->config_generation++;
	if (t->status & VIRTIO_S_DRIVER_OK)
		raise_irq(t, VIRTIO_INT_CONFIG);
}

static unsigned nwarn;

static void __attribute__((format(printf, 2, 3)))
warn(struct virtio_mmio *t, const char *fmt, ...)
{
	char msg[200];
	unsigned n;
	va_list ap;

	if ((n = __atomic_fetch_add(&nwarn, 1, __ATOMIC_RELAXED)) >= MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_warn("%s at 0x%llx: %s%s", t->ops->name,
	    (unsigned long long)t->bus.base, msg,
	    n + 1 == MAX_WARNINGS ? " (further warnings suppressed)" : "");
}

static void
needs_reset(struct virtio_mmio *t, const char *who, const char *why)
{
	unsigned i;

	if (t->status & VIRTIO_S_NEEDS_RESET)
		return;
	warn(t, "%s: %s; device needs reset", who, why);
	for (i = 0; i < t->ops->nqueues; i++)
		t->vq[i].ready = 0;
	t->status |= VIRTIO_S_NEEDS_RESET;
	if (t->status & VIRTIO_S_DRIVER_OK)
		raise_irq(t, VIRTIO_INT_CONFIG);
}

void
virtio_mmio_rate_warn(struct virtio_mmio *t, int sys, const char *what,
    uint64_t count)
{
	char e[80] = "";

	/* 1, 2, 4, 8...: a guest can make this happen for every packet. */
	if (count & (count - 1))
		return;
	if (sys)
		snprintf(e, sizeof e, ": %s", strerror(errno));
	err_warn("%s at 0x%llx: %s%s (%llu so far)", t->ops->name,
	    (unsigned long long)t->bus.base, what, e, (unsigned long long)count);
}

void
virtio_mmio_broken(struct virtio_mmio *t, const char *why)
{
	needs_reset(t, "guest broke the device", why);
}

static void
reset(struct virtio_mmio *t)
{
	unsigned i;

	if (t->status & VIRTIO_S_DRIVER_OK)
		t->ops->reset(t->dev);
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		virtq_reset(&t->vq[i]);
	t->status = 0;
	t->dev_feat_sel = t->drv_feat_sel = t->queue_sel = 0;
	t->acked = 0;
	__atomic_store_n(&t->isr, 0, __ATOMIC_SEQ_CST);
}

/* The currently selected queue, or NULL past the device's queues. */
static struct virtq *
selq(struct virtio_mmio *t)
{
	return t->queue_sel < t->ops->nqueues ? &t->vq[t->queue_sel] : NULL;
}

static uint32_t
reg_read(struct virtio_mmio *t, unsigned off)
{
	struct virtq *q = selq(t);

	switch (off) {
	case VMMIO_MAGIC: return VIRTIO_MMIO_MAGIC;
	case VMMIO_VERSION: return 2;
	case VMMIO_DEVICE_ID: return t->ops->device_id;
	case VMMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case VMMIO_DEV_FEATURES:
		return t->dev_feat_sel < 2 ? t->offered >> (32 * t->dev_feat_sel) : 0;
	case VMMIO_QUEUE_NUM_MAX: return q ? VIRTQ_MAX_SIZE : 0;
	case VMMIO_QUEUE_READY: return q ? q->ready : 0;
	case VMMIO_INTERRUPT_STATUS: return __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST);
	case VMMIO_STATUS: return t->status;
	case VMMIO_SHM_LEN_LOW: case VMMIO_SHM_LEN_HIGH:
		return 0xffffffff;      /* no shared memory region */
	case VMMIO_CONFIG_GENERATION: return t->config_generation;
	/* 4.2.2.1: the queue's number and addresses read back too. */
	case VMMIO_QUEUE_NUM: return q ? q->size : 0;
	case VMMIO_QUEUE_DESC_LOW: return q ? q->desc_gpa : 0;
	case VMMIO_QUEUE_DESC_HIGH: return q ? q->desc_gpa >> 32 : 0;
	case VMMIO_QUEUE_DRIVER_LOW: return q ? q->avail_gpa : 0;
	case VMMIO_QUEUE_DRIVER_HIGH: return q ? q->avail_gpa >> 32 : 0;
	case VMMIO_QUEUE_DEVICE_LOW: return q ? q->used_gpa : 0;
	case VMMIO_QUEUE_DEVICE_HIGH: return q ? q->used_gpa >> 32 : 0;
	default: return 0;
	}
}

static void
set_lo(uint64_t *v, uint32_t x) { *v = (*v & ~0xffffffffULL) | x; }
static void
set_hi(uint64_t *v, uint32_t x) { *v = (*v & 0xffffffffULL) | (uint64_t)x << 32; }

/* A status write: 0 resets; otherwise the driver only adds bits (3.1.1),
 * FEATURES_OK sticks only for an acceptable feature set, DRIVER_OK starts
 * the device. */
static void
status_write(struct virtio_mmio *t, uint32_t v)
{
	uint32_t add;

	if (v == 0) {
		reset(t);
		return;
	}
	v &= 0xff & ~VIRTIO_S_NEEDS_RESET;   /* the device's bit, not the driver's */
	add = v & ~t->status;
	if (t->status & ~VIRTIO_S_NEEDS_RESET & ~v) {
		warn(t, "driver cleared status bits (0x%x to 0x%x); ignored",
		    t->status, v);
		return;
	}
	if (add & VIRTIO_S_FEATURES_OK) {
		/* 2.2.1/6.1: only features offered, and a modern driver. */
		if ((t->acked & ~t->offered) ||
		    !(t->acked & (1ULL << VIRTIO_F_VERSION_1)))
			v &= ~VIRTIO_S_FEATURES_OK;
	}
	if ((add & VIRTIO_S_DRIVER_OK) && !(v & VIRTIO_S_FEATURES_OK)) {
		t->status |= v & ~VIRTIO_S_DRIVER_OK;
		virtio_mmio_broken(t, "DRIVER_OK without FEATURES_OK");
		return;
	}
	t->status = (t->status & VIRTIO_S_NEEDS_RESET) | v;
	if ((add & VIRTIO_S_DRIVER_OK) && !(t->status & VIRTIO_S_NEEDS_RESET)) {
		if (t->ops->activate(t->dev) < 0)
			needs_reset(t, "device failed", "could not start");
	}
}

static void
queue_ready(struct virtio_mmio *t, struct virtq *q, uint32_t v)
{
	if (!v) {
		q->ready = 0;
		return;
	}
	if (q->ready)
		return;
	q->indirect = !!(t->acked & (1ULL << VIRTIO_F_RING_INDIRECT_DESC));
	q->event_idx = !!(t->acked & (1ULL << VIRTIO_F_RING_EVENT_IDX));
	if (virtq_start(q, t->mem) < 0)
		virtio_mmio_broken(t, q->why);
}

static void
reg_write(struct virtio_mmio *t, unsigned off, uint32_t v)
{
	struct virtq *q = selq(t);
	/* Queue layout is fixed while the queue runs (4.2.2.3). */
	int layout = q && !q->ready &&
	    !(t->status & VIRTIO_S_NEEDS_RESET);

	switch (off) {
	case VMMIO_DEV_FEATURES_SEL: t->dev_feat_sel = v; break;
	case VMMIO_DRV_FEATURES_SEL: t->drv_feat_sel = v; break;
	case VMMIO_DRV_FEATURES:
		/* Features are fixed once FEATURES_OK is set. */
		if (t->status & VIRTIO_S_FEATURES_OK || t->drv_feat_sel > 1)
			break;
		if (t->drv_feat_sel == 0)
			set_lo(&t->acked, v);
		else
			set_hi(&t->acked, v);
		break;
	case VMMIO_QUEUE_SEL: t->queue_sel = v; break;
	case VMMIO_QUEUE_NUM: if (layout) q->size = v > 0xffff ? 0 : v; break;
	case VMMIO_QUEUE_READY:
		if (q && (t->status & VIRTIO_S_FEATURES_OK) &&
		    !(t->status & VIRTIO_S_NEEDS_RESET))
			queue_ready(t, q, v);
		break;
	case VMMIO_QUEUE_NOTIFY:
		/* Without an ioeventfd the write lands here. */
		if (v < t->ops->nqueues && virtio_mmio_live(t))
			t->ops->notify(t->dev, v);
		break;
	case VMMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&t->isr, ~v, __ATOMIC_SEQ_CST);
		break;
	case VMMIO_STATUS: status_write(t, v); break;
	case VMMIO_QUEUE_DESC_LOW: if (layout) set_lo(&q->desc_gpa, v); break;
	case VMMIO_QUEUE_DESC_HIGH: if (layout) set_hi(&q->desc_gpa, v); break;
	case VMMIO_QUEUE_DRIVER_LOW: if (layout) set_lo(&q->avail_gpa, v); break;
	case VMMIO_QUEUE_DRIVER_HIGH: if (layout) set_hi(&q->avail_gpa, v); break;
	case VMMIO_QUEUE_DEVICE_LOW: if (layout) set_lo(&q->used_gpa, v); break;
	case VMMIO_QUEUE_DEVICE_HIGH: if (layout) set_hi(&q->used_gpa, v); break;
	default: break;   /* read-only or unknown: ignored */
	}
}

void
virtio_mmio_read(struct bus_dev *d, uint64_t off, void *data, unsigned size)
{
	struct virtio_mmio *t = d->priv;
	uint32_t v;

	memset(data, 0, size);
	if (off == VMMIO_INTERRUPT_STATUS && size == 4) {
		/* The hot path of every interrupt: no lock (see the header). */
		v = __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST);
		memcpy(data, &v, 4);
		return;
	}
	pthread_mutex_lock(&t->lock);
	if (t->stopped) {
		/* nothing */
	} else if (off >= VMMIO_CONFIG) {
		off -= VMMIO_CONFIG;
		if (off + size <= t->ops->config_len)
			t->ops->config_read(t->dev, off, data, size);
	} else if (size == 4 && off % 4 == 0) {
		/* 4.2.2.2: registers are read 32 bits wide and aligned. */
		v = reg_read(t, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&t->lock);
}

void
virtio_mmio_write(struct bus_dev *d, uint64_t off, const void *data, unsigned size)
{
	struct virtio_mmio *t = d->priv;
	uint32_t v;

	if (off == VMMIO_INTERRUPT_ACK && size == 4) {
		memcpy(&v, data, 4);
		__atomic_fetch_and(&t->isr, ~v, __ATOMIC_SEQ_CST);
		return;
	}
	pthread_mutex_lock(&t->lock);
	if (t->stopped) {
		/* nothing */
	} else if (off >= VMMIO_CONFIG) {
		off -= VMMIO_CONFIG;
		if (off + size <= t->ops->config_len && t->ops->config_write)
			t->ops->config_write(t->dev, off, data, size);
	} else if (size == 4 && off % 4 == 0) {
		memcpy(&v, data, 4);
		reg_write(t, off, v);
	}
	pthread_mutex_unlock(&t->lock);
}

void
virtio_mmio_stop(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
	t->stopped = 1;
	pthread_mutex_unlock(&t->lock);
}

void
virtio_mmio_save(struct virtio_mmio *t, struct virtio_mmio_state *s)
{
	unsigned i;

	pthread_mutex_lock(&t->lock);
	t->stopped = 1;
	memset(s, 0, sizeof *s);
	s->status = t->status;
	s->dev_feat_sel = t->dev_feat_sel;
	s->drv_feat_sel = t->drv_feat_sel;
	s->queue_sel = t->queue_sel;
	s->config_generation = t->config_generation;
	s->isr = __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST);
	s->offered = t->offered;
	s->acked = t->acked;
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		struct virtq *q = &t->vq[i];
		s->q[i].desc = q->desc_gpa;
		s->q[i].avail = q->avail_gpa;
		s->q[i].used = q->used_gpa;
		s->q[i].size = q->size;
		s->q[i].ready = q->ready;
		s->q[i].last_avail = q->last_avail;
		s->q[i].used_idx = q->used_idx;
		s->q[i].signalled = q->signalled;
	}
	pthread_mutex_unlock(&t->lock);
}

int
virtio_mmio_load(struct virtio_mmio *t, const struct virtio_mmio_state *s,
    const char **why)
{
	unsigned i;
	int r = -1;

	pthread_mutex_lock(&t->lock);
	if (s->offered != t->offered) {
		*why = "its device offered other features";
		goto out;
	}
	if ((s->acked & ~s->offered) || (s->status & ~0xffu) ||
	    (s->isr & ~(uint32_t)(VIRTIO_INT_USED | VIRTIO_INT_CONFIG))) {
		*why = "its virtio transport state is impossible";
		goto out;
	}
	t->status = s->status;
	t->dev_feat_sel = s->dev_feat_sel;
	t->drv_feat_sel = s->drv_feat_sel;
	t->queue_sel = s->queue_sel;
	t->config_generation = s->config_generation;
	t->acked = s->acked;
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		struct virtq *q = &t->vq[i];
		q->desc_gpa = s->q[i].desc;
		q->avail_gpa = s->q[i].avail;
		q->used_gpa = s->q[i].used;
		q->size = s->q[i].size;
		if (!s->q[i].ready)
			continue;
		q->indirect = !!(t->acked & (1ULL << VIRTIO_F_RING_INDIRECT_DESC));
		q->event_idx = !!(t->acked & (1ULL << VIRTIO_F_RING_EVENT_IDX));
		if (virtq_start(q, t->mem) < 0) {
			*why = q->why;
			goto out;
		}
		q->last_avail = s->q[i].last_avail;
		q->used_idx = s->q[i].used_idx;
		q->signalled = s->q[i].signalled;
	}
	if (virtio_mmio_live(t) && t->ops->activate(t->dev) < 0) {
		*why = "its device could not start";
		goto out;
	}
	if (s->isr)
		raise_irq(t, s->isr);
	r = 0;
out:
	pthread_mutex_unlock(&t->lock);
	return r;
}

static void
irqfd_raise(void *arg)
{
	struct virtio_mmio *t = arg;
	uint64_t one = 1;

	/* Cannot block: an eventfd counter only fills after 2^64-2 writes. */
	if (write(t->irq_fd, &one, 8) < 0)
		(void)0;
}

int
virtio_mmio_kvm(struct virtio_mmio *t, int vm_fd, int level)
{
	struct kvm_ioeventfd io;
	struct kvm_irqfd irq;
	unsigned i, n = 0;
	int e;

	t->vm_fd = vm_fd;
	for (n = 0; n < t->ops->nqueues; n++) {
		if ((t->kick_fd[n] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
			goto fail;
		memset(&io, 0, sizeof io);
		io.addr = t->bus.base + VMMIO_QUEUE_NOTIFY;
		io.len = 4;
		io.datamatch = n;
		io.fd = t->kick_fd[n];
		io.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
		if (vmm_ioctl(vm_fd, KVM_IOEVENTFD, &io) < 0) {
			e = errno;
			close(t->kick_fd[n]);
			t->kick_fd[n] = -1;
			errno = e;
			goto fail;
		}
	}
	if ((t->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (level && (t->resample_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0))
		goto fail;
	memset(&irq, 0, sizeof irq);
	irq.fd = t->irq_fd;
	irq.gsi = t->gsi;
	if (level) {
		irq.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irq.resamplefd = t->resample_fd;
	}
	if (vmm_ioctl(vm_fd, KVM_IRQFD, &irq) < 0)
		goto fail;
	t->raise = irqfd_raise;
	t->raise_arg = t;
	return 0;
fail:
	e = errno;
	if (t->irq_fd >= 0)
		close(t->irq_fd);
	if (t->resample_fd >= 0)
		close(t->resample_fd);
	t->irq_fd = t->resample_fd = -1;
	for (i = n; i-- > 0;) {
		memset(&io, 0, sizeof io);
		io.addr = t->bus.base + VMMIO_QUEUE_NOTIFY;
		io.len = 4;
		io.datamatch = i;
		io.fd = t->kick_fd[i];
		io.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN;
		vmm_ioctl(vm_fd, KVM_IOEVENTFD, &io);
		close(t->kick_fd[i]);
		t->kick_fd[i] = -1;
	}
	t->vm_fd = -1;
	errno = e;
	return -1;
}

/* Only close: this runs from the exit hook under vmrun's seccomp filter,
 * which allows no KVM ioctl but KVM_RUN/KVM_IRQ_LINE.  Closing is enough:
 * the irqfd goes away when its eventfd is released (KVM sees EPOLLHUP),
 * and the ioeventfds, harmless without a reader, go with the VM fd. */
void
virtio_mmio_kvm_close(struct virtio_mmio *t)
{
	unsigned i;

	if (t->vm_fd < 0)
		return;
	t->raise = NULL;
	if (t->irq_fd >= 0)
		close(t->irq_fd);
	if (t->resample_fd >= 0)
		close(t->resample_fd);
	t->irq_fd = t->resample_fd = -1;
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		if (t->kick_fd[i] >= 0)
			close(t->kick_fd[i]);
		t->kick_fd[i] = -1;
	}
	t->vm_fd = -1;
}

int
virtio_mmio_pop(struct virtio_mmio *t, struct virtq *q, struct virtq_chain *c)
{
	int r;

	while ((r = virtq_pop(q, c)) == VIRTQ_EMPTY)
		if (!virtq_notify_on(q, 1))
			return VIRTQ_EMPTY;
	if (r == VIRTQ_BROKEN)
		virtio_mmio_broken(t, q->why);
	return r;
}

void
virtio_mmio_kick(struct virtio_mmio *t, unsigned q)
{
	uint64_t n;

	if (read(t->kick_fd[q], &n, 8) < 0 && errno == EAGAIN)
		return;
	pthread_mutex_lock(&t->lock);
	if (virtio_mmio_live(t))
		t->ops->notify(t->dev, q);
	pthread_mutex_unlock(&t->lock);
}

void
virtio_mmio_resample(struct virtio_mmio *t)
{
	uint64_t n;

	if (read(t->resample_fd, &n, 8) < 0 && errno == EAGAIN)
		return;
	/* The guest's EOI lowered the line; a bit it has not acked yet
	 * (set after its handler read InterruptStatus) must raise it again. */
	pthread_mutex_lock(&t->lock);
	if (__atomic_load_n(&t->isr, __ATOMIC_SEQ_CST) && t->raise)
		t->raise(t->raise_arg);
	pthread_mutex_unlock(&t->lock);
}

int
virtio_io_watch(struct virtio_mmio *t, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int
virtio_io_open(struct virtio_mmio *t)
{
	int e;

	if ((t->epfd = epoll_create1(EPOLL_CLOEXEC)) >= 0 &&
	    (t->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) >= 0 &&
	    virtio_io_watch(t, t->stop_fd, EPOLLIN, VIRTIO_IO_STOP) == 0)
		return 0;
	e = errno;
	virtio_io_close(t);
	errno = e;
	return -1;
}

void
virtio_io_close(struct virtio_mmio *t)
{
	if (t->epfd >= 0)
		close(t->epfd);
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	t->epfd = t->stop_fd = -1;
}

int
virtio_io_poll(struct virtio_mmio *t, int ms)
{
	struct epoll_event ev[32];
	uint32_t tag;
	int i, k;

	k = epoll_wait(t->epfd, ev, 32, ms);
	if (k < 0)
		return errno == EINTR ? 1 : -1;
	for (i = 0; i < k; i++) {
		tag = (uint32_t)ev[i].data.u64;
		if (tag == VIRTIO_IO_STOP)
			return 0;
		if (tag == VIRTIO_IO_RESAMPLE)
			virtio_mmio_resample(t);
		else if (tag < VIRTIO_IO_DEV)
			virtio_mmio_kick(t, tag - VIRTIO_IO_KICK0);
		else if (t->ops->io_event)
			t->ops->io_event(t->dev, ev[i].data.u64, ev[i].events);
	}
	if (t->ops->io_round) {
		pthread_mutex_lock(&t->lock);
		t->more = t->ops->io_round(t->dev);
		pthread_mutex_unlock(&t->lock);
	}
	return 1;
}

/* Lock held, at most every VIRTIO_MMIO_WATCHDOG_MS: an interrupt the
 * guest never took is raised again, and chains a kick should have
 * announced are served (a kick lost the same way; with EVENT_IDX the
 * driver would not kick again).  Both are counted (vmrun -v). */
static void
sweep(struct virtio_mmio *t)
{
	int live = virtio_mmio_live(t);
	unsigned q;

	virtio_mmio_watchdog(t);
	for (q = t->ops->nqueues; q-- > 0;)
		if (virtio_mmio_unkicked(&t->vq[q], &t->seen_avail[q],
		    live && (!t->ops->io_waits || t->ops->io_waits(t->dev, q)))) {
			t->unkicked[q]++;
			t->ops->notify(t->dev, q);
		}
}

static void *
io_thread(void *arg)
{
	struct virtio_mmio *t = arg;
	long long now, last = clock_ms();
	int r, tmo;

	for (;;) {
		/* Idle, a look a second; an interrupt outstanding, sooner. */
		tmo = t->more ? 0 : __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST) ?
		    VIRTIO_MMIO_WATCHDOG_MS : 10 * VIRTIO_MMIO_WATCHDOG_MS;
		if ((r = virtio_io_poll(t, tmo)) == 0)
			return NULL;
		if (r < 0) {
			err_warnsys("%s: unable to wait for events; device stops",
			    t->ops->name);
			return NULL;
		}
		if ((now = clock_ms()) - last >= VIRTIO_MMIO_WATCHDOG_MS) {
			last = now;
			pthread_mutex_lock(&t->lock);
			sweep(t);
			pthread_mutex_unlock(&t->lock);
		}
	}
}

int
virtio_io_start(struct virtio_mmio *t)
{
	sigset_t all, old;
	unsigned i;
	int e;

	if (t->resample_fd >= 0 &&
	    virtio_io_watch(t, t->resample_fd, EPOLLIN, VIRTIO_IO_RESAMPLE) < 0)
		return -1;
	for (i = 0; i < t->ops->nqueues; i++)
		if (t->kick_fd[i] >= 0 && virtio_io_watch(t, t->kick_fd[i],
		    EPOLLIN, VIRTIO_IO_KICK0 + i) < 0)
			return -1;
	/* Signals are for the main thread and the vCPUs: none here. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&t->thread, NULL, io_thread, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		errno = e;
		return -1;
	}
	t->running = 1;
	return 0;
}

void
virtio_io_stop(struct virtio_mmio *t)
{
	uint64_t one = 1;

	/* Under the lock: a vCPU in a register access finishes first, and
	 * none starts one that touches the device afterwards. */
	virtio_mmio_stop(t);
	if (t->running) {
		if (write(t->stop_fd, &one, 8) < 0)
			err_warnsys("%s: unable to stop the I/O thread", t->ops->name);
		pthread_join(t->thread, NULL);
		t->running = 0;
	}
	virtio_mmio_kvm_close(t);
}
