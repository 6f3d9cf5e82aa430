/* vmm/virtio_mmio.h: the virtio-mmio transport, modern (version 2) only
 * (virtio 1.2, 4.2.2), generic over a device model.
 *
 * The transport owns the registers, feature negotiation, the status
 * machine with its reset, the queues' addresses and the interrupt status;
 * a device model supplies a struct virtio_dev_ops and works on the queues
 * the transport hands it.  Register accesses arrive from vCPU threads, the
 * device's I/O from its own thread: both hold t->lock, which guards the
 * transport and the device state alike, so a reset never runs in the
 * middle of a queue walk.
 *
 * With KVM (virtio_mmio_kvm), a QueueNotify write is an ioeventfd that the
 * device's thread reads (virtio_mmio_kick), and the interrupt is an irqfd.
 * Which kind depends on how the guest programs the IOAPIC pin, which is
 * what the DSDT tells it:
 *   - edge: a plain irqfd.  Each write is one edge; one that arrives
 *     while the previous interrupt is in service is latched by the local
 *     APIC, and the driver's handler reads the cumulative
 *     InterruptStatus, so nothing is lost and nothing more is needed per
 *     interrupt;
 *   - level (vmrun's DSDT and layout.h): an irqfd with a resample fd.
 *     A plain irqfd would pulse the line, and a pulse while Remote IRR
 *     is set (previous interrupt not yet EOI'd) is lost for good.  With
 *     resampling KVM holds the line until the guest's EOI, then signals
 *     resample_fd, and
 *     virtio_mmio_resample raises it again if InterruptStatus still has a
 *     bit set.  Correct for either trigger mode, at one more wake-up of
 *     the device thread per interrupt.
 * vmrun uses level, as QEMU's microvm does: with edge pulses the
 * second-level guest of the test rig (KVM nested on qemu TCG) triple-
 * faulted during heavy transmit in about half the runs, and L1's kernel
 * crashed in KVM now and then; with level, 3 of 3 such runs passed.
 * InterruptStatus is an atomic the vCPUs read and ack without the lock,
 * so the guest's interrupt handler never waits for a batch of frames.  */
#ifndef VMM_VIRTIO_MMIO_H
#define VMM_VIRTIO_MMIO_H

#include <stdint.h>
#include <pthread.h>

#include "bus.h"
#include "mem.h"
#include "virtq.h"

#define VIRTIO_MMIO_MAGIC 0x74726976   /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4b535548  /* "HUSK" */
#define VIRTIO_MMIO_WINDOW 0x200       /* registers 0x000-0x0ff, config from 0x100 */
#define VIRTIO_MMIO_MAX_QUEUES 3   /* virtio-vsock: rx, tx, event */

/* Register offsets (4.2.2). */
enum {
	VMMIO_MAGIC = 0x000, VMMIO_VERSION = 0x004, VMMIO_DEVICE_ID = 0x008,
	VMMIO_VENDOR_ID = 0x00c, VMMIO_DEV_FEATURES = 0x010,
	VMMIO_DEV_FEATURES_SEL = 0x014, VMMIO_DRV_FEATURES = 0x020,
	VMMIO_DRV_FEATURES_SEL = 0x024, VMMIO_QUEUE_SEL = 0x030,
	VMMIO_QUEUE_NUM_MAX = 0x034, VMMIO_QUEUE_NUM = 0x038,
	VMMIO_QUEUE_READY = 0x044, VMMIO_QUEUE_NOTIFY = 0x050,
	VMMIO_INTERRUPT_STATUS = 0x060, VMMIO_INTERRUPT_ACK = 0x064,
	VMMIO_STATUS = 0x070,
	VMMIO_QUEUE_DESC_LOW = 0x080, VMMIO_QUEUE_DESC_HIGH = 0x084,
	VMMIO_QUEUE_DRIVER_LOW = 0x090, VMMIO_QUEUE_DRIVER_HIGH = 0x094,
	VMMIO_QUEUE_DEVICE_LOW = 0x0a0, VMMIO_QUEUE_DEVICE_HIGH = 0x0a4,
	VMMIO_SHM_SEL = 0x0ac, VMMIO_SHM_LEN_LOW = 0x0b0,
	VMMIO_SHM_LEN_HIGH = 0x0b4, VMMIO_SHM_BASE_LOW = 0x0b8,
	VMMIO_SHM_BASE_HIGH = 0x0bc,
	VMMIO_CONFIG_GENERATION = 0x0fc, VMMIO_CONFIG = 0x100,
};

