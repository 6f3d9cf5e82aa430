/* vmm/bus.h: port-I/O and MMIO exits are routed by a bus; devices see offsets.
 *
 * A bus is a sorted array of non-overlapping [base, base+len) windows.  The
 * exit handler finds the device for an address and passes it the offset from
 * the device's base, so a device model never knows where it was placed.
 * Devices are registered once during setup (single-threaded); after the
 * vCPUs start the bus is only read, so lookups need no lock. */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <stdint.h>

struct bus_dev {
	const char *name;
	uint64_t base, len;
	/* size is 1, 2, 4 or 8; off is relative to base. */
	void (*read)(struct bus_dev *d, uint64_t off, void *data, unsigned size);
	void (*write)(struct bus_dev *d, uint64_t off, const void *data, unsigned size);
	const char *acpi_hid;   /* non-NULL: acpi.c lists it in the DSDT (e.g. "LNRO0005") */
	unsigned irq;           /* GSI the device raises, for the DSDT; 0 if none */
	int irq_level;          /* the DSDT says level-triggered (else edge) */
	void *priv;
};

struct bus;                /* sorted, non-overlapping; lookup by address */

/* A new empty bus, or NULL with errno set. */
struct bus *bus_new(void);
void bus_free(struct bus *b);
/* 0, or -1 errno EEXIST on overlap (EINVAL for len 0 or a wrapping window,
 * ENOMEM).  The bus keeps the pointer; d must outlive the bus. */
int bus_register(struct bus *b, struct bus_dev *d);
/* The device whose window holds addr, with *off = addr - base; else NULL. */
struct bus_dev *bus_find(struct bus *b, uint64_t addr, uint64_t *off);
/* iterate: for (d = bus_first(b); d; d = bus_next(b, d)), in address order */
struct bus_dev *bus_first(struct bus *b);
struct bus_dev *bus_next(struct bus *b, struct bus_dev *d);
/* Dispatch an access of size bytes at addr.  Reads from nothing return all
 * ones (what an empty ISA/PCI bus answers); writes to nothing are dropped;
 * an access that runs past the end of a device's window is treated the same
 * way.  Returns 1 if a device took it, 0 if not. */
int bus_read(struct bus *b, uint64_t addr, void *data, unsigned size);
int bus_write(struct bus *b, uint64_t addr, const void *data, unsigned size);

#endif
