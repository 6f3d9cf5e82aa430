/* vmm/vcpu.c: the vCPUs: setup (CPUID, MSRs, registers for the boot
 * protocol's entry), the run loop, exit dispatch, the stop kick and the
 * join, the last two hooked into the VM by vcpu_init. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot.h"
#include "err.h"
#include "ioctl.h"
#include "layout.h"
#include "snapshot.h"
#include "vcpu.h"
#include "vm.h"

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;                  /* -1 until created */
	struct kvm_run *run;     /* mmap of the vCPU fd, run_size bytes */
	pthread_t thread;
	int started;             /* thread exists and must be joined */
	struct kvm_cpuid2 *cpuid;/* what KVM_SET_CPUID2 was given (snapshots) */
};

/* The MSRs a snapshot saves (KVM_GET_MSR_INDEX_LIST, read at setup with
 * --snapshot: the filter forbids it later). */
static uint32_t msr_list[SNAP_MSRS];
static unsigned msr_count;
static int msr_index_list(struct vm *vm);

enum vcpu_action
vcpu_handle_exit(struct vm *vm, struct kvm_run *run)
{
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		/* count accesses of size bytes each, packed at data_offset
		 * (rep ins/outs); KVM guarantees they lie inside the page
		 * mapping, but a fake exit in a test might not, so check. */
		uint8_t *p = (uint8_t *)run + run->io.data_offset;
		unsigned sz = run->io.size, i;
		if ((sz != 1 && sz != 2 && sz != 4) ||
		    run->io.data_offset + (uint64_t)sz * run->io.count >
		    (uint64_t)vm->run_size) {
			err_warn("guest port I/O exit with impossible size %u x %u",
			    sz, run->io.count);
			vm_stop(vm, VM_EXIT_GUEST_FAULT);
			return VCPU_STOP;
		}
		for (i = 0; i < run->io.count; i++, p += sz) {
			if (run->io.direction == KVM_EXIT_IO_OUT)
				bus_write(vm->pio, run->io.port, p, sz);
			else
				bus_read(vm->pio, run->io.port, p, sz);
		}
		return VCPU_CONTINUE;
	}
	case KVM_EXIT_MMIO:
		if (run->mmio.len == 0 || run->mmio.len > 8) {
			vm_stop(vm, VM_EXIT_GUEST_FAULT);
			return VCPU_STOP;
		}
		if (run->mmio.is_write)
			bus_write(vm->mmio, run->mmio.phys_addr, run->mmio.data,
			    run->mmio.len);
		else
			bus_read(vm->mmio, run->mmio.phys_addr, run->mmio.data,
			    run->mmio.len);
		return VCPU_CONTINUE;
	case KVM_EXIT_SHUTDOWN:
		/* triple fault: Linux's reboot of last resort */
		if (vm->cfg.verbose)
			err_info("guest triple fault: reset");
		vm_stop(vm, VM_EXIT_RESET);
		return VCPU_STOP;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_stop(vm, VM_EXIT_POWEROFF);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vm_stop(vm, VM_EXIT_RESET);
			break;
		default:
			err_warn("guest system event %u", run->system_event.type);
			vm_stop(vm, VM_EXIT_GUEST_FAULT);
		}
		return VCPU_STOP;
	case KVM_EXIT_HLT:
		/* only without the in-kernel irqchip; keep going */
	case KVM_EXIT_INTR:
		return VCPU_CONTINUE;
	case KVM_EXIT_FAIL_ENTRY:
		err_warn("vCPU entry failed: hardware reason 0x%llx",
		    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vm_stop(vm, VM_EXIT_GUEST_FAULT);
		return VCPU_STOP;
	case KVM_EXIT_INTERNAL_ERROR:
		err_warn("KVM internal error: suberror %u", run->internal.suberror);
		vm_stop(vm, VM_EXIT_GUEST_FAULT);
		return VCPU_STOP;
	default:
		err_warn("unexpected vCPU exit reason %u", run->exit_reason);
		vm_stop(vm, VM_EXIT_GUEST_FAULT);
		return VCPU_STOP;
	}
}

