/* path_inside and id_valid, as tables. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "tap.h"

int
main(void)
{
	char tmpl[] = "/tmp/t-lib-path.XXXXXX", *t = mkdtemp(tmpl), p[4][256];
	static const struct { const char *s; int want; } ids[] = {
		{ "abc", 1 }, { "1795589070.538008639-vm-2535-0", 1 },
		{ "A_b-c.9", 1 }, { "", 0 }, { ".hidden", 0 }, { "..", 0 },
		{ "../x", 0 }, { "a/b", 0 }, { "a b", 0 }, { "a\tb", 0 },
		{ "é", 0 }, { "x..y", 1 },
	};
	char big[ID_MAX + 2];

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		ok(id_valid(ids[i].s) == ids[i].want, "id_valid(\"%s\") == %d",
		    ids[i].s, ids[i].want);
	memset(big, 'a', ID_MAX);
	big[ID_MAX] = 0;
	ok(id_valid(big) == 1, "id of ID_MAX characters is valid");
	big[ID_MAX] = 'a';
	big[ID_MAX + 1] = 0;
	ok(id_valid(big) == 0, "id of ID_MAX+1 characters is not");
	ok(id_valid(NULL) == 0, "NULL is not an id");

	snprintf(p[0], sizeof p[0], "%s/a/b", t);
	snprintf(p[1], sizeof p[1], "%s/a/bc", t);
	snprintf(p[2], sizeof p[2], "%s/a/b/c", t);
	snprintf(p[3], sizeof p[3], "%s/a/link", t);
	mkdir(strcat(strcpy((char[256]){0}, t), "/a"), 0700);
	mkdir(p[0], 0700);
	mkdir(p[1], 0700);
	mkdir(p[2], 0700);
	symlink(p[1], p[3]);
	ok(path_inside(p[0], p[2]) == 1, "a/b/c is inside a/b");
	ok(path_inside(p[0], p[0]) == 1, "a/b is inside itself");
	ok(path_inside(p[0], p[1]) == 0, "a/bc is not inside a/b");
	ok(path_inside(p[2], p[0]) == 0, "a/b is not inside a/b/c");
	ok(path_inside(p[0], p[3]) == 0, "a symlink to a/bc is not inside a/b");
	ok(path_inside("/", p[0]) == 1, "everything is inside /");
	{
		char dots[300];
		snprintf(dots, sizeof dots, "%s/c/../../bc", p[0]);
		ok(path_inside(p[0], dots) == 0, "a/b/c/../../bc is not inside a/b");
	}
	ok(path_inside(p[0], "/nonexistent/x") == -1, "unresolvable path fails");

	rmdir(p[2]); unlink(p[3]); rmdir(p[1]); rmdir(p[0]);
	snprintf(p[0], sizeof p[0], "%s/a", t);
	rmdir(p[0]);
	rmdir(t);
	return done_testing();
}
