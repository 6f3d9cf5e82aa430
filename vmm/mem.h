/* vmm/mem.h: guest RAM as seen by device models.
 *
 * Guest RAM is one anonymous mapping covering guest-physical 0..size (the
 * layout keeps it below the 32-bit MMIO hole, see layout.h).  Every
 * guest-supplied address and length goes through gm_ptr before the VMM
 * touches the bytes behind it. */
#ifndef VMM_MEM_H
#define VMM_MEM_H

#include <stdint.h>

struct guest_mem { uint8_t *host; uint64_t size; };   /* guest-physical 0..size */

/* Host pointer for [gpa, gpa+len) if wholly inside guest RAM (overflow-safe),
 * else NULL.  len 0 is allowed and checks only gpa <= size. */
void *gm_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

#endif
