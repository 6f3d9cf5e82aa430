/* token: see token.h. */
#include <string.h>

#include "token.h"

int
token_eq(const char *want, const char *got, size_t n)
{
	size_t wn = strlen(want);
	unsigned char d = n != wn;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)got[i] ^
		    (unsigned char)(wn ? want[i % wn] : 0);
	return d == 0;
}
