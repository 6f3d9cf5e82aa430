/* vmm_seccomp_apply: what vmrun(8) lists as exit 159.  Under the filter an
 * allowed system call works, and one off the list kills the whole process
 * with SIGSYS, which a shell reports as 128+31 = 159; a thread that was
 * already running when the filter went in has it too (TSYNC); no path is
 * opened, and renameat/unlinkat work only in the one directory given;
 * with a vsock device, Unix sockets only and accept on its socket only.  No
 * KVM needed: the filter is checked in forked children. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "io.h"
#include "seccomp.h"
#include "tap.h"
#include "unixsock.h"

static int dfd = -1;            /* the directory the filter allows */
static int vfd = -1;            /* a vsock device's listening socket */
static char vpath[300];         /* where it listens */
static char dir[] = "/tmp/t-vmm-seccomp.XXXXXX";
static int go[2];               /* the early thread waits on it */

/* Fork; the child applies the filter for dfd (early threads are started
 * before it), then runs fn, whose result is its exit status through
 * exit_group, which is allowed.  Returns the child's wait status, -1 if
 * it could not be run. */
static int
filtered(int (*fn)(void), void *(*early)(void *))
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct rlimit nocore = { 0, 0 };
		pthread_t t;
		setrlimit(RLIMIT_CORE, &nocore); /* SIGSYS dumps core */
		if (early && pthread_create(&t, 0, early, 0))
			syscall(SYS_exit_group, 3);
		if (vmm_seccomp_apply(dfd, vfd, 0) < 0)
			syscall(SYS_exit_group, 2);
		syscall(SYS_exit_group, fn ? fn() : 0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static int killed(int st) { return st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS; }
static int passed(int st) { return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0; }

static int c_getpid(void) { return syscall(SYS_getpid) > 0 ? 0 : 1; }
static int c_getppid(void) { syscall(SYS_getppid); return 0; }
static int c_socket(void) { syscall(SYS_socket, 1, 1, 0); return 0; }
static int c_open(void) { syscall(SYS_open, "/etc/hostname", O_RDONLY); return 0; }
static int c_openat_cwd(void) { syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY); return 0; }
static int c_openat_dir(void) { syscall(SYS_openat, dfd, "a", O_RDONLY); return 0; }
static int c_rename_dir(void) { return renameat(dfd, "a", dfd, "b") < 0; }
static int c_rename_back(void) { return renameat(dfd, "b", dfd, "a") < 0; }
static int c_rename_cwd(void) { syscall(SYS_renameat, AT_FDCWD, "x", AT_FDCWD, "y"); return 0; }
static int c_rename_out(void) { syscall(SYS_renameat, dfd, "a", AT_FDCWD, "y"); return 0; }
static int c_rename_plain(void) { syscall(SYS_rename, "x", "y"); return 0; }
static int c_unlink_dir(void) { return unlinkat(dfd, "c", 0) < 0; }
static int c_unlink_cwd(void) { syscall(SYS_unlinkat, AT_FDCWD, "x", 0); return 0; }
static int c_unlink_plain(void) { syscall(SYS_unlink, "x"); return 0; }
static int c_umask(void) { syscall(SYS_umask, 022); return 0; }

/* vsock (virtio_vsock.h): what its I/O thread does after start. */
static int c_sock_unix(void) { return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0) < 0; }
static int c_sock_inet(void) { syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); return 0; }
static int c_sock_nl(void) { syscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0); return 0; }
static int c_accept_vsock(void) { return accept4(vfd, 0, 0, SOCK_NONBLOCK) < 0 && errno != EAGAIN; }
static int c_accept_other(void) { syscall(SYS_accept4, 0, 0, 0, 0); return 0; }
static int c_accept_plain(void) { syscall(SYS_accept, vfd, 0, 0); return 0; }
static int c_bind(void) { syscall(SYS_bind, vfd, 0, 0); return 0; }
static int c_listen(void) { syscall(SYS_listen, vfd, 1); return 0; }
/* unlinkat of an absolute path (its fd unused) through an fd whose number
 * is that of a call the vsock part allows: still refused. */
static char victim[300];
static int c_unlink_as_connect(void) { syscall(SYS_unlinkat, SYS_connect, victim, 0); return 0; }
static int c_unlink_as_sendmsg(void) { syscall(SYS_unlinkat, SYS_sendmsg, victim, 0); return 0; }
static int
c_connect_send_shut(void)
{
	struct msghdr m = { 0 };
	struct iovec iov = { "x", 1 };
	int fd = unixsock_connect_nb(vpath);

	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	return fd < 0 || sendmsg(fd, &m, MSG_NOSIGNAL) != 1 || shutdown(fd, SHUT_WR) < 0;
}

static const struct {
	int (*fn)(void);
	int kills;
	const char *what;
} vsock[] = {
	{ c_sock_unix, 0, "socket(AF_UNIX)" },
	{ c_sock_inet, 1, "socket(AF_INET)" },
	{ c_sock_nl, 1, "socket(AF_NETLINK)" },
	{ c_accept_vsock, 0, "accept4 on the vsock socket" },
	{ c_accept_other, 1, "accept4 on another fd" },
	{ c_accept_plain, 1, "accept (not accept4)" },
	{ c_bind, 1, "bind" },
	{ c_listen, 1, "listen" },
	{ c_connect_send_shut, 0, "connect to a Unix socket, sendmsg, shutdown" },
	{ c_unlink_as_connect, 1, "unlinkat(SYS_connect as the fd, absolute path)" },
	{ c_unlink_as_sendmsg, 1, "unlinkat(SYS_sendmsg as the fd, absolute path)" },
};

