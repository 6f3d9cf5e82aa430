#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

const char *err_prog = "husk";

void
err_setprog(const char *argv0)
{
	const char *s = strrchr(argv0, '/');

	err_prog = s ? s + 1 : argv0;
}

/* One fprintf per line, so lines from concurrent processes sharing a log
 * do not interleave mid-line. */
static void
out(const char *level, int sys, const char *fmt, va_list ap)
{
	char msg[1024];
	int e = errno;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (sys)
		fprintf(stderr, "%s: %s: %s: %s\n", err_prog, level, msg,
		    strerror(e));
	else
		fprintf(stderr, "%s: %s: %s\n", err_prog, level, msg);
	errno = e;
}

#define VOUT(level, sys) do { va_list ap; va_start(ap, fmt); \
	out(level, sys, fmt, ap); va_end(ap); } while (0)

void err_die(int code, const char *fmt, ...) { VOUT("fatal", 0); exit(code); }
void err_diesys(int code, const char *fmt, ...) { VOUT("fatal", 1); exit(code); }
void err_warn(const char *fmt, ...) { VOUT("warning", 0); }
void err_warnsys(const char *fmt, ...) { VOUT("warning", 1); }
void err_info(const char *fmt, ...) { VOUT("info", 0); }
