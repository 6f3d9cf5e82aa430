/* asuser: run a program as another uid and gid, with no capability, for
 * the rig's first-level guest, whose busybox setpriv cannot change them.
 *
 *   asuser UID GID PROG [ARG...]
 *
 * The supplementary groups become GID alone; setuid from root to another
 * uid clears every capability.  Exit: 100 usage, 111 a step failed, else
 * PROG's (exec). */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "num.h"

int
main(int argc, char **argv)
{
	long long uid, gid;
	gid_t g;

	if (argc < 4 || num_parse(argv[1], 1, 65535, &uid) < 0 ||
	    num_parse(argv[2], 1, 65535, &gid) < 0) {
		fprintf(stderr, "usage: asuser UID GID PROG [ARG...]\n");
		return 100;
	}
	g = gid;
	if (setgroups(1, &g) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		fprintf(stderr, "asuser: fatal: unable to become %lld:%lld: "
		    "%s\n", uid, gid, strerror(errno));
		return 111;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "asuser: fatal: unable to run %s: %s\n", argv[3],
	    strerror(errno));
	return 111;
}
