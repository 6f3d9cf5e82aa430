/* vmm/i8042.c: just enough of the PS/2 keyboard controller to reset the VM.
 *
 * Linux's reboot path (and the FADT reset register, acpi.c) writes 0xfe,
 * "pulse reset line", to the command port 0x64: that stops the VM with
 * VM_EXIT_RESET.  Before each command the kernel polls the status port for
 * "input buffer empty"; the status here is always 0 (nothing to read,
 * nothing pending), so it never spins: a busy-polled port exit costs ~50 us
 * under nested KVM (nested-kvm.md).  The few commands a probing driver
 * sends get their documented answers. */
#include <string.h>

#include "err.h"
#include "layout.h"
#include "snapshot.h"
#include "vm.h"

#define STS_OBF   0x01    /* output buffer full: data waiting at 0x60 */
#define STS_SYS   0x04    /* system flag: self-test passed */
#define CMD_READ_CTR  0x20
#define CMD_WRITE_CTR 0x60
#define CMD_SELFTEST  0xaa
#define CMD_KBD_TEST  0xab
#define CMD_RESET     0xfe

struct i8042 {
	struct vm *vm;
	uint8_t ctr, out, status, pending_cmd;
	struct bus_dev data, cmd;
};

static void
reply(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->status |= STS_OBF;
}

static void
data_read(struct bus_dev *d, uint64_t off, void *v, unsigned size)
{
	struct i8042 *k = d->priv;

	memset(v, 0, size);
	*(uint8_t *)v = k->out;
	k->status &= ~STS_OBF;
}

static void
data_write(struct bus_dev *d, uint64_t off, const void *v, unsigned size)
{
	struct i8042 *k = d->priv;

	if (k->pending_cmd == CMD_WRITE_CTR)
		k->ctr = *(const uint8_t *)v;
	k->pending_cmd = 0;
}

static void
cmd_read(struct bus_dev *d, uint64_t off, void *v, unsigned size)
{
	struct i8042 *k = d->priv;

	memset(v, 0, size);
	*(uint8_t *)v = k->status;
}

static void
cmd_write(struct bus_dev *d, uint64_t off, const void *v, unsigned size)
{
	struct i8042 *k = d->priv;
	uint8_t c = *(const uint8_t *)v;

	switch (c) {
	case CMD_RESET:
		if (k->vm->cfg.verbose)
			err_info("guest reset through the i8042");
		vm_stop(k->vm, VM_EXIT_RESET);
		break;
	case CMD_READ_CTR:
		reply(k, k->ctr);
		break;
	case CMD_WRITE_CTR:
		k->pending_cmd = c;
		break;
	case CMD_SELFTEST:
		k->status |= STS_SYS;
		reply(k, 0x55);
		break;
	case CMD_KBD_TEST:
		reply(k, 0x00);
		break;
	}
}

static struct i8042 kbc;

static int
i8042_init(struct vm *vm)
{
	memset(&kbc, 0, sizeof(kbc));
	kbc.vm = vm;
	kbc.status = STS_SYS;
	kbc.data = (struct bus_dev){ .name = "i8042", .base = PORT_I8042_DATA,
	    .len = 1, .read = data_read, .write = data_write, .priv = &kbc };
	kbc.cmd = (struct bus_dev){ .name = "i8042", .base = PORT_I8042_CMD,
	    .len = 1, .read = cmd_read, .write = cmd_write, .priv = &kbc };
	if (snap_plain(vm, "i8042", &kbc.ctr, 4) < 0 ||
	    bus_register(vm->pio, &kbc.data) < 0)
		return -1;
	return bus_register(vm->pio, &kbc.cmd);
}
VM_DEVICE(i8042_init);
