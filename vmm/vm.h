/* vmm/vm.h: one virtual machine: KVM fds, guest RAM, the two buses, the
 * front end's configuration, the stop protocol and the exit hooks.  The
 * vCPUs are vcpu.c's (vcpu.h); this core reaches them only through the
 * hooks vcpu_init registers.
 *
 * Stop protocol: anything (a vCPU exit handler, a device, the main loop
 * on a signal) calls vm_stop(vm, status).  The first caller's status
 * wins; the stop hook (vcpu.c's: every vCPU leaves KVM_RUN) runs once,
 * the stop eventfd wakes the main loop, and the main thread then runs
 * vm_close: the exit hooks in reverse order (devices, then the vCPUs'
 * join), and vmrun writes the exit file. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <stdint.h>
#include <stddef.h>

#include "mem.h"
#include "bus.h"
#include "snapshot.h"
#include "vm_config.h"

/* vmrun's exit status for each way a VM ends (also in vmrun.8). */
enum {
	VM_EXIT_POWEROFF = 0,   /* ACPI S5 sleep request from the guest */
	VM_EXIT_RESET = 2,      /* guest reboot: i8042 0xfe, ACPI reset, triple fault */
	VM_EXIT_GUEST_FAULT = 3,/* guest broke the VM (KVM internal error, failed entry) */
	VM_EXIT_SNAPSHOT = 4,   /* the guest asked for the snapshot, and it is saved */
	VM_EXIT_SYS = 111,      /* a host system call failed */
	VM_EXIT_SIGNAL = 128,   /* + N: stopped by signal N (SIGTERM 143, SIGINT 130) */
	VM_RUNNING = -1,        /* vm_status before the first vm_stop */
};

#define VM_MAX_HOOKS 16
#define VM_MAX_CPUS 64

struct vcpu;

struct vm {
	struct vm_config cfg;       /* the front end's; read-only after vm_open */
	int kvm_fd, vm_fd;
	struct guest_mem mem;
	struct bus *pio, *mmio;
	/* next free virtio-mmio window and IRQ; see layout.h */
	unsigned next_mmio;
	int run_size;               /* KVM_GET_VCPU_MMAP_SIZE */

	/* vcpu.c's (vcpu_init): ncpus entries; never looked into here. */
	struct vcpu *cpus;
	unsigned ncpus;

	/* Set by the console device: hand it guest input, returns bytes taken
	 * (0 when its receive buffer is full). */
	size_t (*console_input)(void *ctx, const void *buf, size_t len);
	void *console_ctx;

	/* VM_RUNNING, then the status of the first vm_stop: set once by
	 * compare-and-swap, read by every thread (vm_status); the one word
	 * of the stop protocol, so no lock and no separate flag. */
	_Atomic int status;
	int stop_efd;               /* eventfd vm_stop writes: wakes the main loop; -1 in tests */
	struct vm_hook { void (*fn)(void *); void *arg; } on_stop;

	/* Main thread only: registered at setup, run by vm_close. */
	struct vm_hook hooks[VM_MAX_HOOKS];
	unsigned nhooks;
	/* Main thread only: registered at setup, run by vm_start. */
	struct vm_start_hook { int (*fn)(void *); void *arg; } starts[VM_MAX_HOOKS];
	unsigned nstarts;
	/* Devices with state a snapshot keeps (snapshot.h snap_register). */
	struct snap_dev states[SNAP_DEV_MAX];
	unsigned nstates;
};

/* Allocate a virtio-mmio window (layout.h: VIRTIO_MMIO_BASE + i*VIRTIO_MMIO_SIZE, IRQ
 * VIRTIO_IRQ_BASE + i) for a new device.  0 or -1. */
int vm_alloc_mmio(struct vm *vm, uint64_t *base, unsigned *irq);
/* Things with threads or fds register an exit hook, called (reverse
 * order) by vm_close on every exit path, before the exit file is written.
 * vcpu_init registers first, so the vCPU threads are joined after every
 * device's hook.  From the main thread, at setup.  0, or -1 (ENOSPC). */
