/* vmm/seccomp.h: the syscall allowlist vmrun runs under once the VM is set
 * up (no_new_privs first, as seccomp requires without CAP_SYS_ADMIN). */
#ifndef VMM_SECCOMP_H
#define VMM_SECCOMP_H

/* Install the filter on every thread of the process at once (TSYNC) and
 * so on every thread created after.  dirfd is the one directory renameat
 * and unlinkat may work in (the exit file's), -1 for none; vsockfd the
 * vsock device's listening socket, -1 for none (virtio_vsock.h: with it
 * come Unix sockets, accept4 on it, connect); more, NULL or ioctls to
 * allow besides (0-terminated, at most 16: --snapshot's).  0, or -1 with
 * errno (ESRCH: a thread could not take the filter; none has it then). */
int vmm_seccomp_apply(int dirfd, int vsockfd, const unsigned long *more);

#endif
