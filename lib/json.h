/* json: JSON for status reports and for the HTTP APIs (guest-agent, ptyd).
 *
 * Output.  Strings are escaped the same way everywhere: quote, backslash
 * and control bytes escaped, bytes >= 0x80 passed through.  JSON text must
 * be UTF-8, so bytes that may not be (a program's output) go through
 * json_bytes, which never loses them: see there.
 *
 * Input.  json_parse reads a whole document into a tree of nodes in two
 * allocations, with bounds on nesting depth and node count.  Strings are
 * decoded (\uXXXX and surrogate pairs to UTF-8; \u0000 gives a NUL byte,
 * so use the length, not strlen); raw bytes >= 0x80 in strings are taken
 * as they are, unchecked.  Lone surrogates, raw control bytes, trailing
 * commas, leading zeros, trailing garbage are syntax errors. */
#ifndef HUSK_JSON_H
#define HUSK_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

/* Print s as a JSON string (callers hand in UTF-8 paths). */
void json_str(FILE *f, const char *s);

/* Append s[0..n) as a JSON string, quotes included; 0 or -1 (ENOMEM). */
int json_esc(struct buf *b, const void *s, size_t n);

/* Append the member "key":"s" to an object being built.  If s[0..n) is
 * not valid UTF-8, the string holds it with each invalid byte replaced by
 * U+FFFD (for people), and a second member "key_b64" holds the exact bytes
 * in base64 (for programs): a reader takes key_b64 when present, else
 * key.  0 or -1 (ENOMEM). */
int json_bytes(struct buf *b, const char *key, const void *s, size_t n);

/* The escape for byte c inside a JSON string, in tmp (room for 7); NULL
 * if c stands for itself. */
const char *json_escape_byte(unsigned char c, char tmp[7]);

enum json_type {
	JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUM, JSON_STR, JSON_ARR,
	JSON_OBJ,
};

struct json {
	enum json_type type;
	const char *s;      /* STR: decoded bytes, NUL-terminated; NUM: text */
	size_t len;         /* STR, NUM: length of s; ARR, OBJ: members */
	const char *key;    /* member of an object: its decoded name */
	size_t keylen;
	struct json *child; /* ARR, OBJ: first member */
	struct json *next;  /* next member of the parent */
};

struct json_doc {
	struct json *root;
	struct json *nodes;
	size_t nnodes, maxnodes;
	char *str;          /* decoded strings */
	size_t strlen;
	size_t erroff;      /* on a syntax error: its byte offset */
};

#define JSON_DEPTH_MAX 32
#define JSON_NODES_MAX 65536

/* Parse s[0..n).  Returns 0, or -1 with errno: EINVAL (syntax, offset in
 * d->erroff), E2BIG (deeper than JSON_DEPTH_MAX or more than maxnodes
 * values), ENOMEM.  On failure nothing needs freeing. */
int json_parse(struct json_doc *d, const char *s, size_t n, size_t maxnodes);
void json_doc_free(struct json_doc *d);

/* The first member named key of an object, or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
/* 1 when every member of object o is one of keys[0..n), else 0: a reader
 * that refuses members it does not know. */
int json_keys_only(const struct json *o, const char *const *keys, size_t n);
/* The reader's side of json_bytes: the bytes of member key_b64, decoded,
 * when o has it, else of member key, in a malloc'd buffer *out of *len
 * bytes (NULL and 0 when o has neither).  0, or -1 with errno: EINVAL
 * (not a string, or not base64), ENOMEM. */
int json_bytes_get(const struct json *o, const char *key, char **out,
    size_t *len);
/* An integer in [min, max] (no fraction or exponent): 0, or -1 EINVAL /
 * ERANGE. */
int json_int(const struct json *v, long long min, long long max,
    long long *out);

#endif
