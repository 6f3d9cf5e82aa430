/* ptyopen: both ways to open a pair give a working terminal with the size
 * asked for, close-on-exec. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ptyopen.h"
#include "tap.h"

static void
check(const char *how, int (*open_fn)(int *, int *, const struct winsize *))
{
	struct winsize ws = { .ws_row = 33, .ws_col = 111 }, got = { 0 };
	int m, s;
	char b[16] = { 0 };

	ok(open_fn(&m, &s, &ws) == 0, "%s: opens", how);
	ok(ioctl(s, TIOCGWINSZ, &got) == 0 && got.ws_row == 33 &&
	    got.ws_col == 111, "%s: window size set", how);
	ok((fcntl(m, F_GETFD) & FD_CLOEXEC) && (fcntl(s, F_GETFD) & FD_CLOEXEC),
	    "%s: close-on-exec", how);
	ok(isatty(s), "%s: the peer is a terminal", how);
	ok(write(s, "x", 1) == 1 && read(m, b, sizeof b) >= 1 && b[0] == 'x',
	    "%s: bytes pass", how);
	close(m);
	close(s);
}

int
main(void)
{
	check("openpty", pty_open);
	check("ptmx+TIOCGPTPEER", pty_open_peer);
	return done_testing();
}
