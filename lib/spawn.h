/* spawn: the one way a husk tool starts a process.
 *
 * The child, in this order: its own session (SPAWN_SESSION; implied by a
 * terminal) or process group (SPAWN_PGRP); the terminal made its
 * controlling one; fd[0..2] become its 0, 1 and 2; it changes directory
 * (dirfd, else dir); child_reset (default signals, empty mask, every fd
 * above 2 close-on-exec), unless SPAWN_NORESET; setup(arg); with
 * SPAWN_GO it waits for the go byte; then execvp(path, argv), path
 * argv[0] unless set (with envp as its environment when set), or, with
 * argv NULL, it runs fn(arg) and exits with its value.
 *
 * SPAWN_NORESET is for fn: a worker that is a copy of us keeps our signal
 * dispositions and mask, so a signal we block (lib/sigfd's) stays pending
 * for its own loop instead of acting between the fork and that loop.
 *
 * Each fd[i] is a descriptor of ours, or:
 *   SPAWN_NULL  /dev/null
 *   SPAWN_KEEP  our own fd i, left as it is (closed, if ours is)
 *   SPAWN_PIPE  a new pipe; our end (non-blocking) in run->fd[i]
 *   SPAWN_PTY   a new terminal's slave side (one terminal for all three),
 *               ws its size if not NULL; the master (non-blocking) in
 *               run->ptm
 *
 * One protocol for a failure: the child sends { step, errno } over a
 * close-on-exec pipe and exits 127 (exec, ENOENT), 126 (exec, any other)
 * or 111 (an earlier step).  spawn_start returns 0 once the child has
 * exec'd (or runs fn), or -1 with errno: run->step says which step
 * failed, and run->pid is the failed child to reap, or -1 when there is
 * no child (the fork or a pipe failed, run->step SPAWN_FORK).
 *
 * With SPAWN_GO, spawn_start returns 0 as soon as the child is made and
 * waits; the caller records run->pid, then spawn_go sends the go byte
 * and reports the exec as spawn_start would (or spawn_cancel: the child
 * exits 111 without running anything).  The caller ignores SIGPIPE (as
 * lib/sigfd does).  Every descriptor spawn makes is close-on-exec. */
#ifndef HUSK_SPAWN_H
#define HUSK_SPAWN_H

#include <sys/ioctl.h>
#include <sys/types.h>

enum { SPAWN_NULL = -1, SPAWN_KEEP = -2, SPAWN_PIPE = -3, SPAWN_PTY = -4 };
enum { SPAWN_SESSION = 1, SPAWN_PGRP = 2, SPAWN_GO = 4, SPAWN_NORESET = 8 };
enum spawn_step { SPAWN_FORK, SPAWN_TTY, SPAWN_FDS, SPAWN_DIR, SPAWN_RESET,
	SPAWN_SETUP, SPAWN_EXEC };

struct spawn {
	char *const *argv;
	const char *path;		/* NULL: argv[0] */
	char *const *envp;		/* NULL: our environment */
	int fd[3];
	const struct winsize *ws;	/* SPAWN_PTY's size, or NULL */
	int dirfd;			/* -1: none; else fchdir to it */
	const char *dir;		/* NULL: none; else chdir to it */
	int flags;
	int (*setup)(void *arg);	/* 0, or -1 with errno */
	int (*fn)(void *arg);		/* argv NULL: the child's work */
	void *arg;
};

struct spawn_run {
	pid_t pid;
	int fd[3];		/* our ends of SPAWN_PIPE, else -1 */
	int ptm;		/* the terminal's master, or -1 */
	enum spawn_step step;	/* where it failed */
	int go, res;		/* private */
};

int spawn_start(const struct spawn *sp, struct spawn_run *run);
int spawn_go(struct spawn_run *run);
void spawn_cancel(struct spawn_run *run);

/* The words of a step, for "unable to %s": "start", "set up the terminal
 * for", "set up the descriptors for", "change directory for", "reset",
 * "prepare", "exec". */
const char *spawn_what(enum spawn_step step);

#endif
