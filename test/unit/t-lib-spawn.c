/* spawn: one protocol for starting a process: streams, terminal, group,
 * directory, go byte, and each failure reported with its step and errno. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "tap.h"

static int
nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* All a pipe holds until EOF (bounded wait). */
static size_t
slurp(int fd, char *b, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (len + 1 < cap && poll(&p, 1, 5000) > 0 &&
	    (n = read(fd, b + len, cap - 1 - len)) > 0)
		len += n;
	b[len] = 0;
	return len;
}

static int
status(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ?
	    WEXITSTATUS(st) : -1;
}

static int
group_leader(void *arg)
{
	return getpgrp() == getpid() ? 7 : 1;
}

/* Waits (5 s at most) for a byte on the descriptor arg points to, then
 * tells whether SIGTERM was still blocked. */
static int
waits(void *arg)
{
	char c;
	sigset_t m;
	struct pollfd p = { .fd = *(int *)arg, .events = POLLIN };

	if (poll(&p, 1, 5000) != 1 || read(p.fd, &c, 1) != 1 ||
	    sigprocmask(SIG_SETMASK, NULL, &m) < 0)
		return 2;
	return sigismember(&m, SIGTERM) ? 3 : 4;
}

/* How many descriptors the child has, and whether its 0 is open. */
static int
count(void *arg)
{
	return nfds() * 2 + (fcntl(0, F_GETFD) >= 0);
}

static int
failing_setup(void *arg)
{
	errno = EPERM;
	return -1;
}

