#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "proc.h"

int
proc_starttime(pid_t pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int i;

	if (pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((n = io_readsmall(AT_FDCWD, path, buf, sizeof buf)) < 0) {
		if (errno == ENOENT)
			errno = ESRCH;
		return -1;
	}
	/* comm (field 2) may hold spaces and parens: skip to the last ')'. */
	if (!(p = strrchr(buf, ')'))) {
		errno = EINVAL;
		return -1;
	}
	p++;
	/* Field 3 is the state: a zombie has exited, so it counts as gone. */
	if (p[0] == ' ' && (p[1] == 'Z' || p[1] == 'X')) {
		errno = ESRCH;
		return -1;
	}
	/* p is before field 3; field 22 is 19 fields on. */
	for (i = 0; i < 19; i++) {
		p = strchr(p + 1, ' ');
		if (!p) {
			errno = EINVAL;
			return -1;
		}
	}
	*start = strtoull(p + 1, NULL, 10);
	return 0;
}

int
proc_same(pid_t pid, unsigned long long start)
{
	unsigned long long s;

	if (proc_starttime(pid, &s) < 0)
		return errno == ESRCH ? 0 : -1;
	return s == start;
}
