/* vsockcat: a stream between standard input/output and a socket, for
 * t5030 (vmrun --vsock): busybox has no vsock tool.  The guest's side is
 * AF_VSOCK, the host's the Unix sockets of vmrun's protocol
 * (virtio_vsock.h).
 *
 *   vsockcat [-n N -e] -l PORT   guest: listen on vsock PORT
 *   vsockcat -c CID PORT         guest: connect to CID:PORT
 *   vsockcat [-n N -e] -U PATH   host: listen on the Unix socket PATH
 *   vsockcat [-n N] -u PATH PORT host: connect to PATH, "CONNECT PORT",
 *                                wait for "OK H"
 * (options before the operands: getopt stops at the first operand)
 *
 * One connection: standard input to the socket (then its write side shut),
 * the socket to standard output, until both directions end.  With -n N
 * and -e, a listener accepts N connections and echoes each back to itself
 * at once, all in one poll loop; with -n N, -u opens N connections at
 * once, writes "vsockcat N\n" on each, shuts its write side, reads the echo
 * back and checks it, and prints "ok N" once all N matched.
 * Exit: 0 done, 1 a connection refused or an echo wrong, 100 usage, 111 a
 * system call failed. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/vm_sockets.h>

#include "unixsock.h"

#define MAXN 512

static void
die(int code, const char *what)
{
	fprintf(stderr, "vsockcat: fatal: unable to %s: %s\n", what, strerror(errno));
	exit(code);
}

static void
usage(void)
{
	fprintf(stderr, "usage: vsockcat [-n N -e] -l PORT | -c CID PORT | "
	    "[-n N -e] -U PATH | [-n N] -u PATH PORT\n");
	exit(100);
}

static int
unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

static int
listen_on(const char *path, unsigned port)
{
	struct sockaddr_un su;
	struct sockaddr_vm sv;
	int fd;

	if (path) {
		if (unix_addr(&su, path) < 0 ||
		    (fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			die(111, "make a Unix socket");
		unlink(path);
		if (bind(fd, (struct sockaddr *)&su, sizeof su) < 0)
			die(111, "bind the Unix socket");
	} else {
		memset(&sv, 0, sizeof sv);
		sv.svm_family = AF_VSOCK;
		sv.svm_cid = VMADDR_CID_ANY;
		sv.svm_port = port;
		if ((fd = socket(AF_VSOCK, SOCK_STREAM, 0)) < 0)
			die(111, "make a vsock socket");
		if (bind(fd, (struct sockaddr *)&sv, sizeof sv) < 0)
			die(111, "bind the vsock port");
	}
	if (listen(fd, MAXN) < 0)
		die(111, "listen");
	return fd;
}

/* Connect; for vmrun's PATH also the CONNECT line and its answer
 * (lib/unixsock).  -1 when refused (the guest's RST reads as EOF before
 * OK). */
