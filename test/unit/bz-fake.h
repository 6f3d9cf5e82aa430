/* bz-fake.h: a minimal, valid bzImage built in memory for the unit tests:
 * one setup sector after the boot sector, protocol 2.15, 64-bit entry,
 * and klen bytes of "kernel". */
#ifndef BZ_FAKE_H
#define BZ_FAKE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void put_le(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		*p++ = v & 0xff;
		v >>= 8;
	}
}

static uint8_t *bz_fake(size_t klen, size_t *len)
{
	size_t setup = 2 * 512;
	uint8_t *b = calloc(1, setup + klen);

	b[0x1f1] = 1;                           /* setup_sects */
	put_le(b + 0x1fe, 0xaa55, 2);
	b[0x200] = 0xeb;                        /* jmp */
	b[0x201] = 0x6a;                        /* header ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	put_le(b + 0x206, 0x020f, 2);
	b[0x211] = 0x01;                        /* LOADED_HIGH */
	put_le(b + 0x22c, 0x7fffffff, 4);       /* initrd_addr_max */
	put_le(b + 0x230, 0x200000, 4);         /* kernel_alignment */
	b[0x234] = 1;                           /* relocatable */
	put_le(b + 0x236, 0x1, 2);              /* XLF_KERNEL_64 */
	put_le(b + 0x238, 2048, 4);             /* cmdline_size */
	put_le(b + 0x258, 0x1000000, 8);        /* pref_address: 16 MiB */
	put_le(b + 0x260, 0x100000, 4);         /* init_size: 1 MiB */
	memset(b + setup, 0x90, klen);
	*len = setup + klen;
	return b;
}

/* A minimal vmlinux: an x86-64 ELF64 executable with two PT_LOAD
 * segments, text (0x11 bytes, klen long) at 16 MiB with the entry, and
 * data (0x22 bytes, 4096 long, memsz 8192: bss after) at 20 MiB; one
 * PT_NOTE between them. */
static uint8_t *elf_fake(size_t klen, size_t *len)
{
	size_t phoff = 64, data_off = 4096 + klen;
	uint8_t *b = calloc(1, data_off + 4096), *ph;

	memcpy(b, "\177ELF", 4);
	b[4] = 2;                               /* ELFCLASS64 */
	b[5] = 1;                               /* little-endian */
	b[6] = 1;
	put_le(b + 16, 2, 2);                   /* ET_EXEC */
	put_le(b + 18, 62, 2);                  /* EM_X86_64 */
	put_le(b + 24, 0x1000000, 8);           /* entry: phys_startup_64 */
	put_le(b + 32, phoff, 8);
	put_le(b + 54, 56, 2);                  /* e_phentsize */
	put_le(b + 56, 3, 2);                   /* e_phnum */
	ph = b + phoff;
	put_le(ph, 1, 4);                       /* PT_LOAD: text */
	put_le(ph + 8, 4096, 8);
	put_le(ph + 16, 0xffffffff81000000ULL, 8);
	put_le(ph + 24, 0x1000000, 8);
	put_le(ph + 32, klen, 8);
	put_le(ph + 40, klen, 8);
	ph += 56;
	put_le(ph, 4, 4);                       /* PT_NOTE: skipped */
	ph += 56;
	put_le(ph, 1, 4);                       /* PT_LOAD: data and bss */
	put_le(ph + 8, data_off, 8);
	put_le(ph + 16, 0xffffffff81400000ULL, 8);
	put_le(ph + 24, 0x1400000, 8);
	put_le(ph + 32, 4096, 8);
	put_le(ph + 40, 8192, 8);
	memset(b + 4096, 0x11, klen);
	memset(b + data_off, 0x22, 4096);
	*len = data_off + 4096;
	return b;
}

#endif
