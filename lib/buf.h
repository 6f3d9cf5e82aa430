/* buf: a growable byte buffer for building replies and holding output.
 * p is NUL-terminated after every successful add (the NUL is not counted
 * in len), so text in it can be used as a C string.  Adds return 0, or -1
 * with errno ENOMEM leaving the buffer as it was. */
#ifndef HUSK_BUF_H
#define HUSK_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
};

int buf_add(struct buf *b, const void *d, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);
/* Append the whole of file path ("-": standard input) to b; 0, or -1 with
 * errno (of open, read, or ENOMEM). */
int buf_slurp(struct buf *b, const char *path);

#endif