/* Device status bits (2.1). */
enum {
	VIRTIO_S_ACKNOWLEDGE = 1, VIRTIO_S_DRIVER = 2, VIRTIO_S_DRIVER_OK = 4,
	VIRTIO_S_FEATURES_OK = 8, VIRTIO_S_NEEDS_RESET = 0x40,
	VIRTIO_S_FAILED = 0x80,
};
/* InterruptStatus bits. */
enum { VIRTIO_INT_USED = 1, VIRTIO_INT_CONFIG = 2 };

/* A device model.  Every callback runs with t->lock held. */
struct virtio_dev_ops {
	const char *name;               /* for log lines: "virtio-net" */
	uint32_t device_id;
	unsigned nqueues;               /* <= VIRTIO_MMIO_MAX_QUEUES */
	/* Device feature bits; the transport adds VERSION_1, INDIRECT_DESC
	 * and EVENT_IDX, which it implements itself. */
	uint64_t features;
	unsigned config_len;            /* bytes of config space */
	/* off + size <= config_len, checked by the transport. */
	void (*config_read)(void *dev, unsigned off, void *data, unsigned size);
	void (*config_write)(void *dev, unsigned off, const void *data, unsigned size);
	/* The driver set DRIVER_OK: start.  -1 marks the device broken. */
	int (*activate)(void *dev);
	/* Queue q was notified (an ioeventfd or a QueueNotify write). */
	void (*notify)(void *dev, unsigned q);
	/* Device reset: forget everything activate started. */
	void (*reset)(void *dev);
	/* For the I/O thread (virtio_io_start), these three, each optional
	 * (NULL: no fds of its own, never work left over, every queue
	 * served at its kick): an event on one of the device's own fds (its
	 * tag, the low 32 bits of data, from VIRTIO_IO_DEV on), called
	 * without the lock; */
	void (*io_event)(void *dev, uint64_t data, uint32_t events);
	/* after each round of events: 1 if work is left to do at once; */
	int (*io_round)(void *dev);
	/* does queue q wait for a kick (virtio_mmio_unkicked's look)? */
	int (*io_waits)(void *dev, unsigned q);
};

struct virtio_mmio {
	struct bus_dev bus;             /* bus.priv points back here */
	const struct virtio_dev_ops *ops;
	void *dev;
	const struct guest_mem *mem;
	pthread_mutex_t lock;

	uint32_t status;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	uint64_t offered, acked;
	uint32_t config_generation;
	uint32_t isr;                   /* InterruptStatus; atomic */
	uint64_t raises;                /* raise_irq calls; atomic */
	uint64_t seen_raises;           /* raises at the last watchdog look */
	uint32_t seen_isr;              /* isr then */
	uint64_t reraised;              /* interrupts the watchdog raised again */
	int stopped;                    /* the VM is ending: ignore the guest */
	struct virtq vq[VIRTIO_MMIO_MAX_QUEUES];

	/* Raise the interrupt line (irqfd write, or a test's counter). */
	void (*raise)(void *arg);
	void *raise_arg;

	/* KVM wiring, -1 when absent. */
	int vm_fd;
	int kick_fd[VIRTIO_MMIO_MAX_QUEUES];
	int irq_fd, resample_fd;
	unsigned gsi;

