/* relay: submit commands to relayd(8) through a relay directory, follow
 * their output, wait for, cancel and inspect them.
 *
 * Writes DIR/cmd/ID (atomically) and DIR/cancel/ID; reads DIR/result/,
 * DIR/run/, DIR/srv/.  A wait for a result sleeps on a relayd's wake
 * socket, DIR/srv/NODE/.wake, where one answers (an inotify instance of
 * our own would cost milliseconds at exit); else on inotify, or on a
 * network filesystem by polling.  `relay run` removes the result files
 * of its own command once it has printed them; `relay submit` leaves
 * them for `relay wait`, `relay logs` and `relay flush`.  The protocol is
 * in lib/relaydir.h and relayd(8).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "clock.h"
#include "err.h"
#include "io.h"
#include "json.h"
#include "loop.h"
#include "num.h"
#include "relaydir.h"
#include "unixsock.h"

#define POLL_MS 100
#define CANCEL_WAIT_MS (RELAY_CANCEL_WAIT * 1000)

static struct relaydir dir;
static volatile sig_atomic_t interrupted;
static int ino = -1;
static int wakefd = -1; /* a relayd's wake socket (relaydir.h), or -1 */
static int woken;       /* it has answered */
static int remote; /* result/ is where inotify cannot see other hosts */

static const char usage_text[] =
    "usage: relay [-d dir] run [-t timeout] [--] command ...\n"
    "       relay [-d dir] submit [--] command ...\n"
    "       relay [-d dir] wait id\n"
    "       relay [-d dir] logs [-f] id\n"
    "       relay [-d dir] cancel [id]\n"
    "       relay [-d dir] status [--json]\n"
    "       relay [-d dir] flush\n"
    "       relay -h\n";

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EX_USAGE);
}

static void
onsig(int s)
{
	interrupted = s;
}

static void
open_dir(const char *path)
{
	const char *what;

	if (relaydir_open(&dir, path, &what) == 0)
		return;
	if (errno == EPROTO)
		err_die(EX_SYS, "unable to use %s: not a husk-relay 2 directory "
		    "(see %s/version)", path, path);
	err_diesys(EX_SYS, "unable to open %s/%s", path,
	    what == path ? "." : what);
}

static void
check_id(const char *id)
{
	if (!id_valid(id))
		err_die(EX_USAGE, "unable to use id %s: not 1 to %d characters "
		    "of [A-Za-z0-9._-] with no leading dot", id, ID_MAX);
}

