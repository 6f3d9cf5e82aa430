/* loop: the one event loop of every husk tool, in the shape of skalibs'
 * iopause.  Each turn a tool lists what it waits for and folds every
 * deadline it keeps (kill grace, idle timeout, flush timer) into one
 * earliest; it waits once; then it handles what is ready:
 *
 *	loop_begin(&l);                      empty set, l.now = clock_ms()
 *	i = loop_add(&l, fd, POLLIN, obj);   entry i carries obj
 *	loop_wake(&l, obj->deadline);        0: no deadline
 *	if (loop_wait(&l) < 0) ...           until ready or the earliest
 *	if (loop_rev(&l, i) & POLLIN) ...
 *
 * With LOOP_SIGNALS, entry 0 of every turn is the signal descriptor of
 * lib/sigfd (SIGCHLD, SIGTERM, SIGINT, SIGHUP blocked, SIGPIPE ignored),
 * and loop_signal returns the signals that came, one per call.  With
 * LOOP_WINCH, SIGWINCH is in that set too; alone, it is the only one (the
 * attach clients: their other signals keep their default action, and
 * SIGPIPE is ignored).
 *
 * An entry with fd -1 or no events stays in the set and poll passes it
 * over, so indexes count as the tool added them.  Objects walked in list
 * order take their events with loop_take, which matches entry *i to the
 * object (an object added since the set was made has none).
 *
 * loop_add fails only for memory (-1, ENOMEM); loop_wait returns 0 after
 * a wait (EINTR included, with no events) or -1 with errno. */
#ifndef HUSK_LOOP_H
#define HUSK_LOOP_H

#include <poll.h>
#include <stddef.h>

enum { LOOP_SIGNALS = 1, LOOP_WINCH = 2 };

struct loop {
	struct pollfd *pfd;
	void **who;
	size_t n, cap;
	long long now;	/* clock_ms() at loop_begin and after loop_wait */
	long long next;	/* this turn's earliest deadline; 0: none */
	int sigfd;	/* -1 without LOOP_SIGNALS */
};

int loop_init(struct loop *l, int flags);
void loop_free(struct loop *l);
void loop_begin(struct loop *l);
int loop_add(struct loop *l, int fd, short events, void *who);
/* loop_add where running out of memory is fatal: exit 111, with a
 * message.  For tools whose loop is all they do. */
int xloop_add(struct loop *l, int fd, short events, void *who);
void loop_wake(struct loop *l, long long at);
int loop_timeout(const struct loop *l);
int loop_wait(struct loop *l);
short loop_rev(const struct loop *l, int i);
short loop_take(const struct loop *l, int *i, const void *who);
int loop_signal(struct loop *l);

/* One descriptor, at most ms milliseconds (-1: no bound): its revents,
 * 0 when the time ran out, -1 with errno (EINTR included). */
int loop_once(int fd, short events, int ms);

#endif
