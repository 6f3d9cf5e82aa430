/* vmm/bzimage.h: the kernel image, parsed and checked before anything is
 * copied into guest RAM: a bzImage's Linux x86 boot protocol header
 * (Documentation/arch/x86/boot.rst), or an uncompressed vmlinux (ELF64,
 * x86-64), whose PT_LOAD segments go to their physical addresses and
 * which is entered at its ELF entry (phys_startup_64) by the 64-bit boot
 * protocol, as Firecracker boots it: no decompression in the guest. */
#ifndef VMM_BZIMAGE_H
#define VMM_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Oldest protocol accepted: 2.10 brings init_size and pref_address, which
 * placing the kernel and the initrd safely depends on. */
#define BZ_MIN_PROTOCOL 0x020a
/* A vmlinux: at most this many PT_LOAD segments (Linux has 4 or 5). */
#define BZ_SEG_MAX 16
/* A vmlinux has no header to say it: x86-64's COMMAND_LINE_SIZE. */
#define BZ_ELF_CMDLINE 2048

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
	int elf;                 /* a vmlinux: the fields below, not the above */
	uint64_t elf_entry;      /* guest-physical entry */
	uint64_t elf_end;        /* first byte above every segment */
	unsigned nseg;
	struct {
		uint64_t off, filesz, memsz, paddr;
	} seg[BZ_SEG_MAX];
};

/* Parse img[0..len): a vmlinux if it starts with ELF's magic, else a
 * bzImage.  0, or -1 with *why set to a static reason ("not a bzImage: no
 * HdrS signature", ...). */
int bzimage_parse(const uint8_t *img, size_t len, struct bzimage *bz,
    const char **why);

#endif
