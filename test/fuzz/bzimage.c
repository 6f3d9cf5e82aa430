/* libFuzzer target: the kernel image parser (vmm/bzimage.c: a bzImage's
 * header, or a vmlinux's ELF headers) on any bytes, and boot_load on what
 * it accepts: no crash, no read outside the image, and an accepted header
 * never points outside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "bzimage.h"

static uint8_t ram[32 << 20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct guest_mem m = { ram, sizeof(ram) };
	struct bzimage bz;
	struct boot_info bi;
	const char *why;
	uint8_t *copy = malloc(len ? len : 1);

	/* a private copy, so ASan sees the exact bounds */
	memcpy(copy, data, len);
	if (bzimage_parse(copy, len, &bz, &why) == 0) {
		if (bz.elf) {
			int inside = 0;
			for (unsigned i = 0; i < bz.nseg; i++) {
				if (bz.seg[i].off > len || bz.seg[i].filesz >
				    len - bz.seg[i].off || bz.seg[i].filesz >
				    bz.seg[i].memsz || bz.seg[i].paddr < 0x100000)
					abort();
				inside |= bz.elf_entry >= bz.seg[i].paddr &&
				    bz.elf_entry - bz.seg[i].paddr < bz.seg[i].memsz;
			}
			if (!bz.nseg || !inside)
				abort();
		} else if (bz.kernel_off + bz.kernel_len != len ||
		    0x1f1 + bz.hdr_len > bz.kernel_off) {
			abort();
		}
		/* only the parts boot_load writes need clearing */
		boot_load(&m, &bz, copy, &(struct boot_part){ copy,
		    len < 4096 ? len : 4096 }, 1, "console=ttyS0", 0xe0000,
		    &bi, &why);
	}
	free(copy);
	return 0;
}
