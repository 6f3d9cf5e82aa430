/* relayd: run the commands queued in a relay directory.
 *
 * Reads DIR/cmd/ID (queued commands) and DIR/cancel/ID (cancel requests);
 * writes DIR/srv/NODE/ (its registration and its claims), DIR/run/ID
 * (running markers), DIR/result/ID.log (and, with -2, ID.err) and
 * DIR/result/ID.exit, and
 * DIR/server.ready; listens on DIR/srv/NODE/.wake, where clients on this
 * host wait for a result without an inotify instance of their own (its
 * teardown at exit costs them milliseconds: ours is paid once).  The
 * protocol is in lib/relaydir.h and relayd(8).
 *
 * Invariants:
 * - A command is claimed by rename(cmd/ID, srv/NODE/ID); only one rename
 *   succeeds, so no command runs twice, whatever number of relayd share
 *   the directory.
 * - The child waits for a go byte on a pipe, sent only after run/ID is
 *   written: if relayd dies before that, the child exits without running
 *   and recovery puts the command back in the queue.
 * - A claim of our own user becomes run/ID (mark): one inode from cmd/ID
 *   to result/ID.exit, none created or freed for the marker.  Its text
 *   is written over only once run/ID is durable, so recovery never finds
 *   a claim whose text is cut.
 * - The exit code is written into run/ID and flushed, then run/ID is
 *   renamed to result/ID.exit: the code is durable before anyone sees it,
 *   and its name is (run/ was flushed before the command started), so
 *   result/ needs no flush.  Without a marker, result/ID.exit is written
 *   (atomically, flushed) before the claim is removed.
 * - Without -v the log holds ids, never command text.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "clock.h"
#include "err.h"
#include "io.h"
#include "loop.h"
#include "num.h"
#include "path.h"
#include "pgkill.h"
#include "proc.h"
#include "ready.h"
#include "relaydir.h"
#include "spawn.h"
#include "unixsock.h"

#include "relayd/relayd.h"

#define JOBS_MAX 256

struct job {
	char id[ID_MAX + 1];
	pid_t pid;           /* leader and process group; 0: slot free */
	int reaped, wstatus;
	int cancel;          /* 0, or why: 1 cancel request, 2 server stop */
	long long kill_at;   /* SIGKILL deadline once cancelling */
	int killed;
	int logfd;
	int errfd;           /* -2: result/ID.err; else logfd's copy, or -1 */
	long long retry_at;  /* the exit file could not be written: retry */
};

struct relaydir dir;
static struct server self;
char node[NODE_MAX];         /* srv/NODE, ours */
int nodefd = -1;
static struct job jobs[JOBS_MAX];
static int njobs, maxjobs = 1, grace_ms = 5000, verbose;
static int split;               /* -2: standard error in result/ID.err */
static long long keep_s;        /* -K: results kept this long; 0 forever */
static long long sweep_at;      /* the next look for results past keep_s */
int poll_ms = 100;
static int workfd = -1;
static struct loop ev;
int ino = -1;                   /* inotify on cmd/ and cancel/, or -1 */
static int cmd_wd = -1;         /* its watch on cmd/ */

/* cmd/'s ids in submission order, as far as we know: read whole when that
 * cannot be trusted (at start, without inotify, after the event queue
 * overflowed, at each slow rescan), else kept up with the names inotify
 * gives, so a claim does not read a long queue again each time.  claim()
 * takes from ids[head]; an id another server took first fails its rename
 * and is dropped. */
static struct {
	char **ids;
	int n, head, cap;
	int stale;
	long long rescan_at;
} q = { .stale = 1 };
static int stopping;
static long group = -1;         /* -g: the group that may submit */

static void
usage(void)
{
	fprintf(stderr, "usage: relayd [-2v] [-d dir] [-w workdir] [-j jobs] "
	    "[-T grace] [-p ms] [-K keep] [-g group] [-R readyfifo] "
	    "[-N fd]\n");
	exit(EX_USAGE);
}

/* relayd's own notes on a command go where its standard error goes. */
static void
logline(struct job *j, const char *s)
{
	if (j->errfd >= 0 && io_writeall(j->errfd, s, strlen(s)) < 0)
		err_warnsys("unable to append to result/%s.%s", j->id,
		    split ? "err" : "log");
}

/* The code into run/ID (ours: a regular file, written by us), flushed,
 * then run/ID renamed to result/NAME.  -1 with errno if any step fails,
 * run/ID left as it is.  The claim, in claimfd, may be the marker's
 * second link (mark). */
