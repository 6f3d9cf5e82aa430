/* utf8: strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF. */
#ifndef HUSK_UTF8_H
#define HUSK_UTF8_H

#include <stddef.h>

/* Length of the valid sequence at s[0..n), or 0 if it is not one. */
size_t utf8_seq(const unsigned char *s, size_t n);
/* 1 if all of s[0..n) is valid UTF-8. */
int utf8_valid(const void *s, size_t n);
/* Encode cp (<= 0x10FFFF, not a surrogate) into out; returns 1..4. */
size_t utf8_put(char *out, unsigned long cp);

#endif
