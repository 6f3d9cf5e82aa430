/* Split virtqueue walking (vmm/virtq.c): chains, wrap-around of the 16-bit
 * indices, indirect tables, and every way a guest can break the rules. */
#include <string.h>

#include "tap.h"
#include "vq-driver.h"

static struct drv d;
static struct virtq q;
static struct virtq_chain c;

/* A fresh queue of size n on fresh RAM, started. */
static int
fresh(uint16_t n, int indirect, int event_idx)
{
	drv_init(&d, n);
	drv_queue(&d, &q);
	q.indirect = indirect;
	q.event_idx = event_idx;
	return virtq_start(&q, &d.m);
}

/* Pop expecting a break whose reason contains what. */
static int
breaks(const char *what)
{
	int r = virtq_pop(&q, &c);

	if (r != VIRTQ_BROKEN || !q.why || !strstr(q.why, what)) {
		printf("# pop %d, why %s\n", r, q.why ? q.why : "(none)");
		return 0;
	}
	/* A broken queue stays stopped and takes no used entries. */
	return virtq_pop(&q, &c) == VIRTQ_EMPTY && q.ready == 0;
}

static void
test_start(void)
{
	static const uint16_t bad[] = { 0, 3, 100, 512 };
	unsigned i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(fresh(bad[i], 0, 0) == VIRTQ_BROKEN && !q.ready,
		    "queue size %u refused", bad[i]);
	ok(fresh(256, 0, 0) == 0 && q.ready, "queue size 256 accepted");
	ok(fresh(1, 0, 0) == 0, "queue size 1 accepted");

	drv_init_at(&d, 8, DRV_DESC + 8, DRV_AVAIL, DRV_USED);
	drv_queue(&d, &q);
	ok(virtq_start(&q, &d.m) == VIRTQ_BROKEN && strstr(q.why, "misaligned"),
	    "descriptor table not 16-aligned refused");
	drv_init_at(&d, 8, DRV_DESC, DRV_AVAIL + 1, DRV_USED);
	drv_queue(&d, &q);
	ok(virtq_start(&q, &d.m) == VIRTQ_BROKEN, "available ring not 2-aligned refused");
	drv_init_at(&d, 8, DRV_DESC, DRV_AVAIL, DRV_USED + 2);
	drv_queue(&d, &q);
	ok(virtq_start(&q, &d.m) == VIRTQ_BROKEN, "used ring not 4-aligned refused");
	/* used ring of 8 entries is 6 + 64 bytes: 4 bytes short at the end. */
	drv_init_at(&d, 8, DRV_DESC, DRV_AVAIL, DRV_RAM - 68);
	drv_queue(&d, &q);
	ok(virtq_start(&q, &d.m) == VIRTQ_BROKEN && strstr(q.why, "outside"),
	    "used ring running past the end of RAM refused");
	drv_init_at(&d, 8, 0xfffffffffffff000ULL, DRV_AVAIL, DRV_USED);
	drv_queue(&d, &q);
	ok(virtq_start(&q, &d.m) == VIRTQ_BROKEN, "descriptor table at 2^64-4096 refused");
	drv_init_at(&d, 256, DRV_RAM - 4096, DRV_AVAIL, DRV_USED);
	drv_queue(&d, &q);
	ok(virtq_start(&q, &d.m) == 0, "256-entry table filling the last page of RAM accepted");
	drv_init_at(&d, 256, DRV_RAM - 4080, DRV_AVAIL, DRV_USED);
	drv_queue(&d, &q);
	ok(virtq_start(&q, &d.m) == VIRTQ_BROKEN,
	    "256-entry table 16 bytes past the end of RAM refused");
}

