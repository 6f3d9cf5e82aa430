/* jail: a child that enters the jail, on this host's real namespaces (as
 * root; no KVM), reports what it is from the inside: its ids, its
 * capabilities (from a /proc/self/status opened before), an empty root, no
 * host path, only lo, its limits.  Bad inputs are refused before any step;
 * a process with a second thread is not jailed; jail_pidns's child is pid
 * 1, gets the parent's SIGTERM, and dies with the parent. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capfile.h"
#include "jail.h"
#include "tap.h"

#define UID 4242
#define GID 4343
#define FSIZE 4096

static const struct jail J = { UID, GID, FSIZE, 64 << 20, 0 };

/* What the parent sees of the jailed child from outside. */
static int root_entries = -1, root_same = 1, net_same = 1, mounts = -1;

static void
outside(pid_t pid)
{
	char p[64], a[64] = "", b[64] = "";
	struct stat r, h;
	struct dirent *e;
	DIR *d;

	snprintf(p, sizeof p, "/proc/%d/root", (int)pid);
	if ((d = opendir(p))) {
		root_entries = 0;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				root_entries++;
		closedir(d);
	}
	root_same = stat(p, &r) < 0 || stat("/", &h) < 0 || r.st_dev == h.st_dev;
	snprintf(p, sizeof p, "/proc/%d/ns/net", (int)pid);
	readlink(p, a, sizeof a - 1);
	readlink("/proc/self/ns/net", b, sizeof b - 1);
	net_same = !*a || !strcmp(a, b);
	snprintf(p, sizeof p, "/proc/%d/mountinfo", (int)pid);
	{
		FILE *f = fopen(p, "r");
		int ch;
		if (f) {
			mounts = 0;
			while ((ch = getc(f)) != EOF)
				mounts += ch == '\n';
			fclose(f);
		}
	}
}

/* Run fn in a child, its stdout into buf; its exit status.  With look,
 * the child waits once its stdout is closed: look sees it from outside,
 * then it is killed. */
