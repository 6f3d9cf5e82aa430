/* buf_slurp: a whole file into a buffer (see buf.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"

int
buf_slurp(struct buf *b, const char *path)
{
	char chunk[65536];
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_add(b, chunk, n) < 0)
			return fd > 0 ? io_close_fail(fd) : -1;
	}
	if (fd > 0)
		close(fd);
	return 0;
}
