/* kvmprobe: check that /dev/kvm really runs a guest (the VM test rig's
 * proof that nested KVM works in the first-level guest, and a diagnostic).
 *
 *   kvmprobe [-c] [-j vcpus] [dev]
 *
 * Opens dev (default /dev/kvm), checks KVM_GET_API_VERSION is 12, creates
 * a VM with one page of RAM and one vCPU in real mode, and runs five bytes
 * of guest code:
 *
 *   b0 2a     mov  al, 42
 *   e6 10     out  0x10, al
 *   f4        hlt
 *
 * It expects an I/O exit (port 0x10, one byte, 42) and then a HLT exit
 * (no in-kernel irqchip, so HLT comes back to userspace), and prints one
 * line per step.  -c also prints the capabilities the VMM relies on.
 * -j N runs N vCPUs (1..64) at once, a thread each, on the same code (it
 * writes no memory): SMP in the nested guest, as a VMM's vCPUs run.
 *
 * Exit status: 0 the guest ran as expected, 1 it did not, 100 usage,
 * 111 a system call failed. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "err.h"
#include "num.h"

#define GUEST_ADDR 0x1000
#define IO_PORT 0x10
#define IO_VALUE 42
#define MAX_VCPUS 64

static int nvcpus = 1;

static const unsigned char code[] = {
	0xb0, IO_VALUE,  /* mov al, 42 */
	0xe6, IO_PORT,   /* out 0x10, al */
	0xf4,            /* hlt */
};

static const struct { int cap; const char *name; } caps[] = {
	{ KVM_CAP_IRQCHIP, "IRQCHIP" },
	{ KVM_CAP_PIT2, "PIT2" },
	{ KVM_CAP_IRQFD, "IRQFD" },
	{ KVM_CAP_IOEVENTFD, "IOEVENTFD" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
	{ KVM_CAP_SPLIT_IRQCHIP, "SPLIT_IRQCHIP" },
	{ KVM_CAP_TSC_DEADLINE_TIMER, "TSC_DEADLINE_TIMER" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_X2APIC_API, "X2APIC_API" },
	{ KVM_CAP_EXT_CPUID, "EXT_CPUID" },
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
};

static const char *exitname(unsigned r)
{
	switch (r) {
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	}
	return "other";
}

struct probe {
	int id, fd;
	struct kvm_run *run;
	char out[256], err[256];
};

/* Real mode, flat from 0: CS base 0, IP at the code. */
static void setup(struct probe *p)
{
	struct kvm_sregs sregs;
	if (ioctl(p->fd, KVM_GET_SREGS, &sregs) < 0)
		err_diesys(EX_SYS, "unable to get the sregs of vCPU %d", p->id);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(p->fd, KVM_SET_SREGS, &sregs) < 0)
		err_diesys(EX_SYS, "unable to set the sregs of vCPU %d", p->id);
	struct kvm_regs regs = { .rip = GUEST_ADDR, .rflags = 0x2 };
	if (ioctl(p->fd, KVM_SET_REGS, &regs) < 0)
		err_diesys(EX_SYS, "unable to set the regs of vCPU %d", p->id);
}

/* Run to the out, then to the hlt; results into p->out and p->err, as
 * this may be one of several threads. */
static void probe(struct probe *p)
{
	struct kvm_run *run = p->run;
	char pre[16] = "";
	size_t n = 0;

	if (nvcpus > 1)
		snprintf(pre, sizeof pre, "vcpu %d ", p->id);
	if (ioctl(p->fd, KVM_RUN, 0) < 0) {
		snprintf(p->err, sizeof p->err, "unable to run vCPU %d: %s",
			 p->id, strerror(errno));
		return;
	}
	if (run->exit_reason != KVM_EXIT_IO) {
		snprintf(p->err, sizeof p->err, "unable to see the out of vCPU %d: exit %s (%u)",
			 p->id, exitname(run->exit_reason), run->exit_reason);
		return;
	}
	unsigned char v = *((unsigned char *)run + run->io.data_offset);
	n += snprintf(p->out + n, sizeof p->out - n, "%sio port %#x dir %s size %d value %d\n",
		      pre, run->io.port,
		      run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
		      run->io.size, v);
	if (run->io.port != IO_PORT || run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.size != 1 || v != IO_VALUE) {
		snprintf(p->err, sizeof p->err, "unable to see the out of vCPU %d: "
			 "wrong port or value", p->id);
		return;
	}
	if (ioctl(p->fd, KVM_RUN, 0) < 0) {
		snprintf(p->err, sizeof p->err, "unable to run vCPU %d: %s",
			 p->id, strerror(errno));
		return;
	}
	snprintf(p->out + n, sizeof p->out - n, "%sexit %s\n", pre,
		 exitname(run->exit_reason));
	if (run->exit_reason != KVM_EXIT_HLT)
		snprintf(p->err, sizeof p->err, "unable to see the hlt of vCPU %d: exit %s (%u)",
			 p->id, exitname(run->exit_reason), run->exit_reason);
}

