/* path: containment and identifier checks for names that come from
 * untrusted files or users.
 *
 * path_inside: 1 if path resolves (realpath) to base or below it, compared
 * component-wise, so /a/bc is not inside /a/b; 0 if not; -1 with errno if
 * either cannot be resolved.
 *
 * id_valid: 1 if s is 1..ID_MAX characters of [A-Za-z0-9._-] and does not
 * start with '.' (so "..", ".tmp" files and hidden names are never ids). */
#ifndef HUSK_PATH_H
#define HUSK_PATH_H

#define ID_MAX 100

int path_inside(const char *base, const char *path);
int id_valid(const char *s);

#endif
