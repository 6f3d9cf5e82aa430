/* vmm/tap.h: the host side of virtio-net, a tap interface.
 *
 * Opened IFF_TAP|IFF_NO_PI|IFF_VNET_HDR with a 12-byte vnet header
 * (TUNSETVNETHDRSZ 12): each read or write is one Ethernet frame preceded
 * by the same struct virtio_net_hdr_v1 the guest uses with
 * VIRTIO_F_VERSION_1 (little-endian, which is the tap's native order on
 * x86), so frames pass between tap and guest buffers without conversion.
 * tun fills the first 10 bytes and leaves num_buffers to us. */
#ifndef VMM_TAP_H
#define VMM_TAP_H

#include <stdint.h>

#define TAP_VNET_HDR_LEN 12

/* Open (and create, given CAP_NET_ADMIN) the tap NAME, non-blocking and
 * close-on-exec.  The fd, or -1 with errno (ENAMETOOLONG for a name that
 * does not fit IFNAMSIZ). */
int tap_open(const char *name);
/* The TUNSETOFFLOAD flags for the guest's acked virtio-net features:
 * what the guest can take from the tap (GUEST_CSUM -> TUN_F_CSUM, and only
 * with it GUEST_TSO4/6, GUEST_ECN, GUEST_UFO). */
unsigned tap_offload_flags(uint64_t guest_features);
/* TUNSETOFFLOAD; 0 or -1 errno. */
int tap_set_offload(int fd, unsigned flags);

#endif
