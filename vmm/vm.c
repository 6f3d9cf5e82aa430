/* vmm/vm.c: the VM's shared state: virtio-mmio slots, exit hooks, the stop
 * request, IRQ lines and the device table. */
#include <errno.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "err.h"
#include "layout.h"
#include "vcpu.h"
#include "vm.h"

int vm_alloc_mmio(struct vm *vm, uint64_t *base, unsigned *irq)
{
	if (vm->next_mmio >= VIRTIO_MAX_DEVS) {
		errno = ENOSPC;
		return -1;
	}
	*base = VIRTIO_MMIO_BASE + vm->next_mmio * VIRTIO_MMIO_SIZE;
	*irq = VIRTIO_IRQ_BASE + vm->next_mmio;
	vm->next_mmio++;
	return 0;
}

int vm_at_exit(struct vm *vm, void (*fn)(void *), void *arg)
{
	int r = -1;

	pthread_mutex_lock(&vm->lock);
	if (vm->nhooks < VM_MAX_HOOKS) {
		vm->hooks[vm->nhooks].fn = fn;
		vm->hooks[vm->nhooks].arg = arg;
		vm->nhooks++;
		r = 0;
	} else {
		errno = ENOSPC;
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

void vm_stop(struct vm *vm, int status)
{
	int first;

	pthread_mutex_lock(&vm->lock);
	first = !vm->stopping;
	if (first) {
		vm->stopping = 1;
		vm->status = status;
	}
	pthread_mutex_unlock(&vm->lock);
	if (first)
		vcpu_kick_all(vm);
}

int vm_irq_line(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (vm->vm_fd < 0)      /* unit tests: no KVM behind the VM */
		return 0;
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}

/* Bounds of the linker section VM_DEVICE entries go to. */
extern const struct vm_device_init __start_vmm_devices[]
	__attribute__((weak));
extern const struct vm_device_init __stop_vmm_devices[]
	__attribute__((weak));

int vm_devices_init(struct vm *vm)
{
	const struct vm_device_init *i;

	for (i = __start_vmm_devices; i < __stop_vmm_devices; i++)
		if (i->init(vm) < 0) {
			err_warnsys("unable to set up device %s", i->name);
			return -1;
		}
	return 0;
}
