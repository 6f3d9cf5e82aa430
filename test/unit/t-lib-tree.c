/* tree_walk: the order, no symlink followed, exclusions, bounds, special
 * files refused, paths near PATH_MAX, files changing while read. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "tree.h"
#include "tap.h"

static char root[64];

/* What the walk saw, one line per entry: "path type [target|content]". */
struct seen {
	struct buf b;
	int fds[64], nfds, bad;
	size_t maxpath;
	const char *fail_at;	/* fail with EIO here */
	const char *grow, *shrink;	/* change this file while read */
};

static int
record(const struct tree_ent *e, void *arg)
{
	struct seen *s = arg;
	char data[64];
	unsigned long long done = 0;
	ssize_t n;
	size_t len = 0;

	if (strlen(e->path) > s->maxpath)
		s->maxpath = strlen(e->path);
	if (s->fail_at && !strcmp(e->path, s->fail_at)) {
		errno = EIO;
		return -1;
	}
	if (strlen(e->path) > 200) {	/* the long-path tree: no details */
		buf_addf(&s->b, "long\n");
		return 0;
	}
	buf_addf(&s->b, "%s ", e->path[0] ? e->path : ".");
	if (S_ISLNK(e->st.st_mode)) {
		buf_addf(&s->b, "l %s\n", e->link);
		s->bad |= e->fd != -1;
	} else if (S_ISDIR(e->st.st_mode)) {
		buf_addf(&s->b, "d\n");
		s->bad |= e->fd != -1 || e->link != NULL;
	} else {
		s->bad |= e->fd < 0 || e->link != NULL;
		if (s->nfds < 64)
			s->fds[s->nfds++] = e->fd;
		if (s->grow && !strcmp(e->path, s->grow)) {
			char p[128];
			FILE *f;
			snprintf(p, sizeof p, "%s/%s", root, e->path);
			f = fopen(p, "a");
			fputs("more", f);
			fclose(f);
		}
		if (s->shrink && !strcmp(e->path, s->shrink))
			truncate(e->path, 1);
		while ((n = tree_read(e, data + len, sizeof data - 1 - len,
		    &done)) > 0)
			len += n;
		if (n < 0)
			return -1;
		data[len] = 0;
		buf_addf(&s->b, "f %s\n", data);
	}
	return 0;
}

static void
put(const char *rel, const char *data)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	f = fopen(p, "w");
	fputs(data, f);
	fclose(f);
}

static int
walk(struct seen *s, const struct tree_opts *o, char *err, size_t errcap)
{
	buf_free(&s->b);
	s->nfds = s->bad = 0;
	s->maxpath = 0;
	buf_adds(&s->b, "");
	return tree_walk(root, o, record, s, err, errcap);
}

static int
all_closed(const struct seen *s)
{
	for (int i = 0; i < s->nfds; i++)
		if (fcntl(s->fds[i], F_GETFD) != -1)
			return 0;
	return 1;
}

/* dir/NAME.../ depth levels of 255-byte names, then a file of a name of
 * flen bytes; the path of the file is returned in *len. */
