/* cpio_write: the newc fields and padding read back by a parser of our
 * own; the prefix first; a refused tree writes nothing; names the kernel
 * would skip refused; cpio_prefix_valid as a table. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cpio.h"
#include "tap.h"

struct ent {
	unsigned long f[13];	/* ino mode uid gid nlink mtime size ... */
	char name[PATH_MAX + 1];
	char body[64];
};

static unsigned long
hex8(const char *p)
{
	char s[9];

	memcpy(s, p, 8);
	s[8] = 0;
	return strtoul(s, NULL, 16);
}

/* Parse archive a (n bytes) into e[]: the count, or -1 where it is not
 * newc with zero padding to 4 bytes. */
static int
parse(const char *a, size_t n, struct ent *e, int max)
{
	size_t off = 0;
	int k = 0;

	while (k < max) {
		size_t ns, fs;
		if (off % 4 || off + 110 > n || memcmp(a + off, "070701", 6))
			return -1;
		for (int i = 0; i < 13; i++)
			e[k].f[i] = hex8(a + off + 6 + 8 * i);
		ns = e[k].f[11];
		fs = e[k].f[6];
		if (off + 110 + ns > n || ns > sizeof e[k].name ||
		    a[off + 110 + ns - 1])
			return -1;
		memcpy(e[k].name, a + off + 110, ns);
		off += 110 + ns;
		for (; off % 4; off++)
			if (off >= n || a[off])
				return -1;
		if (off + fs > n)
			return -1;
		memcpy(e[k].body, a + off, fs < 63 ? fs : 63);
		e[k].body[fs < 63 ? fs : 63] = 0;
		off += fs;
		for (; off % 4; off++)
			if (off >= n || a[off])
				return -1;
		if (!strcmp(e[k++].name, "TRAILER!!!"))
			return off == n ? k : -1;
	}
	return -1;
}

static char arch[1 << 20];

/* cpio_write of root into a file; its length in *n. */
static int
pack(const char *root, const char *prefix, const struct tree_opts *o,
    size_t *n, char *err, size_t errcap)
{
	FILE *f = tmpfile();
	int r = cpio_write(fileno(f), root, prefix, o, err, errcap);

	rewind(f);
	*n = fread(arch, 1, sizeof arch, f);
	fclose(f);
	return r;
}