static int
record_marker(const char *id, const char *buf, int n, const char *name,
    int claimfd)
{
	struct stat st, cl;
	int fd = openat(dir.run, id, O_WRONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* Our links only: not one planted to another file of ours. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_nlink != 1 &&
	    (st.st_nlink != 2 || fstatat(claimfd, id, &cl,
	    AT_SYMLINK_NOFOLLOW) < 0 || cl.st_ino != st.st_ino ||
	    cl.st_dev != st.st_dev))) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	if (pwrite(fd, buf, n, 0) != n || ftruncate(fd, n) < 0 ||
	    fsync(fd) < 0) {
		io_close_fail(fd);
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	return renameat(dir.run, id, dir.result, name);
}

/* Write run/ID, the running marker, and flush run/.  A claim of our own
 * user (a regular file with one link, its text read already) becomes the
 * marker: linked into run/, run/ flushed, then written over, so one inode
 * serves the command from cmd/ID to result/ID.exit and relayd creates
 * and frees none for it (on ext4 without a journal each create scans past
 * the inodes freed in the last minutes); the claim's name goes once the
 * status is recorded, as ever.  Its text is overwritten only once run/ID
 * is durable: from then on, whatever it holds, the command counts as run
 * (RECOVERY).  Another user's claim stays as it is, and the marker is a
 * new file, as it is where no link can be made (run/ID there already, a
 * filesystem without hard links).  0, or -1 with errno. */
static int
mark(const char *id, const char *buf, int n)
{
	struct stat st;
	int fd = openat(nodefd, id, O_WRONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_nlink != 1 ||
	    linkat(nodefd, id, dir.run, id, 0) < 0) {
		if (fd >= 0)
			close(fd);
		return atomic_mark(dir.run, id, buf, n, dir.fmode);
	}
	if (fsync(dir.run) < 0 || pwrite(fd, buf, n, 0) != n ||
	    ftruncate(fd, n) < 0 || ((st.st_mode & 07777) != dir.fmode &&
	    fchmod(fd, dir.fmode) < 0)) {
		io_close_fail(fd);
		return -1;
	}
	return close(fd);
}

/* What a claim in fd, of a command with no marker in run/, holds that
 * relayd wrote: CLAIM_EXIT and *code, the status (the command finished,
 * and its result/ID.exit, made and taken by a client, is gone), or
 * CLAIM_MARK, its marker (never written before run/ID was durable: a
 * marker removed since); else CLAIM_TEXT, the command. */