int
main(void)
{
	char out[256];
	char *echo[] = { "sh", "-c", "echo \"out $X\"; echo err >&2", NULL };
	char *env[] = { "X=set", NULL };
	char *nope[] = { "/nonexistent/husk-nope", NULL };
	char *istty[] = { "sh", "-c", "test -t 0 && test -t 1 && echo tty", NULL };
	char *pwd[] = { "pwd", NULL };
	char *name0[] = { "name0", "-c", "echo $0", NULL };
	struct spawn sp;
	struct spawn_run r;
	int before;

	signal(SIGPIPE, SIG_IGN);
	before = nfds();
	sp = (struct spawn){ .argv = echo, .envp = env, .dirfd = -1,
	    .fd = { SPAWN_NULL, SPAWN_PIPE, SPAWN_PIPE } };
	ok(spawn_start(&sp, &r) == 0 && r.pid > 0 && r.fd[0] == -1 &&
	    r.fd[1] >= 0 && r.fd[2] >= 0 && r.ptm == -1, "pipes for 1 and 2");
	ok(slurp(r.fd[1], out, sizeof out) && !strcmp(out, "out set\n"),
	    "stdout, with the environment given");
	ok(slurp(r.fd[2], out, sizeof out) && !strcmp(out, "err\n"),
	    "stderr apart");
	ok(status(r.pid) == 0, "exit 0");
	close(r.fd[1]), close(r.fd[2]);
	ok(nfds() == before, "no descriptor left behind (%d, %d)", nfds(),
	    before);

	sp = (struct spawn){ .argv = name0, .path = "/bin/sh", .dirfd = -1,
	    .fd = { SPAWN_NULL, SPAWN_PIPE, SPAWN_NULL } };
	ok(spawn_start(&sp, &r) == 0 && slurp(r.fd[1], out, sizeof out) &&
	    !strcmp(out, "name0\n") && status(r.pid) == 0,
	    "path: that file runs, argv[0] as given");
	close(r.fd[1]);

	sp = (struct spawn){ .argv = nope, .dirfd = -1,
	    .fd = { SPAWN_NULL, SPAWN_PIPE, SPAWN_KEEP } };
	errno = 0;
	ok(spawn_start(&sp, &r) < 0 && errno == ENOENT &&
	    r.step == SPAWN_EXEC && r.pid > 0 && r.fd[1] == -1,
	    "exec ENOENT: reported, our ends closed");
	ok(status(r.pid) == 127, "and the child exits 127");
	ok(!strcmp(spawn_what(r.step), "exec"), "the step's words");
	ok(nfds() == before, "no descriptor left behind");

	sp = (struct spawn){ .argv = pwd, .dirfd = -1, .dir = "/nonexistent",
	    .fd = { SPAWN_NULL, SPAWN_NULL, SPAWN_NULL } };
	errno = 0;
	ok(spawn_start(&sp, &r) < 0 && errno == ENOENT &&
	    r.step == SPAWN_DIR && status(r.pid) == 111,
	    "chdir: step DIR, exit 111");
	sp.dir = "/";
	sp.fd[1] = SPAWN_PIPE;
	ok(spawn_start(&sp, &r) == 0 && slurp(r.fd[1], out, sizeof out) &&
	    !strcmp(out, "/\n") && status(r.pid) == 0, "chdir: done");
	close(r.fd[1]);
	sp.dir = NULL;
	sp.dirfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok(spawn_start(&sp, &r) == 0 && slurp(r.fd[1], out, sizeof out) &&
	    !strcmp(out, "/tmp\n") && status(r.pid) == 0, "fchdir: done");
	close(r.fd[1]), close(sp.dirfd);

	sp = (struct spawn){ .argv = istty, .dirfd = -1,
	    .fd = { SPAWN_PTY, SPAWN_PTY, SPAWN_PTY } };
	ok(spawn_start(&sp, &r) == 0 && r.ptm >= 0 && r.fd[1] == -1 &&
	    (fcntl(r.ptm, F_GETFL) & O_NONBLOCK), "a terminal: the master");
	ok(slurp(r.ptm, out, sizeof out) && !strncmp(out, "tty", 3),
	    "the child's 0 and 1 are the terminal");
	ok(status(r.pid) == 0, "exit 0");
	close(r.ptm);
	sp.argv = nope;
	/* Many times: the master closed while the child still lives would
	 * hang its terminal up, and SIGHUP, not 127, would be its end. */
	int bad = 0, st = 0;
	for (int i = 0; i < 100; i++) {
		errno = 0;
		if (!(spawn_start(&sp, &r) < 0 && errno == ENOENT &&
		    r.ptm == -1 && (st = status(r.pid)) == 127))
			bad++;
	}
	ok(bad == 0, "a terminal, exec ENOENT: reported, exit 127 "
	    "(%d bad, last status %d)", bad, st);
	ok(nfds() == before, "and its master closed, not leaked (%d, %d)",
	    nfds(), before);

	sp = (struct spawn){ .fn = group_leader, .dirfd = -1,
	    .flags = SPAWN_PGRP, .fd = { SPAWN_KEEP, SPAWN_KEEP, SPAWN_KEEP } };
	ok(spawn_start(&sp, &r) == 0 && status(r.pid) == 7,
	    "fn in its own process group, its value the exit status");
	sp.flags = SPAWN_SESSION;
	ok(spawn_start(&sp, &r) == 0 && status(r.pid) == 7,
	    "fn in its own session");
	sp.flags = 0;
	ok(spawn_start(&sp, &r) == 0 && status(r.pid) == 1,
	    "neither: our group");
	sp.setup = failing_setup;
	errno = 0;
	ok(spawn_start(&sp, &r) < 0 && errno == EPERM &&
	    r.step == SPAWN_SETUP && status(r.pid) == 111,
	    "setup fails: step SETUP, its errno, exit 111");
	{
		int p[2];
		sigset_t term, old;
		pipe2(p, O_CLOEXEC);
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		sigprocmask(SIG_BLOCK, &term, &old);
		sp = (struct spawn){ .fn = waits, .arg = &p[0], .dirfd = -1,
		    .fd = { SPAWN_KEEP, SPAWN_KEEP, SPAWN_KEEP } };
		ok(spawn_start(&sp, &r) == 0 && waitpid(r.pid, NULL,
		    WNOHANG) == 0, "fn: spawn_start returns while it runs");
		ok(write(p[1], "x", 1) == 1 && status(r.pid) == 4,
		    "fn: our signal mask reset");
		sp.flags = SPAWN_NORESET;
		ok(spawn_start(&sp, &r) == 0 && write(p[1], "x", 1) == 1 &&
		    status(r.pid) == 3, "fn, SPAWN_NORESET: our mask kept");
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(p[0]), close(p[1]);
	}
	{
		int in = dup(0), n = nfds();
		sp = (struct spawn){ .fn = count, .dirfd = -1,
		    .fd = { SPAWN_KEEP, SPAWN_KEEP, SPAWN_KEEP } };
		ok(spawn_start(&sp, &r) == 0 && status(r.pid) == 2 * n + 1,
		    "kept: the same descriptors, no copy left (%d)", n);
		close(0);
		ok(spawn_start(&sp, &r) == 0 && status(r.pid) == 2 * n - 2,
		    "kept: a closed 0 stays closed");
		dup2(in, 0);
		close(in);
	}

	sp = (struct spawn){ .argv = echo, .dirfd = -1, .flags = SPAWN_GO,
	    .fd = { SPAWN_NULL, SPAWN_PIPE, SPAWN_NULL } };
	ok(spawn_start(&sp, &r) == 0 && r.pid > 0, "go: made");
	usleep(100000);
	ok(read(r.fd[1], out, 1) < 0 && errno == EAGAIN &&
	    waitpid(r.pid, NULL, WNOHANG) == 0, "go: waits, nothing ran");
	ok(spawn_go(&r) == 0 && slurp(r.fd[1], out, sizeof out) &&
	    !strncmp(out, "out", 3) && status(r.pid) == 0, "go: then runs");
	close(r.fd[1]);
	ok(spawn_start(&sp, &r) == 0, "go: made again");
	spawn_cancel(&r);
	ok(status(r.pid) == 111 && r.fd[1] == -1, "cancelled: exit 111, "
	    "nothing ran");
	sp.argv = nope;
	errno = 0;
	ok(spawn_start(&sp, &r) == 0 && spawn_go(&r) < 0 && errno == ENOENT &&
	    r.step == SPAWN_EXEC && status(r.pid) == 127,
	    "go: an exec failure after it is reported too");
	sp.argv = echo;
	sp.dir = "/nonexistent";
	errno = 0;
	ok(spawn_start(&sp, &r) == 0 && spawn_go(&r) < 0 && errno == ENOENT &&
	    r.step == SPAWN_DIR && status(r.pid) == 111,
	    "go: a failure before it is reported at go");
	ok(nfds() == before, "no descriptor left behind");
	return done_testing();
}