/* CPUID: what KVM supports, plus the hypervisor bit and this vCPU's APIC
 * id wherever CPUID reports one. */
static int
set_cpuid(struct vm *vm, struct vcpu *c, const struct kvm_cpuid2 *sup)
{
	size_t sz = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *cp = malloc(sz);
	unsigned i;
	int r;

	if (!cp)
		return -1;
	memcpy(cp, sup, sz);
	for (i = 0; i < cp->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cp->entries[i];
		switch (e->function) {
		case 1:
			/* EBX 31:24 initial APIC id, 23:16 logical CPUs per
			 * package; ECX 31 hypervisor present */
			e->ebx = (e->ebx & 0xffff) | c->id << 24 |
			    (vm->ncpus & 0xff) << 16;
			e->ecx |= 1u << 31;
			if (vm->ncpus > 1)
				e->edx |= 1u << 28;     /* HTT: the field above is valid */
			break;
		case 0xd:
			/* XSAVE area size for the enabled features: Linux
			 * enables every supported user feature and checks
			 * EBX against its own sum.  Nested (KVM on qemu TCG)
			 * EBX stayed at the x87+SSE size after the guest's
			 * XSETBV (an "XSAVE consistency problem" warning), so
			 * report the size of them all, ECX, from the start. */
			if (e->index == 0)
				e->ebx = e->ecx;
			break;
		case 0xb:
		case 0x1f:
			e->edx = c->id;                 /* x2APIC id */
			break;
		case 0x8000001e:
			e->eax = c->id;                 /* AMD extended APIC id */
			break;
		}
	}
	r = vmm_ioctl(c->fd, KVM_SET_CPUID2, cp);
	c->cpuid = cp;          /* freed with the vCPU */
	return r;
}

#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_STAR              0xc0000081
#define MSR_LSTAR             0xc0000082
#define MSR_CSTAR             0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_KERNEL_GS_BASE    0xc0000102
#define MSR_IA32_TSC          0x10
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_MTRR_DEF_TYPE     0x2ff

/* The MSR state of a CPU fresh out of firmware: syscall MSRs clear, fast
 * string operations on, MTRRs enabled with write-back as the default type
 * (else the guest maps all RAM uncached). */
static int
set_msrs(struct vcpu *c)
{
	static const struct { uint32_t i; uint64_t v; } boot[] = {
		{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 }, { MSR_CSTAR, 0 },
		{ MSR_KERNEL_GS_BASE, 0 }, { MSR_SYSCALL_MASK, 0 },
		{ MSR_LSTAR, 0 }, { MSR_IA32_TSC, 0 },
		{ MSR_IA32_MISC_ENABLE, 1 },                    /* fast strings */
		{ MSR_MTRR_DEF_TYPE, 1u << 11 | 6 },            /* enabled, WB */
	};
	enum { N = sizeof(boot) / sizeof(boot[0]) };
	union {
		struct kvm_msrs h;
		uint8_t b[sizeof(struct kvm_msrs) + N * sizeof(struct kvm_msr_entry)];
	} m;
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = N;
	for (i = 0; i < N; i++) {
		m.h.entries[i].index = boot[i].i;
		m.h.entries[i].data = boot[i].v;
	}
	if (vmm_ioctl(c->fd, KVM_SET_MSRS, &m) != N) {
		errno = errno ? errno : EINVAL;
		return -1;
	}
	return 0;
}

static void
segment(struct kvm_segment *s, uint16_t sel, uint64_t desc)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;          /* G=1: 0xfffff pages */
	s->type = desc >> 40 & 0xf;
	s->s = desc >> 44 & 1;
	s->dpl = desc >> 45 & 3;
	s->present = desc >> 47 & 1;
	s->avl = desc >> 52 & 1;
	s->l = desc >> 53 & 1;
	s->db = desc >> 54 & 1;
	s->g = desc >> 55 & 1;
}

