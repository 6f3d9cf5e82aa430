/* vmm/vm.c: the VM's shared state: virtio-mmio slots, exit hooks, the stop
 * request, IRQ lines and the device table.  It knows nothing of the vCPUs
 * (vcpu.c): they come in through the stop hook and an exit hook. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "err.h"
#include "ioctl.h"
#include "layout.h"
#include "virtio_mmio.h"
#include "vm.h"

int
vm_alloc_mmio(struct vm *vm, uint64_t *base, unsigned *irq)
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

int
vm_at_exit(struct vm *vm, void (*fn)(void *), void *arg)
{
	if (vm->nhooks == VM_MAX_HOOKS) {
		errno = ENOSPC;
		return -1;
	}
	vm->hooks[vm->nhooks].fn = fn;
	vm->hooks[vm->nhooks].arg = arg;
	vm->nhooks++;
	return 0;
}

int
vm_at_start(struct vm *vm, int (*fn)(void *), void *arg)
{
	if (vm->nstarts == VM_MAX_HOOKS) {
		errno = ENOSPC;
		return -1;
	}
	vm->starts[vm->nstarts].fn = fn;
	vm->starts[vm->nstarts].arg = arg;
	vm->nstarts++;
	return 0;
}

int
vm_start(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->nstarts; i++)
		if (vm->starts[i].fn(vm->starts[i].arg) < 0)
			return -1;
	return 0;
}

void
vm_on_stop(struct vm *vm, void (*fn)(void *), void *arg)
{
	vm->on_stop.fn = fn;
	vm->on_stop.arg = arg;
}

void
vm_stop(struct vm *vm, int status)
{
	int running = VM_RUNNING;

	if (!atomic_compare_exchange_strong(&vm->status, &running, status))
		return;
	if (vm->on_stop.fn)
		vm->on_stop.fn(vm->on_stop.arg);
	if (vm->stop_efd >= 0) {
		uint64_t one = 1;
		(void)!write(vm->stop_efd, &one, sizeof(one));
	}
}

int
vm_status(struct vm *vm)
{
	return atomic_load(&vm->status);
}

int
vm_irq_line(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (vm->vm_fd < 0)      /* unit tests: no KVM behind the VM */
		return 0;
	return vmm_ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}

/* Bounds of the linker section VM_DEVICE entries go to. */
extern const struct vm_device_init __start_vmm_devices[]
	__attribute__((weak));
extern const struct vm_device_init __stop_vmm_devices[]
	__attribute__((weak));

int
vm_devices_init(struct vm *vm)
{
	const struct vm_device_init *i;

	for (i = __start_vmm_devices; i < __stop_vmm_devices; i++)
		if (i->init(vm) < 0) {
			err_warnsys("unable to set up device %s", i->name);
			return -1;
		}
	return 0;
}

void
vm_init(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	atomic_init(&vm->status, VM_RUNNING);
	vm->kvm_fd = vm->vm_fd = vm->stop_efd = -1;
	vm->cfg.console_out = vm->cfg.console_in = -1;
	vm->cfg.mem_fd = -1;
}