/* The exit file's way in vmrun: opened before the filter, committed under
 * it; here the whole of it runs under the filter but the open. */
static struct atomic_file xf;
static int c_commit(void) { return atomic_commit(&xf, "exit 0 poweroff\n", 16) < 0; }

/* A thread started before the filter, as vmrun's virtio-net I/O thread:
 * it waits, then makes a call off the list. */
static void *
early(void *arg)
{
	char c;

	(void)arg;
	if (read(go[0], &c, 1) == 1)
		syscall(SYS_getppid);
	return 0;
}

static int
c_wake_early(void)
{
	/* a thread that survives its getppid ends; the child then exits 0 */
	if (write(go[1], "g", 1) != 1)
		return 1;
	for (int i = 0; i < 200; i++)
		syscall(SYS_nanosleep, &(struct timespec){ 0, 10000000 }, 0);
	return 0;
}

/* Paths after start: what kills, what runs (in this order). */
static const struct {
	int (*fn)(void);
	int kills;
	const char *what;
} paths[] = {
	{ c_open, 1, "open of a path" },
	{ c_openat_cwd, 1, "openat(AT_FDCWD, path)" },
	{ c_openat_dir, 1, "openat even in the allowed directory (no open after start)" },
	{ c_rename_plain, 1, "rename of a path" },
	{ c_rename_cwd, 1, "renameat(AT_FDCWD, ..., AT_FDCWD, ...)" },
	{ c_rename_out, 1, "renameat from the directory to AT_FDCWD" },
	{ c_rename_dir, 0, "renameat within the allowed directory" },
	{ c_rename_back, 0, "renameat back" },
	{ c_unlink_plain, 1, "unlink of a path" },
	{ c_unlink_cwd, 1, "unlinkat(AT_FDCWD, path)" },
	{ c_unlink_dir, 0, "unlinkat in the allowed directory" },
	{ c_umask, 1, "umask" },
};

int
main(void)
{
	char path[256], buf[64];
	unsigned i;
	int st, fd;

	if (!mkdtemp(dir) || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0 ||
	    pipe(go) < 0) {
		printf("Bail out! unable to make %s\n", dir);
		return 1;
	}
	snprintf(path, sizeof path, "%s/a", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	snprintf(path, sizeof path, "%s/c", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);

	st = filtered(0, 0);
	ok(passed(st), "the filter installs; exit_group is allowed (status %#x)", st);
	st = filtered(c_getpid, 0);
	ok(passed(st), "an allowed call (getpid) runs (status %#x)", st);
	st = filtered(c_getppid, 0);
	ok(killed(st), "a call off the list (getppid) kills with SIGSYS (status %#x)", st);
	ok(128 + SIGSYS == 159, "SIGSYS is %d: a shell sees %d, vmrun(8)'s 159",
	    SIGSYS, 128 + SIGSYS);
	st = filtered(c_socket, 0);
	ok(killed(st), "socket kills with SIGSYS too (status %#x)", st);

	st = filtered(c_sock_unix, 0);
	ok(killed(st), "without a vsock device even socket(AF_UNIX) kills (status %#x)", st);
	st = filtered(c_accept_vsock, 0);
	ok(killed(st), "and accept4 (status %#x)", st);
	snprintf(vpath, sizeof vpath, "%s/v.sock", dir);
	snprintf(victim, sizeof victim, "%s/victim", dir);
	if ((fd = open(victim, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	if ((vfd = unixsock_listen(vpath, 8)) < 0)
		printf("# unixsock_listen %s: %s\n", vpath, strerror(errno));
	for (i = 0; i < sizeof vsock / sizeof vsock[0]; i++) {
		st = filtered(vsock[i].fn, 0);
		ok(vsock[i].kills ? killed(st) : passed(st), "with vsock: %s %s (status %#x)",
		    vsock[i].what, vsock[i].kills ? "kills" : "runs", st);
	}
	ok(access(victim, F_OK) == 0, "with vsock: no unlinkat outside the "
	    "directory was made");
	close(vfd);
	vfd = -1;
	unlink(vpath);
	unlink(victim);

	st = filtered(c_wake_early, early);
	ok(killed(st), "a thread running before the filter went in has it too: "
	    "its getppid kills (TSYNC) (status %#x)", st);

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		st = filtered(paths[i].fn, 0);
		ok(paths[i].kills ? killed(st) : passed(st), "%s %s (status %#x)",
		    paths[i].what, paths[i].kills ? "kills" : "runs", st);
	}
	ok(faccessat(dfd, "a", F_OK, 0) == 0 && faccessat(dfd, "b", F_OK, 0) < 0,
	    "the renames within the directory were made");
	ok(faccessat(dfd, "c", F_OK, 0) < 0 && errno == ENOENT,
	    "the unlink within the directory was made");

	snprintf(path, sizeof path, "%s/exit", dir);
	if (atomic_open(&xf, path, 0644) < 0)
		printf("# atomic_open %s: %s\n", path, strerror(errno));
	close(dfd);
	dfd = xf.dirfd;
	st = filtered(c_commit, 0);
	memset(buf, 0, sizeof buf);
	ok(passed(st) && io_readsmall(AT_FDCWD, path, buf, sizeof buf) == 16 &&
	    !strcmp(buf, "exit 0 poweroff\n"),
	    "the exit file opened before the filter is put in place under it "
	    "(status %#x, \"%.*s\")", st, (int)strcspn(buf, "\n"), buf);
	ok(faccessat(dfd, xf.tmp, F_OK, 0) < 0, "its temp file is gone");

	unlinkat(dfd, "exit", 0);
	unlinkat(dfd, "a", 0);
	rmdir(dir);
	return done_testing();
}
