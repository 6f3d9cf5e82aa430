/* pattern_match: a table of what lib/tree's -x patterns mean, then each
 * case and many random ones compared against fnmatch(3). */
#include <fnmatch.h>
#include <string.h>

#include "pattern.h"
#include "tap.h"

static int
fn(const char *pat, const char *s, int path)
{
	return !fnmatch(pat, s, path ? FNM_PATHNAME : 0);
}

/* A pattern or string of up to 8 pieces from set, from the seed *x. */
static void
gen(char *out, const char *const *set, size_t nset, unsigned *x)
{
	size_t n;

	*x = *x * 1103515245 + 12345;
	n = (*x >> 16) % 9;
	*out = 0;
	while (n--) {
		*x = *x * 1103515245 + 12345;
		strcat(out, set[(*x >> 16) % nset]);
	}
}

int
main(void)
{
	static const struct {
		const char *pat, *s;
		int path, want;
	} t[] = {
		/* The first NMUSL: a '\\' last or in a set, as musl reads it
		 * (husk's static binaries had that); glibc's fnmatch(3), in
		 * the sanitizer build, reads them otherwise. */
		{ "a\\", "a\\", 0, 1 }, { "[\\]", "\\", 0, 1 },
		{ ".git", ".git", 1, 1 }, { ".git", "a/.git", 1, 0 },
		{ "*.o", "a.o", 1, 1 }, { "*.o", "d/a.o", 1, 0 },
		{ "*.o", "d/a.o", 0, 1 }, { "*/a.o", "d/a.o", 1, 1 },
		{ "*", ".hidden", 1, 1 }, { "?git", ".git", 0, 1 },
		{ "*", "", 0, 1 }, { "", "", 0, 1 }, { "", "a", 0, 0 },
		{ "a*b*c", "axxbyyc", 0, 1 }, { "a*b*c", "axxbyy", 0, 0 },
		{ "a*b", "a/b", 0, 1 }, { "a*b", "a/b", 1, 0 },
		{ "a?b", "a/b", 1, 0 }, { "a[/]b", "a/b", 1, 0 },
		{ "*/*", "a/b", 1, 1 }, { "*/*", "a/b/c", 1, 0 },
		{ "build/*", "build/x", 1, 1 }, { "build/*", "build/x/y", 1, 0 },
		{ "[a-c]x", "bx", 0, 1 }, { "[a-c]x", "dx", 0, 0 },
		{ "[!a-c]x", "dx", 0, 1 }, { "[^a-c]x", "ax", 0, 0 },
		{ "[]]", "]", 0, 1 }, { "[!]]", "]", 0, 0 }, { "[!]]", "x", 0, 1 },
		{ "[-a]", "-", 0, 1 }, { "[a-]", "-", 0, 1 }, { "[c-a]", "b", 0, 0 },
		{ "[ab", "[ab", 0, 1 }, { "[ab", "a", 0, 0 },
		{ "\\*", "*", 0, 1 }, { "\\*", "a", 0, 0 }, { "\\?", "?", 0, 1 },
		{ "\\[a]", "[a]", 0, 1 }, { "*.[ch]", "x.h", 0, 1 },
		{ "*.[ch]", "x.o", 0, 0 }, { "A", "a", 0, 0 },
		{ "**a", "bba", 0, 1 }, { "*a*", "bbb", 0, 0 },
		{ "\\/", "/", 1, 1 }, { "x/\\/", "x//", 1, 1 },
	};
	static const char *const pset[] = {
		"a", "b", "/", "*", "?", "[ab]", "[!a]", "[a-b]", "[]a]", "\\*",
		"\\a", "[", ".",
	};
	static const char *const sset[] = { "a", "b", "/", "*", "[", "]", "." };
	enum { NMUSL = 2 };
	char pat[128], s[64];
	unsigned x = 1;
	int bad = 0;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		ok(pattern_match(t[i].pat, t[i].s, t[i].path) == t[i].want,
		    "\"%s\" %s \"%s\"%s", t[i].pat, t[i].want ? "matches" :
		    "does not match", t[i].s, t[i].path ? " (path)" : "");
#ifdef __GLIBC__
		if (i < NMUSL) {
			ok(1, "# skip glibc's fnmatch(3) reads it otherwise");
			continue;
		}
#endif
		ok(fn(t[i].pat, t[i].s, t[i].path) == t[i].want,
		    "so does fnmatch(3)");
	}
	for (int i = 0; i < 200000 && bad < 5; i++) {
		int path = i & 1;
		gen(pat, pset, sizeof pset / sizeof pset[0], &x);
		gen(s, sset, sizeof sset / sizeof sset[0], &x);
		/* fnmatch(3) reads "[." in a set as a collating element. */
		if (strstr(pat, "[."))
			continue;
		if (pattern_match(pat, s, path) != fn(pat, s, path)) {
			printf("# \"%s\" \"%s\" path %d: %d, fnmatch %d\n", pat,
			    s, path, pattern_match(pat, s, path),
			    fn(pat, s, path));
			bad++;
		}
	}
	ok(!bad, "up to 200000 random patterns and strings as fnmatch(3) has them");
	return done_testing();
}