static int
connect_to(const char *path, unsigned cid, unsigned port)
{
	struct sockaddr_vm sv;
	int fd;

	if (path)
		return unixsock_vsock(path, port, 30000);
	memset(&sv, 0, sizeof sv);
	sv.svm_family = AF_VSOCK;
	sv.svm_cid = cid;
	sv.svm_port = port;
	if ((fd = socket(AF_VSOCK, SOCK_STREAM, 0)) < 0)
		die(111, "make a vsock socket");
	if (connect(fd, (struct sockaddr *)&sv, sizeof sv) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
writeall(int fd, const char *b, size_t n)
{
	ssize_t k;

	while (n) {
		if ((k = write(fd, b, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += k;
		n -= k;
	}
	return 0;
}

/* stdin -> fd (then SHUT_WR), fd -> stdout, until both end. */
static int
relay(int fd)
{
	static char buf[65536];
	struct pollfd p[2] = { { 0, POLLIN, 0 }, { fd, POLLIN, 0 } };
	int in_open = 1, out_open = 1;
	ssize_t k;

	while (in_open || out_open) {
		p[0].fd = in_open ? 0 : -1;
		p[1].fd = out_open ? fd : -1;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die(111, "poll");
		}
		if (in_open && p[0].revents) {
			k = read(0, buf, sizeof buf);
			if (k < 0)
				die(111, "read standard input");
			if (k == 0) {
				shutdown(fd, SHUT_WR);
				in_open = 0;
			} else if (writeall(fd, buf, k) < 0) {
				die(111, "write to the socket");
			}
		}
		if (out_open && p[1].revents) {
			k = read(fd, buf, sizeof buf);
			if (k < 0)
				die(111, "read the socket");
			if (k == 0)
				out_open = 0;
			else if (writeall(1, buf, k) < 0)
				die(111, "write standard output");
		}
	}
	return 0;
}

/* Accept n connections and echo each to itself; all at once. */
static int
echo_many(int lfd, unsigned n)
{
	static struct pollfd p[MAXN + 1];
	static char buf[4096];
	unsigned accepted = 0, live = 0, i;
	ssize_t k;

	for (i = 0; i <= MAXN; i++)
		p[i].fd = -1;
	p[0].fd = lfd;
	p[0].events = POLLIN;
	while (accepted < n || live) {
		p[0].fd = accepted < n ? lfd : -1;
		if (poll(p, n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die(111, "poll");
		}
		if (p[0].fd >= 0 && p[0].revents) {
			int fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				die(111, "accept");
			p[1 + accepted].fd = fd;
			p[1 + accepted].events = POLLIN;
			accepted++;
			live++;
		}
		for (i = 1; i <= accepted; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			k = read(p[i].fd, buf, sizeof buf);
			if (k > 0 && writeall(p[i].fd, buf, k) == 0)
				continue;
			close(p[i].fd);
			p[i].fd = -1;
			live--;
		}
	}
	return 0;
}

/* Open n connections to PATH's PORT at once, each its own line, check
 * every echo. */
static int
check_many(const char *path, unsigned port, unsigned n)
{
	static int fds[MAXN];
	char want[32], got[32];
	unsigned i, good = 0, tries;
	ssize_t k;
	size_t len, m;

	for (i = 0; i < n; i++) {
		for (tries = 0; (fds[i] = connect_to(path, 0, port)) < 0 && tries < 50; tries++)
			usleep(200000);
		if (fds[i] < 0) {
			fprintf(stderr, "vsockcat: connection %u refused\n", i);
			return 1;
		}
	}
	for (i = 0; i < n; i++) {
		len = snprintf(want, sizeof want, "vsockcat %u\n", i);
		if (writeall(fds[i], want, len) < 0)
			die(111, "write");
		shutdown(fds[i], SHUT_WR);
	}
	for (i = 0; i < n; i++) {
		len = snprintf(want, sizeof want, "vsockcat %u\n", i);
		for (m = 0; m < sizeof got && (k = read(fds[i], got + m, sizeof got - m)) > 0;)
			m += k;
		good += m == len && !memcmp(got, want, len);
		close(fds[i]);
	}
	if (good != n) {
		fprintf(stderr, "vsockcat: %u of %u echoes right\n", good, n);
		return 1;
	}
	printf("ok %u\n", n);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	unsigned port = 0, cid = 0, n = 1;
	int c, mode = 0, echo = 0, fd, lfd;

	while ((c = getopt(argc, argv, "lcUun:e")) != -1) {
		switch (c) {
		case 'l': case 'c': case 'U': case 'u': mode = c; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'e': echo = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (!mode || n < 1 || n > MAXN)
		usage();
	switch (mode) {
	case 'l':
	case 'U':
		if (argc != 1)
			usage();
		if (mode == 'U')
			path = argv[0];
		else
			port = strtoul(argv[0], NULL, 10);
		lfd = listen_on(path, port);
		if (echo)
			return echo_many(lfd, n);
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			die(111, "accept");
		close(lfd);
		return relay(fd);
	case 'c':
	case 'u':
		if (argc != 2)
			usage();
		if (mode == 'u')
			path = argv[0];
		else
			cid = strtoul(argv[0], NULL, 10);
		port = strtoul(argv[1], NULL, 10);
		if (n > 1)
			return check_many(path, port, n);
		if ((fd = connect_to(path, cid, port)) < 0) {
			fprintf(stderr, "vsockcat: connection refused\n");
			return 1;
		}
		return relay(fd);
	}
	return 100;
}
