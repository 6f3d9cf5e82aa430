#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "loop.h"
#include "sigfd.h"

int
loop_init(struct loop *l, int flags)
{
	sigset_t mask;

	*l = (struct loop){ .sigfd = -1 };
	sigemptyset(&mask);
	if (flags & LOOP_SIGNALS)
		sigfd_daemons(&mask);
	if (flags & LOOP_WINCH)
		sigaddset(&mask, SIGWINCH);
	if ((flags & (LOOP_SIGNALS | LOOP_WINCH)) &&
	    (l->sigfd = sigfd_open_set(&mask)) < 0)
		return -1;
	loop_begin(l);
	return 0;
}

void
loop_free(struct loop *l)
{
	if (l->sigfd >= 0)
		close(l->sigfd);
	free(l->pfd);
	free(l->who);
	*l = (struct loop){ .sigfd = -1 };
}

void
loop_begin(struct loop *l)
{
	l->n = 0;
	l->next = 0;
	l->now = clock_ms();
	if (l->sigfd >= 0)
		loop_add(l, l->sigfd, POLLIN, NULL);
}

int
loop_add(struct loop *l, int fd, short events, void *who)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct pollfd *p = realloc(l->pfd, cap * sizeof *p);
		if (p)
			l->pfd = p;
		void **w = p ? realloc(l->who, cap * sizeof *w) : NULL;
		if (!w)
			return -1;	/* errno is ENOMEM */
		l->who = w;
		l->cap = cap;
	}
	l->pfd[l->n] = (struct pollfd){ .fd = events ? fd : -1,
	    .events = events };
	l->who[l->n] = who;
	return (int)l->n++;
}

int
xloop_add(struct loop *l, int fd, short events, void *who)
{
	int i = loop_add(l, fd, events, who);

	if (i < 0)
		err_diesys(EX_SYS, "unable to grow the poll set");
	return i;
}

void
loop_wake(struct loop *l, long long at)
{
	if (at > 0 && (!l->next || at < l->next))
		l->next = at;
}

int
loop_timeout(const struct loop *l)
{
	if (!l->next)
		return -1;
	if (l->next <= l->now)
		return 0;
	return l->next - l->now > INT_MAX ? INT_MAX : (int)(l->next - l->now);
}

int
loop_wait(struct loop *l)
{
	int r = poll(l->pfd, l->n, loop_timeout(l));

	l->now = clock_ms();
	if (r < 0 && errno == EINTR) {
		for (size_t i = 0; i < l->n; i++)
			l->pfd[i].revents = 0;
		return 0;
	}
	return r < 0 ? -1 : 0;
}

short
loop_rev(const struct loop *l, int i)
{
	return i >= 0 && (size_t)i < l->n ? l->pfd[i].revents : 0;
}

short
loop_take(const struct loop *l, int *i, const void *who)
{
	if (*i < 0 || (size_t)*i >= l->n || l->who[*i] != who)
		return 0;
	return l->pfd[(*i)++].revents;
}

int
loop_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	if (l->sigfd < 0 || read(l->sigfd, &si, sizeof si) != sizeof si)
		return 0;
	return (int)si.ssi_signo;
}

int
loop_once(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = poll(&p, 1, ms);

	return r <= 0 ? r : p.revents;
}
