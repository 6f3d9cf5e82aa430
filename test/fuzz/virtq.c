/* libFuzzer target for the split-virtqueue walker (vmm/virtq.c).
 *
 * Input: 4 bytes of set-up (queue size 2^(b0%7), b1 bit 0 INDIRECT_DESC,
 * bit 1 EVENT_IDX, b2..b3 the 16-bit index both sides start from, so the
 * wrap at 65536 is reached), then the first bytes of an 8 KiB guest RAM
 * holding the descriptor table at 0, the available ring at 0x400 and the
 * used ring at 0x600; everything else (indirect tables, buffers) is
 * wherever the descriptors point.  Every chain the walker accepts must lie
 * wholly inside guest RAM and be no longer than the queue; whatever it
 * rejects must leave the queue stopped. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtq.h"

#define RAM 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static struct virtq_chain c;
	struct guest_mem m;
	struct virtq q;
	uint16_t start;
	unsigned i, k, round;
	int r;

	if (size < 4)
		return 0;
	if (!ram)
		ram = aligned_alloc(4096, RAM);
	memset(ram, 0, RAM);
	memcpy(ram, data + 4, size - 4 < RAM ? size - 4 : RAM);
	m.host = ram;
	m.size = RAM;
	virtq_reset(&q);
	q.size = 1u << (data[0] % 7);
	q.indirect = data[1] & 1;
	q.event_idx = !!(data[1] & 2);
	q.desc_gpa = 0;
	q.avail_gpa = 0x400;
	q.used_gpa = 0x600;
	if (virtq_start(&q, &m) < 0)
		abort();    /* this layout is always valid */
	memcpy(&start, data + 2, 2);
	q.last_avail = q.used_idx = q.signalled = start;

	/* The avail index is the guest's: at most size pops can succeed
	 * before it must be re-read, so 2 * size + 1 rounds end it. */
	for (round = 0; round <= 2u * q.size; round++) {
		r = virtq_pop(&q, &c);
		if (r == VIRTQ_EMPTY)
			break;
		if (r == VIRTQ_BROKEN) {
			if (!q.why || q.ready || virtq_pop(&q, &c) != VIRTQ_EMPTY)
				abort();
			break;
		}
		if (c.head >= q.size || c.nout + c.nin > q.size)
			abort();
		uint64_t out = 0, in = 0;
		for (i = 0; i < c.nout + c.nin; i++) {
			const uint8_t *b = c.iov[i].iov_base;
			if (b < ram || b + c.iov[i].iov_len > ram + RAM || !c.iov[i].iov_len)
				abort();
			/* Touch both ends: ASan sees any stray pointer. */
			k = b[0] + b[c.iov[i].iov_len - 1];
			(void)k;
			*(i < c.nout ? &out : &in) += c.iov[i].iov_len;
		}
		if (out != c.out_len || in != c.in_len)
			abort();
		virtq_push(&q, c.head, (uint32_t)c.in_len);
		virtq_should_signal(&q);
	}
	virtq_notify_on(&q, 1);
	return 0;
}
