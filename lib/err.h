/* err: the one output shape of every husk tool (after skalibs strerr).
 *
 *   prog: fatal: unable to rename cmd/ID.tmp: No space left on device
 *   prog: warning: ...
 *   prog: info: ...
 *
 * err_die* print and exit with the given code; the *sys variants append
 * ": strerror(errno)".  err_prog is set once by main() from argv[0]. */
#ifndef HUSK_ERR_H
#define HUSK_ERR_H

extern const char *err_prog;

void err_setprog(const char *argv0);
_Noreturn void err_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn void err_diesys(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void err_warnsys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void err_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit codes shared by every tool; each man page lists the ones it uses. */
enum {
	EX_FALSE = 1,      /* the checked condition is false */
	EX_USAGE = 100,    /* bad usage */
	EX_SYS = 111,      /* a system call failed */
	EX_TIMEOUT = 124,  /* timed out */
	EX_NOEXEC = 126,   /* found but could not exec */
	EX_NOTFOUND = 127, /* not found */
	EX_CANCEL = 130,   /* cancelled */
};

#endif
