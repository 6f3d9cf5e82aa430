/* vmm/bzimage.c: bzImage header parsing.  Every field is read through
 * bounds-checked little-endian helpers: the image is untrusted input (see
 * test/fuzz/bzimage.c). */
#include <string.h>

#include "bzimage.h"

/* Offsets in the image (boot.rst, "the real-mode kernel header"). */
#define OFF_SETUP_SECTS   0x1f1
#define OFF_BOOT_FLAG     0x1fe
#define OFF_JUMP          0x200   /* 2-byte jump; its 2nd byte + 0x202 ends the header */
#define OFF_HEADER        0x202
#define OFF_VERSION       0x206
#define OFF_LOADFLAGS     0x211
#define OFF_INITRD_MAX    0x22c
#define OFF_RELOCATABLE   0x234
#define OFF_XLOADFLAGS    0x236
#define OFF_CMDLINE_SIZE  0x238
#define OFF_PREF_ADDRESS  0x258
#define OFF_INIT_SIZE     0x260
#define HDR_MIN_END       0x264   /* init_size is the last field 2.10 has */

#define LOADED_HIGH       0x01    /* loadflags: protected-mode code at 1 MiB */
#define XLF_KERNEL_64     0x01    /* xloadflags: 64-bit entry at +0x200 */

static uint64_t
le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* ELF64 header and program header offsets (elf(5)). */
#define E_MACHINE   18
#define E_ENTRY     24
#define E_PHOFF     32
#define E_PHENTSIZE 54
#define E_PHNUM     56
#define E_LEN       64
#define P_TYPE      0
#define P_OFFSET    8
#define P_PADDR     24
#define P_FILESZ    32
#define P_MEMSZ     40
#define P_LEN       56
#define PT_LOAD     1
#define EM_X86_64   62
#define HIMEM       0x100000

/* A vmlinux: its PT_LOAD segments, each inside the file and above 1 MiB,
 * and an entry inside one of them. */
static int
elf_parse(const uint8_t *img, size_t len, struct bzimage *bz,
    const char **why)
{
	uint64_t phoff, phnum, phsz;
	int inside = 0;

	if (len < E_LEN || img[4] != 2 || img[5] != 1 || le(img + 16, 2) != 2 ||
	    le(img + E_MACHINE, 2) != EM_X86_64) {
		*why = "not a vmlinux: not an x86-64 ELF64 executable";
		return -1;
	}
	phoff = le(img + E_PHOFF, 8);
	phnum = le(img + E_PHNUM, 2);
	phsz = le(img + E_PHENTSIZE, 2);
	if (phsz != P_LEN || phoff > len || phnum > (len - phoff) / P_LEN) {
		*why = "malformed vmlinux: program headers outside the file";
		return -1;
	}
	bz->elf = 1;
	bz->entry64 = 1;
	bz->version = 0x020f;
	bz->cmdline_size = BZ_ELF_CMDLINE;
	bz->initrd_addr_max = 0x7fffffff;
	bz->elf_entry = le(img + E_ENTRY, 8);
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + i * P_LEN;
		uint64_t off = le(ph + P_OFFSET, 8), filesz = le(ph + P_FILESZ, 8);
		uint64_t memsz = le(ph + P_MEMSZ, 8), paddr = le(ph + P_PADDR, 8);
		if (le(ph + P_TYPE, 4) != PT_LOAD)
			continue;
		if (bz->nseg == BZ_SEG_MAX) {
			*why = "malformed vmlinux: too many segments";
			return -1;
		}
		if (off > len || filesz > len - off || filesz > memsz ||
		    paddr < HIMEM || memsz > UINT64_MAX - paddr) {
			*why = "malformed vmlinux: a segment outside the file or "
			    "below 1 MiB";
			return -1;
		}
		bz->seg[bz->nseg].off = off;
		bz->seg[bz->nseg].filesz = filesz;
		bz->seg[bz->nseg].memsz = memsz;
		bz->seg[bz->nseg].paddr = paddr;
		bz->nseg++;
		if (paddr + memsz > bz->elf_end)
			bz->elf_end = paddr + memsz;
		if (bz->elf_entry >= paddr && bz->elf_entry < paddr + memsz)
			inside = 1;
	}
	if (!bz->nseg || !inside) {
		*why = "malformed vmlinux: no segment holds the entry";
		return -1;
	}
	return 0;
}

int
bzimage_parse(const uint8_t *img, size_t len, struct bzimage *bz,
    const char **why)
{
	uint64_t setup_len, hdr_end;

	memset(bz, 0, sizeof(*bz));
	if (len >= 4 && !memcmp(img, "\177ELF", 4))
		return elf_parse(img, len, bz, why);
	if (len < HDR_MIN_END) {
		*why = "not a bzImage: too short for a boot header";
		return -1;
	}
	if (le(img + OFF_BOOT_FLAG, 2) != 0xaa55) {
		*why = "not a bzImage: no 0xAA55 boot flag";
		return -1;
	}
	if (memcmp(img + OFF_HEADER, "HdrS", 4)) {
		*why = "not a bzImage: no HdrS signature";
		return -1;
	}
	bz->version = le(img + OFF_VERSION, 2);
	if (bz->version < BZ_MIN_PROTOCOL) {
		*why = "boot protocol older than 2.10";
		return -1;
	}
	if (!(img[OFF_LOADFLAGS] & LOADED_HIGH)) {
		*why = "not a bzImage: zImage (loaded low)";
		return -1;
	}
	/* 0 means 4, for the oldest images (boot.rst). */
	bz->setup_sects = img[OFF_SETUP_SECTS] ? img[OFF_SETUP_SECTS] : 4;
	setup_len = (uint64_t)(bz->setup_sects + 1) * 512;
	if (setup_len >= len) {
		*why = "malformed bzImage: no protected-mode kernel after the setup sectors";
		return -1;
	}
	hdr_end = OFF_HEADER + (uint64_t)img[OFF_JUMP + 1];
	if (hdr_end < HDR_MIN_END || hdr_end > setup_len) {
		*why = "malformed bzImage: setup header length out of range";
		return -1;
	}
	bz->hdr_len = hdr_end - OFF_SETUP_SECTS;
	bz->kernel_off = setup_len;
	bz->kernel_len = len - setup_len;
	bz->initrd_addr_max = le(img + OFF_INITRD_MAX, 4);
	bz->cmdline_size = le(img + OFF_CMDLINE_SIZE, 4);
	bz->init_size = le(img + OFF_INIT_SIZE, 4);
	bz->pref_address = (uint64_t)le(img + OFF_PREF_ADDRESS + 4, 4) << 32 |
	    le(img + OFF_PREF_ADDRESS, 4);
	/* xloadflags exist from 2.12; older images say nothing about a 64-bit
	 * entry, so they get the 32-bit one, which every bzImage has. */
	if (bz->version >= 0x020c)
		bz->xloadflags = le(img + OFF_XLOADFLAGS, 2);
	bz->entry64 = !!(bz->xloadflags & XLF_KERNEL_64);
	if (bz->init_size < bz->kernel_len) {
		*why = "malformed bzImage: init_size smaller than the kernel";
		return -1;
	}
	if (bz->cmdline_size == 0) {
		*why = "malformed bzImage: cmdline_size is 0";
		return -1;
	}
	if (bz->initrd_addr_max < 0x100000) {
		*why = "malformed bzImage: initrd_addr_max below 1 MiB";
		return -1;
	}
	return 0;
}
