/* relayd's wake socket: see relayd.h and relaydir.h (RELAY_WAKE). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "loop.h"
#include "relaydir.h"
#include "unixsock.h"

#include "relayd/relayd.h"

#define WAITERS_MAX 256 /* clients on .wake; more fall back to inotify */
#define RESULT_EVENTS (IN_MODIFY | IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE)

int result_wd = -1;
static int wake_base;           /* this turn's loop entry of the socket */

/* A client on srv/NODE/.wake, waiting for result/ID.*: it sent "ID\n". */
static struct waiter {
	int fd;                 /* -1: slot free */
	size_t len;             /* of the line read so far */
	int ready;              /* its id is read and acknowledged */
	char id[ID_MAX + 2];
} waiters[WAITERS_MAX];
static int nwaiters;
static int lsock = -1;          /* .wake, or -1 */
static long long accept_at;     /* out of descriptors: accept from then */


/* The wake socket (relaydir.h): only where we watch with inotify, so
 * that we see result/ change whoever changes it. */
static void
wake_listen(void)
{
	char path[PATH_MAX];

	if (ino < 0)
		return;
	if (relay_wake_path(&dir, node, path, sizeof path) < 0 ||
	    (lsock = unixsock_listen(path, 64)) < 0) {
		err_warnsys("unable to listen on %s/srv/%s/" RELAY_WAKE
		    "; clients wait with inotify", dir.path, node);
		return;
	}
	/* The group that may submit may wait (srv/NODE is its, 2770). */
	if (dir.shared)
		fchmodat(nodefd, RELAY_WAKE, 0660, 0);
}

static void
wake(struct waiter *w)
{
	send(w->fd, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void
waiter_drop(struct waiter *w)
{
	close(w->fd);
	w->fd = -1;
	w->len = w->ready = 0;
	/* Nobody waits: result/'s events would only cost us turns. */
	if (--nwaiters == 0 && result_wd >= 0) {
		inotify_rm_watch(ino, result_wd);
		result_wd = -1;
	}
}

/* Its line, then nothing: the id it waits for is acknowledged with a
 * byte once result/ is watched, after which it looks at the files again,
 * so a change between its last look and our watch is not lost. */
static void
waiter_read(struct waiter *w)
{
	char *nl;
	ssize_t n;

	if (w->ready || (n = read(w->fd, w->id + w->len, sizeof w->id - 1 -
	    w->len)) <= 0) {
		if (w->ready || n == 0 || errno != EAGAIN)
			waiter_drop(w);
		return;
	}
	w->len += n;
	w->id[w->len] = 0;
	if (!(nl = memchr(w->id, '\n', w->len))) {
		if (w->len == sizeof w->id - 1)
			waiter_drop(w);
		return;
	}
	*nl = 0;
	if (nl != w->id + w->len - 1 || !id_valid(w->id)) {
		waiter_drop(w);
		return;
	}
	if (result_wd < 0) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/result", dir.path);
		if ((result_wd = inotify_add_watch(ino, path, RESULT_EVENTS |
		    IN_ONLYDIR)) < 0) {
			err_warnsys("unable to watch %s", path);
			waiter_drop(w);
			return;
		}
	}
	w->ready = 1;
	wake(w);
}

/* New clients; the line each sent with its connect is read at once, not
 * a turn later. */
static void
waiter_accept(void)
{
	struct waiter *w = waiters;
	int fd;

	while ((fd = accept4(lsock, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) >= 0) {
		if (nwaiters == WAITERS_MAX) {
			close(fd);      /* its EOF: inotify for that client */
			continue;
		}
		while (w->fd >= 0)
			w++;
		w->fd = fd;
		nwaiters++;
		waiter_read(w);
	}
	if (errno == EMFILE || errno == ENFILE)
		accept_at = clock_ms() + poll_ms;
}

/* result/NAME changed: wake who waits for its id (NAME less .log, .err
 * or .exit); NULL for everyone (lost events). */
void
wake_for(const char *name)
{
	size_t n = 0;

	if (name) {
		const char *dot = strrchr(name, '.');
		if (!dot || (strcmp(dot, ".log") && strcmp(dot, ".err") &&
		    strcmp(dot, ".exit")))
			return;
		n = dot - name;
	}
	for (int i = 0; i < WAITERS_MAX; i++) {
		struct waiter *w = &waiters[i];
		if (w->fd >= 0 && w->ready && (!name ||
		    (strlen(w->id) == n && !memcmp(w->id, name, n))))
			wake(w);
	}
}

/* atomic_write_then's hook: wake_for a name. */
void
wake_name(void *name)
{
	wake_for(name);
}

void
wake_setup(void)
{
	for (int i = 0; i < WAITERS_MAX; i++)
		waiters[i].fd = -1;
	wake_listen();
}

int
wake_listening(void)
{
	return lsock >= 0;
}

void
wake_add(struct loop *ev)
{
	wake_base = (int)ev->n;
	xloop_add(ev, lsock, ev->now >= accept_at ? POLLIN : 0, NULL);
	for (int k = 0; k < WAITERS_MAX; k++)
		if (waiters[k].fd >= 0)
			xloop_add(ev, waiters[k].fd, POLLIN, &waiters[k]);
	if (accept_at > ev->now)
		loop_wake(ev, accept_at);
}

void
wake_handle(struct loop *ev)
{
	int i = wake_base + 1;

	for (int k = 0; k < WAITERS_MAX; k++)
		if (waiters[k].fd >= 0 && loop_take(ev, &i, &waiters[k]))
			waiter_read(&waiters[k]);
	if (loop_rev(ev, wake_base) & POLLIN)
		waiter_accept();
}
