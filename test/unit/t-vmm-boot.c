/* boot_params, e820, command line, initrd placement, page tables and GDT
 * (vmm/boot.c) in a guest RAM buffer. */
#include <string.h>
#include <asm/bootparam.h>

#include "boot.h"
#include "layout.h"
#include "tap.h"
#include "bz-fake.h"

#define MIB (1024 * 1024ULL)

int
main(void)
{
	size_t len;
	uint8_t *img = bz_fake(8192, &len);
	struct guest_mem m = { calloc(1, 64 * MIB), 64 * MIB };
	uint8_t initrd[10000];
	struct boot_part one = { initrd, sizeof(initrd) };
	struct bzimage bz;
	struct boot_info bi;
	struct boot_params *bp;
	const char *why;
	uint64_t *pml4, *pdpt, *pd, gdt[BOOT_GDT_ENTRIES];
	char longcl[3000];

	memset(initrd, 0xab, sizeof(initrd));
	ok(bzimage_parse(img, len, &bz, &why) == 0, "fake image parses");
	ok(boot_load(&m, &bz, img, &one, 1, "console=ttyS0 x=1",
	    ACPI_ADDR, &bi, &why) == 0, "boot_load succeeds");
	bp = (struct boot_params *)(m.host + ZERO_PAGE_ADDR);

	ok(bi.entry == HIMEM_START + 0x200 && bi.entry64, "64-bit entry at 1 MiB + 0x200");
	ok(m.host[HIMEM_START] == 0x90 && m.host[HIMEM_START + 8191] == 0x90 &&
	    m.host[HIMEM_START + 8192] == 0, "kernel copied to 1 MiB");
	ok(!strcmp((char *)m.host + CMDLINE_ADDR, "console=ttyS0 x=1") &&
	    bp->hdr.cmd_line_ptr == CMDLINE_ADDR && bp->hdr.cmdline_size == 17,
	    "command line and its pointer");
	ok(bp->hdr.type_of_loader == 0xff && bp->hdr.version == 0x020f &&
	    bp->hdr.boot_flag == 0xaa55 && bp->hdr.header == 0x53726448,
	    "setup header copied, loader type set");
	ok(bp->acpi_rsdp_addr == ACPI_ADDR, "acpi_rsdp_addr");

	ok(bi.initrd_addr % 4096 == 0 && bi.initrd_addr + sizeof(initrd) <= m.size &&
	    m.size - (bi.initrd_addr + sizeof(initrd)) < 4096,
	    "initrd page-aligned at the top of RAM (0x%llx)",
	    (unsigned long long)bi.initrd_addr);
	ok(bp->hdr.ramdisk_image == bi.initrd_addr &&
	    bp->hdr.ramdisk_size == sizeof(initrd) &&
	    !memcmp(m.host + bi.initrd_addr, initrd, sizeof(initrd)),
	    "initrd copied and described");
	ok(bi.initrd_addr >= 0x1000000 + 0x100000,
	    "initrd clear of the kernel's run area (pref_address + init_size)");

	ok(bp->e820_entries == 3, "three e820 entries");
	ok(bp->e820_table[0].addr == 0 && bp->e820_table[0].size == EBDA_START &&
	    bp->e820_table[0].type == 1, "e820: low RAM to the EBDA");
	ok(bp->e820_table[1].addr == EBDA_START &&
	    bp->e820_table[1].addr + bp->e820_table[1].size == HIMEM_START &&
	    bp->e820_table[1].type == 2, "e820: EBDA..1 MiB reserved (ACPI inside)");
	ok(bp->e820_table[2].addr == HIMEM_START &&
	    bp->e820_table[2].addr + bp->e820_table[2].size == m.size &&
	    bp->e820_table[2].type == 1, "e820: 1 MiB to the end of RAM");
	ok(ACPI_ADDR >= EBDA_START && ACPI_ADDR + ACPI_SIZE <= RESET_VECTOR,
	    "layout: the ACPI tables lie in the reserved hole, below the reset vector");
	ok(!memcmp(m.host + RESET_VECTOR, "\xb0\xfe\xe6\x64\xf4\xeb\xfd", 7),
	    "reset vector: out 0xfe to port 0x64, then halt");

	pml4 = (uint64_t *)(m.host + PML4_ADDR);
	pdpt = (uint64_t *)(m.host + PDPT_ADDR);
	pd = (uint64_t *)(m.host + PD_ADDR);
	ok(pml4[0] == (PDPT_ADDR | 3) && pdpt[3] == ((PD_ADDR + 3 * 4096) | 3),
	    "PML4 -> PDPT -> 4 page directories");
	ok(pd[0] == 0x83 && pd[1] == (0x200000 | 0x83) &&
	    pd[2047] == (0xffe00000ULL | 0x83), "2 MiB pages map 0..4 GiB 1:1");
	boot_gdt(gdt, 1);
	ok(!memcmp(m.host + BOOT_GDT_ADDR, gdt, sizeof(gdt)) &&
	    gdt[BOOT_CS / 8] == 0x00af9b000000ffffULL &&
	    gdt[BOOT_DS / 8] == 0x00cf93000000ffffULL,
	    "GDT: flat 64-bit __BOOT_CS 0x10, data __BOOT_DS 0x18");
	boot_gdt(gdt, 0);
	ok(gdt[BOOT_CS / 8] == 0x00cf9b000000ffffULL, "GDT: 32-bit code for the 32-bit entry");
	ok(BOOT_GDT_ADDR + sizeof(gdt) <= BOOT_IDT_ADDR, "layout: GDT below the IDT");

	/* failures */
	memset(longcl, 'a', sizeof(longcl) - 1);
	longcl[sizeof(longcl) - 1] = 0;
	memset(m.host, 0, m.size);
	ok(boot_load(&m, &bz, img, NULL, 0, longcl, ACPI_ADDR, &bi, &why) < 0 &&
	    strstr(why, "command line"), "command line over cmdline_size refused");
	ok(boot_load(&m, &bz, img, NULL, 0, "", ACPI_ADDR, &bi, &why) == 0 &&
	    bi.initrd_addr == 0 && ((struct boot_params *)(m.host +
	    ZERO_PAGE_ADDR))->hdr.ramdisk_size == 0, "no initrd: none described");
	{
		size_t big = 64 * MIB - 0x1000000;
		uint8_t *huge = calloc(1, big);
		ok(boot_load(&m, &bz, img, &(struct boot_part){ huge, big },
		    1, "", ACPI_ADDR, &bi, &why) < 0 &&
		    strstr(why, "initrd"), "initrd overlapping the kernel refused");
		free(huge);
	}
	{
		struct guest_mem small = { m.host, 16 * MIB };
		ok(boot_load(&small, &bz, img, NULL, 0, "", ACPI_ADDR, &bi, &why) < 0 &&
		    strstr(why, "too small"), "RAM below pref_address + init_size refused");
	}
	{
		/* Parts of 5, 6 and 7 bytes: at 0, 8 and 16, zeros between
		 * (written, not assumed: the RAM here is dirty). */
		static const uint8_t a[5] = "aaaaa", b[6] = "bbbbbb",
		    c[7] = "ccccccc";
		struct boot_part three[3] = { { a, 5 }, { b, 6 }, { c, 7 } };
		static const uint8_t want[23] = "aaaaa\0\0\0bbbbbb\0\0"
		    "ccccccc";
		struct boot_params *p = (struct boot_params *)(m.host +
		    ZERO_PAGE_ADDR);
		memset(m.host + 32 * MIB, 0xee, 32 * MIB);
		ok(boot_load(&m, &bz, img, three, 3, "", ACPI_ADDR, &bi,
		    &why) == 0, "three initrd parts load");
		ok(p->hdr.ramdisk_image == bi.initrd_addr &&
		    p->hdr.ramdisk_size == 23 && bi.initrd_addr % 4096 == 0 &&
		    !memcmp(m.host + bi.initrd_addr, want, 23),
		    "one initrd of 23 bytes: each part from a multiple of 4, "
		    "zeros between");
		ok(boot_initrd_len(NULL, 0) == 0 &&
		    boot_initrd_len(three, 1) == 5 &&
		    boot_initrd_len(three, 2) == 14 &&
		    boot_initrd_len((struct boot_part[]){ { a, 4 }, { a, 4 } },
		    2) == 8 && boot_initrd_len((struct boot_part[]){ { a, 3 },
		    { a, 1 }, { a, 1 } }, 3) == 9, "boot_initrd_len");
		memset(m.host, 0, m.size);
	}
	put_le(img + 0x22c, 32 * MIB - 1, 4);  /* initrd_addr_max */
	bzimage_parse(img, len, &bz, &why);
	ok(boot_load(&m, &bz, img, &one, 1, "", ACPI_ADDR, &bi,
	    &why) == 0 && bi.initrd_addr + sizeof(initrd) <= 32 * MIB &&
	    bi.initrd_addr + sizeof(initrd) > 32 * MIB - 8192,
	    "initrd ends below initrd_addr_max");
	{
		/* A vmlinux: its segments at their physical addresses, the
		 * rest of memsz zero, entered at its ELF entry with a made-up
		 * header the kernel reads. */
		size_t elen;
		uint8_t *e = elf_fake(8192, &elen);
		memset(m.host, 0, 64 * MIB);
		ok(bzimage_parse(e, elen, &bz, &why) == 0 &&
		    boot_load(&m, &bz, e, &one, 1, "console=ttyS0",
		    ACPI_ADDR, &bi, &why) == 0, "a vmlinux loads");
		ok(bi.entry == 0x1000000 && bi.entry64, "entered at its ELF "
		    "entry, 64-bit");
		ok(m.host[0x1000000] == 0x11 && m.host[0x1000000 + 8191] == 0x11 &&
		    m.host[0x1000000 + 8192] == 0 && m.host[0x1400000] == 0x22 &&
		    m.host[0x1400000 + 4095] == 0x22 && m.host[0x1400000 + 4096] == 0,
		    "segments at their physical addresses, bss zero");
		ok(m.host[HIMEM_START] == 0, "nothing at 1 MiB");
		ok(bp->hdr.boot_flag == 0xaa55 && bp->hdr.header == 0x53726448 &&
		    bp->hdr.type_of_loader == 0xff &&
		    bp->hdr.cmd_line_ptr == CMDLINE_ADDR &&
		    bp->hdr.ramdisk_image == bi.initrd_addr &&
		    bp->hdr.ramdisk_size == sizeof(initrd) &&
		    bi.initrd_addr >= 0x1400000 + 8192, "its header made up: "
		    "HdrS, loader, command line, initrd above the kernel");
		{
			struct guest_mem small = { m.host, 0x1400000 + 4096 };
			ok(boot_load(&small, &bz, e, NULL, 0, "", ACPI_ADDR, &bi,
			    &why) < 0 && strstr(why, "too small"),
			    "RAM that ends inside a segment refused");
		}
		free(e);
	}
	free(m.host);
	free(img);
	return done_testing();
}