int vm_at_exit(struct vm *vm, void (*fn)(void *), void *arg);
/* Devices with a thread start it in a start hook, not at setup: vmrun
 * runs vm_start once every path is open and the process is jailed (a
 * namespace, a root and credentials are each thread's own: a thread
 * started earlier would stay outside), and before the seccomp filter and
 * the vCPUs.  The hook returns 0, or -1 with a message printed; an exit
 * hook registered before it undoes it.  From the main thread, at setup.
 * 0, or -1 (ENOSPC). */
int vm_at_start(struct vm *vm, int (*fn)(void *), void *arg);

/* Wire a virtio-mmio device into vm once the device dev (which holds
 * the transport t) is set up: t's ioeventfds and a level-triggered irqfd
 * (virtio_mmio.h says why level), the exit hook stop (which from then on
 * owns the device's thread and fds), the start hook start (its I/O
 * thread, after the jail: vm_at_start), and t on the MMIO bus.  0, or -1
 * with the failure said (vm_fail, naming what); a failure before the
 * exit hook is in has stopped the device, destroyed t and freed dev. */
struct virtio_mmio;
int vm_add_virtio(struct vm *vm, struct virtio_mmio *t, void *dev,
    int (*start)(void *), void (*stop)(void *), const char *what);
/* A device's setup failed: "PROG: fatal: unable to WHAT NAME: strerror"
 * on stderr, for a caller that then exits 111.  -1. */
int vm_fail(const char *what, const char *name);
/* Run the start hooks in the order registered.  0, or -1 at the first
 * that fails (its message printed). */
int vm_start(struct vm *vm);
/* The one stop hook: vm_stop calls it once, from the first stopper's
 * thread, to make every vCPU leave KVM_RUN (vcpu.c registers it). */
void vm_on_stop(struct vm *vm, void (*fn)(void *), void *arg);
/* Ask the VM to end with status (first call wins); safe from any thread,
 * not from a signal handler. */
void vm_stop(struct vm *vm, int status);
/* VM_RUNNING, or the status the VM ends with. */
int vm_status(struct vm *vm);
/* Raise (level 1) or lower (0) a GSI on the in-kernel irqchip.  0 or -1. */
int vm_irq_line(struct vm *vm, unsigned gsi, int level);

/* Set up everything but guest contents and vCPUs: open /dev/kvm, create
 * the VM with the in-kernel irqchip and PIT, the TSS and identity-map
 * pages, vm->cfg.ram_size bytes of zeroed guest RAM in slot 0, the buses
 * and the stop eventfd.  0, or -1 with a message printed; on failure and
 * on success alike vm_close releases what exists. */
int vm_open(struct vm *vm);
/* Stop the VM (a VM never stopped ends with status 0), run the exit hooks
 * (reverse order, once: devices, then the vCPUs' join) and release every
 * fd and mapping.  Idempotent. */
void vm_close(struct vm *vm);
/* Initialise *vm to "nothing open" (fds -1, VM_RUNNING, cfg defaults: no
 * console), so vm_close is always safe. */
void vm_init(struct vm *vm);

/* Devices register themselves: a device file ends with
 * VM_DEVICE(name_init), and vm_devices_init calls every such function once
 * at setup, in link order.  The table is a linker section, so the core
 * never lists devices (libvmm.a is linked --whole-archive for this). */
struct vm_device_init { const char *name; int (*init)(struct vm *vm); };
#define VM_DEVICE(fn) \
	static const struct vm_device_init vm_dev_##fn \
	__attribute__((used, section("vmm_devices"), aligned(sizeof(void *)))) = \
	{ #fn, fn }
/* 0, or -1 with a message printed naming the device. */
int vm_devices_init(struct vm *vm);

#endif
