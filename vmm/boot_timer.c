/* vmm/boot_timer.c: Firecracker's boot timer.  The guest writes the magic
 * value 123 to port 0x3f0 when its init starts; vmrun logs the microseconds
 * since it started (with --boot-timer), the figure vmrun-bench.sh reads. */
#include <string.h>
#include <time.h>

#include "err.h"
#include "layout.h"
#include "vm.h"

#define BOOT_TIMER_MAGIC 123

static void
bt_read(struct bus_dev *d, uint64_t off, void *v, unsigned size)
{
	memset(v, 0, size);
}

static void
bt_write(struct bus_dev *d, uint64_t off, const void *v, unsigned size)
{
	struct vm *vm = d->priv;
	struct timespec ts;
	uint64_t now;

	if (*(const uint8_t *)v != BOOT_TIMER_MAGIC || !vm->cfg.boot_timer)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	err_info("guest boot time: %llu us",
	    (unsigned long long)(now - vm->cfg.start_ns) / 1000);
}

static struct bus_dev timer_dev;

static int
boot_timer_init(struct vm *vm)
{
	timer_dev = (struct bus_dev){ .name = "boot-timer",
	    .base = PORT_BOOT_TIMER, .len = 1, .read = bt_read,
	    .write = bt_write, .priv = vm };
	return bus_register(vm->pio, &timer_dev);
}
VM_DEVICE(boot_timer_init);
