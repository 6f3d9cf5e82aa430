/* token_read: a secret from its file (see token.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "io.h"
#include "token.h"

int
token_read(const char *path, char *buf, size_t cap)
{
	char t[4096];
	size_t n;

	if (io_readsmall(AT_FDCWD, path, t, sizeof t) < 0)
		return -1;
	t[strcspn(t, "\r\n")] = 0;
	n = strlen(t);
	if (n < TOKEN_MIN || n >= cap || strspn(t, TOKEN_CHARS) != n) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, t, n + 1);
	return 0;
}
