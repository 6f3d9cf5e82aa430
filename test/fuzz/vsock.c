/* libFuzzer target for the vsock packet check (vmm/virtio_vsock.c,
 * vsock_pkt_check).
 *
 * Input: byte 0 says how the rest is cut into a chain's buffers (bits
 * 0-1: 1 to 4 readable buffers; bit 2: one more, writable), bytes 1-4
 * the cut points (each a length from what remains, mod 256), then the
 * packet's bytes.  The guest's CID is 3.  Whatever the check accepts must
 * be a stream packet from CID 3 to the host with a known op, whose length
 * fits its buffers and 64 KiB and is 0 unless it is RW, and whose header
 * is exactly the first 44 bytes; whatever it refuses must say why; a
 * writable buffer is always a broken ring. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_vsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_chain c;
	struct virtio_vsock_hdr h;
	const char *why = NULL;
	uint8_t *pkt;
	size_t len, off = 0, k;
	unsigned n, i;
	int r;

	if (size < 5)
		return 0;
	len = size - 5;
	/* A copy of its own, so ASan sees any read past a buffer. */
	if (!(pkt = malloc(len ? len : 1)))
		return 0;
	memcpy(pkt, data + 5, len);
	memset(&c, 0, sizeof c);
	n = (data[0] & 3) + 1 + !!(data[0] & 4);
	for (i = 0; i < n; i++) {
		k = i == n - 1 ? len - off : (len - off ? data[1 + i] % (len - off + 1) : 0);
		c.iov[i].iov_base = pkt + off;
		c.iov[i].iov_len = k;
		off += k;
		if ((data[0] & 4) && i == n - 1) {
			c.nin = 1;
			c.in_len = k;
		} else {
			c.nout++;
			c.out_len += k;
		}
	}
	r = vsock_pkt_check(&c, 3, &h, &why);
	if (r != VSOCK_PKT_OK && !why)
		abort();
	if (c.nin && r != VSOCK_PKT_BROKEN)
		abort();
	if (r == VSOCK_PKT_OK) {
		if (c.out_len < VSOCK_HDR_LEN || memcmp(&h, pkt, VSOCK_HDR_LEN) ||
		    h.src_cid != 3 || h.dst_cid != VSOCK_HOST_CID ||
		    h.type != VIRTIO_VSOCK_TYPE_STREAM ||
		    h.op < VIRTIO_VSOCK_OP_REQUEST || h.op > VIRTIO_VSOCK_OP_CREDIT_REQUEST ||
		    h.len > VSOCK_MAX_PKT || h.len > c.out_len - VSOCK_HDR_LEN ||
		    (h.op != VIRTIO_VSOCK_OP_RW && h.len))
			abort();
	}
	free(pkt);
	return 0;
}
