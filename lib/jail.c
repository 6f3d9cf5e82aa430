/* jail: see jail.h.  The order is the jailer's: what needs the host's
 * paths (/proc, the cgroup files) first, then the namespaces and the root,
 * then the limits, and the credentials last, since every earlier step
 * needs root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "io.h"
#include "jail.h"

#define FAIL(what) do { *step = (what); return -1; } while (0)

int
jail_pidns(int closefd, int *wstatus, const char **step)
{
	sigset_t set;
	siginfo_t si;
	pid_t pid;
	int sig, e;

	/* Blocked before the fork, so the child starts with them blocked
	 * (a namespace's init drops a signal it has no handler for, unless
	 * the signal waits, blocked, for its signalfd). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, 0) < 0)
		FAIL("block signals");
	/* The next child is the new namespace's init: pid 1 there.  This
	 * process keeps its own pid and makes no other child. */
	if (unshare(CLONE_NEWPID) < 0)
		FAIL("unshare the PID namespace");
	if ((pid = fork()) < 0)
		FAIL("fork into the PID namespace");
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			FAIL("set the parent-death signal");
		return 0;
	}
	if (closefd >= 0)
		close(closefd);
	for (;;) {
		if ((sig = sigwaitinfo(&set, &si)) < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			kill(pid, SIGKILL);
			waitpid(pid, wstatus, 0);
			errno = e;
			FAIL("wait for signals");
		}
		if (sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		if (waitpid(pid, wstatus, WNOHANG) == pid)
			return 1;
	}
}

/* Write a short string to dir/name (a cgroup file: one write). */
static int
put(const char *dir, const char *name, const char *s)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	if (io_writeall(fd, s, strlen(s)) < 0)
		return io_close_fail(fd);
	return close(fd);
}

int
jail_cgroup(const char *dir, long long memory_max, long long pids_max,
    const char **step)
{
	char n[32];
	struct stat st;

	*step = "use the cgroup directory";
	if (*dir != '/') {
		errno = EINVAL;
		return -1;
	}
	if (stat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	/* The limits before the move: the process is never in the cgroup
	 * without them. */
	snprintf(n, sizeof n, "%lld\n", memory_max);
	if (put(dir, "memory.max", n) < 0)
		FAIL("set memory.max in");
	snprintf(n, sizeof n, "%lld\n", pids_max);
	if (put(dir, "pids.max", n) < 0)
		FAIL("set pids.max in");
	/* 0: the writer, with all its threads. */
	if (put(dir, "cgroup.procs", "0\n") < 0)
		FAIL("join");
	return 0;
}

/* The number of entries of a /proc/self directory, and the largest
 * number among their names; -1 with errno. */
static int
count(const char *path, long *n, long *max)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d)
		return -1;
	*n = 0;
	*max = -1;
	while ((e = readdir(d))) {
		long v;
		if (e->d_name[0] == '.')
			continue;
		v = strtol(e->d_name, 0, 10);
		++*n;
		if (v > *max)
			*max = v;
	}
	closedir(d);
	return 0;
}

/* Linux's capability sets, for capset(2) (musl has no header for it). */
struct cap_header { uint32_t version; int pid; };
struct cap_data { uint32_t effective, permitted, inheritable; };
#define CAP_VERSION_3 0x20080522

