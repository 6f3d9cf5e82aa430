/* token: equal only when every byte and the length agree. */
#include <string.h>

#include "tap.h"
#include "token.h"

int
main(void)
{
	const char *t = "s3cret-0123456789";
	size_t n = strlen(t);
	char other[32];

	ok(token_eq(t, t, n), "the token itself");
	ok(!token_eq(t, t, n - 1), "a prefix of it");
	ok(!token_eq(t, "s3cret-01234567890", n + 1), "it and one byte more");
	memcpy(other, t, n);
	other[n - 1] ^= 1;
	ok(!token_eq(t, other, n), "the last byte wrong");
	other[n - 1] = t[n - 1];
	other[0] = 'S';
	ok(!token_eq(t, other, n), "the first byte wrong");
	memset(other, 'x', n);
	ok(!token_eq(t, other, n), "another of the same length");
	ok(!token_eq(t, "", 0), "nothing");
	ok(token_eq("", "", 0) && !token_eq("", "a", 1), "an empty want");
	return done_testing();
}
