/* vmm/boot.c: the Linux x86 boot protocol, 64-bit entry.
 *
 * Why the 64-bit entry: it skips the kernel's 32-bit stub (which builds its
 * own page tables and switches to long mode: more work, more exits), and
 * costs us only the identity map and a flat GDT, which the protocol spells
 * out ("64-bit boot protocol" in boot.rst).  Kernels whose header does not
 * announce that entry (XLF_KERNEL_64 missing, protocol < 2.12) get the
 * 32-bit entry at the load address instead: flat 32-bit segments, paging
 * off. */
#include <string.h>
#include <asm/bootparam.h>

#include "boot.h"
#include "layout.h"

#define E820_RAM      1
#define E820_RESERVED 2

/* A flat segment descriptor: base 0, limit 0xfffff pages. */
static uint64_t
seg(uint64_t flags)
{
	/* flags: bits 0..7 access byte, 12..15 G/DB/L/AVL */
	return 0xffffULL | (flags & 0xff) << 40 | 0xfULL << 48 |
	    (flags >> 12 & 0xf) << 52;
}

void
boot_gdt(uint64_t gdt[BOOT_GDT_ENTRIES], int entry64)
{
	gdt[0] = 0;
	gdt[1] = 0;
	/* present, ring 0, code exec/read; G=1 and L=1 (64-bit) or D=1 (32-bit) */
	gdt[BOOT_CS / 8] = seg(entry64 ? 0xa09b : 0xc09b);
	/* present, ring 0, data read/write, G=1 D=1 */
	gdt[BOOT_DS / 8] = seg(0xc093);
	/* a busy 32-bit TSS: KVM wants a valid TR even though nothing uses it */
	gdt[BOOT_TSS / 8] = seg(0x808b);
}

static int
put(struct guest_mem *m, uint64_t gpa, const void *src, size_t len)
{
	void *p = gm_ptr(m, gpa, len);

	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}

/* PML4 -> one PDPT -> four PDs of 2 MiB pages: guest-physical 0..4 GiB 1:1. */
static int
page_tables(struct guest_mem *m)
{
	uint64_t *pml4 = gm_ptr(m, PML4_ADDR, 4096);
	uint64_t *pdpt = gm_ptr(m, PDPT_ADDR, 4096);
	uint64_t *pd = gm_ptr(m, PD_ADDR, 4 * 4096);
	unsigned i;

	if (!pml4 || !pdpt || !pd)
		return -1;
	pml4[0] = PDPT_ADDR | 0x3;                      /* present, writable */
	for (i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * 4096) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = (uint64_t)i << 21 | 0x83;       /* present, writable, 2 MiB */
	return 0;
}

/* The kernel into guest RAM: a bzImage's protected-mode part at 1 MiB
 * (it decompresses itself to where it runs, init_size bytes), or each
 * segment of a vmlinux at its physical address (the rest of its memsz is
 * RAM already zero).  Sets bi->kernel_end. */
static int
kernel_put(struct guest_mem *m, const struct bzimage *bz, const uint8_t *img,
    struct boot_info *bi)
{
	uint64_t run_at;

	if (bz->elf) {
		bi->kernel_end = bz->elf_end;
		if (bi->kernel_end > m->size)
			return -1;
		for (unsigned i = 0; i < bz->nseg; i++)
			if (put(m, bz->seg[i].paddr, img + bz->seg[i].off,
			    bz->seg[i].filesz))
				return -1;
		return 0;
	}
	/* A relocatable kernel decompresses to pref_address when it lies above
	 * the load address; it needs init_size bytes from where it runs. */
	run_at = bz->pref_address > HIMEM_START ? bz->pref_address : HIMEM_START;
	bi->kernel_end = run_at + bz->init_size;
	if (bi->kernel_end > m->size || bz->kernel_len > m->size - HIMEM_START)
		return -1;
	return put(m, HIMEM_START, img + bz->kernel_off, bz->kernel_len);
}

/* At the reset vector, in real mode: mov al, 0xfe; out 0x64, al; hlt;
 * jmp back to the hlt.  See layout.h RESET_VECTOR. */
static const uint8_t reset_stub[] = { 0xb0, 0xfe, 0xe6, 0x64, 0xf4, 0xeb, 0xfd };

uint64_t
boot_initrd_len(const struct boot_part *part, unsigned nparts)
{
	uint64_t off = 0;

	for (unsigned i = 0; i < nparts; i++)
		off = ((off + 3) & ~3ULL) + part[i].len;
	return off;
}

