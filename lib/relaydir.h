/* relaydir: the relay directory protocol, shared by relayd(8) and relay(1).
 * Version 2; relayd(8) documents it in full.  In short, under DIR:
 *
 *   version          "husk-relay 2\n"
 *   server.ready     HOST:PID:START (ISO-8601), the newest relayd to start
 *   cmd/ID           a queued command (written as cmd/.ID.tmp.PID, renamed)
 *   srv/NODE/.info   one per relayd: HOST:PIDNS:PID:TICKS
 *   srv/NODE/ID      a command that relayd claimed (renamed from cmd/ID:
 *                    the rename is the claim, so exactly one server wins)
 *   srv/NODE/.wake   relayd's wake socket, on a local filesystem: a client
 *                    writes "ID\n"; relayd answers a byte once it watches
 *                    result/, and another each time result/ID.log,
 *                    ID.err or ID.exit changes.  A byte says only "look
 *                    again": the files stay the truth.  Clients that
 *                    cannot connect, or get no first byte, use inotify.
 *   run/ID           ID:PID:PGID:TICKS:NODE, the running marker (atomic);
 *                    then the exit code ("N\n"), flushed, and the file
 *                    renamed to result/ID.exit
 *   cancel/ID        a request to cancel ID (atomic); removed once ID
 *                    finished, or once it is RELAY_CANCEL_WAIT s old and
 *                    no command ID is in the directory
 *   result/ID.log    stdout and stderr of the command (stdout alone when
 *                    relayd -2 keeps stderr in result/ID.err)
 *   result/ID.*      what a client keeps with the result (husk-api's
 *                    ID.code): removed with it
 *   result/ID.exit   decimal status and a newline (atomic): run/ID
 *                    renamed, or written anew when no marker was
 *
 * The seed kept one `running` and one `cancel` file; one file per command
 * lets several relayd and relayd -j N run commands side by side. */
#ifndef HUSK_RELAYDIR_H
#define HUSK_RELAYDIR_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "path.h"

#define RELAY_VERSION "husk-relay 2\n"
#define RELAY_CMD_MAX (128 * 1024) /* one argument to sh -c (MAX_ARG_STRLEN) */
#define RELAY_LOST 137             /* status of a command whose server died */
#define RELAY_SRVINFO ".info"      /* srv/NODE/.info: never a valid id */
#define RELAY_WAKE ".wake"         /* srv/NODE/.wake: nor is this */
/* How long relay waits for relayd to acknowledge a cancel before it
 * withdraws the request; a request older than this that names no command
 * has no client left (see relay_cancel_stale). */
#define RELAY_CANCEL_WAIT 60       /* seconds */

struct relaydir {
	const char *path;
	int root, cmd, srv, run, cancel, result;
	mode_t fmode;           /* files: 0600, or 0640 when shared */
	int shared;             /* the top directory is group-writable */
};

struct marker {
	char id[ID_MAX + 1];
	long pid, pgid;
	unsigned long long ticks; /* start time of pid, see proc.h */
	char node[128];
};

struct server {
	char host[65];
	unsigned long long pidns, ticks;
	long pid;
};

/* Open (creating what is missing) the tree at path.  Subdirectories are
 * opened O_NOFOLLOW: a planted symlink fails with ELOOP or ENOTDIR.
 * Private by default: what it creates is 0700 (directories) and d->fmode
 * 0600 (files), whatever the umask.  A group-writable top directory
 * (relayd -g) makes the tree shared with its group: directories 02770 in
 * that group, files 0640.  Returns 0, or -1 with errno and *what naming
 * the part that failed. */
int relaydir_open(struct relaydir *d, const char *path, const char **what);

/* Before serving: the top directory and each subdirectory belong to uid
 * (or root) and no one else may write them but, when gid >= 0, that group.
 * 0, or -1 with errno EPERM, *what naming the directory and *mode its mode
 * (errno of fstat otherwise). */
int relaydir_trusted(const struct relaydir *d, uid_t uid, long gid,
    const char **what, mode_t *mode);

/* A command file (a name in dirfd) may run: it is a regular file owned by
 * uid or root, or, when gid >= 0, of that group.  1 yes, 0 no (*owner set),
 * -1 with errno. */
int relay_cmd_trusted(int dirfd, const char *name, uid_t uid, long gid,
    uid_t *owner);

/* A new command id: SECONDS.NANOS-HOST-PID-COUNTER, sortable by time. */
void relay_newid(char *buf, size_t cap);

/* This node: the sanitized host name and our pid namespace, so that a pid
 * is only ever checked on the machine and namespace that wrote it. */
void relay_self(struct server *s);
int relay_samenode(const struct server *a, const struct server *b);
int relay_server_parse(const char *s, struct server *sv);
/* 1 alive, 0 dead, -1 cannot tell (another node). */
int relay_server_alive(const struct server *sv);

/* 1 if the filesystem of fd does not deliver inotify events for changes
 * made by other clients (NFS, 9p, FUSE and virtiofs, CIFS, SMB, Ceph):
 * then only polling sees them. */
