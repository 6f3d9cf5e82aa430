/* ansi: see ansi.h. */
#include <string.h>

#include "ansi.h"

#define ESC 0x1b
#define BEL 0x07

/* The length of the sequence at s[0] == ESC (n > 0 bytes there); all n
 * when it is cut off. */
static size_t
esc_len(const unsigned char *s, size_t n)
{
	size_t i = 1;

	if (i == n)
		return n;
	if (s[i] == '[') {
		for (i++; i < n && s[i] >= 0x20 && s[i] <= 0x3f; i++)
			;
		/* A byte that cannot end it ends it unread. */
		return i < n && s[i] >= 0x40 && s[i] <= 0x7e ? i + 1 : i;
	}
	if (strchr("]PX^_", s[i])) {
		for (i++; i < n; i++) {
			if (s[i] == BEL)
				return i + 1;
			if (s[i] == ESC)
				return i + 1 < n && s[i + 1] == '\\' ? i + 2 :
				    i + 1 < n ? i : n;
		}
		return n;
	}
	for (; i < n && s[i] >= 0x20 && s[i] <= 0x2f; i++)
		;
	return i < n && s[i] >= 0x30 && s[i] <= 0x7e ? i + 1 : i;
}

size_t
ansi_strip(void *p, size_t n)
{
	unsigned char *s = p;
	size_t i = 0, o = 0;

	while (i < n) {
		if (s[i] == ESC)
			i += esc_len(s + i, n - i);
		else if ((s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') ||
		    s[i] == 0x7f)
			i++;
		else
			s[o++] = s[i++];
	}
	return o;
}
