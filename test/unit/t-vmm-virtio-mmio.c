/* The virtio-mmio transport (vmm/virtio_mmio.c) driven through its bus
 * callbacks as a vCPU would, over a small test device: identification,
 * feature negotiation, queue setup, notify, interrupts, config space,
 * status and reset. */
#include <string.h>

#include "tap.h"
#include "virtio_mmio.h"
#include "mmio-driver.h"

static struct drv d;
static struct virtio_mmio t;
static int activated, resets, notified[4], raised, fail_activate;
static uint8_t cfg[6] = { 1, 2, 3, 4, 5, 6 };

static void
cfg_read(void *dev, unsigned off, void *data, unsigned size)
{
	memcpy(data, cfg + off, size);
}

static void
cfg_write(void *dev, unsigned off, const void *data, unsigned size)
{
	memcpy(cfg + off, data, size);
}

static int
dev_activate(void *dev)
{
	activated++;
	return fail_activate ? -1 : 0;
}

static void
dev_notify(void *dev, unsigned q)
{
	notified[q]++;
}

static void
dev_reset(void *dev)
{
	resets++;
}

static void
raise_cb(void *arg)
{
	raised++;
}

static const struct virtio_dev_ops ops = {
	.name = "test-dev", .device_id = 42, .nqueues = 2,
	.features = 1ULL << 0 | 1ULL << 40,
	.config_len = sizeof cfg, .config_read = cfg_read, .config_write = cfg_write,
	.activate = dev_activate, .notify = dev_notify, .reset = dev_reset,
};

static uint32_t rd(unsigned off) { return md_rd(&t, off); }
static void wr(unsigned off, uint32_t v) { md_wr(&t, off, v); }
static uint64_t dev_features(void) { return md_features(&t); }

static void
ack(uint64_t f)
{
	wr(VMMIO_DRV_FEATURES_SEL, 0);
	wr(VMMIO_DRV_FEATURES, f);
	wr(VMMIO_DRV_FEATURES_SEL, 1);
	wr(VMMIO_DRV_FEATURES, f >> 32);
}

/* What Linux's virtio_mmio does: reset, ACK, DRIVER, features,
 * FEATURES_OK; returns the status read back. */