int
jail_enter(const struct jail *j, const char **step)
{
	struct cap_header h = { CAP_VERSION_3, 0 };
	struct cap_data c[2];
	struct rlimit rl;
	unsigned long pages;
	long ntask, nfd, maxfd, x;
	uid_t ru, eu, su;
	char buf[128], *end;
	int cap;

	*step = "check the jail's user";
	if (j->uid == 0 || j->gid == 0 || j->uid == (uid_t)-1 ||
	    j->gid == (gid_t)-1) {
		errno = EINVAL;
		return -1;
	}
	/* Namespaces, root and credentials are each thread's own: a thread
	 * that runs already would stay outside. */
	if (count("/proc/self/task", &ntask, &x) < 0)
		FAIL("count the threads");
	if (ntask != 1) {
		errno = EBUSY;
		FAIL("jail a process with more than one thread");
	}
	if (count("/proc/self/fd", &nfd, &maxfd) < 0 || nfd < 1)
		FAIL("list the open descriptors");
	if (io_readsmall(AT_FDCWD, "/proc/self/statm", buf, sizeof buf) < 0)
		FAIL("read the address space size");
	pages = strtoul(buf, &end, 10);
	if (end == buf) {
		errno = EINVAL;
		FAIL("read the address space size");
	}

	/* The tap, /dev/kvm and every file are open: their descriptors keep
	 * working from the new namespaces (the tap stays in the host's
	 * network namespace, this process has only a loopback there). */
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET) < 0)
		FAIL("unshare the mount, IPC, UTS and network namespaces");
	if (mount(0, "/", 0, MS_REC | MS_PRIVATE, 0) < 0)
		FAIL("make the mounts private");
	/* The new root: an empty tmpfs of mode 0 with room for no file,
	 * read-only, mounted over "/".  A lookup of "/" stops at the old
	 * root this process holds; ".." from there steps up into what is
	 * mounted on top of it, the tmpfs. */
	if (mount("jail", "/", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, "size=4k,nr_inodes=1,mode=0") < 0)
		FAIL("mount the empty root");
	if (chdir("/..") < 0)
		FAIL("enter the empty root");
	/* Swap the roots (the old one then sits on the new, at ".") and
	 * detach the old one, with every mount under it.  pivot_root
	 * refuses (EINVAL) a root mounted on nothing: the initramfs of a
	 * host that runs from it (rootfs is never unmounted: why
	 * switch_root exists; the test rig's first-level guest).  There
	 * the tmpfs stays mounted over it and chroot makes it the root: the
	 * old root and its mounts stay in this mount namespace, under the
	 * tmpfs, where no path leads. */
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH) < 0)
			FAIL("detach the old root");
	} else if (errno != EINVAL || chroot(".") < 0) {
		FAIL("pivot into the empty root");
	}
	if (chdir("/") < 0)
		FAIL("enter the empty root");

	/* Limits, while root may still lower hard limits freely. */
	rl.rlim_cur = rl.rlim_max = maxfd + 1 + JAIL_NOFILE_MARGIN;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		FAIL("set RLIMIT_NOFILE");
	rl.rlim_cur = rl.rlim_max = j->fsize;
	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &rl) < 0)
		FAIL("set RLIMIT_FSIZE");
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		FAIL("set RLIMIT_CORE");
	rl.rlim_cur = rl.rlim_max = (rlim_t)pages * sysconf(_SC_PAGESIZE) +
	    j->as_extra;
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		FAIL("set RLIMIT_AS");

	/* Credentials.  The bounding set needs CAP_SETPCAP: before the uid.
	 * EINVAL past the last capability this kernel knows. */
	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			FAIL("drop the capability bounding set");
		}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		FAIL("clear the ambient capabilities");
	if (setgroups(0, 0) < 0)
		FAIL("drop the supplementary groups");
	if (setresgid(j->gid, j->gid, j->gid) < 0)
		FAIL("set the gid");
	if (setresuid(j->uid, j->uid, j->uid) < 0)
		FAIL("set the uid");
	/* The uid change emptied the permitted and effective sets; the
	 * inheritable one it keeps: all three to nothing. */
	memset(c, 0, sizeof c);
	if (syscall(SYS_capset, &h, c) < 0)
		FAIL("clear the capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		FAIL("set no_new_privs");
	/* Not dumpable: no core of guest memory, /proc/PID files root's, no
	 * ptrace by the same uid. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		FAIL("clear the dumpable flag");
	if (j->pdeathsig && prctl(PR_SET_PDEATHSIG, j->pdeathsig) < 0)
		FAIL("set the parent-death signal");

	/* Check what the kernel says, not what was asked. */
	if (getresuid(&ru, &eu, &su) < 0 || ru != j->uid || eu != j->uid ||
	    su != j->uid || getegid() != j->gid)
		FAIL("check the uid and gid");
	if (syscall(SYS_capget, &h, c) < 0)
		FAIL("read the capabilities");
	if (c[0].effective || c[0].permitted || c[0].inheritable ||
	    c[1].effective || c[1].permitted || c[1].inheritable) {
		errno = EPERM;
		FAIL("check that no capability is left");
	}
	return 0;
}