#define CR0_PE 0x1ULL
#define CR0_ET 0x10ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define CR4_LA57 0x1000ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

/* The boot CPU's state at the kernel entry (boot.rst, "64-bit boot
 * protocol"): long mode with the identity map, the flat GDT's __BOOT_CS and
 * __BOOT_DS, interrupts off, %rsi = boot_params.  Or 32-bit protected mode
 * with paging off for the 32-bit entry. */
static int
set_boot_regs(struct vcpu *c, uint64_t entry, int entry64)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_fpu f;
	uint64_t gdt[BOOT_GDT_ENTRIES];

	if (vmm_ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	boot_gdt(gdt, entry64);
	segment(&s.cs, BOOT_CS, gdt[BOOT_CS / 8]);
	segment(&s.ds, BOOT_DS, gdt[BOOT_DS / 8]);
	s.es = s.fs = s.gs = s.ss = s.ds;
	segment(&s.tr, BOOT_TSS, gdt[BOOT_TSS / 8]);
	s.gdt.base = BOOT_GDT_ADDR;
	s.gdt.limit = sizeof(gdt) - 1;
	s.idt.base = BOOT_IDT_ADDR;
	s.idt.limit = 0;
	s.cr0 = CR0_PE | CR0_ET;
	s.cr4 = 0;
	s.efer = 0;
	if (entry64) {
		s.cr3 = PML4_ADDR;
		s.cr4 |= CR4_PAE;
		s.cr0 |= CR0_PG;
		s.efer |= EFER_LME | EFER_LMA;
	}
	if (vmm_ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		return -1;

	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;                 /* reserved bit; IF clear */
	r.rip = entry;
	r.rsp = r.rbp = BOOT_STACK_TOP;
	r.rsi = ZERO_PAGE_ADDR;
	if (vmm_ioctl(c->fd, KVM_SET_REGS, &r) < 0)
		return -1;

	memset(&f, 0, sizeof(f));
	f.fcw = 0x37f;                  /* FNINIT's control word */
	f.mxcsr = 0x1f80;               /* all SSE exceptions masked */
	return vmm_ioctl(c->fd, KVM_SET_FPU, &f);
}

static void
kick_handler(int sig)
{
	(void)sig;      /* only the EINTR from KVM_RUN matters */
}

int
vcpu_create_all(struct vm *vm, uint64_t entry, int entry64)
{
	struct kvm_cpuid2 *sup;
	unsigned i;
	int nent = 256;

	struct sigaction sa;

	/* The kick handler, here because this is still setup time (the
	 * seccomp filter does not allow sigaction). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;   /* no SA_RESTART: KVM_RUN must return */
	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, 0) < 0) {
		err_warnsys("unable to set the vCPU kick handler");
		return -1;
	}
	sup = calloc(1, sizeof(*sup) + nent * sizeof(sup->entries[0]));
	if (!sup) {
		err_warnsys("unable to allocate CPUID table");
		return -1;
	}
	sup->nent = nent;
	if (vmm_ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, sup) < 0) {
		err_warnsys("unable to get supported CPUID");
		free(sup);
		return -1;
	}
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *c = &vm->cpus[i];
		void *run;
		c->fd = vmm_ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (c->fd < 0) {
			err_warnsys("unable to create vCPU %u", i);
			goto fail;
		}
		run = mmap(0, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    c->fd, 0);
		if (run == MAP_FAILED) {
			err_warnsys("unable to map vCPU %u", i);
			goto fail;
		}
		c->run = run;
		if (set_cpuid(vm, c, sup) < 0) {
			err_warnsys("unable to set CPUID of vCPU %u", i);
			goto fail;
		}
		if (vm->cfg.restore)
			continue;       /* snap_restore sets the rest */
		if (set_msrs(c) < 0) {
			err_warnsys("unable to set MSRs of vCPU %u", i);
			goto fail;
		}
		/* Application processors wait for INIT/SIPI from the boot
		 * CPU (in-kernel LAPIC), as on real hardware. */
		if (i == 0 && set_boot_regs(c, entry, entry64) < 0) {
			err_warnsys("unable to set boot registers");
			goto fail;
		}
	}
	free(sup);
	if (vm->cfg.snapshot && msr_index_list(vm) < 0) {
		err_warnsys("unable to list the MSRs to save");
		return -1;
	}
	return 0;
