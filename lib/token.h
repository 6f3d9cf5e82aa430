/* token: the one comparison of a presented secret with ours.
 *
 * token_eq takes the same time whatever the bytes of got are (it reads
 * all n of them and as many of want), so a guess learns nothing from how
 * long it was refused; only the lengths may show.  1 equal, 0 not. */
#ifndef HUSK_TOKEN_H
#define HUSK_TOKEN_H

#include <stddef.h>

int token_eq(const char *want, const char *got, size_t n);

/* A token as servers take it from their file: its first line, at least
 * TOKEN_MIN characters of TOKEN_CHARS (URL-safe: it may travel in a URL
 * or a cookie).  Into buf (cap bytes, NUL included); 0, or -1 with errno
 * (EINVAL: too short, too long for buf, or another character). */
#define TOKEN_MIN 16
#define TOKEN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
    "0123456789-._~+/="
int token_read(const char *path, char *buf, size_t cap);

#endif
