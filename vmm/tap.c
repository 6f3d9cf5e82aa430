/* vmm/tap.c: tap open and offloads, see tap.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "io.h"
#include "ioctl.h"
#include "tap.h"

_Static_assert(sizeof(struct virtio_net_hdr_v1) == TAP_VNET_HDR_LEN,
    "the tap's vnet header is virtio 1.x's virtio_net_hdr_v1");

int
tap_open(const char *name)
{
	struct ifreq ifr;
	int fd, hdr = TAP_VNET_HDR_LEN;

	if (strlen(name) >= IFNAMSIZ || !*name) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (vmm_ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    vmm_ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    /* Nothing the guest has not acked yet: full checksums, no GSO. */
	    vmm_ioctl(fd, TUNSETOFFLOAD, 0) < 0)
		return io_close_fail(fd);
	return fd;
}

unsigned
tap_offload_flags(uint64_t f)
{
	unsigned fl = 0;

#define HAS(b) (f & (1ULL << (b)))
	/* tun ignores the GSO flags without TUN_F_CSUM, and a GSO frame
	 * always carries a partial checksum: so only with GUEST_CSUM. */
	if (!HAS(VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	fl |= TUN_F_CSUM;
	if (HAS(VIRTIO_NET_F_GUEST_TSO4))
		fl |= TUN_F_TSO4;
	if (HAS(VIRTIO_NET_F_GUEST_TSO6))
		fl |= TUN_F_TSO6;
	if (HAS(VIRTIO_NET_F_GUEST_ECN) && (fl & (TUN_F_TSO4 | TUN_F_TSO6)))
		fl |= TUN_F_TSO_ECN;
	if (HAS(VIRTIO_NET_F_GUEST_UFO))
		fl |= TUN_F_UFO;
#undef HAS
	return fl;
}

int
tap_set_offload(int fd, unsigned flags)
{
	return vmm_ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags);
}
