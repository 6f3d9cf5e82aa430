/* ptyopen: a pseudo-terminal pair for a session.  pty_open tries openpty(3)
 * and, if that fails (no /dev/pts path to open, as in some containers),
 * falls back to pty_open_peer: /dev/ptmx and TIOCGPTPEER (Linux 4.13),
 * which opens the peer from the master without a path.  Both descriptors
 * are close-on-exec; ws, if not NULL, sets the window size.  0 or -1 with
 * errno. */
#ifndef HUSK_PTYOPEN_H
#define HUSK_PTYOPEN_H

#include <sys/ioctl.h>

int pty_open(int *master, int *slave, const struct winsize *ws);
int pty_open_peer(int *master, int *slave, const struct winsize *ws);

#endif
