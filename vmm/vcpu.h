/* vmm/vcpu.h: the vCPUs: their creation, registers, threads, run loop,
 * exit dispatch and stop kick.  vcpu.c owns them (vm->cpus); the VM core
 * reaches them only through the hooks vcpu_init registers. */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include <stdint.h>
#include <linux/kvm.h>

struct vm;

/* The signal that kicks a vCPU thread out of KVM_RUN.  Its handler does
 * nothing; only the EINTR matters. */
#define VCPU_KICK_SIGNAL SIGUSR1

/* What the run loop does after an exit. */
enum vcpu_action { VCPU_CONTINUE, VCPU_STOP };

/* Handle one exit in vcpu->run: route I/O and MMIO to the buses, turn
 * shutdown/system events into vm_stop with the documented status.  A plain
 * function over struct kvm_run so a unit test can feed it fake exits. */
enum vcpu_action vcpu_handle_exit(struct vm *vm, struct kvm_run *run);

/* Allocate vm->cfg.ncpus vCPUs (none created in KVM yet) and register
 * with the VM: the stop hook (every vCPU leaves KVM_RUN for good:
 * immediate_exit, then a signal) and the exit hook that joins the
 * threads, unmaps and closes every vCPU and frees them.  Call it right
 * after vm_open, before any device registers an exit hook, so that the
 * join runs after them all.  0, or -1 with a message printed. */
int vcpu_init(struct vm *vm);
/* Create vCPU fds and mappings, set CPUID, MSRs, registers for the 64-bit
 * entry at kernel entry point.  0, or -1 with a message printed. */
int vcpu_create_all(struct vm *vm, uint64_t entry, int entry64);
/* Start one thread per vCPU, all with the kick signal blocked except inside
 * KVM_RUN.  0, or -1 (threads already started are left for the exit hook). */
int vcpu_start_all(struct vm *vm);
/* Join every vCPU thread started (after vm_stop; the exit hook joins
 * again harmlessly). */
void vcpu_join_all(struct vm *vm);
/* Snapshots (snapshot.h), threads joined: complete vCPU i's last exit and
 * save its state; set a saved state back (after vcpu_create_all, which
 * with vm->cfg.restore sets only CPUID), refusing another CPUID.  0, or
 * -1 with *why. */
struct snap_vcpu;
int vcpu_save(struct vm *vm, unsigned i, struct snap_vcpu *s, const char **why);
int vcpu_load(struct vm *vm, unsigned i, const struct snap_vcpu *s,
    const char **why);
/* Interrupt every vCPU's KVM_RUN once, for its paging check (below). */
void vcpu_poke_all(struct vm *vm);
/* How often the main loop pokes the vCPUs, in ms.  A poked vCPU checks
 * that its page tables (CR3, paging on) are in guest RAM: nested
 * virtualisation has been seen to lose a guest's CR3, leaving its vCPU
 * in a nested page fault loop inside KVM that never exits to vmrun. */
#define VCPU_CHECK_MS 2000

#endif
