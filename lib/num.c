#include <errno.h>
#include <stdlib.h>

#include "err.h"
#include "num.h"

int
num_parse(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s || !((*s >= '0' && *s <= '9') || (*s == '-' && min < 0))) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end) {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

static long long
xnum(const char *dashes, const char *name, const char *arg, long long min,
    long long max, const char *what)
{
	long long v;

	if (num_parse(arg, min, max, &v) < 0)
		err_die(EX_USAGE, "unable to parse %s%s %s: not a %s from %lld "
		    "to %lld", dashes, name, arg, what, min, max);
	return v;
}

long long
xnum_opt(int opt, const char *arg, long long min, long long max,
    const char *what)
{
	char name[2] = { (char)opt, 0 };

	return xnum("-", name, arg, min, max, what);
}

long long
xnum_lopt(const char *name, const char *arg, long long min, long long max,
    const char *what)
{
	return xnum("--", name, arg, min, max, what);
}
