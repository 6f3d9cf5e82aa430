/* jail: confine a process that has opened everything it needs, in the
 * steps of Firecracker's jailer, for a root process that is about to run
 * what it does not trust (vmrun: a guest).
 *
 *   jail_pidns    before anything else: fork into a new PID namespace; the
 *                 parent (root, outside) only waits, passes on SIGTERM,
 *                 SIGINT and SIGHUP, and returns the child's wait status
 *   jail_cgroup   join a cgroup v2 directory the caller made, with
 *                 memory.max and pids.max set first
 *   jail_enter    once every path is open and while the process has one
 *                 thread: new mount, IPC, UTS and network namespaces, an
 *                 empty read-only root (a tmpfs of mode 0, the old root
 *                 detached; over an initramfs root, which pivot_root
 *                 cannot move, chroot into the tmpfs mounted on it),
 *                 rlimits, no supplementary groups, uid and gid
 *                 given (never 0), every capability gone, no_new_privs,
 *                 not dumpable
 *
 * Each returns 0 (jail_pidns: 0 in the child, 1 in the parent when the
 * child has ended), or -1 with errno and *step naming what failed.  The
 * inputs are checked before any step (uid 0, a relative or missing cgroup
 * directory: EINVAL, ENOENT, nothing done); a step that fails after that
 * leaves the process part way, and the caller must exit, not go on. */
#ifndef HUSK_JAIL_H
#define HUSK_JAIL_H

#include <sys/types.h>
#include <sys/resource.h>

/* RLIMIT_NOFILE: the highest descriptor open at jail_enter, plus one,
 * plus this: no new descriptor is needed after, the margin is slack. */
#define JAIL_NOFILE_MARGIN 4

struct jail {
	uid_t uid;              /* not 0 */
	gid_t gid;              /* not 0 */
	rlim_t fsize;           /* RLIMIT_FSIZE (SIGXFSZ is ignored: a write
	                         * past it fails with EFBIG) */
	rlim_t as_extra;        /* RLIMIT_AS: the address space in use at
	                         * jail_enter plus this */
	int pdeathsig;          /* 0, or the signal for the parent's death
	                         * (jail_pidns's child: the uid change clears
	                         * it, so it is set again after) */
};

/* closefd: -1, or a descriptor the parent closes after the fork (one only
 * the child writes, whose reader waits for its end). */
int jail_pidns(int closefd, int *wstatus, const char **step);
int jail_cgroup(const char *dir, long long memory_max, long long pids_max,
    const char **step);
int jail_enter(const struct jail *j, const char **step);

#endif
