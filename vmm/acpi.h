/* vmm/acpi.h: the ACPI tables a stock kernel needs to find the vCPUs (MADT:
 * Debian's cloud kernel has no MP table parser), to power off (FADT sleep
 * registers, DSDT \_S5) and to find virtio-mmio devices (DSDT, LNRO0005). */
#ifndef VMM_ACPI_H
#define VMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "mem.h"

/* SLP_TYP the guest writes for S5; the DSDT's \_S5 package says so. */
#define ACPI_S5_TYPE 5
/* Sleep control register bits (ACPI 6.4, 4.8.3.7). */
#define ACPI_SLP_TYP(v) (((v) >> 2) & 7)
#define ACPI_SLP_EN 0x20

/* Write RSDP, XSDT, FADT, MADT and DSDT at ACPI_ADDR (layout.h) for ncpus
 * vCPUs (APIC ids 0..ncpus-1) and every device on pio or mmio with an
 * acpi_hid.  Sets *rsdp.  0, or -1 if the tables do not fit. */
int acpi_build(struct guest_mem *m, unsigned ncpus, struct bus *pio,
    struct bus *mmio, uint64_t *rsdp);

/* The AML of one device, Device (DVnn) { _HID, _UID, _CRS }, into out
 * (cap bytes); its window is I/O ports if pio, else 32-bit MMIO; its IRQ
 * (if any) an active-high GSI, level-triggered if d->irq_level, else
 * edge.  Length written, or 0 if it does not fit.
 *
 * Why port devices are listed too: under hardware-reduced ACPI Linux has
 * no legacy PIC and maps no ISA IRQ by default, so COM1's IRQ 4 reaches
 * the IOAPIC only when the DSDT declares it (PNP0501); without it the
 * 8250 driver registers but never sees a transmit interrupt. */
size_t acpi_aml_device(uint8_t *out, size_t cap, const struct bus_dev *d,
    int pio, unsigned uid);

/* Sum of len bytes (a valid table sums to 0 mod 256). */
uint8_t acpi_sum(const void *p, size_t len);

#endif
