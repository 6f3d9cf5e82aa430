/* vmm/seccomp.c: after setup vmrun needs only a few dozen system calls.
 *
 * Allowed, and why:
 *  - KVM_RUN and KVM_IRQ_LINE ioctls (vCPU loop, UART/device interrupts),
 *    KVM_GET_REGS, KVM_GET_SREGS and KVM_TRANSLATE (-v logs where each
 *    vCPU stopped, its control registers, the code there and its stack),
 *    KVM_IRQFD and KVM_IOEVENTFD (virtio-mmio deassigns them when its exit
 *    hook runs),
 *    the tap ioctls TUNSETOFFLOAD/TUNSETVNETHDRSZ (virtio-net sets offloads
 *    when the guest acks features, from a vCPU thread), FIONBIO;
 *    every other ioctl, including creating vCPUs, VMs or memory slots, is
 *    refused;
 *  - read/write/readv/writev/pread/pwrite: console, tap, eventfds,
 *    signalfd;
 *  - poll/ppoll/epoll_*: the main loop and the virtio I/O thread;
 *  - futex, clone with CLONE_THREAD only (threads, never processes),
 *    set_robust_list, rt_sigprocmask, rt_sigreturn, tgkill/tkill (the
 *    vCPU kick), exit/exit_group, sched_yield, nanosleep/clock_nanosleep,
 *    clock_gettime (boot timer, RTC), getpid/gettid;
 *  - mmap/munmap/mprotect/madvise/brk/mremap: malloc and thread stacks;
 *  - open/openat/close/fstat/fsync/renameat/unlinkat/lseek/fcntl/umask/
 *    fchmod: the exit file (lib/atomic) and the ready FIFO (lib/ready);
 *    ftruncate: the console file cut to its bound (lib/capfile).
 * Anything else kills the process (SIGSYS: exit status 159).  vmrun
 * --no-seccomp skips this, for debugging. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sched.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <unistd.h>

#include "seccomp.h"

#define NR      offsetof(struct seccomp_data, nr)
#define ARCH    offsetof(struct seccomp_data, arch)
#define ARG0    offsetof(struct seccomp_data, args[0])
#define ARG1    offsetof(struct seccomp_data, args[1])

#define LD(off)         (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(v, t, f)    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v), (t), (f))
#define RET(v)          (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (v))

static const int plain[] = {
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_pwrite64,
	SYS_poll, SYS_ppoll, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_ctl,
	SYS_futex, SYS_set_robust_list, SYS_rt_sigprocmask, SYS_rt_sigreturn,
	SYS_tgkill, SYS_tkill, SYS_exit, SYS_exit_group, SYS_sched_yield,
	SYS_nanosleep, SYS_clock_nanosleep, SYS_clock_gettime, SYS_getpid,
	SYS_gettid, SYS_mmap, SYS_munmap, SYS_mprotect, SYS_madvise, SYS_brk,
	SYS_mremap, SYS_open, SYS_openat, SYS_close, SYS_fstat, SYS_newfstatat,
	SYS_fsync, SYS_rename, SYS_renameat, SYS_unlink, SYS_unlinkat,
	SYS_lseek, SYS_ftruncate, SYS_fcntl, SYS_umask, SYS_fchmod, SYS_restart_syscall,
	SYS_set_tid_address,
};

static const unsigned long ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, KVM_TRANSLATE, KVM_IRQ_LINE,
	KVM_IRQFD, KVM_IOEVENTFD, TUNSETOFFLOAD, TUNSETVNETHDRSZ, 0x5421 /* FIONBIO */,
};

int
vmm_seccomp_apply(void)
{
	enum { NP = sizeof(plain) / sizeof(plain[0]),
	    NI = sizeof(ioctls) / sizeof(ioctls[0]) };
	struct sock_filter f[8 + 2 * NP + 2 * NI + 8];
	struct sock_fprog prog;
	unsigned n = 0, i;

	f[n++] = LD(ARCH);
	f[n++] = JEQ(AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = RET(SECCOMP_RET_KILL_PROCESS);
	f[n++] = LD(NR);
	for (i = 0; i < NP; i++) {
		f[n++] = JEQ(plain[i], 0, 1);
		f[n++] = RET(SECCOMP_RET_ALLOW);
	}
	/* ioctl: by request number (the low 32 bits hold it) */
	f[n++] = JEQ(SYS_ioctl, 0, 2 * NI + 2);
	f[n++] = LD(ARG1);
	for (i = 0; i < NI; i++) {
		f[n++] = JEQ((uint32_t)ioctls[i], 0, 1);
		f[n++] = RET(SECCOMP_RET_ALLOW);
	}
	/* falls through to kill for an ioctl not listed */
	f[n++] = RET(SECCOMP_RET_KILL_PROCESS);
	/* clone: threads only */
	f[n++] = JEQ(SYS_clone, 0, 4);
	f[n++] = LD(ARG0);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
	    CLONE_THREAD, 0, 1);
	f[n++] = RET(SECCOMP_RET_ALLOW);
	f[n++] = RET(SECCOMP_RET_KILL_PROCESS);
	/* everything else */
	f[n++] = RET(SECCOMP_RET_KILL_PROCESS);

	prog.len = n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}