fail:
	free(sup);
	return -1;      /* vcpu_join_all releases what was created */
}

static int
msr_index_list(struct vm *vm)
{
	union {
		struct kvm_msr_list h;
		uint8_t b[sizeof(struct kvm_msr_list) + SNAP_MSRS * 4];
	} l;

	l.h.nmsrs = SNAP_MSRS;
	if (vmm_ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &l) < 0)
		return -1;
	memcpy(msr_list, l.h.indices, l.h.nmsrs * 4);
	msr_count = l.h.nmsrs;
	return 0;
}

/* MSRs into s->msrs: KVM_GET_MSRS stops at the first one it cannot read
 * (one of a feature this CPUID does not offer): that one is left out and
 * the rest read on. */
static int
save_msrs(struct vcpu *c, struct snap_vcpu *s)
{
	union {
		struct kvm_msrs h;
		uint8_t b[sizeof(struct kvm_msrs) +
		    SNAP_MSRS * sizeof(struct kvm_msr_entry)];
	} m;
	unsigned i = 0;
	int r;

	s->nmsrs = 0;
	while (i < msr_count) {
		unsigned n = msr_count - i, k;
		memset(&m, 0, sizeof m);
		m.h.nmsrs = n;
		for (k = 0; k < n; k++)
			m.h.entries[k].index = msr_list[i + k];
		if ((r = vmm_ioctl(c->fd, KVM_GET_MSRS, &m)) < 0)
			return -1;
		memcpy(&s->msrs[s->nmsrs], m.h.entries, r * sizeof m.h.entries[0]);
		s->nmsrs += r;
		i += r + 1;     /* past the one it could not read */
	}
	return 0;
}

int
vcpu_save(struct vm *vm, unsigned i, struct snap_vcpu *s, const char **why)
{
	struct vcpu *c = &vm->cpus[i];

	memset(s, 0, sizeof *s);
	if (!msr_count)         /* no list: vm->cfg.snapshot came too late */
		return *why = "list its MSRs", -1;
	/* The last exit completed: an I/O read's value in its register,
	 * the instruction done (KVM's API: before state is saved). */
	c->run->immediate_exit = 1;
	if (vmm_ioctl(c->fd, KVM_RUN, 0) == 0 || errno != EINTR)
		return *why = "complete its last exit", -1;
	s->ncpuid = c->cpuid->nent;
	memcpy(s->cpuid, c->cpuid->entries, s->ncpuid * sizeof s->cpuid[0]);
	if (vmm_ioctl(c->fd, KVM_GET_MP_STATE, &s->mp) < 0)
		return *why = "get its MP state", -1;
	if (vmm_ioctl(c->fd, KVM_GET_REGS, &s->regs) < 0)
		return *why = "get its registers", -1;
	if (vmm_ioctl(c->fd, KVM_GET_SREGS, &s->sregs) < 0)
		return *why = "get its special registers", -1;
	if (vmm_ioctl(c->fd, KVM_GET_XSAVE, &s->xsave) < 0)
		return *why = "get its XSAVE area", -1;
	if (vmm_ioctl(c->fd, KVM_GET_XCRS, &s->xcrs) < 0)
		return *why = "get its XCRs", -1;
	if (vmm_ioctl(c->fd, KVM_GET_DEBUGREGS, &s->dregs) < 0)
		return *why = "get its debug registers", -1;
	if (vmm_ioctl(c->fd, KVM_GET_LAPIC, &s->lapic) < 0)
		return *why = "get its local APIC", -1;
	if (save_msrs(c, s) < 0)
		return *why = "get its MSRs", -1;
	if (vmm_ioctl(c->fd, KVM_GET_VCPU_EVENTS, &s->events) < 0)
		return *why = "get its pending events", -1;
	return 0;
}