enum { CLAIM_TEXT, CLAIM_MARK, CLAIM_EXIT };
static int
claim_state(int fd, const char *id, int *code)
{
	struct marker m;
	struct stat st;

	if (fstatat(fd, id, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_uid != geteuid())
		return CLAIM_TEXT;
	switch (relay_marker_readat(fd, id, &m, code)) {
	case RELAY_MARK_EXIT:
		return CLAIM_EXIT;
	case RELAY_MARK_RUN:
	case RELAY_MARK_ENDING:
		return CLAIM_MARK;
	}
	return CLAIM_TEXT;
}

/* Record id's exit code as result/ID.exit, then drop the claim (in
 * claimfd: srv/NODE/, or a dead server's) and any cancel request: the
 * ordering invariant.  The marker becomes the exit file (record_marker);
 * without one that can, the exit file is written anew and run/ID, if
 * any, removed after it.  Returns -1 (and keeps every marker) if the exit
 * code cannot be recorded, so a later attempt still can. */
static int
record(const char *id, int code, int claimfd, int quiet)
{
	char buf[16], name[ID_MAX + 8];
	int n = snprintf(buf, sizeof buf, "%d\n", code);

	snprintf(name, sizeof name, "%s.exit", id);
	/* Its waiters are woken as soon as the exit file is in place, as
	 * inotify wakes a client at the rename: neither our next turn, nor
	 * the markers' removal delay them. */
	if (record_marker(id, buf, n, name, claimfd) == 0) {
		wake_name(name);
	} else if (atomic_write_then(dir.result, name, buf, n, dir.fmode,
	    wake_name, name) == 0) {
		unlinkat(dir.run, id, 0);
	} else {
		if (!quiet)
			err_warnsys("unable to write result/%s", name);
		return -1;
	}
	unlinkat(dir.cancel, id, 0);
	unlinkat(claimfd, id, 0);
	return 0;
}

static void
job_free(struct job *j)
{
	if (j->logfd >= 0)
		close(j->logfd);
	if (split && j->errfd >= 0)
		close(j->errfd);
	memset(j, 0, sizeof *j);
	j->logfd = j->errfd = -1;
	njobs--;
}

/* Open result/ID.SUFFIX (log, err) fresh: whatever sits there (a planted
 * symlink, a stale file) is removed first, and O_EXCL|O_NOFOLLOW means we
 * only ever write to a file we created. */
static int
log_open(const char *id, const char *suffix)
{
	char name[ID_MAX + 8];

	snprintf(name, sizeof name, "%s.%s", id, suffix);
	unlinkat(dir.result, name, 0);
	return openat(dir.result, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_APPEND | O_NOFOLLOW | O_CLOEXEC, dir.fmode);
}

static void
job_finish(struct job *j)
{
	int code = j->cancel == 1 ? EX_CANCEL : status_code(j->wstatus);
	char buf[128];

	/* The note once, not again at each retry of the record. */
	if (j->cancel == 1 && !j->retry_at)
		logline(j, "[relay: cancelled]\n");
	else if (j->cancel == 2 && !j->retry_at)
		logline(j, "[relay: stopped with relayd]\n");
	if (record(j->id, code, nodefd, j->retry_at != 0) < 0) {
		j->retry_at = clock_ms() + poll_ms; /* retried from tick() */
		return;
	}
	if (j->retry_at)
		err_info("recorded result/%s.exit at last", j->id);
	snprintf(buf, sizeof buf, "%s exited %d", j->id, code);
	err_info("%s", buf);
	job_free(j);
}

/* Refuse a claimed command before it runs, with a reason in its log. */
static void
job_refuse(struct job *j, int code, const char *why)
{
	err_warn("refused %s: %s", j->id, why);
	logline(j, "[relay: ");
	logline(j, why);
	logline(j, "]\n");
	j->cancel = 0;
	j->wstatus = code << 8;
	j->reaped = 1;
	j->pid = -1;
	job_finish(j);
}

/* Read and check a claimed command: its text (malloc'd), or NULL once it
 * has been refused or finished without running. */
static char *
job_text(struct job *j)
{
	char *text, why[96];
	uid_t owner;
	ssize_t len;
	int e;

	if (!(text = malloc(RELAY_CMD_MAX + 1)))
		err_diesys(EX_SYS, "unable to allocate command buffer");
	if (relay_cmd_trusted(nodefd, j->id, geteuid(), group, &owner) == 0) {
		free(text);
		snprintf(why, sizeof why, "cmd is owned by uid %u, not "
		    "relayd's user%s", (unsigned)owner, group >= 0 ?
		    " nor of its group" : "");
		job_refuse(j, EX_NOEXEC, why);
		return NULL;
	}
	len = io_readsmall(nodefd, j->id, text, RELAY_CMD_MAX + 1);
	if (len < 0) {
		e = errno;
		free(text);
		errno = e;
		job_refuse(j, EX_NOEXEC, errno == ELOOP ?
		    "cmd is a symlink" : errno == EINVAL ?
		    "cmd is not a regular file" : errno == EFBIG ?
		    "cmd is longer than 131072 bytes" : "cmd is unreadable");
		return NULL;
	}
	if (strlen(text) != (size_t)len) {
		free(text);
		job_refuse(j, EX_NOEXEC, "cmd holds a NUL byte");
		return NULL;
	}
	if (faccessat(dir.cancel, j->id, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		free(text);
		j->cancel = 1;
		j->wstatus = EX_CANCEL << 8;
		j->reaped = 1;
		j->pid = -1;
		job_finish(j);
		return NULL;
	}
	return text;
}

/* In the child, before the go byte: the command learns its id. */
static int
child_env(void *id)
{
	return setenv("RELAY_ID", id, 1);
}

/* Run a checked command: /bin/sh -c TEXT in its own session, in the
 * workdir, its output in the log.  It waits for the go byte, sent only
 * once run/ID is written. */
static void
job_run(struct job *j, char *text)
{
	char *argv[] = { "sh", "-c", text, NULL }, marker[512];
	struct spawn sp = { .argv = argv, .path = "/bin/sh",
	    .fd = { SPAWN_NULL, j->logfd, j->errfd }, .dirfd = workfd,
	    .flags = SPAWN_SESSION | SPAWN_GO, .setup = child_env,
	    .arg = j->id };
	struct spawn_run run;
	unsigned long long ticks = 0;
	int n;

	if (spawn_start(&sp, &run) < 0)
		err_diesys(EX_SYS, "unable to fork");
	j->pid = run.pid;
	if (verbose)
		err_info("%s started pid %ld: %s", j->id, (long)j->pid, text);
	else
		err_info("%s started pid %ld", j->id, (long)j->pid);
	free(text);
	proc_starttime(j->pid, &ticks);
	n = snprintf(marker, sizeof marker, "%s:%ld:%ld:%llu:%s\n", j->id,
	    (long)j->pid, (long)j->pid, ticks, node);
	if (mark(j->id, marker, n) < 0) {
		/* No marker, no go: the child exits without running. */
		err_warnsys("unable to write run/%s", j->id);
		spawn_cancel(&run);
		j->cancel = 0;
		return; /* reaped as exit 111 and recorded by job_finish */
	}
	if (spawn_go(&run) == 0)
		return;
	/* The child exits 111 (a setup step) or 127/126 (the exec). */
	n = errno;
	if (run.step != SPAWN_EXEC)
		err_warnsys("unable to start %s", j->id);
	dprintf(j->errfd, "relay: fatal: unable to %s: %s\n",
	    run.step == SPAWN_EXEC ? "exec /bin/sh" : "set up child",
	    strerror(n));
}

static void
job_start(const char *id)
{
	struct job *j = NULL;
	char *text;

	for (int i = 0; i < JOBS_MAX; i++)
		if (!jobs[i].pid) {
			j = &jobs[i];
			break;
		}
	if (!j)
		abort(); /* claim() keeps njobs below maxjobs <= JOBS_MAX */
	snprintf(j->id, sizeof j->id, "%s", id);
	j->pid = -1;
	j->logfd = j->errfd = -1;
	njobs++;
	if ((j->logfd = log_open(id, "log")) < 0 ||
	    (j->errfd = split ? log_open(id, "err") : j->logfd) < 0) {
		/* Without a log the command must not run: its output would
		 * be lost.  The claim stays; recovery requeues it. */
		err_warnsys("unable to open result/%s.%s", id,
		    j->logfd < 0 ? "log" : "err");
		j->reaped = 1;
		j->wstatus = EX_SYS << 8;
		job_finish(j);
		return;
	}
	if ((text = job_text(j)))
		job_run(j, text);
}

static struct job *
job_find(const char *id)
{
	for (int i = 0; i < JOBS_MAX; i++)
		if (jobs[i].pid && strcmp(jobs[i].id, id) == 0)
			return &jobs[i];
	return NULL;
}

/* A command that has ended keeps its status: only its record is left. */
static void
job_cancel(struct job *j, int why)
{
	if (j->cancel || j->reaped)
		return;
	j->cancel = why;
	j->kill_at = clock_ms() + grace_ms;
	if (j->pid > 0) {
		pg_signal(j->pid, SIGTERM);
		pg_signal(j->pid, SIGCONT);
	}
}

static void
queue_read(void)
{
	char **ids;
	int n;

	if ((n = relay_names(dir.cmd, NULL, &ids)) < 0) {
		err_warnsys("unable to read %s/cmd", dir.path);
		return;
	}
	for (int i = q.head; i < q.n; i++)
		free(q.ids[i]);
	free(q.ids);
	q.ids = ids;
	q.n = q.cap = n;
	q.head = q.stale = 0;
}

/* A name inotify gave: into its place (at the end, nearly always). */
static void
queue_add(const char *id)
{
	int i;

	if (q.stale || !id_valid(id))
		return;
	for (i = q.n; i > q.head && strcmp(q.ids[i - 1], id) >= 0; i--)
		if (!strcmp(q.ids[i - 1], id))
			return;
	if (q.n == q.cap) {
		int cap = q.cap ? q.cap * 2 : 64;
		char **v = realloc(q.ids, cap * sizeof *v);
		if (!v) {
			q.stale = 1;    /* read whole, later */
			return;
		}
		q.ids = v;
		q.cap = cap;
	}
	memmove(q.ids + i + 1, q.ids + i, (q.n - i) * sizeof *q.ids);
	if (!(q.ids[i] = strdup(id))) {
		memmove(q.ids + i, q.ids + i + 1, (q.n - i) * sizeof *q.ids);
		q.stale = 1;
		return;
	}
	q.n++;
}

/* Claim and start commands in submission (id) order while slots are free. */
static void
claim(void)
{
	long long now;

	if (njobs >= maxjobs || stopping)
		return;
	now = clock_ms();
	if (ino < 0 || now >= q.rescan_at) {
		q.stale = 1;
		q.rescan_at = now + poll_ms * 10;
	}
	if (q.stale)
		queue_read();
	while (q.head < q.n && njobs < maxjobs) {
		char *id = q.ids[q.head];
		q.ids[q.head++] = NULL;
		if (renameat(dir.cmd, id, nodefd, id) < 0) {
			if (errno != ENOENT)
				err_warnsys("unable to claim cmd/%s", id);
		} else {
			job_start(id);      /* else another relayd won it */
		}
		free(id);
	}
}

/* What inotify says: names new in cmd/, changes in result/; a lost event
 * means a read, and a wake for every client. */
static void
events(void)
{
	union {
		struct inotify_event e;
		char b[4096];
	} u;
	ssize_t n;

	while ((n = read(ino, u.b, sizeof u.b)) > 0)
		for (char *p = u.b; p < u.b + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (e->mask & IN_Q_OVERFLOW) {
				q.stale = 1;
				wake_for(NULL);
			} else if (e->wd == cmd_wd && e->len) {
				queue_add(e->name);
			} else if (e->wd == result_wd && e->len) {
				wake_for(e->name);
			}
			p += sizeof *e + e->len;
		}
}

/* Act on the cancel requests for our jobs.  The others are another
 * server's, or wait for their command to be claimed (job_start honours
 * them), or are done with: their command finished, or none of that id is
 * in the directory and the request is RELAY_CANCEL_WAIT s old.  Those go,
 * checked at most once a second: the check writes a file (relay_fsnow),
 * and while a group is being killed the loop turns every 20 ms. */
static void
scan_cancels(void)
{
	static long long sweep_at;
	char **ids;
	int n, sweep = clock_ms() >= sweep_at;
	time_t now = 0;

	if ((n = relay_names(dir.cancel, NULL, &ids)) < 0)
		return;
	if (sweep)
		sweep_at = clock_ms() + 1000;
	for (int i = 0; i < n; i++) {
		struct job *j = job_find(ids[i]);
		if (j) {
			job_cancel(j, 1);
			continue;
		}
		if (!sweep)
			continue;
		switch (relay_cancel_stale(&dir, ids[i], dir.root, &now)) {
		case RELAY_DONE:
			unlinkat(dir.cancel, ids[i], 0);
			break;
		case RELAY_GONE:
			if (unlinkat(dir.cancel, ids[i], 0) == 0)
				err_info("dropped cancel/%s: no such command, "
				    "at least %d s old", ids[i],
				    RELAY_CANCEL_WAIT);
			break;
		}
	}
	relay_names_free(ids, n);
}

static void
reap(void)
{
	pid_t p;
	int st;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		for (int i = 0; i < JOBS_MAX; i++)
			if (jobs[i].pid == p && !jobs[i].reaped) {
				jobs[i].reaped = 1;
				jobs[i].wstatus = st;
			}
}

/* Advance every job: SIGKILL past the grace, finish what has ended. */
static void
tick(void)
{
	long long now = clock_ms();

	for (int i = 0; i < JOBS_MAX; i++) {
		struct job *j = &jobs[i];
		if (!j->pid)
			continue;
		if (j->cancel && !j->killed && now >= j->kill_at && j->pid > 0) {
			pg_signal(j->pid, SIGKILL);
			j->killed = 1;
		}
		if (!j->reaped || now < j->retry_at)
			continue;
		/* A cancelled command ends with its whole group; its zombies
		 * are reaped first, so their pids are gone once it is over. */
		if (j->cancel && j->pid > 0) {
			if (pg_alive(j->pid) == 1)
				continue;
			reap();
		}
		job_finish(j);
	}
}

/* Finish what a dead relayd of this node left behind. */
static void
recover_node(const char *name, const struct server *sv)
{
	int fd, n, code;
	char **ids, buf[512];
	struct marker m;

	fd = openat(dir.srv, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return;
	err_warn("relayd %ld on %s died; recovering its commands",
	    sv->pid, sv->host);
	if ((n = relay_names(fd, NULL, &ids)) < 0)
		n = 0, ids = NULL;
	for (int i = 0; i < n; i++) {
		const char *id = ids[i];
		int r, cs;
		if (relay_exit_read(&dir, id, &code) == 1) {
			unlinkat(dir.run, id, 0);
			unlinkat(fd, id, 0);
			continue;
		}
		r = relay_marker_read(&dir, id, &m, &code);
		cs = r < 0 && errno == ENOENT ? claim_state(fd, id, &code) :
		    -1;
		if (cs == CLAIM_TEXT) {
			/* Never got its go byte: it did not run. */
			if (renameat(fd, id, dir.cmd, id) == 0)
				err_info("%s requeued", id);
			continue;
		}
		if (cs == CLAIM_EXIT) {
			unlinkat(dir.cancel, id, 0);
			if (unlinkat(fd, id, 0) == 0)
				err_info("%s had finished (%d), its result "
				    "taken", id, code);
			continue;
		}
		if (r == RELAY_MARK_EXIT) {
			/* It finished, and its code is durable: the server
			 * died (or the machine crashed) before the rename. */
			if (record(id, code, fd, 0) == 0)
				err_info("%s recorded %d", id, code);
			continue;
		}
		/* A marker of another command's (a stale block after a
		 * crash of the machine: its bytes are not flushed) is not
		 * this one's: its process is left alone. */
		if (r == RELAY_MARK_RUN && proc_same(m.pid, m.ticks) == 1) {
			int st;
			pg_kill(m.pid, m.pgid, grace_ms, &st);
		}
		/* The note goes where its standard error went. */
		snprintf(buf, sizeof buf, "%s.err", id);
		int lfd = openat(dir.result, buf, O_WRONLY | O_APPEND |
		    O_NOFOLLOW | O_CLOEXEC);
		if (lfd < 0) {
			snprintf(buf, sizeof buf, "%s.log", id);
			lfd = openat(dir.result, buf, O_WRONLY | O_APPEND |
			    O_NOFOLLOW | O_CLOEXEC);
		}
		if (lfd >= 0) {
			dprintf(lfd, "[relay: lost: relayd %ld died while "
			    "it ran]\n", sv->pid);
			close(lfd);
		}
		if (record(id, RELAY_LOST, fd, 0) == 0)
			err_info("%s lost, recorded %d", id, RELAY_LOST);
	}
	relay_names_free(ids, n);
	unlinkat(fd, RELAY_SRVINFO, 0);
	unlinkat(fd, RELAY_WAKE, 0);
	close(fd);
	if (unlinkat(dir.srv, name, AT_REMOVEDIR) < 0)
		err_warnsys("unable to remove srv/%s", name);
}

static void
recover(void)
{
	int fd;
	struct dirent *de;
	DIR *d;
	char buf[256], path[300];

	if ((fd = openat(dir.srv, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    !(d = fdopendir(fd)))
		err_diesys(EX_SYS, "unable to read %s/srv", dir.path);
	while ((de = readdir(d))) {
		struct server sv;
		if (de->d_name[0] == '.' || strcmp(de->d_name, node) == 0)
			continue;
		snprintf(path, sizeof path, "%s/" RELAY_SRVINFO, de->d_name);
		if (io_readsmall(dir.srv, path, buf, sizeof buf) < 0 ||
		    relay_server_parse(buf, &sv) < 0) {
			err_warn("ignoring srv/%s: unreadable registration",
			    de->d_name);
			continue;
		}
		switch (relay_server_alive(&sv)) {
		case 1:
			err_warn("relayd %ld on %s also serves %s; sharing "
			    "its queue", sv.pid, sv.host, dir.path);
			break;
		case 0:
			recover_node(de->d_name, &sv);
			break;
		default:
			break; /* another node: only it can tell */
		}
	}
	closedir(d);
}

static void
register_self(void)
{
	char buf[256], ts[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	relay_self(&self);
	snprintf(node, sizeof node, "%s-%llu-%ld", self.host, self.pidns,
	    self.pid);
	if (mkdirat(dir.srv, node, 0700) < 0 && errno != EEXIST)
		err_diesys(EX_SYS, "unable to create %s/srv/%s", dir.path, node);
	nodefd = openat(dir.srv, node, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (nodefd < 0)
		err_diesys(EX_SYS, "unable to open %s/srv/%s", dir.path, node);
	if (dir.shared)
		fchmod(nodefd, 02770);
	n = snprintf(buf, sizeof buf, "%s:%llu:%ld:%llu\n", self.host,
	    self.pidns, self.pid, self.ticks);
	if (atomic_write(nodefd, RELAY_SRVINFO, buf, n, dir.fmode) < 0)
		err_diesys(EX_SYS, "unable to write %s/srv/%s/" RELAY_SRVINFO, dir.path,
		    node);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(buf, sizeof buf, "%s:%ld:%s\n", self.host, self.pid, ts);
	if (atomic_write(dir.root, "server.ready", buf, n, dir.fmode) < 0)
		err_diesys(EX_SYS, "unable to write %s/server.ready", dir.path);
}

static void
unregister_self(void)
{
	char buf[256], me[256];
	ssize_t n;

	unlinkat(nodefd, RELAY_SRVINFO, 0);
	if (wake_listening())
		unlinkat(nodefd, RELAY_WAKE, 0);
	close(nodefd);
	if (unlinkat(dir.srv, node, AT_REMOVEDIR) < 0)
		err_warnsys("unable to remove %s/srv/%s", dir.path, node);
	/* server.ready goes only if it still names us. */
	n = io_readsmall(dir.root, "server.ready", buf, sizeof buf);
	snprintf(me, sizeof me, "%s:%ld:", self.host, self.pid);
	if (n > 0 && strncmp(buf, me, strlen(me)) == 0)
		unlinkat(dir.root, "server.ready", 0);
}

static int
watch(void)
{
	int fd;
	char path[PATH_MAX];

	if (relay_remote_fs(dir.cmd)) {
		err_info("%s is on a network filesystem: polling every %d ms",
		    dir.path, poll_ms);
		return -1;
	}
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		goto poll;
	snprintf(path, sizeof path, "%s/cmd", dir.path);
	if ((cmd_wd = inotify_add_watch(fd, path, IN_MOVED_TO |
	    IN_CLOSE_WRITE | IN_CREATE | IN_ONLYDIR)) < 0)
		goto poll;
	snprintf(path, sizeof path, "%s/cancel", dir.path);
	if (inotify_add_watch(fd, path, IN_MOVED_TO | IN_CLOSE_WRITE |
	    IN_CREATE | IN_ONLYDIR) < 0)
		goto poll;
	return fd;
poll:
	err_warnsys("unable to watch %s: polling every %d ms", dir.path,
	    poll_ms);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The options that only setup() needs; the others are the globals above. */
struct opts {
	const char *path, *workdir, *fifo;
	long long readyfd;
};

static long
parse_group(const char *s)
{
	struct group *g = getgrnam(s);
	long long x;

	if (g)
		return g->gr_gid;
	if (num_parse(s, 0, 1LL << 31, &x) == 0)
		return x;
	err_die(EX_USAGE, "unable to use -g %s: no such group", s);
}

static void
option(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case '2': split = 1; break;
	case 'v': verbose = 1; break;
	case 'd': o->path = arg; break;
	case 'w': o->workdir = arg; break;
	case 'j':
		maxjobs = xnum_opt(c, arg, 1, JOBS_MAX, "number");
		break;
	case 'T':
		grace_ms = 1000 * xnum_opt(c, arg, 0, 3600,
		    "number of seconds");
		break;
	case 'p':
		poll_ms = xnum_opt(c, arg, 1, 60000, "number of ms");
		break;
	case 'K':
		keep_s = xnum_opt(c, arg, 1, 31536000, "number of seconds");
		break;
	case 'g': group = parse_group(arg); break;
	case 'R': o->fifo = arg; break;
	case 'N':
		o->readyfd = xnum_opt(c, arg, 3, INT_MAX, "file descriptor");
		break;
	default: usage();
	}
}

/* Open the relay directory, and refuse it unless only we (or -g's group)
 * can write it: whoever can write it runs commands as us. */
static void
open_dir(const char *path)
{
	const char *what;
	char where[4096];
	mode_t m;

	/* -g: a directory of ours becomes the group's, before it is
	 * opened, so what relaydir_open makes is shared too. */
	if (group >= 0 && (mkdir(path, 0700) == 0 || errno == EEXIST)) {
		struct stat st;
		if (stat(path, &st) == 0 && st.st_uid == geteuid() &&
		    (chown(path, -1, group) < 0 || chmod(path, 02770) < 0))
			err_diesys(EX_SYS, "unable to share %s with group %ld",
			    path, group);
	}
	if (relaydir_open(&dir, path, &what) < 0) {
		if (errno == EPROTO)
			err_die(EX_SYS, "unable to use %s: not a husk-relay 2 "
			    "directory (see %s/version)", path, path);
		err_diesys(EX_SYS, "unable to open %s/%s", path,
		    what == path ? "." : what);
	}
	if (relaydir_trusted(&dir, geteuid(), group, &what, &m) == 0)
		return;
	snprintf(where, sizeof where, "%s%s%s", path,
	    strcmp(what, ".") ? "/" : "", strcmp(what, ".") ? what : "");
	if (errno != EPERM)
		err_diesys(EX_SYS, "unable to stat %s", where);
	if (m & (S_IWOTH | S_IWGRP))
		err_die(EX_SYS, "unable to serve %s: writable by others "
		    "(mode %o)%s", where, (unsigned)m, m & S_IWOTH ? "" :
		    "; -g names the group that may write it");
	err_die(EX_SYS, "unable to serve %s: owned by another user", where);
}

static void
setup(const struct opts *o)
{
	open_dir(o->path);
	if ((workfd = open(o->workdir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		err_diesys(EX_SYS, "unable to open workdir %s", o->workdir);
	if (loop_init(&ev, LOOP_SIGNALS) < 0)
		err_diesys(EX_SYS, "unable to create signalfd");
	/* Orphaned grandchildren come to us, so we reap them and a kill -0
	 * on their pid tells the truth. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (int i = 0; i < JOBS_MAX; i++)
		jobs[i].logfd = jobs[i].errfd = -1;

	register_self();
	recover();
	ino = watch();
	wake_setup();
	err_info("serving %s (jobs %d, grace %ds)", o->path, maxjobs,
	    grace_ms / 1000);
	if (o->fifo && ready_fifo(o->fifo, READY_TIMEOUT_MS) < 0) {
		err_warnsys("unable to notify readiness on %s", o->fifo);
		unregister_self();
		err_die(EX_SYS, "unable to notify readiness on %s: no reader "
		    "within %d s", o->fifo, READY_TIMEOUT_MS / 1000);
	}
	if (o->readyfd >= 0 && ready_fd(o->readyfd) < 0)
		err_warnsys("unable to notify readiness on fd %lld",
		    o->readyfd);
}

/* -K: remove the results older than keep_s, every keep_s / 2 (at least
 * a second apart): one read of result/ per look, never one per job. */
static void
sweep(long long now)
{
	int n;

	if (!keep_s || now < sweep_at)
		return;
	sweep_at = now + (keep_s > 1 ? keep_s * 500 : 1000);
	if ((n = relay_results_expire(&dir, keep_s, NULL)) < 0)
		err_warnsys("unable to remove old results from %s/result",
		    dir.path);
	else if (n > 0)
		err_info("removed %d results older than %lld s", n, keep_s);
}

/* SIGTERM, SIGINT, SIGHUP: cancel every job (why 2), stop once all end. */
static void
stop(int sig)
{
	if (!stopping)
		err_info("stopping on signal %d", sig);
	stopping = 1;
	for (int i = 0; i < JOBS_MAX; i++)
		if (jobs[i].pid)
			job_cancel(&jobs[i], 2);
}

/* This turn's wait: the slow rescan (only a safety net with inotify),
 * each cancelled job's SIGKILL deadline, and 20 ms turns while a group is
 * being killed (its end comes with no event of its own). */
static void
wakes(void)
{
	loop_wake(&ev, ev.now + (ino >= 0 ? poll_ms * 10 : poll_ms));
	if (keep_s && !stopping)
		loop_wake(&ev, sweep_at);
	for (int i = 0; i < JOBS_MAX; i++) {
		struct job *j = &jobs[i];
		if (!j->pid)
			continue;
		if (j->cancel && !j->killed && j->pid > 0)
			loop_wake(&ev, j->kill_at);
		if (j->cancel || (j->reaped && !j->retry_at))
			loop_wake(&ev, ev.now + 20);
	}
}

static void
serve(void)
{
	int sig;

	for (;;) {
		/* Finish first: a slot freed here is claimed in this same
		 * pass, not after the next wakeup (which, with a queue that
		 * no longer changes, is the slow rescan). */
		reap();
		tick();
		if (!stopping) {
			scan_cancels();
			claim();
			sweep(clock_ms());
		}
		if (stopping && njobs == 0)
			return;
		loop_begin(&ev);
		xloop_add(&ev, ino, POLLIN, NULL);
		wake_add(&ev);
		wakes();
		if (loop_wait(&ev) < 0)
			err_diesys(EX_SYS, "unable to poll");
		if (loop_rev(&ev, 0) & POLLIN)
			while ((sig = loop_signal(&ev)))
				if (sig != SIGCHLD)
					stop(sig);
		if (loop_rev(&ev, 1) & POLLIN)
			events();
		wake_handle(&ev);
		reap();
	}
}

int
main(int argc, char **argv)
{
	struct opts o = { .path = getenv("RELAY_DIR"), .workdir = ".",
	    .fifo = getenv(READY_ENV), .readyfd = -1 };
	int c;

	err_setprog(argv[0]);
	if (!o.path || !*o.path)
		o.path = ".relay";
	if (o.fifo && !*o.fifo)
		o.fifo = NULL;
	while ((c = getopt(argc, argv, "+2vd:w:j:T:p:K:g:R:N:h")) != -1)
		option(&o, c, optarg);

	if (optind != argc)
		usage();
	if (o.readyfd >= 0 && fcntl(o.readyfd, F_GETFD) < 0)
		err_diesys(EX_USAGE, "unable to use -N %lld", o.readyfd);

	setup(&o);
	serve();
	unregister_self();
	err_info("stopped");
	return 0;
}
