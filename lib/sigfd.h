/* sigfd: the daemons' signal set on a descriptor.  SIGCHLD, SIGTERM,
 * SIGINT and SIGHUP are blocked and delivered through a non-blocking
 * signalfd, so an event loop never races a handler between checking its
 * state and sleeping; SIGPIPE is ignored, so a write to a closed peer is an
 * EPIPE to handle.  Returns the fd, or -1 with errno.
 *
 * sigfd_daemons adds that set to mask; sigfd_open_set does the same for
 * the signals of mask alone (an attach client takes SIGWINCH so, and
 * leaves every other signal at its default action), SIGPIPE ignored too. */
#ifndef HUSK_SIGFD_H
#define HUSK_SIGFD_H

#include <signal.h>

int sigfd_open(void);
void sigfd_daemons(sigset_t *mask);
int sigfd_open_set(const sigset_t *mask);

#endif
