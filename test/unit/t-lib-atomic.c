/* atomic_write: all or nothing, no temp file left on failure. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "io.h"
#include "tap.h"

/* atomic_write_then's hook: what the name holds when it is called. */
static int hookdir;
static char seen[64];
static int calls;

static void
renamed(void *name)
{
	calls++;
	if (io_readsmall(hookdir, name, seen, sizeof seen) < 0)
		seen[0] = 0;
}

static int
entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

int
main(void)
{
	char tmpl[] = "/tmp/t-lib-atomic.XXXXXX", *t = mkdtemp(tmpl), buf[64];
	static char big[65536];
	struct rlimit rl = { 4096, 4096 }, old;
	int dfd = open(t, O_RDONLY | O_DIRECTORY);
	struct stat st;

	ok(atomic_write(dfd, "f", "one\n", 4, 0600) == 0, "first write");
	ok(io_readsmall(dfd, "f", buf, sizeof buf) == 4 && !strcmp(buf, "one\n"),
	    "content is the first");
	ok(fstatat(dfd, "f", &st, 0) == 0 && (st.st_mode & 0777) == 0600,
	    "mode is honoured");
	ok(atomic_write(dfd, "f", "two\n", 4, 0600) == 0, "second write");
	ok(io_readsmall(dfd, "f", buf, sizeof buf) == 4 && !strcmp(buf, "two\n"),
	    "content is replaced");
	ok(entries(t) == 1, "no temp file after success");

	/* A write that cannot complete: the file size limit stands in for
	 * a full disk. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	setrlimit(RLIMIT_FSIZE, &rl);
	memset(big, 'x', sizeof big);
	errno = 0;
	ok(atomic_write(dfd, "f", big, sizeof big, 0600) == -1 && errno == EFBIG,
	    "oversized write fails with EFBIG");
	setrlimit(RLIMIT_FSIZE, &old);
	ok(io_readsmall(dfd, "f", buf, sizeof buf) == 4 && !strcmp(buf, "two\n"),
	    "old content intact after the failure");
	ok(entries(t) == 1, "no temp file after the failure");

	/* The hook runs once, when the name already holds the new content;
	 * not at all when the write fails. */
	hookdir = dfd;
	ok(atomic_write_then(dfd, "f", "three\n", 6, 0600, renamed, "f") == 0 &&
	    calls == 1 && !strcmp(seen, "three\n"),
	    "atomic_write_then: the hook sees the new content, once");
	setrlimit(RLIMIT_FSIZE, &rl);
	ok(atomic_write_then(dfd, "f", big, sizeof big, 0600, renamed, "f") ==
	    -1 && calls == 1, "atomic_write_then: no hook when the write fails");
	setrlimit(RLIMIT_FSIZE, &old);
	ok(entries(t) == 1, "no temp file after atomic_write_then");
	ok(atomic_write(dfd, "f", "two\n", 4, 0600) == 0, "f as it was");

	/* A planted symlink at the final name is replaced, not followed. */
	ok(symlinkat("/etc/passwd", dfd, "g") == 0, "plant symlink");
	ok(atomic_write(dfd, "g", "mine\n", 5, 0600) == 0, "write over symlink");
	ok(fstatat(dfd, "g", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode), "symlink replaced by a regular file");
	ok(io_readsmall(dfd, "g", buf, sizeof buf) == 5, "content is ours");

	/* io_readsmall refuses symlinks and oversized files. */
	ok(symlinkat("f", dfd, "h") == 0, "plant relative symlink");
	errno = 0;
	ok(io_readsmall(dfd, "h", buf, sizeof buf) == -1 && errno == ELOOP,
	    "io_readsmall does not follow symlinks");
	errno = 0;
	ok(io_readsmall(dfd, "f", buf, 4) == -1 && errno == EFBIG,
	    "io_readsmall reports a file too big for the buffer");
	ok(io_readsmall(dfd, "f", buf, 5) == 4, "exact fit is fine");

	/* In two steps: the temp file exists from atomic_open on. */
	{
		struct atomic_file a;
		char path[256];

		snprintf(path, sizeof path, "%s/i", t);
		ok(atomic_open(&a, path, 0600) == 0 && entries(t) == 4 &&
		    faccessat(dfd, a.tmp, F_OK, 0) == 0,
		    "atomic_open creates the temp file");
		ok(atomic_commit(&a, "late\n", 5) == 0 && a.fd == -1 &&
		    a.dirfd == -1, "atomic_commit, both fds closed");
		memset(buf, 0, sizeof buf);
		ok(io_readsmall(dfd, "i", buf, sizeof buf) == 5 &&
		    !strcmp(buf, "late\n") && entries(t) == 4,
		    "the file in place, no temp file left");
	}

	unlinkat(dfd, "f", 0);
	unlinkat(dfd, "g", 0);
	unlinkat(dfd, "h", 0);
	unlinkat(dfd, "i", 0);
	close(dfd);
	rmdir(t);
	return done_testing();
}
