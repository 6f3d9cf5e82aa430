/* virtio-balloon (vmm/virtio_balloon.c): what it offers, its config
 * space, and free page reporting on guest RAM that is a real anonymous
 * mapping, as vmrun's: the whole pages inside a reported buffer read as
 * zeros afterwards (given back), every other byte keeps its value, the
 * inflate queue drops nothing, and a report outside guest RAM breaks the
 * device without dropping a page. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "tap.h"
#include "virtio_balloon.h"
#include "mmio-driver.h"

#define F(b) (1ULL << (b))
#define FILL 0xaa

static struct drv qd[BALLOON_NQ];
static struct virtio_balloon b;
static int raised;

static void
raise_cb(void *arg)
{
	raised++;
}

static uint32_t rd(unsigned off) { return md_rd(&b.mmio, off); }
static void wr(unsigned off, uint32_t v) { md_wr(&b.mmio, off, v); }

/* Every byte of guest RAM in [a, a+len) is v. */
static int
all(uint64_t a, uint64_t len, int v)
{
	const uint8_t *p = drv_host(&qd[0], a);

	for (uint64_t i = 0; i < len; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void
start_with(uint64_t more)
{
	struct drv *d[BALLOON_NQ] = { &qd[0], &qd[1], &qd[2] };

	md_start(&b.mmio, F(VIRTIO_F_VERSION_1) | F(VIRTIO_BALLOON_F_REPORTING) |
	    more, d, BALLOON_NQ, 16);
	for (unsigned q = 0; q < BALLOON_NQ; q++)
		qd[q].data = 0x30000;   /* past every ring */
	/* Guest RAM past the rings: what the guest has written. */
	memset(drv_host(&qd[0], 0x40000), FILL, DRV_RAM - 0x40000);
}

static void
start(void)
{
	start_with(0);
}

static void
test_offer(void)
{
	uint64_t f;
	uint32_t v;

	ok(rd(VMMIO_DEVICE_ID) == VIRTIO_BALLOON_ID, "device id 5");
	f = md_features(&b.mmio);
	ok((f & (F(VIRTIO_BALLOON_F_REPORTING) | F(VIRTIO_F_VERSION_1))) ==
	    (F(VIRTIO_BALLOON_F_REPORTING) | F(VIRTIO_F_VERSION_1)),
	    "offers free page reporting and VERSION_1");
	ok(!(f & 0x1f), "no MUST_TELL_HOST, STATS_VQ, DEFLATE_ON_OOM, "
	    "FREE_PAGE_HINT or PAGE_POISON");
	ok(rd(VMMIO_CONFIG) == 0, "config: num_pages 0, never inflate");
	wr(VMMIO_CONFIG + 4, 7);
	ok(rd(VMMIO_CONFIG + 4) == 7, "config: actual is the driver's to write");
	wr(VMMIO_CONFIG, 99);
	ok(rd(VMMIO_CONFIG) == 0, "config: num_pages is not");
	virtio_mmio_read(&b.mmio.bus, VMMIO_CONFIG + 8, &v, 4);
	ok(v == 0, "config: nothing past actual");
}

static void
test_report(void)
{
	struct drv *d = &qd[BALLOON_REPORTQ];

	start();
	/* A 128 KiB run, then one that starts and ends inside a page (a
	 * driver never sends one: only its whole pages may go). */
	drv_desc(d, 3, 0x80000, 0x20000, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 5);
	drv_desc(d, 5, 0xa0100, 0x3000, VIRTQ_DESC_F_WRITE, 0);
	drv_post(d, 3);
	raised = 0;
	wr(VMMIO_QUEUE_NOTIFY, BALLOON_REPORTQ);
	ok(all(0x80000, 0x20000, 0), "a reported run reads as zeros: given back");
	ok(all(0x7f000, 0x1000, FILL) && all(0xa0000, 0x1000, FILL),
	    "the pages around it keep their bytes");
	ok(all(0xa1000, 0x2000, 0), "an unaligned run: its whole pages given back");
	ok(all(0xa3000, 0x1000, FILL), "its partial pages are kept, whole");
	ok(drv_used16(d)[1] == 1 && drv_used_elem(d, 0)->id == 3 &&
	    drv_used_elem(d, 0)->len == 0, "the report returned, 0 bytes written");
	ok(raised == 1 && (rd(VMMIO_INTERRUPT_STATUS) & VIRTIO_INT_USED),
	    "used interrupt");
	wr(VMMIO_INTERRUPT_ACK, 3);
	ok(b.reports == 1 && b.bytes == 0x22000, "counted: 1 report, 136 KiB");

	/* A device-readable buffer is no report. */
	drv_desc(d, 6, 0xb0000, 0x1000, 0, 0);
	drv_post(d, 6);
	wr(VMMIO_QUEUE_NOTIFY, BALLOON_REPORTQ);
	ok(all(0xb0000, 0x1000, FILL) && drv_used16(d)[1] == 2,
	    "a readable buffer on the reporting queue: returned, nothing dropped");
}

/* The inflate and deflate queues drop nothing: not the pages a page
 * list names, nor a writable buffer a guest puts there. */
static void
test_inflate(void)
{
	uint32_t pfn = 0xc0;       /* guest page 0xc0000 */
	uint64_t a;

	start();
	for (unsigned q = BALLOON_INFLATEQ; q <= BALLOON_DEFLATEQ; q++) {
		struct drv *d = &qd[q];

		a = drv_buf(d, 4, 0);
		memcpy(drv_host(d, a), &pfn, 4);
		drv_desc(d, 0, a, 4, VIRTQ_DESC_F_NEXT, 1);
		drv_desc(d, 1, 0xd0000 + 0x10000 * q, 0x2000, VIRTQ_DESC_F_WRITE, 0);
		drv_post(d, 0);
		wr(VMMIO_QUEUE_NOTIFY, q);
		ok(drv_used16(d)[1] == 1 && all(0xc0000, 0x1000, FILL) &&
		    all(0xd0000 + 0x10000 * q, 0x2000, FILL),
		    "%s: the chain returned, no page dropped",
		    q == BALLOON_INFLATEQ ? "inflate" : "deflate");
	}
	ok(!(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET), "device still live");
}

/* With EVENT_IDX the driver kicks only when its index passes the
 * device's avail_event: after each report it must be where the device
 * stands, or the next report waits for the watchdog's sweep. */
static void
test_event_idx(void)
{
	struct drv *d = &qd[BALLOON_REPORTQ];
	int kicks = 0;

	start_with(F(VIRTIO_F_RING_EVENT_IDX));
	for (unsigned i = 0; i < 3; i++) {
		uint16_t old = d->avail_idx;

		drv_desc(d, i, 0x80000 + 0x10000 * i, 0x10000, VIRTQ_DESC_F_WRITE, 0);
		drv_post(d, i);
		/* Linux's vring_need_event: kick if the new index passed it. */
		if (virtq_need_event(drv_avail_event(d), d->avail_idx, old)) {
			kicks++;
			wr(VMMIO_QUEUE_NOTIFY, BALLOON_REPORTQ);
		}
	}
	ok(kicks == 3 && drv_used16(d)[1] == 3 && all(0x80000, 0x30000, 0),
	    "EVENT_IDX: each of 3 reports kicked and was taken at once (%d kicks)",
	    kicks);
}

static void
test_outside(void)
{
	struct drv *d = &qd[BALLOON_REPORTQ];

	start();
	b.bytes = 0;
	drv_desc(d, 0, DRV_RAM - 0x1000, 0x2000, VIRTQ_DESC_F_WRITE, 0);
	drv_post(d, 0);
	wr(VMMIO_QUEUE_NOTIFY, BALLOON_REPORTQ);
	ok((rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET) && b.bytes == 0,
	    "a report past guest RAM: DEVICE_NEEDS_RESET");
	ok(all(DRV_RAM - 0x1000, 0x1000, FILL), "and its page in RAM is kept");
}

int
main(void)
{
	void *ram = mmap(0, DRV_RAM, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (ram == MAP_FAILED)
		return 1;
	qd[0].m.host = ram;
	qd[0].m.size = DRV_RAM;
	for (unsigned q = 1; q < BALLOON_NQ; q++)
		qd[q].m = qd[0].m;      /* one guest RAM for all queues */
	ok(virtio_balloon_init(&b, &qd[0].m, 0xd0000000, 5) == 0, "init");
	b.mmio.raise = raise_cb;
	test_offer();
	test_report();
	test_inflate();
	test_event_idx();
	test_outside();
	virtio_io_close(&b.mmio);
	virtio_mmio_destroy(&b.mmio);
	munmap(ram, DRV_RAM);
	return done_testing();
}
