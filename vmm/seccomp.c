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
 *    signalfd, vsock's Unix sockets;
 *  - poll/ppoll/epoll_*: the main loop and the virtio I/O thread;
 *  - futex, clone with CLONE_THREAD only (threads, never processes),
 *    set_robust_list, rt_sigprocmask, rt_sigreturn, tgkill/tkill (the
 *    vCPU kick), exit/exit_group, sched_yield, nanosleep/clock_nanosleep,
 *    clock_gettime (boot timer, RTC), getpid/gettid;
 *  - mmap/munmap/mprotect/madvise/brk/mremap: malloc and thread stacks;
 *  - close/fstat/fsync/lseek/fcntl on descriptors;
 *    ftruncate: the console file cut to its bound (lib/capfile);
 *  - renameat with both directory fds equal to the exit file's directory,
 *    opened before the filter, and unlinkat relative to it: the exit file
 *    put in place (lib/atomic's atomic_commit; its temp file is created
 *    before the filter too).  AT_FDCWD and any other fd are refused.
 *  - with a vsock device (vsockfd >= 0, its listening socket): accept4
 *    on that one fd (a host process connecting to PATH), socket with
 *    domain AF_UNIX only and connect (the guest connecting to PATH_P),
 *    sendmsg (writes with MSG_NOSIGNAL: a closed peer is EPIPE, not a
 *    signal) and shutdown (the guest's SHUTDOWN).  A filter cannot read
 *    connect's address: any Unix socket path the process may reach is
 *    reachable, as PATH_P for any P is by design.  Other domains (no
 *    network socket) and accept on any other fd are refused.
 * No path is opened after start: open, openat, rename, unlink, stat of a
 * path, umask and fchmod are refused (the ready FIFO, the console file,
 * the tap and the exit file's temp file are all opened before).  A
 * filter sees only the fd, not the name: "../x" relative to the exit
 * file's directory is still reachable by renameat and unlinkat.
 * Anything else kills the process (SIGSYS: exit status 159).  vmrun
 * --no-seccomp skips this, for debugging.
 *
 * Installed with TSYNC: every thread that exists then (the virtio-net,
 * virtio-vsock and virtio-balloon I/O threads, started while the devices
 * are set up) gets the filter at once, as do the threads created later;
 * if one cannot, the install fails and vmrun does not start the vCPUs. */
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
#include <sys/socket.h>
#include <unistd.h>

#include "seccomp.h"

#define NR      offsetof(struct seccomp_data, nr)
#define ARCH    offsetof(struct seccomp_data, arch)
#define ARG0    offsetof(struct seccomp_data, args[0])
#define ARG1    offsetof(struct seccomp_data, args[1])
#define ARG2    offsetof(struct seccomp_data, args[2])

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
	SYS_mremap, SYS_close, SYS_fstat, SYS_fsync, SYS_lseek, SYS_ftruncate,
	SYS_fcntl, SYS_restart_syscall, SYS_set_tid_address,
};

static const unsigned long ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, KVM_TRANSLATE, KVM_IRQ_LINE,
	KVM_IRQFD, KVM_IOEVENTFD, TUNSETOFFLOAD, TUNSETVNETHDRSZ, 0x5421 /* FIONBIO */,
};

/* At f[n], the check "sys only with the argument at off equal to v, and
 * at off2 to v2 (off2 0: no second)": allowed then, killed otherwise,
 * whatever comes after; another call jumps past it with its number still
 * loaded.  The index after it. */
static unsigned
only_with(struct sock_filter *f, unsigned n, int sys, uint32_t off, uint32_t v,
    uint32_t off2, uint32_t v2)
{
	f[n++] = JEQ(sys, 0, off2 ? 6 : 4);
	f[n++] = LD(off);
	if (off2) {
		f[n++] = JEQ(v, 0, 3);
		f[n++] = LD(off2);
		v = v2;
	}
	f[n++] = JEQ(v, 0, 1);
	f[n++] = RET(SECCOMP_RET_ALLOW);
	f[n++] = RET(SECCOMP_RET_KILL_PROCESS);
	return n;
}

int
vmm_seccomp_apply(int dirfd, int vsockfd, const unsigned long *more)
{
	enum { NP = sizeof(plain) / sizeof(plain[0]),
	    NI = sizeof(ioctls) / sizeof(ioctls[0]), NM = 16 };
	struct sock_filter f[8 + 2 * NP + 2 * (NI + NM) + 8 + 12 + 16];
	long r;
	struct sock_fprog prog;
	unsigned n = 0, i, nm = 0;

	while (more && more[nm])
		nm++;
	if (nm > NM) {
		errno = E2BIG;
		return -1;
	}
	f[n++] = LD(ARCH);
	f[n++] = JEQ(AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = RET(SECCOMP_RET_KILL_PROCESS);
	f[n++] = LD(NR);
	for (i = 0; i < NP; i++) {
		f[n++] = JEQ(plain[i], 0, 1);
		f[n++] = RET(SECCOMP_RET_ALLOW);
	}
	/* ioctl: by request number (the low 32 bits hold it) */
	f[n++] = JEQ(SYS_ioctl, 0, 2 * (NI + nm) + 2);
	f[n++] = LD(ARG1);
	for (i = 0; i < NI + nm; i++) {
		f[n++] = JEQ((uint32_t)(i < NI ? ioctls[i] : more[i - NI]), 0, 1);
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
	/* renameat(dirfd, _, dirfd, _), unlinkat(dirfd, _, _); an fd is an
	 * int to the kernel, so its low 32 bits are all that count */
	if (dirfd >= 0) {
		n = only_with(f, n, SYS_renameat, ARG0, (uint32_t)dirfd,
		    ARG2, (uint32_t)dirfd);
		n = only_with(f, n, SYS_unlinkat, ARG0, (uint32_t)dirfd, 0, 0);
	}
	/* vsock: accept4(vsockfd), socket(AF_UNIX), connect, sendmsg,
	 * shutdown */
	if (vsockfd >= 0) {
		n = only_with(f, n, SYS_accept4, ARG0, (uint32_t)vsockfd, 0, 0);
		n = only_with(f, n, SYS_socket, ARG0, AF_UNIX, 0, 0);
		f[n++] = JEQ(SYS_connect, 0, 1);
		f[n++] = RET(SECCOMP_RET_ALLOW);
		f[n++] = JEQ(SYS_sendmsg, 0, 1);
		f[n++] = RET(SECCOMP_RET_ALLOW);
		f[n++] = JEQ(SYS_shutdown, 0, 1);
		f[n++] = RET(SECCOMP_RET_ALLOW);
	}
	/* everything else */
	f[n++] = RET(SECCOMP_RET_KILL_PROCESS);

	prog.len = n;
	prog.filter = f;
	/* Set on this thread; TSYNC sets it on the others too. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r > 0) {
		/* the id of a thread that could not take the filter */
		errno = ESRCH;
		return -1;
	}
	return r < 0 ? -1 : 0;
}
