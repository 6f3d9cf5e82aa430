/* token: the one comparison of a presented secret with ours.
 *
 * token_eq takes the same time whatever the bytes of got are (it reads
 * all n of them and as many of want), so a guess learns nothing from how
 * long it was refused; only the lengths may show.  1 equal, 0 not. */
#ifndef HUSK_TOKEN_H
#define HUSK_TOKEN_H

#include <stddef.h>

int token_eq(const char *want, const char *got, size_t n);

#endif