static int
inchild(void (*fn)(void), void (*look)(pid_t), char *buf, size_t cap)
{
	int p[2], st;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	if (pipe(p) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int fd;
		dup2(p[1], 1);
		/* Only stdio: what make or a shell left open is not ours. */
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		fn();
		fflush(stdout);
		_exit(0);
	}
	close(p[1]);
	while (len + 1 < cap && (n = read(p[0], buf + len, cap - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
	close(p[0]);
	if (look) {
		look(pid);
		kill(pid, SIGKILL);
	}
	waitpid(pid, &st, 0);
	return look && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? 0 : st;
}

/* Each line of s as a TAP comment. */
static void
diag(const char *s)
{
	while (*s) {
		int n = strcspn(s, "\n");
		printf("# %.*s\n", n, s);
		s += n + (s[n] != 0);
	}
}

/* The value after "key" on a line of s, or "?". */
static const char *
field(const char *s, const char *key)
{
	static char v[256];
	const char *p = strstr(s, key);

	if (!p)
		return "?";
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	snprintf(v, sizeof v, "%.*s", (int)strcspn(p, "\n"), p);
	return v;
}

static void
jailed(void)
{
	char st[4096], *line;
	struct rlimit rl;
	struct if_nameindex *ifs;
	struct capfile cf;
	char big[3 * FSIZE];
	struct stat sb;
	int fd = open("/proc/self/status", O_RDONLY);
	int cons = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	const char *step = "";
	ssize_t n;
	int i, r;

	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (jail_enter(&J, &step) < 0) {
		printf("fail: %s: %s\n", step, strerror(errno));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("jail_enter took %ld us\n", (long)((t1.tv_sec - t0.tv_sec) *
	    1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
	n = pread(fd, st, sizeof st - 1, 0);
	st[n > 0 ? n : 0] = 0;
	for (line = strtok(st, "\n"); line; line = strtok(0, "\n"))
		if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) ||
		    !strncmp(line, "Groups:", 7) || !strncmp(line, "Cap", 3) ||
		    !strncmp(line, "NoNewPrivs:", 11))
			printf("%s\n", line);
	printf("euid: %d\n", (int)geteuid());
	r = open("/etc/passwd", O_RDONLY);
	printf("open /etc/passwd: %d\n", r);
	/* ".." from the root steps into what is mounted on it (the old
	 * root, were it not detached): mode 0 keeps it shut all the same. */
	r = open("/../etc/passwd", O_RDONLY);
	printf("open /../etc/passwd: %d\n", r);
	r = open("/x", O_CREAT | O_WRONLY, 0600);
	printf("create /x: %d\n", r);
	printf("setresuid 0: %d\n", setresuid(0, 0, 0));
	if ((ifs = if_nameindex())) {
		printf("links:");
		for (i = 0; ifs[i].if_index; i++)
			printf(" %s", ifs[i].if_name);
		printf("\n");
		if_freenameindex(ifs);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("nofile: %llu\n", (unsigned long long)rl.rlim_max);
	getrlimit(RLIMIT_CORE, &rl);
	printf("core: %llu\n", (unsigned long long)rl.rlim_max);
	getrlimit(RLIMIT_FSIZE, &rl);
	printf("fsize: %llu\n", (unsigned long long)rl.rlim_max);
	/* lib/capfile keeps a file under a bound as big as RLIMIT_FSIZE. */
	memset(big, 'x', sizeof big);
	capfile_init(&cf, cons, FSIZE);
	i = capfile_write(&cf, big, sizeof big);
	fstat(cons, &sb);
	printf("capfile: %d size %lld\n", i, (long long)sb.st_size);
	/* A write past RLIMIT_FSIZE fails, and does not kill. */
	errno = 0;
	n = pwrite(cons, "x", 1, FSIZE);
	printf("past fsize: %d %s\n", (int)n, strerror(errno));
	/* The parent looks at the root from outside (mode 0: not from in
	 * here) and ends this child. */
	fflush(stdout);
	close(1);
	pause();
}

static void
uid0(void)
{
	struct jail j = J;
	const char *step = "";
	char a[64] = "", b[64] = "";
	int r;

	j.uid = 0;
	readlink("/proc/self/ns/mnt", a, sizeof a - 1);
	errno = 0;
	r = jail_enter(&j, &step);
	printf("r %d errno %d\n", r, errno);
	readlink("/proc/self/ns/mnt", b, sizeof b - 1);
	printf("same ns %d euid %d\n", !strcmp(a, b) && *a, (int)geteuid());
	j = J;
	j.gid = 0;
	errno = 0;
	r = jail_enter(&j, &step);
	printf("gid0 r %d errno %d\n", r, errno);
}

static void *
sleeper(void *arg)
{
	pause();
	return arg;
}

static void
threaded(void)
{
	pthread_t t;
	const char *step = "";

	int r;

	pthread_create(&t, 0, sleeper, 0);
	errno = 0;
	r = jail_enter(&J, &step);
	printf("r %d errno %d step %s euid %d\n", r, errno, step, (int)geteuid());
}

/* jail_pidns's child: pid 1; waits for SIGTERM (the parent passes it
 * on) and exits 43 with it. */
static void
pidns(void)
{
	sigset_t s;
	int ws = 0, sig;
	const char *step = "";
	int r = jail_pidns(-1, &ws, &step);

	if (r == 0) {
		sigemptyset(&s);
		sigaddset(&s, SIGTERM);
		printf("pid %d\n", (int)getpid());
		fflush(stdout);
		sigwait(&s, &sig);
		_exit(sig == SIGTERM ? 43 : 1);
	}
	printf("r %d exited %d status %d\n", r, WIFEXITED(ws), WEXITSTATUS(ws));
}

static int
mounted_cgroup2(char *dir, size_t cap)
{
	char line[512], mp[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	int found = 0;

	while (f && !found && fgets(line, sizeof line, f)) {
		char c[256] = "";
		if (sscanf(line, "%*s %255s %63s", mp, type) != 2 ||
		    strcmp(type, "cgroup2"))
			continue;
		snprintf(dir, cap, "%s/cgroup.subtree_control", mp);
		FILE *s = fopen(dir, "r");
		if (s) {
			if (!fgets(c, sizeof c, s))
				*c = 0;
			fclose(s);
		}
		if (strstr(c, "memory") && strstr(c, "pids")) {
			snprintf(dir, cap, "%s/t-lib-jail.%d", mp, (int)getpid());
			found = 1;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static char cg[512];

static void
cgroup_join(void)
{
	const char *step = "";
	char c[512];
	int fd, r;
	ssize_t n;

	r = jail_cgroup(cg, 64 << 20, 5, &step);
	printf("r %d\n", r);
	fd = open("/proc/self/cgroup", O_RDONLY);
	n = read(fd, c, sizeof c - 1);
	c[n > 0 ? n : 0] = 0;
	printf("cgroup %s", c);
}

int
main(void)
{
	char out[8192], dir[64], c0[600], c1[512];
	const char *step = "";
	int st, fd;
	ssize_t n;

	if (geteuid() != 0) {
		ok(1, "# skip jail tests need root");
		return done_testing();
	}

	st = inchild(jailed, outside, out, sizeof out);
	diag(out);
	ok(st == 0 && !strstr(out, "fail:"), "jail_enter: the child is jailed");
	ok(!strcmp(field(out, "euid:"), "4242"), "euid is the jail's uid");
	ok(!strcmp(field(out, "Uid:"), "4242\t4242\t4242\t4242") &&
	    !strcmp(field(out, "Gid:"), "4343\t4343\t4343\t4343"),
	    "real, effective, saved and fs uid and gid: the jail's");
	ok(!strcmp(field(out, "Groups:"), ""), "no supplementary group");
	ok(!strcmp(field(out, "CapEff:"), "0000000000000000") &&
	    !strcmp(field(out, "CapPrm:"), "0000000000000000") &&
	    !strcmp(field(out, "CapInh:"), "0000000000000000") &&
	    !strcmp(field(out, "CapBnd:"), "0000000000000000") &&
	    !strcmp(field(out, "CapAmb:"), "0000000000000000"),
	    "no capability in any set, the bounding set included");
	ok(!strcmp(field(out, "NoNewPrivs:"), "1"), "no_new_privs");
	ok(root_entries == 0 && !root_same,
	    "its / is an empty file system of its own (from outside: %d entries)",
	    root_entries);
	ok(!net_same, "its network namespace is not this one");
	ok(!strcmp(field(out, "open /etc/passwd:"), "-1"),
	    "a host path cannot be opened");
	ok(!strcmp(field(out, "open /../etc/passwd:"), "-1"),
	    "nor one through ..");
	ok(mounts == 1, "its mount namespace holds its root alone: the old "
	    "root is detached (%d mounts)", mounts);
	ok(!strcmp(field(out, "create /x:"), "-1"), "nothing can be made in /");
	ok(!strcmp(field(out, "setresuid 0:"), "-1"), "root cannot be taken back");
	ok(!strcmp(field(out, "links:"), "lo"), "its network namespace has only lo");
	ok(atoi(field(out, "nofile:")) > 3 && atoi(field(out, "nofile:")) < 20,
	    "RLIMIT_NOFILE: what was open plus a margin (%s)", field(out, "nofile:"));
	ok(!strcmp(field(out, "core:"), "0"), "RLIMIT_CORE 0");
	ok(!strcmp(field(out, "fsize:"), "4096"), "RLIMIT_FSIZE as asked");
	ok(!strncmp(field(out, "capfile:"), "0 size ", 7) &&
	    atoi(field(out, "capfile:") + 7) <= FSIZE &&
	    atoi(field(out, "capfile:") + 7) > FSIZE / 2,
	    "capfile with a bound of RLIMIT_FSIZE: all written, within it (%s)",
	    field(out, "capfile:"));
	ok(!strcmp(field(out, "past fsize:"), "-1 File too large"),
	    "a write past RLIMIT_FSIZE fails with EFBIG, not SIGXFSZ");

	st = inchild(uid0, 0, out, sizeof out);
	ok(!strcmp(field(out, "r"), "-1 errno 22") &&
	    !strcmp(field(out, "same ns"), "1 euid 0") &&
	    !strcmp(field(out, "gid0 r"), "-1 errno 22"),
	    "uid 0 or gid 0: EINVAL, nothing done");
	diag(out);

	st = inchild(threaded, 0, out, sizeof out);
	ok(strstr(out, "r -1 errno 16 step jail a process with more than one "
	    "thread euid 0") != 0, "a second thread: EBUSY, not jailed");
	diag(out);

	/* jail_pidns in a grandchild, so this process's namespace stays. */
	fflush(stdout);
	{
		int p[2], ws;
		pid_t pid;
		char b[256] = "";
		size_t len = 0;

		if (pipe(p) < 0 || (pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			close(p[0]);
			dup2(p[1], 1);
			pidns();
			fflush(stdout);
			_exit(0);
		}
		close(p[1]);
		while (!strchr(b, '\n') && (n = read(p[0], b + len,
		    sizeof b - 1 - len)) > 0)
			len += n;
		ok(!strcmp(b, "pid 1\n"), "jail_pidns: the child is pid 1");
		kill(pid, SIGTERM);
		while ((n = read(p[0], b + len, sizeof b - 1 - len)) > 0)
			len += n;
		b[len] = 0;
		waitpid(pid, &ws, 0);
		close(p[0]);
		ok(strstr(b, "r 1 exited 1 status 43") != 0,
		    "SIGTERM passed on; the child's status returned");
		diag(b);
	}
	/* The parent killed: the child dies too (it holds the pipe). */
	{
		int p[2];
		pid_t pid;
		char b;

		if (pipe(p) < 0 || (pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			int ws;
			close(p[0]);
			if (jail_pidns(-1, &ws, &step) == 0) {
				(void)!write(p[1], "x", 1);
				for (;;)
					pause();
			}
			_exit(0);
		}
		close(p[1]);
		n = read(p[0], &b, 1);
		kill(pid, SIGKILL);
		waitpid(pid, 0, 0);
		ok(n == 1 && read(p[0], &b, 1) == 0,
		    "the parent killed: the child is gone (its pipe closed)");
		close(p[0]);
	}

	errno = 0;
	ok(jail_cgroup("relative", 1, 1, &step) < 0 && errno == EINVAL,
	    "cgroup: a relative directory is refused");
	errno = 0;
	ok(jail_cgroup("/nonexistent/cg", 1, 1, &step) < 0 && errno == ENOENT,
	    "cgroup: a missing directory is refused");
	snprintf(dir, sizeof dir, "/tmp/t-lib-jail.%d", (int)getpid());
	mkdir(dir, 0700);
	fd = open("/proc/self/cgroup", O_RDONLY);
	n = read(fd, c0, sizeof c0 - 1);
	c0[n > 0 ? n : 0] = 0;
	close(fd);
	errno = 0;
	ok(jail_cgroup(dir, 1, 1, &step) < 0 && errno == ENOENT &&
	    !strcmp(step, "set memory.max in"),
	    "cgroup: a directory that is no cgroup: ENOENT at memory.max (%s)", step);
	fd = open("/proc/self/cgroup", O_RDONLY);
	n = read(fd, c1, sizeof c1 - 1);
	c1[n > 0 ? n : 0] = 0;
	close(fd);
	ok(!strcmp(c0, c1), "cgroup: and this process was not moved");
	rmdir(dir);

	if (!mounted_cgroup2(cg, sizeof cg)) {
		ok(1, "# skip no cgroup2 with the memory and pids controllers here");
		ok(1, "# skip no cgroup2 with the memory and pids controllers here");
	} else if (mkdir(cg, 0755) < 0) {
		ok(0, "cgroup: make %s: %s", cg, strerror(errno));
	} else {
		char v[64];
		st = inchild(cgroup_join, 0, out, sizeof out);
		ok(strstr(out, "r 0\n") && strstr(out, strrchr(cg, '/')),
		    "cgroup: joined");
		diag(out);
		snprintf(c0, sizeof c0, "%s/memory.max", cg);
		n = 0;
		if ((fd = open(c0, O_RDONLY)) >= 0) {
			n = read(fd, v, sizeof v - 1);
			close(fd);
		}
		v[n > 0 ? n : 0] = 0;
		ok(!strcmp(v, "67108864\n"), "cgroup: memory.max set");
		rmdir(cg);
	}
	return done_testing();
}
