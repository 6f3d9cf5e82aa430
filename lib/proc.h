/* proc: tell a live process from a recycled pid.  A pid alone names a
 * process only until it dies; pid plus start time (field 22 of
 * /proc/PID/stat, clock ticks since boot) names it for good. */
#ifndef HUSK_PROC_H
#define HUSK_PROC_H

#include <sys/types.h>

/* Start time of pid; 0 on success, -1 with errno (ESRCH if gone). */
int proc_starttime(pid_t pid, unsigned long long *start);

/* 1 if pid runs and started at start, 0 if not, -1 on error. */
int proc_same(pid_t pid, unsigned long long start);

#endif
