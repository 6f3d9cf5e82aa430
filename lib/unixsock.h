/* unixsock: a Unix stream socket at a path, one rule for every server.
 *
 * unixsock_listen binds path for a server (mode 0600: only our uid may
 * connect) and listens with backlog.  A live server on path is left alone
 * (EADDRINUSE); a stale socket left by a crash is removed, and only a
 * socket: any other file at path is an EEXIST.  The socket is bound under
 * a temporary name beside path and renamed to it once it listens, so a
 * client that sees path never gets ECONNREFUSED, and a second server
 * never takes a socket between bind and listen for a stale one.
 * SOCK_NONBLOCK and SOCK_CLOEXEC.  The fd, or -1 with errno.  A path
 * longer than sun_path holds is reached through its directory
 * (/proc/self/fd/N/NAME, for listen and connect alike): only its last
 * name must fit (ENAMETOOLONG otherwise).
 *
 * unixsock_connect connects a blocking, close-on-exec socket to path.
 * The fd, or -1 with errno.  unixsock_connect_nb does the same with a
 * non-blocking socket: a server whose backlog is full is EAGAIN at once,
 * never a wait (an event loop's connect).
 *
 * unixsock_vsock is the host's side of vmrun's virtio-vsock (vmrun(8),
 * --vsock): it connects to vmrun's socket path, writes "CONNECT port\n"
 * and reads the "OK H\n" line, a byte at a time so that nothing of the
 * stream behind it is taken, all within timeout_ms.  Then the fd (blocking,
 * close-on-exec) is a stream to the guest's port.  -1 with errno: from
 * connect; ECONNREFUSED when vmrun ends the connection before OK (nothing
 * listens on that port in the guest, yet); ETIMEDOUT; EPROTO for any
 * other answer. */
#ifndef HUSK_UNIXSOCK_H
#define HUSK_UNIXSOCK_H

int unixsock_listen(const char *path, int backlog);
int unixsock_connect(const char *path);
int unixsock_connect_nb(const char *path);
int unixsock_vsock(const char *path, unsigned port, int timeout_ms);

#endif
