/* b64: base64 (RFC 4648, standard alphabet, padded), for bytes that JSON
 * strings cannot carry exactly. */
#ifndef HUSK_B64_H
#define HUSK_B64_H

#include <stddef.h>

#include "buf.h"

/* Append the encoding of p[0..n) to b; 0 or -1 (ENOMEM). */
int b64_encode(struct buf *b, const void *p, size_t n);

/* Decode s[0..n) into out (room for n / 4 * 3 bytes); padding required,
 * no whitespace.  Returns the decoded length, or -1 with errno EINVAL. */
long b64_decode(const char *s, size_t n, void *out);

#endif