	/* The I/O thread (virtio_io_*); epfd and stop_fd -1 when absent. */
	int epfd, stop_fd;
	pthread_t thread;
	int running;
	int more;                       /* io_round's answer */
	/* Per queue: last_avail at the last sweep, chains found without a
	 * kick (vmrun -v). */
	uint16_t seen_avail[VIRTIO_MMIO_MAX_QUEUES];
	uint64_t unkicked[VIRTIO_MMIO_MAX_QUEUES];
};

/* Set up t for the device (ops, dev) at [base, base+VIRTIO_MMIO_WINDOW)
 * raising gsi.  Registers nothing and opens nothing.  0 or -1 errno. */
int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_ops *ops,
    void *dev, const struct guest_mem *mem, uint64_t base, unsigned gsi);
void virtio_mmio_destroy(struct virtio_mmio *t);

/* The bus callbacks (bus_dev.read/write); take the lock. */
void virtio_mmio_read(struct bus_dev *d, uint64_t off, void *data, unsigned size);
void virtio_mmio_write(struct bus_dev *d, uint64_t off, const void *data, unsigned size);

/* Create an ioeventfd per queue on QueueNotify (datamatch the queue
 * index) and an irqfd on gsi, resampling (resample_fd) if level, plain if
 * not.  0, or -1 errno with everything it made undone.
 * virtio_mmio_kvm_close closes them. */
int virtio_mmio_kvm(struct virtio_mmio *t, int vm_fd, int level);
void virtio_mmio_kvm_close(struct virtio_mmio *t);

/* Called by the device's thread when kick_fd[q] (or resample_fd, -1 for
 * an edge GSI) fired:
 * reads the eventfd and, under the lock, calls ops->notify (or re-raises
 * a still pending interrupt). */
void virtio_mmio_kick(struct virtio_mmio *t, unsigned q);
void virtio_mmio_resample(struct virtio_mmio *t);

/* For the device, lock held: the next available chain of q into *c,
 * VIRTQ_CHAIN; or, none left, the driver asked to notify again (with
 * EVENT_IDX: avail_event where the device stands, or the driver would
 * never kick again) and the queue looked at once more (the race of
 * 2.7.10), VIRTQ_EMPTY; or VIRTQ_BROKEN, the device marked broken
 * (virtio_mmio_broken) with q->why. */
int virtio_mmio_pop(struct virtio_mmio *t, struct virtq *q, struct virtq_chain *c);
/* For the device, lock held: interrupt the driver for used buffers on q
 * if the ring's suppression rules allow; 1 if it did. */
int virtio_mmio_used(struct virtio_mmio *t, unsigned q);
/* For the device's thread, lock held, every VIRTIO_MMIO_WATCHDOG_MS or so
 * while InterruptStatus is set: if it stayed set since the last call with
 * no new interrupt raised, the driver never took that one (an interrupt
 * lost between KVM and the guest: seen under nested KVM on TCG, where with
 * EVENT_IDX the device then never signals again): raise it once more.
 * 1 if it did.  Harmless when the driver is only slow: its handler reads
 * InterruptStatus and finds nothing or the same work. */
int virtio_mmio_watchdog(struct virtio_mmio *t);
#define VIRTIO_MMIO_WATCHDOG_MS 100
/* For the device's thread, lock held, at the watchdog's pace: q has
 * chains the device has not taken and took none since the last look
 * (*seen), while look says the device was waiting for a kick: the kick
 * never came (lost like an interrupt; with EVENT_IDX the driver would not
 * kick again), so the caller serves the queue.  1 if so. */
int virtio_mmio_unkicked(struct virtq *q, uint16_t *seen, int look);
/* For the device, lock held: the config space changed. */
void virtio_mmio_config_changed(struct virtio_mmio *t);
/* For the device, lock held: the guest broke a rule; every queue stops,
 * Status gets DEVICE_NEEDS_RESET, a config interrupt is raised and one
 * warning line is logged.  A reset by the driver recovers. */
