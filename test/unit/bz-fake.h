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

#endif
