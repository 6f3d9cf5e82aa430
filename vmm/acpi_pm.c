/* vmm/acpi_pm.c: the hardware-reduced ACPI sleep control and status
 * registers (FADT SLEEP_CONTROL_REG / SLEEP_STATUS_REG, acpi.c).  Linux's
 * poweroff writes SLP_TYP(\_S5) | SLP_EN to the control register: the VM
 * stops with VM_EXIT_POWEROFF.  Other sleep types are not offered (the DSDT
 * has only \_S5) and are ignored. */
#include <string.h>

#include "acpi.h"
#include "err.h"
#include "layout.h"
#include "vm.h"

static void
pm_read(struct bus_dev *d, uint64_t off, void *v, unsigned size)
{
	memset(v, 0, size);     /* status: no wake event */
}

static void
pm_write(struct bus_dev *d, uint64_t off, const void *v, unsigned size)
{
	struct vm *vm = d->priv;
	uint8_t b = *(const uint8_t *)v;

	if (off != PORT_ACPI_SLEEP_CTL - PORT_ACPI_SLEEP_CTL)
		return;         /* status: write-1-to-clear, nothing to clear */
	if ((b & ACPI_SLP_EN) && ACPI_SLP_TYP(b) == ACPI_S5_TYPE) {
		if (vm->cfg.verbose)
			err_info("guest powered off");
		vm_stop(vm, VM_EXIT_POWEROFF);
	}
}

static struct bus_dev pm_dev;

static int
acpi_pm_init(struct vm *vm)
{
	pm_dev = (struct bus_dev){ .name = "acpi-sleep",
	    .base = PORT_ACPI_SLEEP_CTL, .len = 2, .read = pm_read,
	    .write = pm_write, .priv = vm };
	return bus_register(vm->pio, &pm_dev);
}
VM_DEVICE(acpi_pm_init);
