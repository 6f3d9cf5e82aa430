#include "pattern.h"

/* The set "[...]" whose members start at p (past the '['): 1 if c is in
 * it, else 0, with *end past its ']'; -1 if no ']' closes it. */
static int
set_match(const char *p, unsigned char c, const char **end)
{
	const char *first, *q;
	int neg = 0, in = 0;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	first = p;
	if (*p == ']')
		p++;
	while (*p && *p != ']')
		p++;
	if (!*p)
		return -1;
	*end = p + 1;
	for (q = first; q < p; q++) {
		if (*q == '-' && q > first && q + 1 < p) {
			if ((unsigned char)q[-1] <= c && c <= (unsigned char)q[1])
				in = 1;
			q++;
		} else if ((unsigned char)*q == c)
			in = 1;
	}
	return in ^ neg;
}

/* Left to right, remembering only the last '*': when what follows it
 * fails, the '*' takes one more byte and the rest is tried again.  An
 * earlier '*' taking more instead could only move where the last one
 * starts to a place already tried; with path, no '*' takes a '/', so a
 * last '*' that meets one fails the match. */
int
pattern_match(const char *pat, const char *s, int path)
{
	const char *p = pat, *star = 0, *sstar = 0, *end;
	int r;

	for (;;) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star = p;
			sstar = s;
			continue;
		}
		if (!*s) {
			if (!*p)
				return 1;
		} else if (path && *s == '/') {
			if (*p == '/' || (*p == '\\' && p[1] == '/')) {
				p += *p == '\\' ? 2 : 1;
				s++;
				continue;
			}
			/* Only '/' matches '/'; a '*' before it cannot take it. */
			return 0;
		} else if (*p == '?') {
			p++;
			s++;
			continue;
		} else if (*p == '[' && (r = set_match(p + 1, *s, &end)) >= 0) {
			if (r) {
				p = end;
				s++;
				continue;
			}
		} else if (*p == '\\' && p[1]) {
			if (p[1] == *s) {
				p += 2;
				s++;
				continue;
			}
		} else if (*p == *s) {
			p++;
			s++;
			continue;
		}
		/* No match here: the last '*' takes one more byte. */
		if (!star || !*sstar || (path && *sstar == '/'))
			return 0;
		p = star;
		s = ++sstar;
	}
}
