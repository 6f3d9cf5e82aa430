/* VM-exit dispatch (vcpu_handle_exit) driven by fake exits, no KVM: port
 * I/O and MMIO reach the devices at their offsets, unclaimed reads see all
 * ones, and each way a guest ends the VM gives its documented status.  The
 * devices are the real, self-registered ones (vm_devices_init). */
#include <errno.h>
#include <string.h>

#include "err.h"
#include "layout.h"
#include "snapshot.h"
#include "tap.h"
#include "uart.h"
#include "vcpu.h"
#include "vm.h"

static struct { uint64_t off; uint8_t data[8]; unsigned size, writes, reads; } rec;

static void
rec_read(struct bus_dev *d, uint64_t off, void *data, unsigned size)
{
	rec.off = off;
	rec.size = size;
	rec.reads++;
	memset(data, 0x5a, size);
}

static void
rec_write(struct bus_dev *d, uint64_t off, const void *data, unsigned size)
{
	rec.off = off;
	rec.size = size;
	rec.writes++;
	memcpy(rec.data, data, size);
}

static struct bus_dev mdev = { .name = "rec", .base = 0xd0000000, .len = 0x200,
    .read = rec_read, .write = rec_write };
static struct bus_dev pdev = { .name = "rec", .base = 0x500, .len = 4,
    .read = rec_read, .write = rec_write };

static union { struct kvm_run run; uint8_t page[4096]; } pg;

static void
fresh(struct vm *vm)
{
	vm_init(vm);
	vm->pio = bus_new();
	vm->mmio = bus_new();
	vm->run_size = sizeof(pg);
	vm_devices_init(vm);
	bus_register(vm->pio, &pdev);
	bus_register(vm->mmio, &mdev);
	memset(&pg, 0, sizeof(pg));
	memset(&rec, 0, sizeof(rec));
}

static void
done(struct vm *vm)
{
	bus_free(vm->pio);
	bus_free(vm->mmio);
}

static enum vcpu_action
io(struct vm *vm, int dir, uint16_t port, unsigned size,
    unsigned count, const void *data)
{
	pg.run.exit_reason = KVM_EXIT_IO;
	pg.run.io.direction = dir;
	pg.run.io.port = port;
	pg.run.io.size = size;
	pg.run.io.count = count;
	pg.run.io.data_offset = 1024;
	if (data)
		memcpy(pg.page + 1024, data, size * count);
	return vcpu_handle_exit(vm, &pg.run);
}

/* The stop hook and the exit hooks, in the order they run. */
static char order[16];

static void
note(void *arg)
{
	size_t n = strlen(order);

	if (n + 1 < sizeof(order))
		order[n] = *(const char *)arg;
}

/* A start hook: noted; "!" fails. */
static int
started(void *arg)
{
	note(arg);
	return strcmp(arg, "!") ? 0 : -1;
}

/* One exit of reason r; returns the status it left (-1: still running). */
static int
ends(int reason, unsigned sub)
{
	struct vm vm;
	int st;

	fresh(&vm);
	pg.run.exit_reason = reason;
	pg.run.system_event.type = sub;
	pg.run.internal.suberror = sub;
	st = vcpu_handle_exit(&vm, &pg.run) == VCPU_STOP ? vm_status(&vm) : -1;
	done(&vm);
	return st;
}