/* Capabilities vmrun cannot do without. */
static const struct { int cap; const char *name; } needed[] = {
	{ KVM_CAP_IRQCHIP, "IRQCHIP" },
	{ KVM_CAP_PIT2, "PIT2" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR" },
	{ KVM_CAP_EXT_CPUID, "EXT_CPUID" },
};

/* Guest RAM, on a 2 MiB boundary.  KVM maps a 2 MiB guest page with one
 * nested page-table entry only where the host's huge page lines up with
 * it (guest-physical and host-virtual addresses equal modulo 2 MiB);
 * mmap's page alignment leaves every such page to 4 KiB entries, a
 * nested page fault for each first touch.  qemu aligns its RAM so too.
 * With fd >= 0 (a restore), RAM is that file mapped MAP_PRIVATE: pages
 * are read from the page cache, which every VM restored from the file
 * shares, and each write is this VM's own copy. */
#define RAM_ALIGN ((uintptr_t)2 << 20)

static void *
map_ram(uint64_t size, int fd)
{
	size_t len = size + RAM_ALIGN;
	char *p, *ram;

	p = mmap(0, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return p;
	ram = (char *)(((uintptr_t)p + RAM_ALIGN - 1) & ~(RAM_ALIGN - 1));
	if (ram > p)
		munmap(p, ram - p);
	if (ram + size < p + len)
		munmap(ram + size, p + len - (ram + size));
	if (fd >= 0 && mmap(ram, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd, 0) == MAP_FAILED) {
		int e = errno;
		munmap(ram, size);
		errno = e;
		return MAP_FAILED;
	}
	/* Huge pages where THP is "madvise" only; a hint, so no check. */
	if (fd < 0)
		madvise(ram, size, MADV_HUGEPAGE);
	return ram;
}

int
vm_open(struct vm *vm)
{
	uint64_t mem_size = vm->cfg.ram_size;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct kvm_userspace_memory_region region;
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
	unsigned i;
	void *ram;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		err_warnsys("unable to open /dev/kvm");
		return -1;
	}
	if (vmm_ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		err_warn("unable to use /dev/kvm: API version is not %d",
		    KVM_API_VERSION);
		return -1;
	}
	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (vmm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, needed[i].cap) <= 0) {
			err_warn("unable to use /dev/kvm: no KVM_CAP_%s",
			    needed[i].name);
			return -1;
		}
	vm->run_size = vmm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		err_warnsys("unable to get the vCPU mapping size");
		return -1;
	}
	vm->vm_fd = vmm_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		err_warnsys("unable to create VM");
		return -1;
	}
	/* Intel needs these for real-mode emulation; harmless on AMD.  Both
	 * before the first vCPU. */
	if (vmm_ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0 ||
	    (vmm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	     vmm_ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)) {
		err_warnsys("unable to set the KVM TSS/identity map address");
		return -1;
	}
	if (vmm_ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		err_warnsys("unable to create the in-kernel irqchip");
		return -1;
	}
	/* The speaker port 0x61 is handled in the kernel too (dummy). */
	if (vmm_ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		err_warnsys("unable to create the in-kernel PIT");
		return -1;
	}

	ram = map_ram(mem_size, vm->cfg.mem_fd);
	if (ram == MAP_FAILED) {
		err_warnsys("unable to map %llu MiB of guest RAM",
		    (unsigned long long)(mem_size >> 20));
		return -1;
	}
	vm->mem.host = ram;
	vm->mem.size = mem_size;
	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = mem_size;
	region.userspace_addr = (uintptr_t)ram;
	if (vmm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		err_warnsys("unable to give guest RAM to KVM");
		return -1;
	}

	vm->pio = bus_new();
	vm->mmio = bus_new();
	if (!vm->pio || !vm->mmio) {
		err_warnsys("unable to allocate the VM");
		return -1;
	}
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0) {
		err_warnsys("unable to create an eventfd");
		return -1;
	}
	return 0;
}

void
vm_close(struct vm *vm)
{
	/* vCPUs first out of KVM_RUN (the stop hook), so hooks can tear
	 * down devices the vCPUs might touch; then the hooks (I/O threads,
	 * taps), the vCPUs' join last, as vcpu_init registered first. */
	vm_stop(vm, VM_EXIT_POWEROFF);
	while (vm->nhooks) {
		struct vm_hook h = vm->hooks[--vm->nhooks];
		h.fn(h.arg);
	}
	bus_free(vm->pio);
	bus_free(vm->mmio);
	vm->pio = vm->mmio = 0;
	vm->nstates = 0;
	if (vm->mem.host) {
		munmap(vm->mem.host, vm->mem.size);
		vm->mem.host = 0;
	}
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->stop_efd = vm->vm_fd = vm->kvm_fd = -1;
}

int
vm_add_virtio(struct vm *vm, struct virtio_mmio *t, void *dev,
    int (*start)(void *), void (*stop)(void *), const char *what)
{
	if (virtio_mmio_kvm(t, vm->vm_fd, 1) < 0 ||
	    vm_at_exit(vm, stop, dev) < 0) {
		vm_fail("wire ioeventfd and irqfd for", what);
		stop(dev);
		virtio_mmio_destroy(t);
		free(dev);
		return -1;
	}
	if (vm_at_start(vm, start, dev) < 0)
		return vm_fail("register the start hook for", what);
	if (bus_register(vm->mmio, &t->bus) < 0)
		return vm_fail("register the MMIO window of", what);
	return 0;
}

int
vm_fail(const char *what, const char *name)
{
	fprintf(stderr, "%s: fatal: unable to %s %s: %s\n", err_prog, what,
	    name, strerror(errno));
	return -1;
}