int
vcpu_load(struct vm *vm, unsigned i, const struct snap_vcpu *s,
    const char **why)
{
	struct vcpu *c = &vm->cpus[i];
	union {
		struct kvm_msrs h;
		uint8_t b[sizeof(struct kvm_msrs) +
		    SNAP_MSRS * sizeof(struct kvm_msr_entry)];
	} m;
	unsigned k;

	/* This host's CPUID for the vCPU, as a boot would set it, must be
	 * the one the snapshot ran with. */
	if (s->ncpuid != c->cpuid->nent ||
	    memcmp(s->cpuid, c->cpuid->entries, s->ncpuid * sizeof s->cpuid[0]))
		return *why = "it was taken on another CPU model (CPUID differs)", -1;
	if (s->nmsrs > SNAP_MSRS)
		return *why = "its MSR count is out of range", -1;
	/* Firecracker's order: the MSRs after the LAPIC (TSC deadline), the
	 * events last. */
	if (vmm_ioctl(c->fd, KVM_SET_MP_STATE, &s->mp) < 0)
		return *why = "set an MP state", -1;
	if (vmm_ioctl(c->fd, KVM_SET_REGS, &s->regs) < 0)
		return *why = "set registers", -1;
	if (vmm_ioctl(c->fd, KVM_SET_SREGS, &s->sregs) < 0)
		return *why = "set special registers", -1;
	if (vmm_ioctl(c->fd, KVM_SET_XSAVE, &s->xsave) < 0)
		return *why = "set an XSAVE area", -1;
	if (vmm_ioctl(c->fd, KVM_SET_XCRS, &s->xcrs) < 0)
		return *why = "set XCRs", -1;
	if (vmm_ioctl(c->fd, KVM_SET_DEBUGREGS, &s->dregs) < 0)
		return *why = "set debug registers", -1;
	if (vmm_ioctl(c->fd, KVM_SET_LAPIC, &s->lapic) < 0)
		return *why = "set a local APIC", -1;
	memset(&m, 0, sizeof m);
	m.h.nmsrs = s->nmsrs;
	for (k = 0; k < s->nmsrs; k++)
		m.h.entries[k] = s->msrs[k];
	if (vmm_ioctl(c->fd, KVM_SET_MSRS, &m) != (int)s->nmsrs)
		return *why = "set MSRs", -1;
	if (vmm_ioctl(c->fd, KVM_SET_VCPU_EVENTS, &s->events) < 0)
		return *why = "set pending events", -1;
	return 0;
}

#define PTE_ADDR 0x000ffffffffff000ULL

/* va's guest-physical address, or -1 where it does not translate.  Long
 * mode's tables (4 or 5 levels) are walked here, because KVM_TRANSLATE
 * checks a supervisor access, which SMAP refuses on a user page; other
 * modes are left to KVM_TRANSLATE. */
static uint64_t
guest_phys(struct vm *vm, struct vcpu *c,
    const struct kvm_sregs *sr, uint64_t va)
{
	struct kvm_translation t = { .linear_address = va };
	uint64_t pt = sr->cr3 & PTE_ADDR, e, *p;
	int shift = sr->cr4 & CR4_LA57 ? 48 : 39;

	if (!(sr->cr0 & CR0_PG) || !(sr->efer & EFER_LMA))
		return vmm_ioctl(c->fd, KVM_TRANSLATE, &t) < 0 || !t.valid ?
		    (uint64_t)-1 : t.physical_address;
	for (;; shift -= 9) {
		if (!(p = gm_ptr(&vm->mem, pt + ((va >> shift) & 511) * 8, 8)))
			return -1;
		memcpy(&e, p, 8);
		if (!(e & 1))                   /* not present */
			return -1;
		/* A leaf: a 4 KiB page, or a 2 MiB or 1 GiB one (PS). */
		if (shift == 12 || ((shift == 21 || shift == 30) && (e & 0x80)))
			return ((e & PTE_ADDR) & ~((1ULL << shift) - 1)) |
			    (va & ((1ULL << shift) - 1));
		pt = e & PTE_ADDR;
	}
}

