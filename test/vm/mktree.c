/* mktree: a tree of test files, fast, where busybox has no split(1) (the
 * rig's first-level guest).
 *
 *   mktree DIR DIRS FILES SIZE
 *
 * Creates DIR (which must not exist) holding DIRS folders d0 .. dN-1, each
 * with FILES files f00 .. of SIZE pseudo-random bytes (each file's own
 * stream), with modes 644, 755, 600 and 640 in turn, and the folders 755.
 *
 * Exit status: 0 made; 100 usage; 111 a system call failed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "io.h"

int
main(int argc, char **argv)
{
	static const mode_t modes[] = { 0644, 0755, 0600, 0640 };
	static unsigned char buf[1 << 16];
	char path[4096];
	long dirs, files, size;

	err_setprog(argv[0]);
	if (argc != 5 || (dirs = atol(argv[2])) <= 0 ||
	    (files = atol(argv[3])) <= 0 || (size = atol(argv[4])) < 0) {
		fprintf(stderr, "usage: mktree dir dirs files size\n");
		return 100;
	}
	umask(0);
	if (mkdir(argv[1], 0755) < 0)
		err_diesys(111, "unable to create %s", argv[1]);
	for (long d = 0; d < dirs; d++) {
		snprintf(path, sizeof path, "%s/d%ld", argv[1], d);
		if (mkdir(path, 0755) < 0)
			err_diesys(111, "unable to create %s", path);
		for (long f = 0; f < files; f++) {
			unsigned long long x = (d << 20 | f) * 0x9e3779b97f4a7c15ULL + 1;
			int fd;

			snprintf(path, sizeof path, "%s/d%ld/f%02ld", argv[1], d, f);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, modes[f % 4]);
			if (fd < 0)
				err_diesys(111, "unable to create %s", path);
			for (long left = size; left > 0; ) {
				size_t n = left < (long)sizeof buf ? (size_t)left : sizeof buf;

				for (size_t i = 0; i < n; i++) {
					x ^= x << 13; x ^= x >> 7; x ^= x << 17;
					buf[i] = (unsigned char)x;
				}
				if (io_writeall(fd, buf, n) < 0)
					err_diesys(111, "unable to write %s", path);
				left -= (long)n;
			}
			if (close(fd) < 0)
				err_diesys(111, "unable to write %s", path);
		}
	}
	return 0;
}
