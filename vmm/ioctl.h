/* vmm/ioctl.h: the one ioctl of vmm/.  KVM's request numbers (and some of
 * the tap's) are unsigned long values above INT_MAX; musl declares
 * ioctl(int, int, ...), so each such constant at a call site is an
 * overflowing conversion (-Woverflow), while glibc (the sanitizer build)
 * declares ioctl(int, unsigned long, ...).  vmm_ioctl takes the request as
 * an unsigned long and calls the libc's ioctl with it, so the same bits
 * reach the kernel (which reads an unsigned int) and the seccomp filter
 * (which compares the low 32 bits) as before.  arg is what ioctl's third
 * argument would be: a pointer, or an integer for requests that take one.
 * Returns what ioctl returns. */
#ifndef VMM_IOCTL_H
#define VMM_IOCTL_H

int vmm_ioctl(int fd, unsigned long req, ...);

#endif