/* Guest bytes at virtual address va, through the vCPU's page tables, as
 * hex, up to the first page that does not translate or is not RAM, which
 * is named after a "?" (a stack near its top runs into a guard page). */
static void
guest_hex(struct vm *vm, struct vcpu *c,
    const struct kvm_sregs *sr, uint64_t va, unsigned len, char *out,
    size_t outsz)
{
	size_t o = 0;

	out[0] = 0;
	while (len && o + 4 < outsz) {
		uint64_t pa = guest_phys(vm, c, sr, va);
		unsigned n = 4096 - (va & 4095), i;
		uint8_t *p;
		if (n > len)
			n = len;
		if (pa == (uint64_t)-1) {
			snprintf(out + o, outsz - o, "%s? (0x%llx unmapped)",
			    o ? " " : "", (unsigned long long)va);
			return;
		}
		if (!(p = gm_ptr(&vm->mem, pa, n))) {
			snprintf(out + o, outsz - o, "%s? (0x%llx at 0x%llx, not RAM)",
			    o ? " " : "", (unsigned long long)va,
			    (unsigned long long)pa);
			return;
		}
		for (i = 0; i < n && o + 4 < outsz; i++)
			o += snprintf(out + o, outsz - o, "%02x", p[i]);
		va += n;
		len -= n;
	}
}

/* vmrun -v: where a vCPU stopped, the code there and the top of its
 * stack, enough to find a guest's hang or fault in its System.map. */
static void
show_stop(struct vm *vm, struct vcpu *c)
{
	struct kvm_regs r;
	struct kvm_sregs sr;
	char code[2 * 32 + 64], stack[2 * 128 + 64];

	if (vmm_ioctl(c->fd, KVM_GET_REGS, &r) < 0 ||
	    vmm_ioctl(c->fd, KVM_GET_SREGS, &sr) < 0)
		return;
	guest_hex(vm, c, &sr, r.rip - 16, 32, code, sizeof(code));
	guest_hex(vm, c, &sr, r.rsp, 128, stack, sizeof(stack));
	err_info("vCPU %u stopped at rip 0x%llx rsp 0x%llx rflags 0x%llx",
	    c->id, (unsigned long long)r.rip, (unsigned long long)r.rsp,
	    (unsigned long long)r.rflags);
	err_info("vCPU %u cr0 0x%llx cr2 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx",
	    c->id, (unsigned long long)sr.cr0, (unsigned long long)sr.cr2,
	    (unsigned long long)sr.cr3, (unsigned long long)sr.cr4,
	    (unsigned long long)sr.efer);
	err_info("vCPU %u code (rip-16..rip+16): %s", c->id, code);
	err_info("vCPU %u stack: %s", c->id, stack);
}

/* 1 if the vCPU pages through tables outside guest RAM: no guest puts
 * them there, so the hypervisor lost its paging state (seen under
 * nested KVM on TCG: CR3 became a first-level guest's address, and each
 * access faulted on the walk, at 20000 nested page faults a second). */
static int
paging_lost(struct vm *vm, struct vcpu *c)
{
	struct kvm_sregs s;
	uint64_t pt;

	if (vmm_ioctl(c->fd, KVM_GET_SREGS, &s) < 0 || !(s.cr0 & CR0_PG))
		return 0;
	pt = s.cr3 & PTE_ADDR;
	if (gm_ptr(&vm->mem, pt, 4096))
		return 0;
	err_warn("vCPU %u: its page tables (cr3 0x%llx) are outside the "
	    "guest's RAM: the hypervisor lost its paging state; VM stopped",
	    c->id, (unsigned long long)s.cr3);
	return 1;
}

