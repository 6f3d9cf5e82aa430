/* vmm/seccomp.h: the syscall allowlist vmrun runs under once the VM is set
 * up (no_new_privs first, as seccomp requires without CAP_SYS_ADMIN). */
#ifndef VMM_SECCOMP_H
#define VMM_SECCOMP_H

/* Install the filter for this thread and every thread created after it.
 * 0, or -1 with errno. */
int vmm_seccomp_apply(void);

#endif
