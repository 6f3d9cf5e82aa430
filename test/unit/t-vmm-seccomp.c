/* vmm_seccomp_apply: what vmrun(8) lists as exit 159.  Under the filter an
 * allowed system call works, and one off the list kills the whole process
 * with SIGSYS, which a shell reports as 128+31 = 159.  No KVM needed: the
 * filter is checked in forked children. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp.h"
#include "tap.h"

/* Fork; the child applies the filter, then makes system call nr (or
 * none, with -1) and exits 0 through exit_group, which is allowed.
 * Returns the child's wait status, -1 if it could not be run. */
static int
filtered(long nr)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct rlimit nocore = { 0, 0 };
		setrlimit(RLIMIT_CORE, &nocore); /* SIGSYS dumps core */
		if (vmm_seccomp_apply() < 0)
			syscall(SYS_exit_group, 2);
		if (nr >= 0)
			syscall(nr, 0, 0, 0);
		syscall(SYS_exit_group, 0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

int
main(void)
{
	int st;

	st = filtered(-1);
	ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the filter installs; exit_group is allowed (status %#x)", st);
	st = filtered(SYS_getpid);
	ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "an allowed call (getpid) runs (status %#x)", st);
	st = filtered(SYS_getppid);
	ok(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "a call off the list (getppid) kills with SIGSYS (status %#x)", st);
	ok(128 + SIGSYS == 159, "SIGSYS is %d: a shell sees %d, vmrun(8)'s 159",
	    SIGSYS, 128 + SIGSYS);
	st = filtered(SYS_socket);
	ok(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "socket kills with SIGSYS too (status %#x)", st);
	return done_testing();
}
