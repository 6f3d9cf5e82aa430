/* unixsock: one rule for a socket path: live kept, stale replaced, any
 * other file refused, mode 0600, never a window of ECONNREFUSED. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "unixsock.h"

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
	rmdir(dir);
	return done_testing();
}
