/* loop: entries keep their indexes and owners, the earliest deadline
 * bounds the wait, signals arrive through entry 0 (SIGWINCH alone with
 * LOOP_WINCH, for the attach clients). */
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "tap.h"

int
main(void)
{
	struct loop l;
	int p[2], q[2], a, b, c, i;
	long long t0;
	sigset_t set;
	char x;

	/* First, while no other signal is blocked. */
	ok(loop_init(&l, LOOP_WINCH) == 0 && l.sigfd >= 0 && l.n == 1,
	    "init with SIGWINCH alone: the signal entry first");
	ok(sigprocmask(SIG_BLOCK, NULL, &set) == 0 &&
	    sigismember(&set, SIGWINCH) && !sigismember(&set, SIGTERM) &&
	    !sigismember(&set, SIGCHLD), "only SIGWINCH blocked");
	ok(signal(SIGPIPE, SIG_DFL) == SIG_IGN, "SIGPIPE ignored");
	kill(getpid(), SIGWINCH);
	ok(loop_wait(&l) == 0 && (loop_rev(&l, 0) & POLLIN) &&
	    loop_signal(&l) == SIGWINCH && loop_signal(&l) == 0,
	    "SIGWINCH read once");
	loop_free(&l);
	ok(loop_init(&l, LOOP_SIGNALS) == 0 && l.sigfd >= 0 && l.n == 1,
	    "init with signals: the signal entry first");
	ok(pipe(p) == 0 && pipe(q) == 0, "two pipes");
	loop_begin(&l);
	a = loop_add(&l, p[0], POLLIN, &a);
	b = loop_add(&l, -1, POLLIN, &b);
	c = loop_add(&l, q[0], 0, &c);
	ok(a == 1 && b == 2 && c == 3, "indexes count every entry");
	ok(l.pfd[2].fd == -1 && l.pfd[3].fd == -1,
	    "no fd or no events: passed over by poll");
	ok(loop_timeout(&l) == -1, "no deadline: wait without bound");
	loop_wake(&l, 0);
	ok(l.next == 0, "a deadline of 0 is none");
	loop_wake(&l, l.now + 500);
	loop_wake(&l, l.now + 50);
	loop_wake(&l, l.now + 900);
	ok(l.next == l.now + 50, "the earliest of three deadlines");
	loop_wake(&l, l.now - 5);
	ok(loop_timeout(&l) == 0, "a deadline passed: no wait");
	loop_begin(&l);
	a = loop_add(&l, p[0], POLLIN, &a);
	loop_wake(&l, l.now + 50);
	t0 = clock_ms();
	ok(loop_wait(&l) == 0 && loop_rev(&l, a) == 0, "nothing ready");
	ok(l.now - t0 >= 50 && l.now - t0 < 1000, "woke at the deadline "
	    "(%lld ms)", l.now - t0);
	ok(write(p[1], "x", 1) == 1 && write(q[1], "y", 1) == 1, "data");
	loop_begin(&l);
	a = loop_add(&l, p[0], POLLIN, &a);
	b = loop_add(&l, q[0], POLLIN, &b);
	ok(loop_wait(&l) == 0 && (loop_rev(&l, a) & POLLIN) &&
	    (loop_rev(&l, b) & POLLIN), "both ready");
	i = 1;
	ok((loop_take(&l, &i, &a) & POLLIN) && i == 2, "take: the first "
	    "object's events, the cursor moves");
	ok(loop_take(&l, &i, &c) == 0 && i == 2, "take: an object without "
	    "an entry has none, the cursor stays");
	ok((loop_take(&l, &i, &b) & POLLIN) && i == 3, "take: the second");
	ok(loop_take(&l, &i, &b) == 0 && i == 3, "take: past the end");
	ok(read(p[0], &x, 1) == 1 && read(q[0], &x, 1) == 1, "drained");
	for (int k = 0; k < 100; k++)
		loop_add(&l, p[0], POLLIN, NULL);
	ok(l.n == 103 && l.cap >= 103, "the set grows");
	loop_begin(&l);
	ok(loop_signal(&l) == 0, "no signal yet");
	ok(sigprocmask(SIG_BLOCK, NULL, &set) == 0 &&
	    sigismember(&set, SIGTERM) && sigismember(&set, SIGWINCH),
	    "the daemons' set added");
	kill(getpid(), SIGTERM);
	ok(loop_wait(&l) == 0 && (loop_rev(&l, 0) & POLLIN),
	    "a signal wakes entry 0");
	ok(loop_signal(&l) == SIGTERM && loop_signal(&l) == 0,
	    "SIGTERM read once");
	ok(loop_once(p[0], POLLIN, 20) == 0, "once: the time runs out");
	ok(write(p[1], "x", 1) == 1 && (loop_once(p[0], POLLIN, -1) & POLLIN),
	    "once: ready");
	loop_free(&l);
	ok(l.sigfd == -1 && !l.pfd, "freed");
	return done_testing();
}
