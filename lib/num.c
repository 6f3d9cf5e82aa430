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

long long
xnum_opt(int opt, const char *arg, long long min, long long max,
    const char *what)
{
	long long v;

	if (num_parse(arg, min, max, &v) < 0)
		err_die(EX_USAGE, "unable to parse -%c %s: not a %s from %lld "
		    "to %lld", opt, arg, what, min, max);
	return v;
}