/* Is any relayd alive?  1 yes, 0 no, -1 only remote ones (cannot tell). */
static int
server_alive(void)
{
	char buf[256], path[300];
	struct dirent *de;
	int fd, r = 0;
	DIR *d;

	if ((fd = openat(dir.srv, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct server sv;
		int a;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/" RELAY_SRVINFO, de->d_name);
		if (io_readsmall(dir.srv, path, buf, sizeof buf) < 0 ||
		    relay_server_parse(buf, &sv) < 0)
			continue;
		a = relay_server_alive(&sv);
		if (a == 1) {
			r = 1;
			break;
		}
		if (a < 0)
			r = -1;
	}
	closedir(d);
	return r;
}

static void
watch_inotify(void)
{
	char path[PATH_MAX];

	if ((ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return;
	snprintf(path, sizeof path, "%s/result", dir.path);
	if (inotify_add_watch(ino, path, IN_MODIFY | IN_MOVED_TO | IN_CREATE |
	    IN_CLOSE_WRITE) < 0) {
		close(ino);
		ino = -1;
	}
}

/* Ask a relayd of this host to wake us when result/ID.* changes: the
 * socket of the first that takes "ID\n", or -1.  A killed one's socket
 * refuses at once; a full one is EAGAIN, never a wait. */
static int
wake_connect(const char *id)
{
	char path[PATH_MAX], line[ID_MAX + 2];
	struct dirent *de;
	int fd = -1, n = snprintf(line, sizeof line, "%s\n", id);
	DIR *d;

	if ((fd = openat(dir.srv, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	fd = -1;
	while (fd < 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    relay_wake_path(&dir, de->d_name, path, sizeof path) < 0 ||
		    (fd = unixsock_connect_nb(path)) < 0)
			continue;
		if (send(fd, line, n, MSG_NOSIGNAL) != n) {
			close(fd);
			fd = -1;
		}
	}
	closedir(d);
	return fd;
}

/* The relayd went away, or did not answer in POLL_MS: inotify instead. */
static void
wake_fail(void)
{
	close(wakefd);
	wakefd = -1;
	watch_inotify();
}

/* Sleep until something changes in result/ (a relayd's wake, inotify) or
 * ms pass. */
static void
nap(int ms)
{
	char buf[4096];
	ssize_t n;
	int r;

	if (wakefd >= 0) {
		/* Its first byte comes at once, or not at all. */
		if (!woken && ms > POLL_MS)
			ms = POLL_MS;
		if ((r = loop_once(wakefd, POLLIN, ms < 1000 ? ms : 1000)) < 0)
			return; /* a signal */
		if (r == 0) {
			if (!woken)
				wake_fail();
			return;
		}
		while ((n = read(wakefd, buf, sizeof buf)) > 0)
			woken = 1;
		if (n == 0 || errno != EAGAIN)
			wake_fail();
		return;
	}
	if (ino < 0) {
		clock_sleep_ms(ms < POLL_MS ? ms : POLL_MS);
		return;
	}
	if (loop_once(ino, POLLIN, ms < 1000 ? ms : 1000) > 0)
		while (read(ino, buf, sizeof buf) > 0)
			;
}

/* How a wait for id's result sleeps: see nap. */
static void
watch_results(const char *id)
{
	if ((remote = relay_remote_fs(dir.result)))
		return; /* events from other clients do not arrive: poll */
	if ((wakefd = wake_connect(id)) < 0)
		watch_inotify();
}

/* Copy what result/ID.SUFFIX has beyond *off to fd (stdout, stderr). */
static void
pump(int *logfd, const char *id, const char *suffix, off_t *off, int to)
{
	char buf[65536], name[ID_MAX + 8];
	ssize_t n;

	if (*logfd < 0) {
		snprintf(name, sizeof name, "%s.%s", id, suffix);
		*logfd = openat(dir.result, name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (*logfd < 0)
			return;
	}
	while (!interrupted && (n = pread(*logfd, buf, sizeof buf, *off)) > 0) {
		if (io_writeall(to, buf, n) < 0) {
			/* The reader went away (relay run ... | head): stop
			 * reading as if interrupted by the SIGPIPE we ignore. */
			if (errno == EPIPE) {
				interrupted = SIGPIPE;
				return;
			}
			err_diesys(EX_SYS, "unable to write output");
		}
		*off += n;
	}
}

static void
read_exit_or_die(const char *id, int *code, int *have)
{
	int r = relay_exit_read(&dir, id, code);

	if (r < 0)
		err_diesys(EX_SYS, "unable to read result/%s.exit", id);
	*have = r;
}

/* A reader of result/ID.log (and ID.err, where relayd -2 keeps standard
 * error apart), kept across calls so nothing prints twice. */
struct tail {
	const char *id;
	int stream; /* copy the log to stdout, ID.err to stderr */
	int logfd, errfd;
	off_t off, erroff;
};

/* Follow: stream the log (if t->stream) until result/ID.exit appears or
 * deadline (clock_ms; 0 for none) passes.  Returns 1 with *code once the
 * command finished, 0 on deadline or interruption. */
static int
follow(struct tail *t, long long deadline, int *code)
{
	int have;

	for (;;) {
		/* Past the client's cache, or a poll can miss for 30 s what
		 * another host wrote: the exit file, the log's new end. */
		if (remote)
			relay_refresh(dir.result);
		/* Read the exit first: once it exists, the log is complete. */
		read_exit_or_die(t->id, code, &have);
		if (remote && t->logfd >= 0)
			relay_refresh(t->logfd);
		if (remote && t->errfd >= 0)
			relay_refresh(t->errfd);
		if (t->stream) {
			pump(&t->logfd, t->id, "log", &t->off, 1);
			pump(&t->errfd, t->id, "err", &t->erroff, 2);
		}
		if (have)
			return 1;
		if (interrupted)
			return 0;
		if (deadline) {
			long long left = deadline - clock_ms();
			if (left <= 0)
				return 0;
			nap(left);
		} else {
			nap(1000);
		}
	}
}

/* Cancel id, or die: relay_cancel's answer. */
static int
request_cancel(const char *id)
{
	int q = relay_cancel(&dir, id);

	if (q < 0)
		err_diesys(EX_SYS, "unable to cancel %s", id);
	return q;
}

static void
join_args(int argc, char **argv, char *buf)
{
	size_t len = 0;

	if (argc == 0)
		usage();
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (len + n + 1 > RELAY_CMD_MAX)
			err_die(EX_USAGE, "unable to submit command: longer than "
			    "%d bytes", RELAY_CMD_MAX);
		if (i)
			buf[len++] = ' ';
		memcpy(buf + len, argv[i], n);
		len += n;
	}
	buf[len] = 0;
}

static void
submit(int argc, char **argv, char *id, size_t idcap)
{
	static char text[RELAY_CMD_MAX + 1];

	join_args(argc, argv, text);
	relay_newid(id, idcap);
	if (relay_submit(&dir, id, text, strlen(text)) < 0)
		err_diesys(EX_SYS, "unable to write %s/cmd/%s", dir.path, id);
	if (server_alive() == 0)
		err_warn("no relayd serves %s; %s waits in the queue",
		    dir.path, id);
}

static int
cmd_run(int argc, char **argv)
{
	char id[ID_MAX + 1];
	long long deadline = 0, timeout = 0;
	int c, code = 0, r;
	struct sigaction sa = { 0 };
	struct tail t = { id, 1, -1, -1, 0, 0 };

	while ((c = getopt(argc, argv, "+t:")) != -1) {
		switch (c) {
		case 't':
			timeout = xnum_opt(c, optarg, 1, 31536000,
			    "number of seconds");
			break;
		default: usage();
		}
	}
	submit(argc - optind, argv + optind, id, sizeof id);
	/* Ctrl-C or SIGTERM cancels our command, as with ssh. */
	sa.sa_handler = onsig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	watch_results(id);
	if (timeout)
		deadline = clock_ms() + timeout * 1000;
	r = follow(&t, deadline, &code);
	if (!r) {
		/* Out of time or interrupted: cancel only our own command. */
		int sig = interrupted, q = request_cancel(id);
		long long until = clock_ms() + CANCEL_WAIT_MS;
		interrupted = 0;
		if (q == 1) {
			/* A second Ctrl-C does not abandon the wait. */
			while (!(r = follow(&t, until, &code)) &&
			    clock_ms() < until)
				interrupted = 0;
			unlinkat(dir.cancel, id, 0);
			if (!r)
				err_die(EX_SYS, "unable to cancel %s: no "
				    "acknowledgement within %d s", id,
				    CANCEL_WAIT_MS / 1000);
		} else if (q == 2) {
			r = follow(&t, 0, &code); /* it just finished */
		}
		/* A result that came in time to beat the cancel stands. */
		if (!r || code == EX_CANCEL) {
			relay_result_remove(&dir, id);
			if (sig == SIGPIPE) {
				/* Die quietly of it, as the rest of a
				 * pipeline does. */
				signal(SIGPIPE, SIG_DFL);
				raise(SIGPIPE);
			}
			if (sig)
				err_die(EX_CANCEL, "command %s cancelled by "
				    "signal %d", id, sig);
			err_die(EX_TIMEOUT, "command %s timed out after %llds",
			    id, timeout);
		}
	}
	relay_result_remove(&dir, id);
	return code;
}

static int
cmd_submit(int argc, char **argv)
{
	char id[ID_MAX + 1];
	int start = 1;

	if (argc > 1 && strcmp(argv[1], "--") == 0)
		start = 2;
	submit(argc - start, argv + start, id, sizeof id);
	printf("%s\n", id);
	return 0;
}

static int
cmd_wait(int argc, char **argv)
{
	struct tail t = { argv[1], 0, -1, -1, 0, 0 };
	int code;

	if (argc != 2)
		usage();
	check_id(argv[1]);
	watch_results(argv[1]);
	follow(&t, 0, &code);
	return code;
}

static int
cmd_logs(int argc, char **argv)
{
	int c, fflag = 0, code = 0, logfd = -1, errfd = -1, have;
	off_t off = 0, erroff = 0;
	char name[ID_MAX + 8];

	while ((c = getopt(argc, argv, "f")) != -1) {
		switch (c) {
		case 'f': fflag = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	check_id(argv[optind]);
	if (fflag) {
		struct tail t = { argv[optind], 1, -1, -1, 0, 0 };
		watch_results(argv[optind]);
		follow(&t, 0, &code);
		return code;
	}
	read_exit_or_die(argv[optind], &code, &have);
	pump(&logfd, argv[optind], "log", &off, 1);
	if (logfd < 0) {
		snprintf(name, sizeof name, "%s.log", argv[optind]);
		err_diesys(EX_SYS, "unable to open result/%s", name);
	}
	close(logfd);
	pump(&errfd, argv[optind], "err", &erroff, 2);
	if (errfd >= 0)
		close(errfd);
	return 0;
}

/* What run/ID says to a reader: MARK_GONE for a command that finished
 * while we looked or whose marker holds its status (not running),
 * MARK_RUNNING with *m, MARK_CORRUPT, or -1 and errno. */
enum { MARK_GONE, MARK_RUNNING, MARK_CORRUPT };
static int
marker_state(const char *id, struct marker *m)
{
	int code, r = relay_marker_read(&dir, id, m, &code);

	if ((r < 0 && errno == ENOENT) || r == RELAY_MARK_EXIT ||
	    r == RELAY_MARK_ENDING)
		return MARK_GONE;
	if (r < 0)
		return -1;
	return r == RELAY_MARK_RUN ? MARK_RUNNING : MARK_CORRUPT;
}

/* The only running command, for `relay cancel` without an id. */
static void
only_running(char *id)
{
	char **ids;
	struct marker m;
	int n, running = 0, corrupt = 0;

	if ((n = relay_names(dir.run, NULL, &ids)) < 0)
		err_diesys(EX_SYS, "unable to read %s/run", dir.path);
	for (int i = 0; i < n; i++) {
		switch (marker_state(ids[i], &m)) {
		case MARK_GONE:
			continue;
		case -1:
			err_diesys(EX_SYS, "unable to read run/%s", ids[i]);
		case MARK_CORRUPT:
			corrupt = 1;
		}
		if (running++ == 0)
			strcpy(id, ids[i]);
	}
	relay_names_free(ids, n);
	if (running == 0)
		err_die(EX_FALSE, "unable to cancel: no command is running in "
		    "%s", dir.path);
	if (running > 1)
		err_die(EX_USAGE, "unable to cancel: %d commands are running; "
		    "name one (relay status)", running);
	if (corrupt)
		err_die(EX_SYS, "unable to read run/%s: marker is corrupt or "
		    "empty", id);
}

static int
cmd_cancel(int argc, char **argv)
{
	char id[ID_MAX + 1];
	int code, r, q;
	struct tail t = { id, 0, -1, -1, 0, 0 };

	if (argc > 2)
		usage();
	if (argc == 2) {
		check_id(argv[1]);
		strcpy(id, argv[1]);
	} else {
		only_running(id);
	}
	watch_results(id);
	q = request_cancel(id);
	if (q == 0) {
		printf("%s cancelled before it started\n", id);
		return 0;
	}
	if (q == 2) {
		relay_exit_read(&dir, id, &code);
		err_die(EX_FALSE, "unable to cancel %s: it already finished "
		    "with status %d", id, code);
	}
	r = follow(&t, clock_ms() + CANCEL_WAIT_MS, &code);
	unlinkat(dir.cancel, id, 0);
	/* As in cmd_run: the cancel failed, nothing timed out that the
	 * user asked to time out. */
	if (!r)
		err_die(EX_SYS, "unable to cancel %s: no acknowledgement "
		    "within %d s (is relayd running?)", id,
		    CANCEL_WAIT_MS / 1000);
	if (code != EX_CANCEL)
		err_die(EX_FALSE, "unable to cancel %s: it finished first with "
		    "status %d", id, code);
	printf("%s cancelled\n", id);
	return 0;
}

/* status: every read tolerates files vanishing under it. */
static int
cmd_status(int argc, char **argv)
{
	int json = 0, nrun, nq, nres, alive, first;
	char **run, **q, **res;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1)
		usage();
	alive = server_alive();
	if ((nrun = relay_names(dir.run, NULL, &run)) < 0 ||
	    (nq = relay_names(dir.cmd, NULL, &q)) < 0 ||
	    (nres = relay_names(dir.result, ".exit", &res)) < 0)
		err_diesys(EX_SYS, "unable to read %s", dir.path);
	if (json) {
		printf("{\"dir\":");
		json_str(stdout, dir.path);
		printf(",\"server\":%s,\"running\":[",
		    alive == 1 ? "true" : alive == 0 ? "false" : "null");
	} else {
		printf("dir: %s\nserver: %s\n", dir.path, alive == 1 ? "alive" :
		    alive == 0 ? "none" : "on another host (not checked)");
	}
	first = 1;
	for (int i = 0; i < nrun; i++) {
		struct marker m;
		int r = marker_state(run[i], &m), ok = r == MARK_RUNNING;
		if (r == MARK_GONE)
			continue;
		if (json) {
			printf("%s{\"id\":\"%s\"", first ? "" : ",", run[i]);
			if (ok)
				printf(",\"pid\":%ld}", m.pid);
			else
				printf(",\"pid\":null,\"corrupt\":true}");
		} else if (ok) {
			printf("running: %s pid %ld\n", run[i], m.pid);
		} else {
			printf("running: %s (marker is corrupt or empty)\n",
			    run[i]);
		}
		first = 0;
	}
	if (!json && first)
		printf("running: none\n");
	if (json)
		printf("],\"queued\":%d,\"recent\":[", nq);
	else
		printf("queued: %d\n", nq);
	first = 1;
	for (int i = nres > 10 ? nres - 10 : 0; i < nres; i++) {
		int code, r = relay_exit_read(&dir, res[i], &code);
		if (r == 0)
			continue;
		if (json) {
			printf("%s{\"id\":\"%s\",\"exit\":", first ? "" : ",",
			    res[i]);
			r == 1 ? printf("%d}", code) : printf("null}");
		} else {
			r == 1 ? printf("done: %s exit %d\n", res[i], code) :
			    printf("done: %s exit unreadable\n", res[i]);
		}
		first = 0;
	}
	if (json)
		printf("]}\n");
	relay_names_free(run, nrun);
	relay_names_free(q, nq);
	relay_names_free(res, nres);
	return alive == 0 ? EX_FALSE : 0;
}

/* flush: the results of finished commands, and the cancel requests
 * nobody will act on (relay_cancel_stale).  Queued commands stay.  The
 * cancels go first: once its result is gone, a finished command's cancel
 * request looks like one for no command, kept until it is old. */
static int
cmd_flush(int argc, char **argv)
{
	char **run, **can;
	int nrun, ncan, n, nc = 0;
	time_t now = 0;

	if (argc != 1)
		usage();
	if ((nrun = relay_names(dir.run, NULL, &run)) < 0)
		err_diesys(EX_SYS, "unable to read %s/run", dir.path);
	if (nrun > 0 && server_alive() != 0)
		err_die(EX_FALSE, "unable to flush %s: %s is running", dir.path,
		    run[0]);
	relay_names_free(run, nrun);
	if ((ncan = relay_names(dir.cancel, NULL, &can)) < 0)
		err_diesys(EX_SYS, "unable to read %s/cancel", dir.path);
	for (int i = 0; i < ncan; i++) {
		int s = relay_cancel_stale(&dir, can[i], dir.cancel, &now);
		if (s < 0)
			err_diesys(EX_SYS, "unable to flush cancel/%s", can[i]);
		if (s && unlinkat(dir.cancel, can[i], 0) == 0)
			nc++;
	}
	relay_names_free(can, ncan);
	/* A corrupt exit file still marks a finished command. */
	if ((n = relay_results_expire(&dir, 0, NULL)) < 0)
		err_diesys(EX_SYS, "unable to flush %s/result", dir.path);
	printf("flushed %d results and %d cancel requests\n", n, nc);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} verbs[] = {
	{ "run", cmd_run },
	{ "submit", cmd_submit },
	{ "wait", cmd_wait },
	{ "logs", cmd_logs },
	{ "cancel", cmd_cancel },
	{ "status", cmd_status },
	{ "flush", cmd_flush },
};

int
main(int argc, char **argv)
{
	const char *path = getenv("RELAY_DIR");
	int c;

	err_setprog(argv[0]);
	if (!path || !*path)
		path = ".relay";
	while ((c = getopt(argc, argv, "+d:h")) != -1) {
		switch (c) {
		case 'd': path = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		if (strcmp(argv[optind], verbs[i].name))
			continue;
		open_dir(path);
		argc -= optind;
		argv += optind;
		optind = 1;
		return verbs[i].fn(argc, argv);
	}
	usage();
}
