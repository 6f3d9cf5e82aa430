/* unixsock: one rule for a socket path: live kept, stale replaced, any
 * other file refused, mode 0600, never a window of ECONNREFUSED.  And
 * unixsock_vsock against a server that plays vmrun's side of the vsock
 * protocol (the real vmrun and guest: test/vm/t5030, t5101). */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "tap.h"
#include "unixsock.h"

/* vmrun's side, one connection: read the CONNECT line and report it on
 * a pipe, then answer as told: "OK" (then "hello"), "close", "junk" or
 * "mute". */
static pid_t
vmrun_side(int l, const char *how, int report[2])
{
	pid_t p;

	if (pipe(report) < 0 || (p = fork()) < 0)
		return -1;
	if (p == 0) {
		char c, line[64];
		size_t n = 0;
		int a;
		while ((a = accept(l, NULL, NULL)) < 0)
			usleep(1000);
		fcntl(a, F_SETFL, 0);
		while (n < sizeof line - 1 && read(a, &c, 1) == 1) {
			line[n++] = c;
			if (c == '\n')
				break;
		}
		write(report[1], line, n);
		if (!strcmp(how, "OK"))
			write(a, "OK 1024\nhello", 13);
		else if (!strcmp(how, "junk"))
			write(a, "NO\n", 3);
		else if (!strcmp(how, "mute"))
			sleep(5);
		_exit(0);
	}
	close(report[1]);
	return p;
}