static uint32_t
negotiate(uint64_t f)
{
	wr(VMMIO_STATUS, 0);
	wr(VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
	wr(VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	ack(f);
	wr(VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
	return rd(VMMIO_STATUS);
}

static void
setup_queue(unsigned qi, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(VMMIO_QUEUE_SEL, qi);
	wr(VMMIO_QUEUE_NUM, 8);
	wr(VMMIO_QUEUE_DESC_LOW, desc);
	wr(VMMIO_QUEUE_DESC_HIGH, desc >> 32);
	wr(VMMIO_QUEUE_DRIVER_LOW, avail);
	wr(VMMIO_QUEUE_DRIVER_HIGH, avail >> 32);
	wr(VMMIO_QUEUE_DEVICE_LOW, used);
	wr(VMMIO_QUEUE_DEVICE_HIGH, used >> 32);
	wr(VMMIO_QUEUE_READY, 1);
}

#define V1 (1ULL << VIRTIO_F_VERSION_1)
#define ALL (V1 | 1ULL << 0 | 1ULL << 40 | 1ULL << VIRTIO_F_RING_INDIRECT_DESC | \
	1ULL << VIRTIO_F_RING_EVENT_IDX)
#define OKS (VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK)

static void
test_ident(void)
{
	uint16_t h;
	uint8_t b;

	ok(rd(VMMIO_MAGIC) == 0x74726976, "magic \"virt\"");
	ok(rd(VMMIO_VERSION) == 2, "version 2 (modern)");
	ok(rd(VMMIO_DEVICE_ID) == 42 && rd(VMMIO_VENDOR_ID) == VIRTIO_MMIO_VENDOR,
	    "device and vendor id");
	ok(dev_features() == ALL, "device features: its own plus VERSION_1, INDIRECT_DESC, EVENT_IDX");
	wr(VMMIO_DEV_FEATURES_SEL, 2);
	ok(rd(VMMIO_DEV_FEATURES) == 0, "feature window 2 reads 0");
	virtio_mmio_read(&t.bus, VMMIO_MAGIC, &h, 2);
	virtio_mmio_read(&t.bus, VMMIO_MAGIC + 1, &b, 1);
	ok(h == 0 && b == 0, "16- and 8-bit register reads answer 0");
	ok(rd(VMMIO_MAGIC + 2) == 0, "misaligned 32-bit register read answers 0");
	ok(rd(VMMIO_SHM_LEN_LOW) == 0xffffffff && rd(VMMIO_SHM_LEN_HIGH) == 0xffffffff,
	    "no shared memory region: length -1");
	ok(rd(0x0f0) == 0, "an unknown register reads 0");
}

static void
test_features(void)
{
	ok(negotiate(V1 | 1ULL << 40) == OKS, "subset with VERSION_1: FEATURES_OK sticks");
	ok(t.acked == (V1 | 1ULL << 40), "acked features recorded");
	ack(ALL);
	ok(t.acked == (V1 | 1ULL << 40), "driver features fixed after FEATURES_OK");
	ok(negotiate(1ULL << 0) == (VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER),
	    "no VERSION_1 (legacy driver): FEATURES_OK refused");
	ok(negotiate(V1 | 1ULL << 3) == (VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER),
	    "a feature not offered: FEATURES_OK refused");
	wr(VMMIO_DRV_FEATURES_SEL, 5);
	wr(VMMIO_DRV_FEATURES, 0xffffffff);
	ok(negotiate(ALL) == OKS, "all offered features: FEATURES_OK");
}

static void
test_queues(void)
{
	negotiate(ALL);
	wr(VMMIO_QUEUE_SEL, 0);
	ok(rd(VMMIO_QUEUE_NUM_MAX) == VIRTQ_MAX_SIZE, "queue 0: QueueNumMax 256");
	wr(VMMIO_QUEUE_SEL, 2);
	ok(rd(VMMIO_QUEUE_NUM_MAX) == 0, "queue 2 of a 2-queue device: QueueNumMax 0");
	wr(VMMIO_QUEUE_READY, 1);
	ok(rd(VMMIO_QUEUE_READY) == 0 && !(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET),
	    "queue 2 cannot be made ready");

	setup_queue(0, DRV_DESC, DRV_AVAIL, DRV_USED);
	ok(rd(VMMIO_QUEUE_READY) == 1 && t.vq[0].ready && t.vq[0].size == 8,
	    "queue 0 ready with 8 entries");
	ok(t.vq[0].indirect && t.vq[0].event_idx, "queue takes the acked ring features");
	ok(rd(VMMIO_QUEUE_DESC_LOW) == DRV_DESC && rd(VMMIO_QUEUE_DRIVER_LOW) == DRV_AVAIL &&
	    rd(VMMIO_QUEUE_DEVICE_LOW) == DRV_USED && rd(VMMIO_QUEUE_NUM) == 8,
	    "queue addresses and size read back");
	wr(VMMIO_QUEUE_DESC_LOW, 0x8000);
	wr(VMMIO_QUEUE_NUM, 16);
	ok(t.vq[0].desc_gpa == DRV_DESC && t.vq[0].size == 8,
	    "layout writes to a ready queue ignored");
	setup_queue(1, 0x5000, 0x6000, 0x7000);
	ok(t.vq[1].ready, "queue 1 ready");

	wr(VMMIO_STATUS, OKS | VIRTIO_S_DRIVER_OK);
	ok(activated == 1 && rd(VMMIO_STATUS) == (OKS | VIRTIO_S_DRIVER_OK),
	    "DRIVER_OK: device activated once");
	wr(VMMIO_QUEUE_NOTIFY, 1);
	wr(VMMIO_QUEUE_NOTIFY, 0);
	wr(VMMIO_QUEUE_NOTIFY, 1);
	wr(VMMIO_QUEUE_NOTIFY, 7);
	ok(notified[0] == 1 && notified[1] == 2, "QueueNotify reaches the device; queue 7 ignored");

	/* A used entry and its interrupt. */
	drv_post(&d, 0);
	drv_desc(&d, 0, DRV_DATA, 4, 0, 0);
	struct virtq_chain c;
	ok(virtq_pop(&t.vq[0], &c) == VIRTQ_CHAIN, "device takes a chain");
	virtq_push(&t.vq[0], c.head, 0);
	raised = 0;
	drv_used_event(&d, 0);
	ok(virtio_mmio_used(&t, 0) == 1 && raised == 1 &&
	    rd(VMMIO_INTERRUPT_STATUS) == VIRTIO_INT_USED, "used buffer: interrupt, status bit 0");
	ok(virtio_mmio_watchdog(&t) == 0 && raised == 1,
	    "watchdog: a first look at an interrupt not acked yet raises nothing");
	ok(virtio_mmio_watchdog(&t) == 1 && raised == 2 && t.reraised == 1,
	    "watchdog: still not acked, and nothing raised since: raised again");
	virtio_mmio_config_changed(&t);
	ok(virtio_mmio_watchdog(&t) == 0 && raised == 3,
	    "watchdog: a new interrupt since the last look: not lost");
	wr(VMMIO_INTERRUPT_ACK, VIRTIO_INT_USED | VIRTIO_INT_CONFIG);
	ok(rd(VMMIO_INTERRUPT_STATUS) == 0, "InterruptACK clears it");
	ok(virtio_mmio_watchdog(&t) == 0 && virtio_mmio_watchdog(&t) == 0 && raised == 3,
	    "watchdog: acked, nothing to raise");

	/* The driver only adds status bits. */
	wr(VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
	ok(rd(VMMIO_STATUS) == (OKS | VIRTIO_S_DRIVER_OK), "clearing status bits ignored");
}

static void
test_config(void)
{
	uint8_t b;
	uint16_t h;
	uint32_t w, gen;

	virtio_mmio_read(&t.bus, VMMIO_CONFIG + 1, &b, 1);
	virtio_mmio_read(&t.bus, VMMIO_CONFIG + 4, &h, 2);
	virtio_mmio_read(&t.bus, VMMIO_CONFIG, &w, 4);
	ok(b == 2 && h == 0x0605 && w == 0x04030201, "config space read 8, 16, 32 bits wide");
	virtio_mmio_read(&t.bus, VMMIO_CONFIG + 4, &w, 4);
	ok(w == 0, "config read running past its end answers 0");
	b = 9;
	virtio_mmio_write(&t.bus, VMMIO_CONFIG + 5, &b, 1);
	ok(cfg[5] == 9, "config write reaches the device");
	gen = rd(VMMIO_CONFIG_GENERATION);
	raised = 0;
	pthread_mutex_lock(&t.lock);
	virtio_mmio_config_changed(&t);
	pthread_mutex_unlock(&t.lock);
	ok(rd(VMMIO_CONFIG_GENERATION) == gen + 1 && raised == 1 &&
	    rd(VMMIO_INTERRUPT_STATUS) == VIRTIO_INT_CONFIG,
	    "config change: generation bumped, config interrupt");
	wr(VMMIO_INTERRUPT_ACK, VIRTIO_INT_CONFIG);
}

static void
test_reset(void)
{
	int r = resets;

	wr(VMMIO_STATUS, 0);
	ok(resets == r + 1 && rd(VMMIO_STATUS) == 0, "status 0: device reset, status reads 0");
	wr(VMMIO_QUEUE_SEL, 0);
	ok(rd(VMMIO_QUEUE_READY) == 0 && rd(VMMIO_QUEUE_NUM) == 0 &&
	    rd(VMMIO_QUEUE_DESC_LOW) == 0 && !t.vq[1].ready,
	    "reset: queues not ready, their layout forgotten");
	ok(t.acked == 0 && rd(VMMIO_INTERRUPT_STATUS) == 0, "reset: features and interrupts cleared");
	wr(VMMIO_QUEUE_NOTIFY, 0);
	ok(notified[0] == 1, "notify before DRIVER_OK ignored");
	setup_queue(0, DRV_DESC, DRV_AVAIL, DRV_USED);
	ok(rd(VMMIO_QUEUE_READY) == 0, "queue cannot be made ready before FEATURES_OK");

	/* A queue outside RAM breaks the device until the next reset. */
	negotiate(ALL);
	setup_queue(0, DRV_RAM - 16, DRV_AVAIL, DRV_USED);
	ok(rd(VMMIO_QUEUE_READY) == 0 && (rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET),
	    "descriptor table outside RAM: DEVICE_NEEDS_RESET");
	int a = activated;
	wr(VMMIO_STATUS, OKS | VIRTIO_S_DRIVER_OK);
	ok(activated == a, "a broken device is not activated by DRIVER_OK");
	ok(negotiate(ALL) == OKS, "reset recovers the device");

	/* Broken while running: config interrupt. */
	setup_queue(0, DRV_DESC, DRV_AVAIL, DRV_USED);
	wr(VMMIO_STATUS, OKS | VIRTIO_S_DRIVER_OK);
	raised = 0;
	drv_init(&d, 8);
	drv_post(&d, 9);
	struct virtq_chain c;
	pthread_mutex_lock(&t.lock);
	if (virtq_pop(&t.vq[0], &c) == VIRTQ_BROKEN)
		virtio_mmio_broken(&t, t.vq[0].why);
	pthread_mutex_unlock(&t.lock);
	ok((rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET) && raised == 1 &&
	    rd(VMMIO_INTERRUPT_STATUS) == VIRTIO_INT_CONFIG && !t.vq[0].ready,
	    "bad head while running: NEEDS_RESET, config interrupt, queue stopped");
	ok(rd(VMMIO_QUEUE_READY) == 0, "QueueReady reads 0 after the break");

	negotiate(ALL);
	wr(VMMIO_STATUS, OKS | VIRTIO_S_DRIVER_OK | VIRTIO_S_ACKNOWLEDGE);
	ok(rd(VMMIO_STATUS) == (OKS | VIRTIO_S_DRIVER_OK), "running again after reset");
	negotiate(ALL);
	wr(VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	wr(VMMIO_STATUS, 0);
	wr(VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_DRIVER_OK);
	ok(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET, "DRIVER_OK without FEATURES_OK: broken");

	fail_activate = 1;
	negotiate(ALL);
	wr(VMMIO_STATUS, OKS | VIRTIO_S_DRIVER_OK);
	ok(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET, "device failing to start: NEEDS_RESET");
	fail_activate = 0;

	negotiate(ALL);
	virtio_mmio_stop(&t);
	ok(rd(VMMIO_MAGIC) == 0, "stopped (VM exit): registers read 0");
	wr(VMMIO_STATUS, 0);
	ok(t.status == OKS, "stopped: writes ignored");
}

int
main(void)
{
	drv_init(&d, 8);
	ok(virtio_mmio_init(&t, &ops, NULL, &d.m, 0xd0000000, 5) == 0, "init");
	t.raise = raise_cb;
	ok(t.bus.len == 0x200 && !strcmp(t.bus.acpi_hid, "LNRO0005") && t.bus.irq == 5 &&
	    t.bus.priv == &t, "bus window, ACPI id and GSI for the DSDT");
	test_ident();
	test_features();
	test_queues();
	test_config();
	test_reset();
	virtio_mmio_destroy(&t);
	free(d.m.host);
	return done_testing();
}
