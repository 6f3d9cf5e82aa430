/* Debian's libbearssl.a was compiled with glibc's _FORTIFY_SOURCE and calls
 * these three checked variants, which musl does not provide.  We provide
 * them (see mk/bearssl.mk for why this rather than rebuilding BearSSL): each
 * checks the destination size the compiler passed, as glibc does, and
 * aborts on overflow. */
#include <stdlib.h>
#include <string.h>

void *__memcpy_chk(void *, const void *, size_t, size_t);
void *__memmove_chk(void *, const void *, size_t, size_t);
void *__memset_chk(void *, int, size_t, size_t);

void *
__memcpy_chk(void *d, const void *s, size_t n, size_t dlen)
{
	if (n > dlen)
		abort();
	return memcpy(d, s, n);
}

void *
__memmove_chk(void *d, const void *s, size_t n, size_t dlen)
{
	if (n > dlen)
		abort();
	return memmove(d, s, n);
}

void *
__memset_chk(void *d, int c, size_t n, size_t dlen)
{
	if (n > dlen)
		abort();
	return memset(d, c, n);
}
