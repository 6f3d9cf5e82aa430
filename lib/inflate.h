/* inflate: a gzip member (RFC 1952) holding DEFLATE data (RFC 1951),
 * decoded whole into a buffer.  For what a binary carries compressed
 * (ptyd's page: lib/web_asset.h), so every input is bounded and every
 * check is made: the header, each block, the CRC-32 and the length. */
#ifndef HUSK_INFLATE_H
#define HUSK_INFLATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The one member in in[0..inlen) into out[0..cap): the length decoded,
 * or -1 with errno EINVAL (not gzip, corrupt, bytes after the member, a
 * CRC-32 or length that does not match) or ENOSPC (more than cap). */
ssize_t gunzip(const void *in, size_t inlen, void *out, size_t cap);

/* CRC-32 (IEEE 802.3, as gzip), continued from crc (0 to start). */
uint32_t crc32_update(uint32_t crc, const void *p, size_t n);

#endif