static void
test_chain(void)
{
	uint64_t a, b, w;

	fresh(8, 0, 0);
	ok(virtq_pop(&q, &c) == VIRTQ_EMPTY, "nothing posted: empty");
	a = drv_buf(&d, 10, 'a');
	b = drv_buf(&d, 20, 'b');
	w = drv_buf(&d, 100, 0);
	drv_desc(&d, 5, a, 10, VIRTQ_DESC_F_NEXT, 2);
	drv_desc(&d, 2, b, 20, VIRTQ_DESC_F_NEXT, 7);
	drv_desc(&d, 7, w, 100, VIRTQ_DESC_F_WRITE, 0);
	drv_post(&d, 5);
	ok(virtq_pending(&q) == 1, "one chain pending");
	ok(virtq_pop(&q, &c) == VIRTQ_CHAIN && c.head == 5, "chain popped, head 5");
	ok(c.nout == 2 && c.nin == 1 && c.out_len == 30 && c.in_len == 100,
	    "two readable (30 bytes) then one writable (100 bytes)");
	ok(c.iov[0].iov_base == drv_host(&d, a) && c.iov[0].iov_len == 10 &&
	    c.iov[1].iov_base == drv_host(&d, b) && c.iov[2].iov_base == drv_host(&d, w),
	    "iovecs point at the guest buffers");
	ok(virtq_pop(&q, &c) == VIRTQ_EMPTY, "then empty again");
	virtq_push(&q, 5, 42);
	ok(drv_used16(&d)[1] == 1 && drv_used_elem(&d, 0)->id == 5 &&
	    drv_used_elem(&d, 0)->len == 42, "push: used entry {5, 42}, used->idx 1");

	/* Zero-length descriptors are legal and take no iovec. */
	drv_desc(&d, 1, a, 0, VIRTQ_DESC_F_NEXT, 3);
	drv_desc(&d, 3, w, 8, VIRTQ_DESC_F_WRITE, 0);
	drv_post(&d, 1);
	ok(virtq_pop(&q, &c) == VIRTQ_CHAIN && c.nout == 0 && c.nin == 1 &&
	    c.in_len == 8, "zero-length descriptor skipped");

	/* A chain of exactly the queue size is fine. */
	fresh(4, 0, 0);
	for (unsigned i = 0; i < 4; i++)
		drv_desc(&d, i, drv_buf(&d, 4, i), 4,
		    i < 3 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	drv_post(&d, 0);
	ok(virtq_pop(&q, &c) == VIRTQ_CHAIN && c.nout == 4,
	    "chain as long as the queue accepted");

	/* unpop gives the chain back. */
	fresh(4, 0, 0);
	drv_desc(&d, 0, drv_buf(&d, 4, 0), 4, 0, 0);
	drv_post(&d, 0);
	ok(virtq_pop(&q, &c) == VIRTQ_CHAIN, "popped");
	virtq_unpop(&q, 1);
	ok(virtq_pop(&q, &c) == VIRTQ_CHAIN && c.head == 0, "unpop: same chain again");
}

static void
test_wrap(void)
{
	unsigned i, bad = 0;
	uint64_t a;

	/* 70000 round trips through a 4-entry queue: avail and used indices
	 * wrap past 65535 and ring positions wrap every 4. */
	fresh(4, 0, 0);
	a = drv_buf(&d, 64, 'x');
	for (i = 0; i < 4; i++)
		drv_desc(&d, i, a, 64, 0, 0);
	for (i = 0; i < 70000; i++) {
		drv_post(&d, i % 4);
		if (i % 3 == 0)
			drv_post(&d, (i + 1) % 4), i++;
		while (virtq_pop(&q, &c) == VIRTQ_CHAIN)
			virtq_push(&q, c.head, c.out_len);
		while (d.last_used != drv_used16(&d)[1]) {
			if (drv_used_elem(&d, d.last_used)->len != 64)
				bad++;
			d.last_used++;
		}
		if (d.last_used != d.avail_idx)
			bad++;
	}
	ok(bad == 0 && d.avail_idx == (uint16_t)i && q.used_idx == (uint16_t)i,
	    "70000 chains through a 4-entry queue, indices wrapped at 65536");
	ok(virtq_pending(&q) == 0, "nothing left pending after the wrap");
}

static void
test_broken(void)
{
	uint64_t a = DRV_DATA;

	fresh(8, 0, 0);
	drv_desc(&d, 0, a, 4, 0, 0);
	drv_avail(&d)[1] = 9;
	ok(breaks("ran ahead"), "available index 9 ahead of an 8-entry queue: broken");

	fresh(8, 0, 0);
	drv_post(&d, 8);
	ok(breaks("head"), "head index 8 of 8: broken");

	fresh(8, 0, 0);
	drv_desc(&d, 0, a, 4, VIRTQ_DESC_F_NEXT, 200);
	drv_post(&d, 0);
	ok(breaks("next descriptor index"), "next index 200: broken");

	fresh(8, 0, 0);
	drv_desc(&d, 0, a, 4, VIRTQ_DESC_F_NEXT, 0);
	drv_post(&d, 0);
	ok(breaks("longer than the queue"), "descriptor pointing at itself: broken");

	fresh(8, 0, 0);
	drv_desc(&d, 0, a, 4, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(&d, 1, a, 4, VIRTQ_DESC_F_NEXT, 2);
	drv_desc(&d, 2, a, 4, VIRTQ_DESC_F_NEXT, 0);
	drv_post(&d, 0);
	ok(breaks("longer than the queue"), "loop 0->1->2->0: broken");

	fresh(8, 0, 0);
	drv_desc(&d, 0, DRV_RAM - 10, 20, 0, 0);
	drv_post(&d, 0);
	ok(breaks("outside guest RAM"), "buffer running past the end of RAM: broken");

	fresh(8, 0, 0);
	drv_desc(&d, 0, 0xfffffffffffffff0ULL, 0x20, 0, 0);
	drv_post(&d, 0);
	ok(breaks("outside guest RAM"), "buffer whose end wraps past 2^64: broken");

	fresh(8, 0, 0);
	drv_desc(&d, 0, a, 0xffffffff, VIRTQ_DESC_F_WRITE, 0);
	drv_post(&d, 0);
	ok(breaks("outside guest RAM"), "4 GiB buffer in 1 MiB of RAM: broken");

	fresh(8, 0, 0);
	drv_desc(&d, 0, a, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	drv_desc(&d, 1, a, 4, 0, 0);
	drv_post(&d, 0);
	ok(breaks("readable descriptor after a writable"), "readable after writable: broken");

	/* A broken queue is restarted by the transport after a reset, and
	 * the driver rewrites its rings. */
	drv_avail(&d)[1] = d.avail_idx = 0;
	drv_queue(&d, &q);
	ok(virtq_start(&q, &d.m) == 0 && virtq_pop(&q, &c) == VIRTQ_EMPTY,
	    "restarted after the break: empty, indices from 0");
}

static void
test_indirect(void)
{
	uint64_t tab, a = drv_buf(&d, 16, 'i');

	fresh(8, 1, 0);
	tab = drv_buf(&d, 48, 0);
	drv_desc_at(&d, tab, 0, a, 16, VIRTQ_DESC_F_NEXT, 2);
	drv_desc_at(&d, tab, 2, a, 8, VIRTQ_DESC_F_NEXT, 1);
	drv_desc_at(&d, tab, 1, a, 32, VIRTQ_DESC_F_WRITE, 0);
	drv_desc(&d, 3, tab, 48, VIRTQ_DESC_F_INDIRECT, 0);
	drv_post(&d, 3);
	ok(virtq_pop(&q, &c) == VIRTQ_CHAIN && c.head == 3 && c.nout == 2 &&
	    c.nin == 1 && c.out_len == 24 && c.in_len == 32,
	    "indirect table of 3: two readable, one writable, head 3");

	/* Direct descriptors, then the indirect one ending the chain. */
	drv_desc(&d, 0, a, 4, VIRTQ_DESC_F_NEXT, 3);
	drv_post(&d, 0);
	ok(virtq_pop(&q, &c) == VIRTQ_CHAIN && c.nout == 3 && c.out_len == 28,
	    "a direct descriptor chained to an indirect table");

	fresh(8, 0, 0);
	drv_desc(&d, 0, tab, 48, VIRTQ_DESC_F_INDIRECT, 0);
	drv_post(&d, 0);
	ok(breaks("not negotiated"), "indirect without the feature: broken");

	fresh(8, 1, 0);
	drv_desc(&d, 0, tab, 40, VIRTQ_DESC_F_INDIRECT, 0);
	drv_post(&d, 0);
	ok(breaks("multiple of 16"), "indirect table of 40 bytes: broken");

	fresh(8, 1, 0);
	drv_desc(&d, 0, tab, 0, VIRTQ_DESC_F_INDIRECT, 0);
	drv_post(&d, 0);
	ok(breaks("multiple of 16"), "empty indirect table: broken");

	fresh(8, 1, 0);
	drv_desc(&d, 0, tab, 48, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	drv_post(&d, 0);
	ok(breaks("with NEXT"), "indirect with NEXT: broken");

	fresh(8, 1, 0);
	drv_desc_at(&d, tab, 0, tab, 48, VIRTQ_DESC_F_INDIRECT, 0);
	drv_desc(&d, 0, tab, 48, VIRTQ_DESC_F_INDIRECT, 0);
	drv_post(&d, 0);
	ok(breaks("nested"), "indirect table holding an indirect descriptor: broken");

	fresh(8, 1, 0);
	drv_desc_at(&d, tab, 0, a, 4, VIRTQ_DESC_F_NEXT, 3);
	drv_desc(&d, 0, tab, 48, VIRTQ_DESC_F_INDIRECT, 0);
	drv_post(&d, 0);
	ok(breaks("index out of range"), "next index 3 in a 3-entry table: broken");

	fresh(8, 1, 0);
	drv_desc_at(&d, tab, 0, a, 4, VIRTQ_DESC_F_NEXT, 1);
	drv_desc_at(&d, tab, 1, a, 4, VIRTQ_DESC_F_NEXT, 0);
	drv_desc(&d, 0, tab, 48, VIRTQ_DESC_F_INDIRECT, 0);
	drv_post(&d, 0);
	ok(breaks("longer than the queue"), "loop inside an indirect table: broken");

	/* 9 linear entries in an indirect table of an 8-entry queue. */
	fresh(8, 1, 0);
	tab = drv_buf(&d, 16 * 9, 0);
	for (unsigned i = 0; i < 9; i++)
		drv_desc_at(&d, tab, i, a, 1, i < 8 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	drv_desc(&d, 0, tab, 16 * 9, VIRTQ_DESC_F_INDIRECT, 0);
	drv_post(&d, 0);
	ok(breaks("longer than the queue"), "indirect chain of 9 in a queue of 8: broken");

	fresh(8, 1, 0);
	drv_desc(&d, 0, DRV_RAM - 32, 48, VIRTQ_DESC_F_INDIRECT, 0);
	drv_post(&d, 0);
	ok(breaks("indirect table outside"), "indirect table past the end of RAM: broken");

	fresh(8, 1, 0);
	drv_desc_at(&d, tab, 0, DRV_RAM, 1, 0, 0);
	drv_desc(&d, 0, tab, 16, VIRTQ_DESC_F_INDIRECT, 0);
	drv_post(&d, 0);
	ok(breaks("buffer outside"), "indirect entry pointing past RAM: broken");
}

static void
test_signal(void)
{
	uint64_t a = drv_buf(&d, 4, 0);
	unsigned i;

	/* Without EVENT_IDX: avail->flags NO_INTERRUPT. */
	fresh(8, 0, 0);
	drv_desc(&d, 0, a, 4, 0, 0);
	ok(virtq_should_signal(&q) == 0, "nothing used: no interrupt");
	drv_post(&d, 0);
	virtq_pop(&q, &c);
	virtq_push(&q, 0, 0);
	ok(virtq_should_signal(&q) == 1, "used entry: interrupt");
	ok(virtq_should_signal(&q) == 0, "same entry again: none");
	drv_avail(&d)[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	drv_post(&d, 0);
	virtq_pop(&q, &c);
	virtq_push(&q, 0, 0);
	ok(virtq_should_signal(&q) == 0, "NO_INTERRUPT honoured");

	ok(virtq_notify_on(&q, 0) == 0 && drv_used16(&d)[0] == VIRTQ_USED_F_NO_NOTIFY,
	    "notifications off: used->flags NO_NOTIFY");
	ok(virtq_notify_on(&q, 1) == 0 && drv_used16(&d)[0] == 0,
	    "notifications on: flags cleared, nothing pending");
	drv_post(&d, 0);
	ok(virtq_notify_on(&q, 1) == 1, "notifications on with a chain waiting: 1");

	/* EVENT_IDX: interrupt only when used->idx passes used_event. */
	fresh(8, 0, 1);
	drv_desc(&d, 0, a, 4, 0, 0);
	drv_used_event(&d, 2);
	int sig[5];
	for (i = 0; i < 5; i++) {
		drv_post(&d, 0);
		virtq_pop(&q, &c);
		virtq_push(&q, 0, 0);
		sig[i] = virtq_should_signal(&q);
	}
	ok(!sig[0] && !sig[1] && sig[2] && !sig[3] && !sig[4],
	    "used_event 2: only the push making used->idx 3 interrupts");
	drv_used_event(&d, 5);
	drv_post(&d, 0); drv_post(&d, 0);
	virtq_pop(&q, &c); virtq_push(&q, 0, 0);
	virtq_pop(&q, &c); virtq_push(&q, 0, 0);
	ok(virtq_should_signal(&q) == 1, "two pushes jumping over used_event: interrupt");
	virtq_notify_on(&q, 1);
	ok(drv_avail_event(&d) == q.last_avail && q.last_avail == 7,
	    "notifications on: avail_event = next index to take (7)");

	ok(virtq_need_event(0, 1, 0) && !virtq_need_event(1, 1, 0) &&
	    virtq_need_event(65535, 0, 65535) && virtq_need_event(65534, 1, 65530) &&
	    !virtq_need_event(5, 1, 65530), "vring_need_event across the 16-bit wrap");
}

int
main(void)
{
	test_start();
	test_chain();
	test_wrap();
	test_broken();
	test_indirect();
	test_signal();
	free(d.m.host);
	return done_testing();
}