void virtio_mmio_broken(struct virtio_mmio *t, const char *why);
/* For the device: one warning line for what, a thing a guest can make
 * happen for every packet, when count (how often so far) is 1, 2, 4,
 * 8...; with sys, errno's text after it. */
void virtio_mmio_rate_warn(struct virtio_mmio *t, int sys, const char *what,
    uint64_t count);
/* Is the device running (DRIVER_OK, not broken, not stopped)? */
int virtio_mmio_live(const struct virtio_mmio *t);
/* A snapshot of the transport (snapshot.h): registers, features, the
 * interrupt status and each queue's addresses and indices. */
struct virtio_mmio_state {
	uint32_t status, dev_feat_sel, drv_feat_sel, queue_sel;
	uint32_t config_generation, isr;
	uint64_t offered, acked;
	struct {
		uint64_t desc, avail, used;
		uint16_t size, last_avail, used_idx, signalled;
		uint32_t ready;
	} q[VIRTIO_MMIO_MAX_QUEUES];
};
/* Stop the transport (virtio_mmio_stop: the device leaves the rings
 * alone from here on) and copy its state. */
void virtio_mmio_save(struct virtio_mmio *t, struct virtio_mmio_state *s);
/* Before the device's thread starts: take the state back (the device
 * must offer the same features), map the ready queues, activate a
 * device the driver had started, and raise a pending interrupt again.
 * 0, or -1 with *why. */
int virtio_mmio_load(struct virtio_mmio *t, const struct virtio_mmio_state *s,
    const char **why);
/* Stop for good (VM exit): afterwards register accesses do nothing. */
void virtio_mmio_stop(struct virtio_mmio *t);

/* A device's I/O thread, one per device: it waits in epoll (t->epfd) on
 * a stop eventfd, the transport's kick and resample fds and the device's
 * own fds, and then hands each event to virtio_mmio_kick,
 * virtio_mmio_resample or ops->io_event, and the round to ops->io_round.
 * It waits at most VIRTIO_MMIO_WATCHDOG_MS while an interrupt is
 * outstanding, 10 times that when idle, not at all while io_round has
 * more to do; every VIRTIO_MMIO_WATCHDOG_MS or so it sweeps: an
 * interrupt the guest never took is raised again (virtio_mmio_watchdog),
 * and a queue whose chains a lost kick should have announced is served
 * (ops->notify, counted in t->unkicked), transmit (the higher index)
 * before receive.  The epoll tags (the low 32 bits of epoll_data.u64): */
enum {
	VIRTIO_IO_STOP, VIRTIO_IO_RESAMPLE, VIRTIO_IO_KICK0,
	VIRTIO_IO_DEV = VIRTIO_IO_KICK0 + VIRTIO_MMIO_MAX_QUEUES,
};
/* Create the epoll fd and the stop eventfd, the stop one watched.  0, or
 * -1 errno with nothing left open. */
int virtio_io_open(struct virtio_mmio *t);
/* Add fd to the epoll set with events and data (tag in its low 32 bits).
 * 0 or -1 errno. */
int virtio_io_watch(struct virtio_mmio *t, int fd, uint32_t events,
    uint64_t data);
/* One round: wait up to ms milliseconds for events and handle them, then
 * io_round under the lock (its answer in t->more).  The thread is a loop
 * of this; tests call it directly.  1 to go on (EINTR too), 0 when the
 * stop eventfd fired, -1 errno. */
int virtio_io_poll(struct virtio_mmio *t, int ms);
/* Watch the kick and resample fds there are (virtio_mmio_kvm) and start
 * the thread, every signal blocked in it.  0, or -1 errno. */
int virtio_io_start(struct virtio_mmio *t);
/* For the exit hook: the transport stops (virtio_mmio_stop), the thread
 * is told to stop and joined, the KVM fds closed (virtio_mmio_kvm_close).
 * virtio_io_close then closes the epoll fd and the stop eventfd. */
void virtio_io_stop(struct virtio_mmio *t);
void virtio_io_close(struct virtio_mmio *t);

#endif