int
main(void)
{
	struct vm vm;
	uint8_t b;

	/* The expected warnings below say who they come from. */
	err_setprog("t-vmm-exit");
	fresh(&vm);
	ok(bus_find(vm.pio, PORT_COM1, &(uint64_t){0}) &&
	    bus_find(vm.pio, PORT_I8042_CMD, &(uint64_t){0}) &&
	    bus_find(vm.pio, PORT_CMOS + 1, &(uint64_t){0}) &&
	    bus_find(vm.pio, PORT_BOOT_TIMER, &(uint64_t){0}) &&
	    bus_find(vm.pio, PORT_ACPI_SLEEP_CTL, &(uint64_t){0}),
	    "devices registered themselves: uart, i8042, rtc, boot timer, ACPI sleep");
	ok(bus_register(vm.pio, &(struct bus_dev){ .base = 0x3fa, .len = 1 }) < 0 &&
	    errno == EEXIST, "overlapping registration: EEXIST");

	ok(io(&vm, KVM_EXIT_IO_OUT, 0x502, 1, 3, "xyz") == VCPU_CONTINUE &&
	    rec.writes == 3 && rec.off == 2 && rec.data[0] == 'z',
	    "rep outsb: three writes at offset 2");
	ok(io(&vm, KVM_EXIT_IO_IN, 0x501, 2, 1, 0) == VCPU_CONTINUE &&
	    rec.reads == 1 && rec.off == 1 && rec.size == 2 &&
	    pg.page[1024] == 0x5a && pg.page[1025] == 0x5a, "inw at offset 1");
	ok(io(&vm, KVM_EXIT_IO_IN, 0x503, 4, 1, 0) == VCPU_CONTINUE &&
	    rec.reads == 1 && pg.page[1024] == 0xff,
	    "a read running past a window: all ones, device untouched");
	ok(io(&vm, KVM_EXIT_IO_IN, 0x2f8, 1, 1, 0) == VCPU_CONTINUE &&
	    pg.page[1024] == 0xff, "unclaimed port (COM2) reads 0xff");
	ok(io(&vm, KVM_EXIT_IO_IN, PORT_I8042_CMD, 1, 1, 0) == VCPU_CONTINUE &&
	    !(pg.page[1024] & 0x03), "i8042 status: nothing to read or pending");
	b = 0x0a;
	io(&vm, KVM_EXIT_IO_OUT, PORT_CMOS, 1, 1, &b);
	ok(io(&vm, KVM_EXIT_IO_IN, PORT_CMOS + 1, 1, 1, 0) == VCPU_CONTINUE &&
	    !(pg.page[1024] & 0x80), "CMOS register A: update-in-progress clear");
	b = 0x09;
	io(&vm, KVM_EXIT_IO_OUT, PORT_CMOS, 1, 1, &b);
	io(&vm, KVM_EXIT_IO_IN, PORT_CMOS + 1, 1, 1, 0);
	ok((pg.page[1024] >> 4) <= 9 && (pg.page[1024] & 0xf) <= 9 &&
	    pg.page[1024] >= 0x24, "CMOS year in BCD, this century");
	ok(io(&vm, KVM_EXIT_IO_OUT, 0x500, 3, 1, "abc") == VCPU_STOP &&
	    vm_status(&vm) == VM_EXIT_GUEST_FAULT, "impossible I/O size: VM stopped");
	done(&vm);

	fresh(&vm);
	pg.run.exit_reason = KVM_EXIT_MMIO;
	pg.run.mmio.phys_addr = 0xd0000070;
	pg.run.mmio.len = 4;
	pg.run.mmio.is_write = 1;
	memcpy(pg.run.mmio.data, "\x01\x02\x03\x04", 4);
	ok(vcpu_handle_exit(&vm, &pg.run) == VCPU_CONTINUE && rec.writes == 1 &&
	    rec.off == 0x70 && rec.size == 4 && !memcmp(rec.data, "\x01\x02\x03\x04", 4),
	    "MMIO write reaches the device at offset 0x70");
	pg.run.mmio.is_write = 0;
	pg.run.mmio.phys_addr = 0xd0000004;
	ok(vcpu_handle_exit(&vm, &pg.run) == VCPU_CONTINUE && rec.reads == 1 &&
	    rec.off == 4 && pg.run.mmio.data[3] == 0x5a, "MMIO read at offset 4");
	pg.run.mmio.phys_addr = 0xe0000000;
	ok(vcpu_handle_exit(&vm, &pg.run) == VCPU_CONTINUE &&
	    pg.run.mmio.data[0] == 0xff, "unclaimed MMIO reads all ones");
	ok(vm_status(&vm) == VM_RUNNING, "none of that stopped the VM");
	done(&vm);

	fresh(&vm);
	b = 0xfe;
	ok(io(&vm, KVM_EXIT_IO_OUT, PORT_I8042_CMD, 1, 1, &b) == VCPU_CONTINUE &&
	    vm_status(&vm) == VM_EXIT_RESET,
	    "0xfe to port 0x64: stop with status 2 (reset)");
	b = 0x34;
	io(&vm, KVM_EXIT_IO_OUT, PORT_ACPI_SLEEP_CTL, 1, 1, &b);
	ok(vm_status(&vm) == VM_EXIT_RESET, "the first stop's status wins");
	done(&vm);

	fresh(&vm);
	b = 0x14;       /* SLP_TYP 5 without SLP_EN */
	io(&vm, KVM_EXIT_IO_OUT, PORT_ACPI_SLEEP_CTL, 1, 1, &b);
	ok(vm_status(&vm) == VM_RUNNING, "SLP_TYP without SLP_EN: nothing");
	b = 0x34;       /* SLP_TYP 5 | SLP_EN */
	io(&vm, KVM_EXIT_IO_OUT, PORT_ACPI_SLEEP_CTL, 1, 1, &b);
	ok(vm_status(&vm) == VM_EXIT_POWEROFF,
	    "ACPI S5 sleep: stop with status 0 (poweroff)");
	done(&vm);

	/* A snapshot's device state is checked before it is taken back:
	 * a register index or a ring position past its array is refused
	 * (vmrun.8 SNAPSHOTS: "one ... damaged" is refused). */
	{
		uint8_t buf[sizeof(struct uart_state)];     /* the larger */
		struct uart_state *u = (void *)buf;
		const char *why = "";
		size_t n;

		fresh(&vm);
		n = snap_save_dev(&vm, "rtc", buf, sizeof buf);
		ok(n > 0 && snap_load_dev(&vm, "rtc", buf, n, &why) == 0,
		    "rtc state: saved and taken back");
		buf[0] = 0xa7;  /* its register index, past the 128 */
		ok(snap_load_dev(&vm, "rtc", buf, n, &why) < 0,
		    "rtc state with an index of 0xa7: refused (%s)", why);
		n = snap_save_dev(&vm, "uart", buf, sizeof buf);
		ok(n == sizeof *u && snap_load_dev(&vm, "uart", buf, n, &why) == 0,
		    "uart state: saved and taken back");
		u->rx_head = (size_t)1 << 40;
		ok(snap_load_dev(&vm, "uart", buf, n, &why) < 0,
		    "uart state with its ring's head past the ring: refused (%s)", why);
		u->rx_head = 0;
		u->rx_len = UART_RX_SIZE + 1;
		ok(snap_load_dev(&vm, "uart", buf, n, &why) < 0,
		    "uart state with more bytes than its ring: refused (%s)", why);
		ok(snap_load_dev(&vm, "uart", buf, n - 1, &why) < 0 &&
		    snap_load_dev(&vm, "nothing", buf, n, &why) < 0,
		    "a state of another size, or for no device: refused");
		done(&vm);
	}

	ok(ends(KVM_EXIT_SHUTDOWN, 0) == VM_EXIT_RESET, "triple fault: status 2");
	ok(ends(KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SHUTDOWN) == VM_EXIT_POWEROFF,
	    "system event shutdown: status 0");
	ok(ends(KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_RESET) == VM_EXIT_RESET,
	    "system event reset: status 2");
	ok(ends(KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_CRASH) == VM_EXIT_GUEST_FAULT,
	    "system event crash: status 3");
	ok(ends(KVM_EXIT_INTERNAL_ERROR, 1) == VM_EXIT_GUEST_FAULT,
	    "KVM internal error: status 3");
	ok(ends(KVM_EXIT_FAIL_ENTRY, 0) == VM_EXIT_GUEST_FAULT, "failed entry: status 3");
	ok(ends(0x7777, 0) == VM_EXIT_GUEST_FAULT, "unknown exit: status 3");
	ok(ends(KVM_EXIT_INTR, 0) == -1 && ends(KVM_EXIT_HLT, 0) == -1,
	    "INTR and HLT: keep running");

	{
		struct guest_mem m = { (uint8_t *)0x1000, 0x10000 };
		ok(gm_ptr(&m, 0, 0x10000) == (void *)0x1000 &&
		    gm_ptr(&m, 0xffff, 1) == (void *)0x10fff &&
		    !gm_ptr(&m, 0xffff, 2) && !gm_ptr(&m, 0x10001, 0) &&
		    !gm_ptr(&m, 8, UINT64_MAX - 4) && !gm_ptr(&m, UINT64_MAX, 2),
		    "gm_ptr: inside only, no wrap-around");
	}
	{
		uint64_t base;
		unsigned irq, i;
		vm_init(&vm);
		for (i = 0; vm_alloc_mmio(&vm, &base, &irq) == 0; i++)
			;
		ok(i == VIRTIO_MAX_DEVS && base == VIRTIO_MMIO_BASE +
		    (i - 1) * VIRTIO_MMIO_SIZE && irq == VIRTIO_IRQ_BASE + i - 1,
		    "vm_alloc_mmio: %u windows and IRQs, then none", i);
	}
	{
		vm_init(&vm);
		order[0] = 0;
		vm_on_stop(&vm, note, "s");
		ok(vm_at_exit(&vm, note, "1") == 0 &&
		    vm_at_exit(&vm, note, "2") == 0, "two exit hooks registered");
		vm_stop(&vm, VM_EXIT_SIGNAL + 15);
		vm_stop(&vm, VM_EXIT_SYS);
		ok(!strcmp(order, "s") && vm_status(&vm) == VM_EXIT_SIGNAL + 15,
		    "two stops: the stop hook ran once, the first status stays");
		vm_close(&vm);
		vm_close(&vm);
		ok(!strcmp(order, "s21"),
		    "vm_close: exit hooks in reverse order, once (%s)", order);
	}
	{
		vm_init(&vm);
		memset(order, 0, sizeof order);   /* note() adds no NUL */
		ok(vm_at_start(&vm, started, "a") == 0 &&
		    vm_at_start(&vm, started, "b") == 0 &&
		    vm_at_start(&vm, started, "!") == 0 &&
		    vm_at_start(&vm, started, "c") == 0,
		    "four start hooks registered");
		ok(vm_start(&vm) == -1 && !strcmp(order, "ab!"),
		    "vm_start: in order, up to the first that fails (%s)", order);
		vm_close(&vm);
	}
	{
		vm_init(&vm);
		vm_close(&vm);
		ok(vm_status(&vm) == VM_EXIT_POWEROFF,
		    "a VM closed without a stop ends with status 0");
	}
	return done_testing();
}
