/* num_parse: strict bounded decimals; xnum_opt and xnum_lopt. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "num.h"
#include "tap.h"

/* Run xnum_opt (opt a letter) or xnum_lopt (lopt a name) in a child:
 * its exit status, and what it wrote to stderr in msg. */
static int
xnum_child(int opt, const char *lopt, const char *arg, char *msg, size_t cap)
{
	int p[2], st;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], 2);
		err_setprog("t");
		if (lopt)
			xnum_lopt(lopt, arg, 1, 64, "number");
		else
			xnum_opt(opt, arg, 1, 64, "number");
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], msg + got, cap - 1 - got)) > 0)
		got += n;
	msg[got] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
main(void)
{
	static const struct {
		const char *s;
		long long min, max, want;
		int ret, err;
	} t[] = {
		{ "0", 0, 10, 0, 0, 0 }, { "10", 0, 10, 10, 0, 0 },
		{ "11", 0, 10, 0, -1, ERANGE }, { "-1", 0, 10, 0, -1, EINVAL },
		{ "-1", -5, 10, -1, 0, 0 }, { "", 0, 10, 0, -1, EINVAL },
		{ " 1", 0, 10, 0, -1, EINVAL }, { "1 ", 0, 10, 0, -1, EINVAL },
		{ "1x", 0, 10, 0, -1, EINVAL }, { "+1", 0, 10, 0, -1, EINVAL },
		{ "0x10", 0, 100, 0, -1, EINVAL },
		{ "99999999999999999999", 0, 100, 0, -1, ERANGE },
		{ "255", 0, 255, 255, 0, 0 }, { "256", 0, 255, 0, -1, ERANGE },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		long long v = -12345;
		int r;
		errno = 0;
		r = num_parse(t[i].s, t[i].min, t[i].max, &v);
		ok(r == t[i].ret && (r < 0 ? errno == t[i].err : v == t[i].want),
		    "num_parse(\"%s\", %lld, %lld)", t[i].s, t[i].min, t[i].max);
	}
	ok(num_parse(NULL, 0, 1, &(long long){0}) == -1, "NULL is rejected");

	static const struct {
		int opt;
		const char *lopt, *arg;
		int status;
		const char *msg;
	} x[] = {
		{ 'n', NULL, "64", 0, "" },
		{ 'n', NULL, "65", 100,
		    "t: fatal: unable to parse -n 65: not a number from 1 to 64\n" },
		{ 0, "count", "1", 0, "" },
		{ 0, "count", "0", 100, "t: fatal: unable to parse --count 0: "
		    "not a number from 1 to 64\n" },
		{ 0, "count", "1x", 100, "t: fatal: unable to parse --count 1x: "
		    "not a number from 1 to 64\n" },
		{ 0, "max-sessions", "", 100, "t: fatal: unable to parse "
		    "--max-sessions : not a number from 1 to 64\n" },
	};
	for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) {
		char msg[256];
		int st = xnum_child(x[i].opt, x[i].lopt, x[i].arg, msg,
		    sizeof msg);
		ok(st == x[i].status && !strcmp(msg, x[i].msg),
		    "xnum_%s %s%s %s: exit %d, \"%s\"", x[i].lopt ? "lopt" :
		    "opt", x[i].lopt ? "--" : "-", x[i].lopt ? x[i].lopt :
		    (char[]){ (char)x[i].opt, 0 }, x[i].arg, st, msg);
	}
	ok(xnum_lopt("count", "7", 1, 64, "number") == 7,
	    "xnum_lopt returns the value");
	return done_testing();
}