int relay_remote_fs(int fd);

/* Make the client of such a filesystem fetch fd's attributes from the
 * server now instead of trusting its attribute cache: for a directory
 * that changed, the names it cached (absent ones too) are looked up
 * again; for a file, its size and pages.  Without this an NFS client
 * that polls one name (result/ID.exit) sees another host's new file only
 * when the cache expires (acdirmin, 30 s by default), and a reader of an
 * open log stops at the end it last saw.  (relay_names needs none: NFS
 * revalidates a directory it opens, close-to-open.)  Returns 0, or -1
 * with errno. */
int relay_refresh(int fd);

int relay_marker_parse(const char *s, struct marker *m);

/* Read run/ID: RELAY_MARK_RUN and *m for a command running (a marker that
 * names ID), RELAY_MARK_EXIT and *code for one that has finished (the
 * exit code written into it, not yet renamed to result/ID.exit),
 * RELAY_MARK_ENDING for a status on the first line only (relayd writing
 * it: the rest of the marker not cut yet; or a torn or stale block: not
 * to be trusted), 0 for an empty or corrupt marker, -1 with errno
 * (ENOENT: no marker). */
#define RELAY_MARK_RUN 1
#define RELAY_MARK_EXIT 2
#define RELAY_MARK_ENDING 3
int relay_marker_read(const struct relaydir *d, const char *id,
    struct marker *m, int *code);
/* The same of the file ID in dirfd (a claim that relayd made its marker). */
int relay_marker_readat(int dirfd, const char *id, struct marker *m,
    int *code);

/* The len bytes at s (a string) are "N\n", 0 <= N <= 255, as
 * result/ID.exit holds it: 0 and *code, or -1 with EINVAL. */
int relay_exit_parse(const char *s, size_t len, int *code);

/* The path of srv/NODE/.wake, for bind or connect (which take a path).
 * 0, or -1 with ENAMETOOLONG. */
int relay_wake_path(const struct relaydir *d, const char *node, char *buf,
    size_t cap);

/* Read result/ID.exit: 1 and *code if present and valid, 0 if absent,
 * -1 with errno (EINVAL for a corrupt file). */
int relay_exit_read(const struct relaydir *d, const char *id, int *code);

/* Where command id stands in the directory. */
enum relay_state {
	RELAY_PENDING = 1, /* queued in cmd/, claimed in srv/NODE/, running */
	RELAY_DONE,        /* result/ID.exit exists */
	RELAY_GONE,        /* no command id: never submitted, or flushed */
};
/* One of those, or -1 with errno. */
int relay_state(const struct relaydir *d, const char *id);

/* The time now by the clock of the filesystem of dirfd: the mtime of a
 * file created there.  Hosts sharing a directory may disagree on the
 * time; their files' mtimes all come from the one file server.  0, or
 * -1 with errno. */
int relay_fsnow(int dirfd, time_t *now);

/* Is cancel/ID done with?  RELAY_DONE if ID finished; RELAY_GONE if no
 * command ID is in the directory and the request is at least
 * RELAY_CANCEL_WAIT s old: whoever wrote it has given up, and a younger
 * one may precede its command (a client's view of a network filesystem
 * lags).  0 to keep it, -1 with errno.  *now is the
 * filesystem's time (relay_fsnow on clockfd), read on first need if 0. */
int relay_cancel_stale(const struct relaydir *d, const char *id,
    int clockfd, time_t *now);

/* Names NAME in an open directory, sorted, filtered by id_valid (with
 * suffix stripped when given; entries without it are skipped).  Returns
 * the count and a malloc'd array (free with relay_names_free), -1 on
 * error. */
int relay_names(int dirfd, const char *suffix, char ***out);
void relay_names_free(char **v, int n);

/* Clients (lib/relayjob.c). */

/* Queue text[0..len) as command id (new, from relay_newid: a client may
 * write files of its own under that id first).  0, or -1 with errno
 * (E2BIG past RELAY_CMD_MAX). */
int relay_submit(const struct relaydir *d, const char *id, const char *text,
    size_t len);

/* Cancel id: 0 it was queued, and is now removed and recorded as
 * cancelled (130) without running; 1 a request was written to cancel/
 * (relayd acts on it, or drops it once stale); 2 it finished already;
 * -1 with errno. */
int relay_cancel(const struct relaydir *d, const char *id);

/* Remove result/ID.log, ID.err and ID.exit. */
void relay_result_remove(const struct relaydir *d, const char *id);

/* Remove the results whose ID.exit is at least age seconds old by the
 * filesystem's clock (relay_fsnow), or every finished result for age 0,
 * and, when only is not NULL, that have a file ID.only (husk-api's
 * .code: its own jobs): each result/ID.SUFFIX (SUFFIX without a dot),
 * ID.exit last.  One read of result/ for all of them.  The count of
 * results removed, or -1 with errno. */
int relay_results_expire(const struct relaydir *d, long long age,
    const char *only);

#endif
