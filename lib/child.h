/* child: put a freshly forked child into a clean state before exec:
 * default signal dispositions, empty signal mask, every fd above 2 marked
 * close-on-exec (close_range CLOSE_RANGE_CLOEXEC, or one by one on kernels
 * without it).  Returns 0 or -1 with errno. */
#ifndef HUSK_CHILD_H
#define HUSK_CHILD_H

int child_reset(void);

#endif
