/* vmm/vm_config.h: what the front end (vmrun) decides about a VM before
 * it exists, in the shape of kvmtool's kvm-config.h.  The front end fills
 * vm->cfg between vm_init and vm_open; the core and the devices only read
 * it. */
#ifndef VMM_VM_CONFIG_H
#define VMM_VM_CONFIG_H

#include <stdint.h>

struct vm_config {
	uint64_t ram_size;	/* bytes of guest RAM (vm_open) */
	unsigned ncpus;		/* vCPUs (vcpu_init) */
	/* Console wiring for the UART: guest output goes to console_out
	 * (-1: dropped), console_in (-1: none) feeds the receiver. */
	int console_out, console_in;
	long long console_max;	/* a file console's bound (lib/capfile.h) */
	int boot_timer;		/* log the boot-timer write (--boot-timer) */
	uint64_t start_ns;	/* CLOCK_MONOTONIC when vmrun started */
	int verbose;		/* -v: devices and vCPUs say what they do */
	/* Snapshots (snapshot.h): snapshot, set before vm_open: the
	 * snapshot port answers 1 and stops the VM; restore (snap_open):
	 * the state comes from a snapshot, guest RAM is mem_fd
	 * (MAP_PRIVATE), else anonymous (mem_fd -1). */
	int snapshot, restore;
	int mem_fd;
};

#endif
