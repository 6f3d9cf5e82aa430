/* vmm/mem.c: bounds-checked guest-physical to host pointer translation. */
#include "mem.h"

void *
gm_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	/* Written so neither gpa + len nor anything else can wrap. */
	if (gpa > m->size || len > m->size - gpa)
		return 0;
	return m->host + gpa;
}
