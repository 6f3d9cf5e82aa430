/* vmm/vm.h: one virtual machine: KVM fds, guest RAM, the two buses, the
 * vCPUs, the stop protocol and the exit hooks.
 *
 * Stop protocol: anything (a vCPU exit handler, a device, the signal
 * thread) calls vm_stop(vm, status).  The first caller's status wins; every
 * vCPU is made to leave KVM_RUN (kvm_run->immediate_exit plus a signal, see
 * vcpu.c) and the main thread then runs the exit hooks in reverse order,
 * joins the vCPU threads and writes the exit file. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <stdint.h>
#include <pthread.h>

#include "mem.h"
#include "bus.h"

/* vmrun's exit status for each way a VM ends (also in vmrun.8). */
enum {
	VM_EXIT_POWEROFF = 0,   /* ACPI S5 sleep request from the guest */
	VM_EXIT_RESET = 2,      /* guest reboot: i8042 0xfe, ACPI reset, triple fault */
	VM_EXIT_GUEST_FAULT = 3,/* guest broke the VM (KVM internal error, failed entry) */
	VM_EXIT_SYS = 111,      /* a host system call failed */
	VM_EXIT_SIGNAL = 128,   /* + N: stopped by signal N (SIGTERM 143, SIGINT 130) */
};

#define VM_MAX_HOOKS 16
#define VM_MAX_CPUS 64

struct vcpu;

struct vm {
	int kvm_fd, vm_fd;
	struct guest_mem mem;
	struct bus *pio, *mmio;
	/* next free virtio-mmio window and IRQ; see layout.h */
	unsigned next_mmio;

	unsigned ncpus;
	struct vcpu *cpus;          /* ncpus entries */
	int run_size;               /* KVM_GET_VCPU_MMAP_SIZE */

	/* Console wiring for the UART: guest output goes to console_out (-1:
	 * dropped), console_in (-1: none) feeds the receiver. */
	int console_out, console_in;
	long long console_max;      /* a file console's bound (lib/capfile.h) */
	/* Set by the console device: hand it guest input, returns bytes taken
	 * (0 when its receive buffer is full). */
	size_t (*console_input)(void *ctx, const void *buf, size_t len);
	void *console_ctx;
	int boot_timer;             /* log the boot-timer write (--boot-timer) */
	uint64_t start_ns;          /* CLOCK_MONOTONIC when vmrun started */
	int verbose;

	/* Set once by vm_stop; read by vCPU loops. */
	volatile int stopping;
	int status;
	int stop_efd;               /* eventfd vm_stop writes: wakes the main loop; -1 in tests */
	pthread_mutex_t lock;       /* guards stopping/status and the hooks */

	struct vm_hook { void (*fn)(void *); void *arg; } hooks[VM_MAX_HOOKS];
	unsigned nhooks;
};

/* Allocate a virtio-mmio window (layout.h: VIRTIO_MMIO_BASE + i*VIRTIO_MMIO_SIZE, IRQ
 * VIRTIO_IRQ_BASE + i) for a new device.  0 or -1. */
int vm_alloc_mmio(struct vm *vm, uint64_t *base, unsigned *irq);
/* Things with threads or fds register a stop hook, called (reverse order) on every exit
 * path, before vCPU threads are joined and before the exit file is written. */
int vm_at_exit(struct vm *vm, void (*fn)(void *), void *arg);
/* Ask the VM to end with status (first call wins); safe from any thread,
 * not from a signal handler. */
void vm_stop(struct vm *vm, int status);
/* Raise (level 1) or lower (0) a GSI on the in-kernel irqchip.  0 or -1. */
int vm_irq_line(struct vm *vm, unsigned gsi, int level);

/* Set up everything but guest contents: open /dev/kvm, create the VM with
 * the in-kernel irqchip and PIT, the TSS and identity-map pages, mem_size
 * bytes of zeroed guest RAM in slot 0, the buses, vm->cpus (not yet
 * created) and the stop eventfd.  0, or -1 with a message printed; on
 * failure and on success alike vm_close releases what exists. */
int vm_open(struct vm *vm, uint64_t mem_size, unsigned ncpus);
/* Run the exit hooks (reverse order, once), kick and join the vCPUs, and
 * release every fd and mapping.  Idempotent. */
void vm_close(struct vm *vm);
/* Initialise *vm to "nothing open" (fds -1), so vm_close is always safe. */
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
