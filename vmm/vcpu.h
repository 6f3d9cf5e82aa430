/* vmm/vcpu.h: vCPU creation, registers, the run loop and exit dispatch. */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include <stdint.h>
#include <pthread.h>
#include <linux/kvm.h>

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;                  /* -1 until created */
	struct kvm_run *run;     /* mmap of the vCPU fd, run_size bytes */
	pthread_t thread;
	int started;             /* thread exists and must be joined */
};

/* The signal that kicks a vCPU thread out of KVM_RUN.  Its handler does
 * nothing; only the EINTR matters. */
#define VCPU_KICK_SIGNAL SIGUSR1

/* What the run loop does after an exit. */
enum vcpu_action { VCPU_CONTINUE, VCPU_STOP };

/* Handle one exit in vcpu->run: route I/O and MMIO to the buses, turn
 * shutdown/system events into vm_stop with the documented status.  A plain
 * function over struct kvm_run so a unit test can feed it fake exits. */
enum vcpu_action vcpu_handle_exit(struct vm *vm, struct kvm_run *run);

/* Create vCPU fds and mappings, set CPUID, MSRs, registers for the 64-bit
 * entry at kernel entry point.  0, or -1 with a message printed. */
int vcpu_create_all(struct vm *vm, uint64_t entry, int entry64);
/* Start one thread per vCPU, all with the kick signal blocked except inside
 * KVM_RUN.  0, or -1 (threads already started are left for vcpu_join_all). */
int vcpu_start_all(struct vm *vm);
/* Make every vCPU leave KVM_RUN for good: immediate_exit, then a signal. */
void vcpu_kick_all(struct vm *vm);
/* Interrupt every vCPU's KVM_RUN once, for its paging check (below). */
void vcpu_poke_all(struct vm *vm);
/* How often the main loop pokes the vCPUs, in ms.  A poked vCPU checks
 * that its page tables (CR3, paging on) are in guest RAM: nested
 * virtualisation has been seen to lose a guest's CR3, leaving its vCPU
 * in a nested page fault loop inside KVM that never exits to vmrun. */
#define VCPU_CHECK_MS 2000
/* Join every started thread; unmap and close every vCPU. */
void vcpu_join_all(struct vm *vm);

#endif
