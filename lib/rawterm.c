#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "rawterm.h"

static struct termios saved;
static int raw, registered;

void
rawterm_off(void)
{
	/* TCSADRAIN: what was written reaches the terminal first, and
	 * nothing the user typed is thrown away. */
	if (raw)
		tcsetattr(0, TCSADRAIN, &saved);
	raw = 0;
}

int
rawterm_on(void)
{
	struct termios t;

	if (raw)
		return 0;
	if (tcgetattr(0, &saved) < 0)
		return -1;
	t = saved;
	cfmakeraw(&t);
	if (!registered && atexit(rawterm_off) != 0) {
		errno = ENOMEM;
		return -1;
	}
	registered = 1;
	if (tcsetattr(0, TCSADRAIN, &t) < 0)
		return -1;
	raw = 1;
	return 0;
}

int
rawterm_is_on(void)
{
	return raw;
}

int
rawterm_size(unsigned short *rows, unsigned short *cols)
{
	struct winsize ws;

	if (ioctl(0, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col)
		return -1;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}