static void
vsock_case(int l, const char *path, const char *how, int want_errno)
{
	char got[64] = "", buf[16] = "";
	int report[2], fd, st;
	long long t = clock_ms();
	pid_t p = vmrun_side(l, how, report);
	ssize_t n;

	errno = 0;
	fd = unixsock_vsock(path, 52, 300);
	t = clock_ms() - t;
	if (want_errno) {
		ok(fd < 0 && errno == want_errno, "vsock, %s: errno %d (%s), "
		    "after %lld ms", how, errno, strerror(errno), t);
		if (want_errno == ETIMEDOUT)
			ok(t >= 290 && t < 2000, "vsock: gave up at its bound");
	} else {
		ok(fd >= 0 && (n = read(fd, buf, sizeof buf - 1)) == 5 &&
		    !memcmp(buf, "hello", 5), "vsock, OK: the stream behind "
		    "the line is all there (%s)", buf);
		ok(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0 &&
		    (fcntl(fd, F_GETFD) & FD_CLOEXEC), "blocking, close-on-exec");
	}
	n = read(report[0], got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	ok(!strcmp(got, "CONNECT 52\n"), "vmrun's side read CONNECT 52 "
	    "(%zd bytes)", n);
	if (fd >= 0)
		close(fd);
	close(report[0]);
	kill(p, SIGKILL);
	waitpid(p, &st, 0);
}

int
main(void)
{
	char dir[] = "/tmp/t-unixsock.XXXXXX", path[200], longp[200];
	struct stat st;
	int l, l2, c, a;

	ok(mkdtemp(dir) != NULL, "scratch directory");
	snprintf(path, sizeof path, "%s/s", dir);
	ok((l = unixsock_listen(path, 4)) >= 0, "listen");
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    (st.st_mode & 0777) == 0600, "a socket of mode 0600 (%o)",
	    (unsigned)st.st_mode & 0777);
	ok((fcntl(l, F_GETFL) & O_NONBLOCK) && (fcntl(l, F_GETFD) & FD_CLOEXEC),
	    "non-blocking, close-on-exec");
	ok((c = unixsock_connect(path)) >= 0, "connect");
	ok((a = accept(l, NULL, NULL)) >= 0 && write(c, "x", 1) == 1, "accepted");
	close(a), close(c);
	errno = 0;
	ok(unixsock_listen(path, 4) < 0 && errno == EADDRINUSE,
	    "a live server's path is left alone");
	close(l);
	ok(stat(path, &st) == 0, "closed: the stale socket is still there");
	ok(unixsock_connect(path) < 0 && errno == ECONNREFUSED, "refused");
	ok((l2 = unixsock_listen(path, 4)) >= 0, "a stale socket is replaced");
	ok((c = unixsock_connect(path)) >= 0, "and the new one answers");
	close(c), close(l2);
	unlink(path);
	ok(close(open(path, O_CREAT | O_WRONLY, 0600)) == 0, "a plain file");
	errno = 0;
	ok(unixsock_listen(path, 4) < 0 && errno == EEXIST &&
	    stat(path, &st) == 0 && S_ISREG(st.st_mode),
	    "a file that is not a socket is refused and kept");
	unlink(path);
	memset(longp, 'a', 150);
	longp[150] = 0;
	errno = 0;
	ok(unixsock_listen(longp, 4) < 0 && errno == ENAMETOOLONG,
	    "a path too long for sun_path");
	errno = 0;
	ok(unixsock_connect(longp) < 0 && errno == ENAMETOOLONG,
	    "connect: the same");
	ok(unixsock_connect(path) < 0 && errno == ENOENT, "nothing there");

	/* A path longer than sun_path, under a deep directory: through the
	 * directory's descriptor, the same rules. */
	{
		char deep[400], lp[440];
		int fds = 0;
		snprintf(deep, sizeof deep, "%s/%0150d", dir, 0);
		ok(mkdir(deep, 0700) == 0, "a directory %zu bytes deep",
		    strlen(deep));
		snprintf(lp, sizeof lp, "%s/v.sock", deep);
		for (int f = 0; f < 64; f++)
			fds += fcntl(f, F_GETFD) >= 0;
		ok((l = unixsock_listen(lp, 4)) >= 0, "listen on a %zu-byte "
		    "path", strlen(lp));
		ok(stat(lp, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    (st.st_mode & 0777) == 0600, "the socket is there, 0600");
		ok((c = unixsock_connect(lp)) >= 0 &&
		    (a = accept(l, NULL, NULL)) >= 0, "connect and accept");
		close(a), close(c);
		errno = 0;
		ok(unixsock_listen(lp, 4) < 0 && errno == EADDRINUSE,
		    "a live server's long path is left alone");
		close(l);
		ok((l = unixsock_listen(lp, 4)) >= 0, "a stale one replaced");
		close(l);
		for (int f = 0; f < 64; f++)
			fds -= fcntl(f, F_GETFD) >= 0;
		ok(fds == 0, "no descriptor left behind (%d)", fds);
		unlink(lp);
		rmdir(deep);
	}
	/* vsock:PATH:PORT with a PATH past 256 bytes (a deep HUSK_STATE):
	 * http_connect takes it as unixsock does. */
	{
		char deep[480], lp[500], a[520];
		int report[2];
		pid_t p;
		char mid[300];
		snprintf(mid, sizeof mid, "%s/%0150d", dir, 1);
		snprintf(deep, sizeof deep, "%s/%0150d", mid, 2);
		snprintf(lp, sizeof lp, "%s/v.sock", deep);
		snprintf(a, sizeof a, "vsock:%s:52", lp);
		ok(mkdir(mid, 0700) == 0 && mkdir(deep, 0700) == 0 &&
		    (l = unixsock_listen(lp, 4)) >= 0,
		    "vmrun's socket at a %zu-byte path", strlen(lp));
		p = vmrun_side(l, "OK", report);
		ok((c = http_connect(a, 1000)) >= 0, "http_connect to it");
		if (c >= 0)
			close(c);
		close(report[0]);
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		close(l);
		unlink(lp);
		rmdir(deep);
		rmdir(mid);
	}

	ok((l = unixsock_listen(path, 4)) >= 0, "vmrun's socket");
	vsock_case(l, path, "OK", 0);
	vsock_case(l, path, "close", ECONNREFUSED);
	vsock_case(l, path, "junk", EPROTO);
	vsock_case(l, path, "mute", ETIMEDOUT);
	{
		char addr[256];
		int report[2], fd;
		pid_t p = vmrun_side(l, "OK", report);
		snprintf(addr, sizeof addr, "vsock:%s:52", path);
		ok((fd = http_connect(addr, 1000)) >= 0, "http_connect %s",
		    addr);
		if (fd >= 0)
			close(fd);
		close(report[0]);
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
	}
	errno = 0;
	ok(http_connect("vsock:/nowhere/s:x", 100) < 0 && errno == EINVAL,
	    "vsock:PATH:PORT with a bad port");
	errno = 0;
	ok(http_connect("vsock:/nowhere/s:52", 100) < 0 && errno == ENOENT,
	    "vsock:PATH:PORT with no socket there");
	close(l);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
