/* vmm/snapshot.h: a running VM saved to a directory, and a VM restored
 * from one (vmrun --snapshot DIR, --restore DIR; vmrun.8 SNAPSHOTS).
 *
 * The guest asks for the snapshot: it reads the snapshot port
 * (PORT_SNAPSHOT).  Without --snapshot the read answers 0 and nothing
 * happens.  With it the read answers 1, and the VM stops with
 * VM_EXIT_SNAPSHOT: every vCPU leaves KVM_RUN, and the main thread, once
 * they are joined, completes each vCPU's last exit (a KVM_RUN with
 * immediate_exit, so the read's 1 is in the guest's register), then
 * saves.  Every VM restored from DIR so resumes from that read with 1 in
 * hand: "you were restored".  The original VM ends there.
 *
 * DIR holds two files, opened before the jail and the filter:
 *   mem    guest RAM, ram_size bytes; pages of zeros are holes.  A
 *          restore maps it MAP_PRIVATE: the page cache is shared by every
 *          VM restored from it, each write is the VM's own copy;
 *   state  a header (magic, format version, vmrun's build id, RAM size,
 *          vCPUs), then named sections: "vm" (PIC, IOAPIC, PIT, kvmclock),
 *          "cpuN" per vCPU (registers, special registers, XSAVE, XCRs,
 *          LAPIC, pending events, MP state, debug registers, MSRs, and the
 *          CPUID it ran with), one per device that has state ("uart",
 *          "i8042", "rtc", "vsock"), and "end" last: a state without it
 *          was not finished.
 * Both are new files (O_EXCL).  A failed save leaves them empty.  A
 * restore refuses, with the reason, files that are not regular, not its
 * user's or writable by others, a state from another vmrun build (build id), another CPU model
 * (the CPUID this host would give differs), another RAM size or vCPU
 * count, another device set, or one unfinished or damaged. */
#ifndef VMM_SNAPSHOT_H
#define VMM_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

struct vm;

#define SNAP_MSRS 320
#define SNAP_CPUID 256
#define SNAP_NAME 16

/* One vCPU's state, in the order vcpu_load sets it back. */
struct snap_vcpu {
	uint32_t ncpuid, nmsrs;
	struct kvm_cpuid_entry2 cpuid[SNAP_CPUID];
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	/* struct kvm_xsave's 4 KiB (its header ends in a flexible array
	 * for larger areas, which KVM_GET_XSAVE does not fill) */
	uint32_t xsave[1024];
	struct kvm_xcrs xcrs;
	struct kvm_debugregs dregs;
	struct kvm_lapic_state lapic;
	struct kvm_msr_entry msrs[SNAP_MSRS];
	struct kvm_vcpu_events events;
};

/* A device's state, len bytes: save copies it into buf; load gets back
 * what save wrote (its size checked already) and returns 0, or -1 with
 * *why.  Or, with save NULL, the len plain bytes at p (snap_plain). */
struct snap_dev {
	char name[SNAP_NAME];
	size_t len;
	void (*save)(void *arg, void *buf);
	int (*load)(void *arg, const void *buf, const char **why);
	void *arg, *p;
};
#define SNAP_DEV_MAX 8

/* Devices with state register at setup, in vm->states.  0, or -1
 * (ENOSPC). */
int snap_register(struct vm *vm, const char *name, size_t len,
    void (*save)(void *, void *),
    int (*load)(void *, const void *, const char **), void *arg);

/* A device's state, by name, saved into buf (its length; 0 if none or
 * too long) or taken back (0, or -1 with *why: every device checks the
 * values it is given): what snap_save and snap_restore do for each
 * device, for tests. */
size_t snap_save_dev(struct vm *vm, const char *name, void *buf, size_t max);
int snap_load_dev(struct vm *vm, const char *name, const void *buf, size_t len,
    const char **why);
/* A device whose state is len plain bytes at p, saved and set back as
 * they are (read only with every thread stopped, or not yet started):
 * only for a state no value of which can break the device (none is an
 * index, a size or a pointer); else snap_register with a load that
 * checks. */
int snap_plain(struct vm *vm, const char *name, void *p, size_t len);

/* --snapshot DIR, at setup (before the jail): create DIR/mem and
 * DIR/state; the port then answers 1.  0, or -1 with a message. */
int snap_prepare(struct vm *vm, const char *dir);
/* After VM_EXIT_SNAPSHOT, from the main thread, the vCPU threads joined:
 * save.  0, or -1 with a message printed and both files emptied. */
int snap_save(struct vm *vm);
/* --restore DIR, before vm_open: read and check DIR/state and open
 * DIR/mem; sets vm->cfg's RAM size, vCPU count and mem_fd.  0, or -1
 * with a message printed. */
int snap_open(struct vm *vm, const char *dir);
/* After the vCPUs and devices exist: set every state back.  0, or -1 with
 * a message printed. */
int snap_restore(struct vm *vm);
/* The ioctls snap_save makes after the seccomp filter is in (seccomp.c);
 * ends with 0. */
extern const unsigned long snap_ioctls[];

#endif
