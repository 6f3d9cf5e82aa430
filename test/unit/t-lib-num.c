/* num_parse: strict bounded decimals. */
#include <errno.h>

#include "num.h"
#include "tap.h"

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
	return done_testing();
}
