/* ready: tell a supervisor we are ready to serve.
 *
 * ready_fifo writes "READY\n" to the FIFO at path.  It opens the FIFO
 * without blocking and retries until timeout_ms for a reader to appear, so
 * a parent that never opens it cannot hang us: then it fails with
 * ETIMEDOUT (the caller logs that and exits 111, see each man page).
 * ready_fd is the s6 convention: write "\n" to fd and close it.  Both
 * return 0 or -1 with errno. */
#ifndef HUSK_READY_H
#define HUSK_READY_H

#define READY_ENV "HUSK_READY_FIFO"
#define READY_TIMEOUT_MS 10000

int ready_fifo(const char *path, int timeout_ms);
int ready_fd(int fd);

/* ready_fifo in two steps, for a process that may open no path once it is
 * ready (vmrun under its seccomp filter): ready_fifo_open waits for the
 * reader as ready_fifo does and returns the FIFO's fd (or -1 with errno);
 * ready_fifo_fd writes "READY\n" to it and closes it (0, or -1). */
int ready_fifo_open(const char *path, int timeout_ms);
int ready_fifo_fd(int fd);

#endif