static void *probe_thread(void *arg)
{
	probe(arg);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/kvm";
	int c, showcaps = 0;

	err_setprog(argv[0]);
	while ((c = getopt(argc, argv, "cj:h")) != -1) {
		switch (c) {
		case 'c': showcaps = 1; break;
		case 'j': nvcpus = xnum_opt('j', optarg, 1, MAX_VCPUS, "vCPU count"); break;
		default:
			fprintf(stderr, "usage: kvmprobe [-c] [-j vcpus] [dev]\n");
			return EX_USAGE;
		}
	}
	if (optind < argc)
		dev = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "usage: kvmprobe [-c] [-j vcpus] [dev]\n");
		return EX_USAGE;
	}

	int kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		err_diesys(EX_SYS, "unable to open %s", dev);
	int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api < 0)
		err_diesys(EX_SYS, "unable to get the KVM API version of %s", dev);
	printf("api %d\n", api);
	if (api != KVM_API_VERSION)
		err_die(EX_FALSE, "unable to use %s: API version %d, want %d",
			dev, api, KVM_API_VERSION);
	if (showcaps)
		for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
			printf("cap %s %d\n", caps[i].name,
			       ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap));

	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		err_diesys(EX_SYS, "unable to create a VM");
	unsigned char *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		err_diesys(EX_SYS, "unable to map guest memory");
	memcpy(mem, code, sizeof code);
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = GUEST_ADDR, .memory_size = 0x1000,
		.userspace_addr = (unsigned long)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		err_diesys(EX_SYS, "unable to set guest memory");
	struct probe p[MAX_VCPUS];
	pthread_t th[MAX_VCPUS];
	int runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (runsz < (int)sizeof(struct kvm_run))
		err_diesys(EX_SYS, "unable to get the vCPU mmap size");
	for (int i = 0; i < nvcpus; i++) {
		p[i].id = i;
		p[i].fd = ioctl(vm, KVM_CREATE_VCPU, i);
		if (p[i].fd < 0)
			err_diesys(EX_SYS, "unable to create vCPU %d", i);
		p[i].run = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED,
				p[i].fd, 0);
		if (p[i].run == MAP_FAILED)
			err_diesys(EX_SYS, "unable to map the run area of vCPU %d", i);
		setup(&p[i]);
	}
	printf("vm ok\n");
	if (nvcpus == 1) {
		probe(&p[0]);
	} else {
		/* All at once, one thread each, as a VMM runs them. */
		for (int i = 0; i < nvcpus; i++) {
			int e = pthread_create(&th[i], NULL, probe_thread, &p[i]);
			if (e) {
				errno = e;
				err_diesys(EX_SYS, "unable to start the thread of vCPU %d", i);
			}
		}
		for (int i = 0; i < nvcpus; i++)
			pthread_join(th[i], NULL);
	}
	int bad = 0;
	for (int i = 0; i < nvcpus; i++) {
		fputs(p[i].out, stdout);
		if (p[i].err[0]) {
			fprintf(stderr, "kvmprobe: fatal: %s\n", p[i].err);
			bad = 1;
		}
	}
	if (bad)
		return EX_FALSE;
	if (fflush(stdout) == EOF)
		err_diesys(EX_SYS, "unable to write the output");
	return 0;
}
