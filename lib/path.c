#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

int
path_inside(const char *base, const char *path)
{
	char b[PATH_MAX], p[PATH_MAX];
	size_t n;

	if (!realpath(base, b) || !realpath(path, p))
		return -1;
	n = strlen(b);
	if (n == 1 && b[0] == '/')
		return 1;
	/* The prefix must end exactly at a component boundary. */
	return strncmp(b, p, n) == 0 && (p[n] == '/' || p[n] == 0);
}

int
id_valid(const char *s)
{
	size_t n = 0;

	if (!s || s[0] == '.' || s[0] == 0)
		return 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (n >= ID_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return 1;
}
