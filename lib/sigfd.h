/* sigfd: the daemons' signal set on a descriptor.  SIGCHLD, SIGTERM,
 * SIGINT and SIGHUP are blocked and delivered through a non-blocking
 * signalfd, so an event loop never races a handler between checking its
 * state and sleeping; SIGPIPE is ignored, so a write to a closed peer is an
 * EPIPE to handle.  Returns the fd, or -1 with errno. */
#ifndef HUSK_SIGFD_H
#define HUSK_SIGFD_H

int sigfd_open(void);

#endif