/* The parts at gpa, each from a multiple of 4, zeros between. */
static int
initrd_put(struct guest_mem *m, uint64_t gpa, const struct boot_part *part,
    unsigned nparts)
{
	uint64_t off = 0, at;
	uint8_t *z;

	for (unsigned i = 0; i < nparts; i++) {
		at = (off + 3) & ~3ULL;
		if (at > off) {
			if (!(z = gm_ptr(m, gpa + off, at - off)))
				return -1;
			memset(z, 0, at - off);
		}
		if (put(m, gpa + at, part[i].p, part[i].len))
			return -1;
		off = at + part[i].len;
	}
	return 0;
}

int
boot_load(struct guest_mem *m, const struct bzimage *bz,
    const uint8_t *img, const struct boot_part *initrd, unsigned nparts,
    const char *cmdline, uint64_t rsdp, struct boot_info *bi,
    const char **why)
{
	struct boot_params bp;
	uint64_t gdt[BOOT_GDT_ENTRIES];
	uint64_t top, initrd_len = boot_initrd_len(initrd, nparts);
	size_t cl = strlen(cmdline);
	unsigned n = 0;

	memset(bi, 0, sizeof(*bi));
	if (cl > bz->cmdline_size || cl >= CMDLINE_MAX) {
		*why = "command line longer than the kernel accepts";
		return -1;
	}
	if (kernel_put(m, bz, img, bi) || put(m, CMDLINE_ADDR, cmdline, cl + 1)) {
		*why = "guest RAM too small for the kernel";
		return -1;
	}

	memset(&bp, 0, sizeof(bp));
	/* A bzImage's setup header is copied as the image has it; a
	 * vmlinux has none, so the fields the kernel reads are made up as
	 * a boot loader would find them.  Then the fields a boot loader must
	 * fill in (boot.rst, "Details of header fields"). */
	if (bz->elf) {
		bp.hdr.boot_flag = 0xaa55;
		bp.hdr.header = 0x53726448;     /* "HdrS" */
		bp.hdr.version = bz->version;
		bp.hdr.kernel_alignment = 0x1000000;
		bp.hdr.initrd_addr_max = bz->initrd_addr_max;
		bp.hdr.cmdline_size = bz->cmdline_size;
	} else {
		memcpy(&bp.hdr, img + 0x1f1, bz->hdr_len < sizeof(bp.hdr) ?
		    bz->hdr_len : sizeof(bp.hdr));
	}
	bp.hdr.type_of_loader = 0xff;           /* undefined boot loader */
	bp.hdr.cmd_line_ptr = CMDLINE_ADDR;
	bp.hdr.cmdline_size = cl;
	bp.acpi_rsdp_addr = rsdp;

	if (initrd_len > 0xffffffffULL) {	/* ramdisk_size is 32 bits */
		*why = "initrd of 4 GiB or more";
		return -1;
	}
	if (initrd_len) {
		/* As high as allowed: below initrd_addr_max and RAM's end, page
		 * aligned, clear of the kernel's decompression area. */
		top = m->size;
		if ((uint64_t)bz->initrd_addr_max + 1 < top)
			top = (uint64_t)bz->initrd_addr_max + 1;
		if (initrd_len > top || ((top - initrd_len) & ~0xfffULL) < bi->kernel_end) {
			*why = "guest RAM too small for the kernel and the initrd";
			return -1;
		}
		bi->initrd_addr = (top - initrd_len) & ~0xfffULL;
		if (initrd_put(m, bi->initrd_addr, initrd, nparts)) {
			*why = "guest RAM too small for the initrd";
			return -1;
		}
		bp.hdr.ramdisk_image = bi->initrd_addr;
		bp.hdr.ramdisk_size = initrd_len;
	}

	/* e820: low RAM up to the EBDA, the EBDA/VGA/BIOS hole (where the ACPI
	 * tables live) reserved, then RAM from 1 MiB to the end. */
	bp.e820_table[n++] = (struct boot_e820_entry){ 0, EBDA_START, E820_RAM };
	bp.e820_table[n++] = (struct boot_e820_entry){ EBDA_START,
	    HIMEM_START - EBDA_START, E820_RESERVED };
	bp.e820_table[n++] = (struct boot_e820_entry){ HIMEM_START,
	    m->size - HIMEM_START, E820_RAM };
	bp.e820_entries = n;

	boot_gdt(gdt, bz->entry64);
	if (put(m, RESET_VECTOR, reset_stub, sizeof(reset_stub)) ||
	    put(m, ZERO_PAGE_ADDR, &bp, sizeof(bp)) ||
	    put(m, BOOT_GDT_ADDR, gdt, sizeof(gdt)) || page_tables(m)) {
		*why = "guest RAM too small for the boot structures";
		return -1;
	}
	bi->entry64 = bz->entry64;
	bi->entry = bz->elf ? bz->elf_entry :
	    HIMEM_START + (bz->entry64 ? 0x200 : 0);
	return 0;
}
