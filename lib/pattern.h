/* pattern: shell patterns (sh(1)'s "case", fnmatch(3)) in ASCII, of husk's
 * own: lib/tree's -x, without the wide-character tables that musl's
 * fnmatch(3) brings into a static binary.
 *
 * pattern_match(pat, s, path) is 1 if all of s matches pat, else 0:
 * - '*' matches any string, the empty one too; '?' any one byte;
 * - "[...]" one byte of the set: "a-z" a range (of byte values; one whose
 *   ends are the wrong way round holds nothing), '!' or '^' first negates
 *   it, a ']' first (after '!' or '^') or a '-' first or last stands for
 *   itself, and a backslash inside is itself.  A '[' with no ']' after it
 *   is itself.  Classes ("[:alpha:]"), collating elements ("[.a.]")
 *   and equivalence classes ("[=a=]") are not supported: "[:", "[." or
 *   "[=" in a set are two of its members;
 * - "\c" matches c itself (a '\' last matches a '\');
 * - every other byte matches itself; case counts, and a leading '.' is
 *   matched by '*', '?' or "[...]" as any other byte;
 * - with path nonzero, a '/' in s is matched only by a '/' in pat: '*',
 *   '?' and "[...]" never match one (fnmatch(3)'s FNM_PATHNAME), so
 *   "*.o" matches "a.o" but not "d/a.o".
 * It agrees with fnmatch(pat, s, path ? FNM_PATHNAME : 0) of musl on all
 * of that (test/unit/t-lib-pattern.c compares them). */
#ifndef HUSK_PATTERN_H
#define HUSK_PATTERN_H

int pattern_match(const char *pat, const char *s, int path);

#endif