static void *
vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vm *vm = c->vm;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, 0);
	while (vm_status(vm) == VM_RUNNING) {
		if (vmm_ioctl(c->fd, KVM_RUN, 0) < 0) {
			int e = errno;
			if (e == EINTR && paging_lost(vm, c)) {
				vm_stop(vm, VM_EXIT_GUEST_FAULT);
				break;
			}
			if (e == EINTR || e == EAGAIN)
				continue;
			errno = e;
			err_warnsys("unable to run vCPU %u", c->id);
			vm_stop(vm, VM_EXIT_SYS);
			break;
		}
		if (vcpu_handle_exit(vm, c->run) == VCPU_STOP)
			break;
	}
	if (vm->cfg.verbose)
		show_stop(vm, c);
	return 0;
}

int
vcpu_start_all(struct vm *vm)
{
	sigset_t set, old;
	unsigned i;
	int e;

	/* Threads start with the kick blocked and unblock it themselves. */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *c = &vm->cpus[i];
		e = pthread_create(&c->thread, 0, vcpu_thread, c);
		if (e) {
			errno = e;
			err_warnsys("unable to start vCPU thread %u", i);
			pthread_sigmask(SIG_SETMASK, &old, 0);
			return -1;
		}
		c->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, 0);
	return 0;
}

/* Stopping a vCPU without a race: immediate_exit is set first, so a thread
 * between its last check of vm_status and the KVM_RUN ioctl returns at
 * once with EINTR; the signal then interrupts a thread already inside
 * KVM_RUN.  A thread handling an exit in user space sees vm_status at
 * the top of its loop. */
void
vcpu_poke_all(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i].started)
			pthread_kill(vm->cpus[i].thread, VCPU_KICK_SIGNAL);
}

/* The stop hook (vm_on_stop). */
static void
vcpu_kick_all(void *arg)
{
	struct vm *vm = arg;
	unsigned i;

	for (i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i].run)
			__atomic_store_n(&vm->cpus[i].run->immediate_exit, 1,
			    __ATOMIC_SEQ_CST);
	vcpu_poke_all(vm);
}

void
vcpu_join_all(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i].started) {
			pthread_join(vm->cpus[i].thread, 0);
			vm->cpus[i].started = 0;
		}
}

/* The exit hook (vm_at_exit): join every started thread; unmap, close
 * and free every vCPU. */
static void
vcpu_release(void *arg)
{
	struct vm *vm = arg;
	unsigned i;

	vcpu_join_all(vm);
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *c = &vm->cpus[i];
		free(c->cpuid);
		c->cpuid = 0;
		if (c->run) {
			munmap(c->run, vm->run_size);
			c->run = 0;
		}
		if (c->fd >= 0) {
			close(c->fd);
			c->fd = -1;
		}
	}
	free(vm->cpus);
	vm->cpus = 0;
	vm->ncpus = 0;
}

int
vcpu_init(struct vm *vm)
{
	unsigned i;

	vm->cpus = calloc(vm->cfg.ncpus, sizeof(*vm->cpus));
	if (!vm->cpus || vm_at_exit(vm, vcpu_release, vm) < 0) {
		err_warnsys("unable to allocate the VM");
		free(vm->cpus);
		vm->cpus = 0;
		return -1;
	}
	vm->ncpus = vm->cfg.ncpus;
	for (i = 0; i < vm->ncpus; i++) {
		vm->cpus[i].vm = vm;
		vm->cpus[i].id = i;
		vm->cpus[i].fd = -1;
	}
	vm_on_stop(vm, vcpu_kick_all, vm);
	return 0;
}
