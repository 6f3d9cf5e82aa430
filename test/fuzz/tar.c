/* libFuzzer target for the tar extractor: any byte string, fed in pieces
 * of 1000 bytes into a fresh directory, either makes a tree there or
 * fails; nothing is ever made outside that directory (a sibling the
 * stream could reach by climbing stays empty). */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static void
cleanup(void)
{
	rmdir(root);
}

static int
empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return d && n == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[128], side[128];
	struct tar_x x;
	int dfd, r = 0;

	if (!root[0]) {
		strcpy(root, "/tmp/fuzz-tar.XXXXXX");
		if (!mkdtemp(root))
			abort();
		atexit(cleanup);
	}
	snprintf(dir, sizeof dir, "%s/d/in", root);
	snprintf(side, sizeof side, "%s/d", root);
	mkdir(side, 0700);
	if (mkdir(dir, 0700) < 0 || (dfd = open(dir, O_RDONLY |
	    O_DIRECTORY)) < 0)
		abort();
	tar_x_init(&x, dfd, 1 << 20, 64);
	for (size_t off = 0; off < size && r == 0; off += 1000)
		r = tar_x_feed(&x, data + off, size - off < 1000 ?
		    size - off : 1000);
	if (r >= 0)
		r = tar_x_end(&x);
	if (r && !x.err[0])
		abort();
	if (x.bytes > 1 << 20 || x.entries > 65)
		abort();
	tar_x_free(&x);
	close(dfd);
	if (tar_rmtree(AT_FDCWD, dir) < 0)
		abort();
	/* Only "in" was in d: anything else came from the stream. */
	if (!empty(side) || rmdir(side) < 0)
		abort();
	return 0;
}
