/* sysinject TID NR [ARG0]: make thread TID run system call NR (its first
 * argument ARG0, the others 0), as if its own code had, to see what that
 * thread's seccomp filter does with it (t5011: vmrun must die of SIGSYS,
 * 159).  No test-only code in the program under test: the thread is
 * stopped with ptrace where it sits in a system call (the instruction
 * before its rip is `syscall`), its registers are set to the new call at
 * that instruction, and it is let go.  Needs ptrace rights over TID (root).
 * Exit: 0 the thread was killed by a signal after the call (says which),
 * 1 it survived it (and is let go again, or ended by itself), 111 ptrace
 * failed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	nanosleep(&ts, 0);
}

static int
fail(const char *what, pid_t tid)
{
	fprintf(stderr, "sysinject: fatal: unable to %s %d: %s\n", what,
	    (int)tid, strerror(errno));
	return 111;
}

/* Stop the thread (seized): 0, or -1. */
static int
stop(pid_t tid)
{
	int st;

	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 ||
	    waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct user_regs_struct r;
	pid_t tid;
	long nr, arg0, word;
	int i, st;

	if (argc < 3 || argc > 4) {
		fputs("usage: sysinject tid nr [arg0]\n", stderr);
		return 100;
	}
	tid = strtol(argv[1], 0, 0);
	nr = strtol(argv[2], 0, 0);
	arg0 = argc > 3 ? strtol(argv[3], 0, 0) : 0;
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0)
		return fail("seize thread", tid);
	for (i = 0; ; i++) {
		if (stop(tid) < 0)
			return fail("stop thread", tid);
		if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
			return fail("read the registers of thread", tid);
		errno = 0;
		word = ptrace(PTRACE_PEEKTEXT, tid, (void *)(r.rip - 2), 0);
		if (errno == 0 && (word & 0xffff) == 0x050f)
			break;          /* 0f 05: syscall */
		if (i == 500) {
			errno = EAGAIN;
			ptrace(PTRACE_DETACH, tid, 0, 0);
			return fail("find in a system call thread", tid);
		}
		/* in user space: let it run a little, then look again */
		if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
			return fail("resume thread", tid);
		nap(20);
	}
	/* orig_rax -1: the interrupted call is not restarted over ours */
	r.orig_rax = -1;
	r.rax = nr;
	r.rdi = arg0;
	r.rsi = r.rdx = r.r10 = r.r8 = r.r9 = 0;
	r.rip -= 2;
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) < 0 ||
	    ptrace(PTRACE_CONT, tid, 0, 0) < 0)
		return fail("set the call in thread", tid);
	/* Up to 30 s: a killed thread may be the one that closes the VM's
	 * fds, and KVM's teardown under nested KVM on a loaded host is slow. */
	for (i = 0; i < 3000; i++) {
		pid_t w = waitpid(tid, &st, __WALL | WNOHANG);
		if (w == tid && WIFSIGNALED(st)) {
			printf("thread %d: killed by signal %d\n", (int)tid,
			    WTERMSIG(st));
			return 0;
		}
		if (w == tid && WIFEXITED(st)) {
			/* it went on and ended by itself: not what we test */
			printf("thread %d: survived system call %ld, then exited "
			    "%d\n", (int)tid, nr, WEXITSTATUS(st));
			return 1;
		}
		if (w == tid && WIFSTOPPED(st)) {
			/* a signal on its way to the thread: pass it on */
			ptrace(PTRACE_CONT, tid, 0, (void *)(long)
			    (st >> 16 ? 0 : WSTOPSIG(st)));
			continue;
		}
		nap(10);
	}
	printf("thread %d: survived system call %ld\n", (int)tid, nr);
	if (stop(tid) == 0)
		ptrace(PTRACE_DETACH, tid, 0, 0);
	return 1;
}