static int
deep(const char *dir, int depth, size_t flen, size_t *len)
{
	char name[256];
	int fd = open(dir, O_RDONLY | O_DIRECTORY), nfd;

	memset(name, 'n', 255);
	name[255] = 0;
	*len = 0;
	for (int i = 0; i < depth; i++) {
		name[0] = 'a' + i % 26;
		if (mkdirat(fd, name, 0755) < 0)
			return -1;
		nfd = openat(fd, name, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = nfd;
		*len += 256;
	}
	name[0] = 'x';
	name[flen] = 0;
	nfd = openat(fd, name, O_WRONLY | O_CREAT, 0644);
	close(nfd);
	close(fd);
	*len += flen;
	return nfd < 0 ? -1 : 0;
}

int
main(void)
{
	char tmpl[] = "/tmp/t-lib-tree.XXXXXX", *t = mkdtemp(tmpl), p[256],
	    err[512];
	struct seen s = { 0 };
	const char *x_git[] = { ".git" }, *x_sub[] = { "b/*" },
	    *x_txt[] = { "*.txt" }, *x_dir[] = { "b" };
	struct tree_opts o = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd0, fd1, r, sock;
	size_t len;

	snprintf(root, sizeof root, "%s/r", t);
	mkdir(root, 0755);
	snprintf(p, sizeof p, "%s/b", root);
	mkdir(p, 0750);
	snprintf(p, sizeof p, "%s/.git", root);
	mkdir(p, 0755);
	put(".git/config", "cfg");
	put("b/z", "zz");
	put("b/a", "ba");
	put("a", "hello");
	put("a.txt", "text");
	put("B", "upper");
	snprintf(p, sizeof p, "%s/c", root);
	symlink("b", p);
	snprintf(p, sizeof p, "%s/d", root);
	symlink("/etc", p);
	snprintf(p, sizeof p, "%s/b/up", root);
	symlink("../../..", p);

	fd0 = dup(0);
	close(fd0);
	r = walk(&s, NULL, err, sizeof err);
	ok(r == 0, "walk a small tree: %s", r ? err : "ok");
	r = !strcmp(s.b.p, ". d\n.git d\n.git/config f cfg\nB f upper\n"
	    "a f hello\na.txt f text\nb d\nb/a f ba\nb/up l ../../..\n"
	    "b/z f zz\nc l b\nd l /etc\n");
	ok(r, "parents first, names sorted bytewise, symlinks not followed");
	if (!r)
		for (char *l = strtok(s.b.p, "\n"); l; l = strtok(NULL, "\n"))
			printf("#   %s\n", l);
	ok(!s.bad, "an fd for each regular file only, a target for each "
	    "symlink only");
	ok(all_closed(&s), "each file's fd closed after the callback");
	fd1 = dup(0);
	close(fd1);
	ok(fd0 == fd1, "no descriptor leaked by the walk");

	o.exclude = x_git;
	o.nexclude = 1;
	ok(walk(&s, &o, err, sizeof err) == 0 && !strstr(s.b.p, ".git"),
	    "-x .git: neither .git nor what it holds");
	o.exclude = x_sub;
	ok(walk(&s, &o, err, sizeof err) == 0 && strstr(s.b.p, "\nb d\n") &&
	    !strstr(s.b.p, "b/"), "-x 'b/*': b kept, what it holds not");
	o.exclude = x_txt;
	ok(walk(&s, &o, err, sizeof err) == 0 && !strstr(s.b.p, "a.txt") &&
	    strstr(s.b.p, "\na f"), "-x '*.txt' by name: a.txt gone, a kept");
	o.exclude = x_dir;
	ok(walk(&s, &o, err, sizeof err) == 0 && !strstr(s.b.p, "\nb") &&
	    strstr(s.b.p, "\nc l b\n"), "-x b: the directory b not "
	    "descended, the symlink c to it kept");
	o.nexclude = 0;

	/* 11 entries below the root; 2+3+5+4+5+2 = 21 bytes of files. */
	o.max_entries = 11;
	ok(walk(&s, &o, err, sizeof err) == 0, "11 entries pass -n 11");
	o.max_entries = 10;
	r = walk(&s, &o, err, sizeof err);
	ok(r == -1 && errno == EFBIG && !strcmp(err, "d: more than 10 "
	    "entries in the tree"), "11 entries fail -n 10: %s", err);
	ok(all_closed(&s), "fds closed after a failed walk");
	o.max_entries = 0;
	o.max_bytes = 21;
	ok(walk(&s, &o, err, sizeof err) == 0, "21 bytes pass -m 21");
	o.max_bytes = 20;
	r = walk(&s, &o, err, sizeof err);
	ok(r == -1 && errno == EFBIG && !strcmp(err, "b/z: more than 20 "
	    "bytes of files in the tree"), "21 bytes fail -m 20: %s", err);
	o.exclude = x_git;
	o.nexclude = 1;
	ok(walk(&s, &o, err, sizeof err) == 0, "excluded files count for "
	    "no bound");
	o = (struct tree_opts){ 0 };

	s.fail_at = "b/a";
	r = walk(&s, &o, err, sizeof err);
	ok(r == -1 && errno == EIO && !strncmp(err, "b/a: ", 5),
	    "the callback's failure stops the walk: %s", err);
	ok(!strstr(s.b.p, "b/z"), "nothing after it is walked");
	s.fail_at = NULL;

	s.grow = "a";
	r = walk(&s, &o, err, sizeof err);
	ok(r == -1 && errno == ESTALE && !strcmp(err, "a: changed while read"),
	    "a file growing while read fails: %s", err);
	s.grow = NULL;
	put("a", "hello");
	s.shrink = "a";
	ok(chdir(root) == 0, "chdir to the root");
	r = walk(&s, &o, err, sizeof err);
	ok(r == -1 && errno == ESTALE && !strcmp(err, "a: changed while read"),
	    "a file shrinking while read fails: %s", err);
	s.shrink = NULL;
	put("a", "hello");

	snprintf(p, sizeof p, "%s/b/fifo", root);
	mkfifo(p, 0644);
	r = walk(&s, &o, err, sizeof err);
	ok(r == -1 && errno == EINVAL && !strcmp(err, "b/fifo: a fifo: "
	    "refused"), "a fifo refused: %s", err);
	o.exclude = (const char *[]){ "fifo" };
	o.nexclude = 1;
	ok(walk(&s, &o, err, sizeof err) == 0, "an excluded fifo is no "
	    "matter");
	o.nexclude = 0;
	unlink(p);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/sock", root);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(sock, (struct sockaddr *)&sa, sizeof sa);
	r = walk(&s, &o, err, sizeof err);
	ok(r == -1 && errno == EINVAL && !strcmp(err, "sock: a socket: "
	    "refused"), "a socket refused: %s", err);
	close(sock);
	unlink(sa.sun_path);
	snprintf(p, sizeof p, "%s/null", root);
	if (mknod(p, S_IFCHR | 0600, makedev(1, 3)) == 0) {
		r = walk(&s, &o, err, sizeof err);
		ok(r == -1 && errno == EINVAL && !strcmp(err, "null: a "
		    "character device: refused"), "a device refused: %s",
		    err);
		unlink(p);
	} else {
		ok(1, "# skip mknod: %s", strerror(errno));
	}

	snprintf(p, sizeof p, "%s/b", root);
	r = tree_walk(p, &o, record, &s, err, sizeof err);
	ok(r == 0 && strstr(s.b.p, "up l ../../..\n"), "a walk from b: %s",
	    r ? err : "ok");
	r = tree_walk("/nonexistent", &o, record, &s, err, sizeof err);
	ok(r == -1 && errno == ENOENT && !strncmp(err, ".: ", 3),
	    "a missing root fails: %s", err);
	snprintf(p, sizeof p, "%s/a", root);
	r = tree_walk(p, &o, record, &s, err, sizeof err);
	ok(r == -1 && errno == ENOTDIR, "a file as the root fails: %s", err);
	snprintf(p, sizeof p, "%s/c", root);
	ok(tree_walk(p, &o, record, &s, err, sizeof err) == 0,
	    "the root path itself may be a symlink (open(2) resolves it)");

	/* Paths near PATH_MAX: 15 levels of 255-byte names and a file of
	 * 255 bytes make a relative path of 4095 bytes; a 16th level and a
	 * file "x" one of 4097. */
	snprintf(root, sizeof root, "%s/long", t);
	mkdir(root, 0755);
	ok(deep(root, 15, 255, &len) == 0 && len == PATH_MAX - 1,
	    "a file at a relative path of %zu bytes", len);
	r = walk(&s, &o, err, sizeof err);
	ok(r == 0 && s.maxpath == PATH_MAX - 1, "walked, its path of %zu "
	    "bytes reported: %s", s.maxpath, r ? err : "ok");
	snprintf(root, sizeof root, "%s/longer", t);
	mkdir(root, 0755);
	deep(root, 16, 1, &len);
	r = walk(&s, &o, err, sizeof err);
	ok(r == -1 && errno == ENAMETOOLONG && strlen(err) < 200 &&
	    strstr(err, "...") && strstr(err, ": x: path too long"),
	    "a path of %zu bytes refused: %s", len, err);

	buf_free(&s.b);
	if (chdir("/") == 0) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", t);
		if (system(cmd) != 0)
			ok(0, "remove %s", t);
	}
	return done_testing();
}
