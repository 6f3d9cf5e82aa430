/* vmm/vcpu.c: vCPU threads and the stop kick. */
#include <signal.h>

#include "vcpu.h"
#include "vm.h"

/* Stopping a vCPU without a race: immediate_exit is set first, so a thread
 * between its last check of vm->stopping and the KVM_RUN ioctl returns at
 * once with EINTR; the signal then interrupts a thread already inside
 * KVM_RUN.  A thread handling an exit in user space sees vm->stopping at
 * the top of its loop. */
void vcpu_kick_all(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *c = &vm->cpus[i];
		if (c->run)
			__atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (c->started)
			pthread_kill(c->thread, VCPU_KICK_SIGNAL);
	}
}
