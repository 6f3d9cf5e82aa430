/* pgkill: stop a process group we started, and only such a group.
 *
 * pg_signal refuses (EPERM) a pgid <= 1 and our own process group, so a
 * stale or zeroed record can never signal init, everyone (-1) or ourselves.
 *
 * pg_kill sends SIGTERM (and SIGCONT, so a stopped group can act on it) to
 * the group, waits up to grace_ms for the leader to exit and the group to
 * empty, then sends SIGKILL to the group and reaps the leader.  Members that
 * double-forked stay in the group and are killed with it; the caller should
 * be a child subreaper (prctl PR_SET_CHILD_SUBREAPER) so those are reaped
 * too.  *wstatus gets the leader's wait status (0 if the leader was not
 * our child, as after a crash of its parent).  Returns 0 if the group
 * ended on SIGTERM, 1 if SIGKILL was needed, -1 with errno on failure. */
#ifndef HUSK_PGKILL_H
#define HUSK_PGKILL_H

#include <sys/types.h>

int pg_signal(pid_t pgid, int sig);
int pg_alive(pid_t pgid);
int pg_kill(pid_t leader, pid_t pgid, int grace_ms, int *wstatus);

/* The shell convention: exit code, or 128+N for death by signal N. */
int status_code(int wstatus);

#endif
