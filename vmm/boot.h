/* vmm/boot.h: putting a bzImage, its initrd, command line and boot_params
 * into guest RAM, and the page tables and GDT for the entry. */
#ifndef VMM_BOOT_H
#define VMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "bzimage.h"
#include "mem.h"

struct boot_info {
	uint64_t entry;          /* guest-physical entry point */
	int entry64;             /* 1: enter in long mode, 0: 32-bit protected mode */
	uint64_t initrd_addr;    /* 0 when there is no initrd */
	uint64_t kernel_end;     /* first byte above what the kernel may use */
};

/* The initrd is up to BOOT_INITRD_PARTS files (vmrun -i ... -i ...) laid
 * one after another, each from an offset that is a multiple of 4, zeros
 * between: Linux unpacks concatenated cpio archives, compressed or not, as
 * one initramfs and skips zeros between them, but looks for an
 * uncompressed archive's magic only at such an offset.  husk run -C
 * appends a job's directory (guest-agent pack) to the image so. */
#define BOOT_INITRD_PARTS 4
struct boot_part {
	const uint8_t *p;
	size_t len;
};

/* The initrd's length: the parts, each started at a multiple of 4. */
uint64_t boot_initrd_len(const struct boot_part *part, unsigned nparts);

/* Load kernel, initrd (nparts 0: none) and cmdline per the boot protocol
 * and write boot_params (setup header, e820, acpi_rsdp_addr = rsdp), the
 * identity page tables and the GDT.  Guest RAM must be zeroed.  0, or -1
 * with *why set to a static reason. */
int boot_load(struct guest_mem *m, const struct bzimage *bz,
    const uint8_t *img, const struct boot_part *initrd, unsigned nparts,
    const char *cmdline, uint64_t rsdp, struct boot_info *bi,
    const char **why);

/* GDT selectors the boot protocol requires: __BOOT_CS and __BOOT_DS. */
#define BOOT_CS   0x10
#define BOOT_DS   0x18
#define BOOT_TSS  0x20
#define BOOT_GDT_ENTRIES 5
/* The GDT entries boot_load writes (64-bit or 32-bit code segment). */
void boot_gdt(uint64_t gdt[BOOT_GDT_ENTRIES], int entry64);

#endif