int
main(void)
{
	char tmpl[] = "/tmp/t-lib-cpio.XXXXXX", *t = mkdtemp(tmpl), p[512],
	    err[512], name[256];
	static struct ent e[20];
	static const struct { const char *s; int want; } pfx[] = {
		{ "job", 1 }, { "a/b/job", 1 }, { ".job", 1 }, { "", 0 },
		{ "/job", 0 }, { "job/", 0 }, { "a//b", 0 }, { ".", 0 },
		{ "..", 0 }, { "a/../b", 0 }, { "a/./b", 0 }, { "../a", 0 },
		{ "a/..", 0 }, { "...", 1 },
	};
	struct timeval tv[2] = { { 2000, 0 }, { 2000, 0 } };
	size_t n;
	int k, r, fd;

	for (size_t i = 0; i < sizeof pfx / sizeof pfx[0]; i++)
		ok(cpio_prefix_valid(pfx[i].s) == pfx[i].want,
		    "cpio_prefix_valid(\"%s\") == %d", pfx[i].s, pfx[i].want);

	/* root 0750: f "abc" 04755 of uid 1000, h a hard link to f, l ->
	 * /x/y, s/ 02775 holding nothing. */
	snprintf(p, sizeof p, "%s/f", t);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	write(fd, "abc", 3);
	fchown(fd, 1000, 1000);
	fchmod(fd, 04755);
	close(fd);
	utimes(p, tv);
	snprintf(name, sizeof name, "%s/h", t);
	link(p, name);
	snprintf(p, sizeof p, "%s/l", t);
	symlink("/x/y", p);
	snprintf(p, sizeof p, "%s/s", t);
	mkdir(p, 0755);
	chmod(p, 02775);
	chmod(t, 0750);
	tv[0].tv_sec = tv[1].tv_sec = 1000;
	utimes(t, tv);

	r = pack(t, "job", NULL, &n, err, sizeof err);
	ok(r == 0, "pack a small tree: %s", r ? err : "ok");
	k = parse(arch, n, e, 20);
	ok(k == 6, "newc, zero padding to 4 bytes, TRAILER!!! at the end of "
	    "%zu bytes: %d entries", n, k);
	if (k != 6)
		return done_testing();
	ok(!strcmp(e[0].name, "job") && e[0].f[1] == 040750 &&
	    e[0].f[5] == 1000 && e[0].f[6] == 0, "the prefix first, with the "
	    "root's mode and mtime");
	ok(!strcmp(e[1].name, "job/f") && e[1].f[1] == 0100755 &&
	    e[1].f[5] == 2000 && e[1].f[6] == 3 && !strcmp(e[1].body, "abc"),
	    "a file: setuid dropped, mtime and content kept");
	ok(!strcmp(e[2].name, "job/h") && e[2].f[6] == 3 &&
	    !strcmp(e[2].body, "abc"), "its hard link written again, whole");
	ok(!strcmp(e[3].name, "job/l") && e[3].f[1] == 0120777 &&
	    e[3].f[6] == 4 && !strcmp(e[3].body, "/x/y"),
	    "a symlink, its target as it is");
	ok(!strcmp(e[4].name, "job/s") && e[4].f[1] == 040775,
	    "a directory, setgid dropped");
	ok(!strcmp(e[5].name, "TRAILER!!!") && e[5].f[4] == 1 &&
	    e[5].f[0] == 0, "the trailer");
	r = 1;
	for (int i = 0; i < 5; i++) {
		r &= e[i].f[2] == 0 && e[i].f[3] == 0 && e[i].f[4] == 1 &&
		    e[i].f[0] == (unsigned long)i + 1 && e[i].f[12] == 0;
		for (int j = 7; j < 11; j++)
			r &= e[i].f[j] == 0;
	}
	ok(r, "owner 0:0, nlink 1, inodes 1.. each its own, devices 0");

	snprintf(p, sizeof p, "%s/fifo", t);
	mkfifo(p, 0644);
	r = pack(t, "job", NULL, &n, err, sizeof err);
	ok(r == -1 && errno == EINVAL && n == 0 && !strcmp(err,
	    "fifo: a fifo: refused"), "a fifo refused, nothing written: %s",
	    err);
	unlink(p);
	r = pack(t, "job", &(struct tree_opts){ .max_entries = 3 }, &n, err,
	    sizeof err);
	ok(r == -1 && errno == EFBIG && n == 0, "a bound passed, nothing "
	    "written: %s", err);
	r = pack(t, "/job", NULL, &n, err, sizeof err);
	ok(r == -1 && errno == EINVAL && n == 0, "a bad prefix: %s", err);
	fd = open("/dev/null", O_RDONLY);
	r = cpio_write(fd, t, "job", NULL, err, sizeof err);
	ok(r == -1 && !strncmp(err, "write: ", 7), "a failed write: %s", err);
	close(fd);

	/* 15 levels of 255-byte names (3840 bytes with their slashes) and a
	 * file of 251: "job/" and the path and a NUL are PATH_MAX bytes. */
	snprintf(p, sizeof p, "%s/s", t);
	fd = open(p, O_RDONLY | O_DIRECTORY);
	memset(name, 'n', 255);
	name[255] = 0;
	for (int i = 0; i < 15; i++) {
		int nfd;
		mkdirat(fd, name, 0755);
		nfd = openat(fd, name, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = nfd;
	}
	name[251] = 0;
	close(openat(fd, name, O_WRONLY | O_CREAT, 0644));
	r = pack(p, "job", NULL, &n, err, sizeof err);
	ok(r == 0 && parse(arch, n, e, 20) == 18 &&
	    strlen(e[16].name) == PATH_MAX - 1, "a name of PATH_MAX bytes "
	    "with its NUL: %s", r ? err : "ok");
	unlinkat(fd, name, 0);
	name[251] = 'n';
	name[252] = 0;
	close(openat(fd, name, O_WRONLY | O_CREAT, 0644));
	close(fd);
	r = pack(p, "job", NULL, &n, err, sizeof err);
	ok(r == -1 && errno == ENAMETOOLONG && n == 0 &&
	    strstr(err, ": path too long for the archive"),
	    "one more is refused (the kernel would skip it)");

	snprintf(p, sizeof p, "rm -rf %s", t);
	if (system(p) != 0)
		ok(0, "remove %s", t);
	return done_testing();
}
