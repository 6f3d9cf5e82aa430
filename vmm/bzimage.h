/* vmm/bzimage.h: the Linux x86 boot protocol header of a bzImage
 * (Documentation/arch/x86/boot.rst), parsed and checked before anything is
 * copied into guest RAM. */
#ifndef VMM_BZIMAGE_H
#define VMM_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Oldest protocol accepted: 2.10 brings init_size and pref_address, which
 * placing the kernel and the initrd safely depends on. */
#define BZ_MIN_PROTOCOL 0x020a

struct bzimage {
	uint16_t version;        /* boot protocol, 0x020f = 2.15 */
	unsigned setup_sects;    /* real-mode setup, in 512-byte sectors (after the boot sector) */
	uint64_t kernel_off;     /* protected-mode kernel: file offset ... */
	uint64_t kernel_len;     /* ... and length */
	uint32_t initrd_addr_max;/* highest address the initrd may occupy */
	uint32_t cmdline_size;   /* max command line length, without the NUL */
	uint32_t init_size;      /* memory the kernel needs from its load address */
	uint64_t pref_address;   /* where a relocatable kernel prefers to run */
	uint16_t xloadflags;
	int entry64;             /* has the 64-bit entry at load address + 0x200 */
	size_t hdr_len;          /* bytes of setup header to copy from 0x1f1 */
};

/* Parse img[0..len).  0, or -1 with *why set to a static reason
 * ("not a bzImage: no HdrS signature", ...). */
int bzimage_parse(const uint8_t *img, size_t len, struct bzimage *bz,
    const char **why);

#endif
