/* The relay protocol's parsers and id generator. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "path.h"
#include "relaydir.h"
#include "tap.h"

int
main(void)
{
	static const struct { const char *s; int ok; } marks[] = {
		{ "abc:123:123:456:node-1\n", 1 },
		{ "abc:123:123:456:node-1", 0 },     /* no newline: torn */
		{ "", 0 }, { "\n", 0 }, { "garbage\n", 0 },
		{ "../x:123:123:456:n\n", 0 },
		{ "abc:1:1:456:n\n", 0 },            /* pid 1: never ours */
		{ "abc:0:5:456:n\n", 0 },
		{ "abc:12x:12:456:n\n", 0 },
		{ "abc:123:123:456:n:extra\n", 0 },
		{ "abc:-5:123:456:n\n", 0 },
	};
	char tmpl[] = "/tmp/t-lib-relaydir.XXXXXX", *t = mkdtemp(tmpl);
	char a[ID_MAX + 1], b[ID_MAX + 1];
	struct relaydir d;
	struct marker m;
	struct server sv, me;
	const char *what;
	int code;

	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
		ok((relay_marker_parse(marks[i].s, &m) == 0) == marks[i].ok,
		    "marker %zu parses: %d", i, marks[i].ok);
	relay_marker_parse("abc:123:124:456:node-1\n", &m);
	ok(!strcmp(m.id, "abc") && m.pid == 123 && m.pgid == 124 &&
	    m.ticks == 456 && !strcmp(m.node, "node-1"), "marker fields");

	ok(relay_server_parse("h:4026531836:42:99\n", &sv) == 0 &&
	    sv.pid == 42 && sv.pidns == 4026531836ULL, "server info parses");
	ok(relay_server_parse("h:1:1:99\n", &sv) == -1, "server pid 1 refused");
	relay_self(&me);
	ok(relay_server_alive(&me) == 1, "we are alive");
	me.ticks++;
	ok(relay_server_alive(&me) == 0, "a recycled pid is not us");
	strcpy(me.host, "elsewhere");
	ok(relay_server_alive(&me) == -1, "another node cannot be checked");

	relay_newid(a, sizeof a);
	relay_newid(b, sizeof b);
	ok(id_valid(a) && id_valid(b), "new ids are valid: %s", a);
	ok(strcmp(a, b) < 0, "new ids sort by submission");

	ok(relaydir_open(&d, t, &what) == 0, "open creates the tree");
	ok(relay_exit_read(&d, "x", &code) == 0, "absent exit file");
	atomic_write(d.result, "x.exit", "7\n", 2, 0644);
	ok(relay_exit_read(&d, "x", &code) == 1 && code == 7, "exit 7 read");
	atomic_write(d.result, "x.exit", "seven\n", 6, 0644);
	errno = 0;
	ok(relay_exit_read(&d, "x", &code) == -1 && errno == EINVAL,
	    "non-numeric exit file is corrupt");
	atomic_write(d.result, "x.exit", "256\n", 4, 0644);
	ok(relay_exit_read(&d, "x", &code) == -1, "exit 256 is corrupt");
	atomic_write(d.result, "x.exit", "", 0, 0644);
	ok(relay_exit_read(&d, "x", &code) == -1, "empty exit file is corrupt");
	/* run/ID: a marker of its own id, an exit code written into it, or
	 * neither (empty, another id's, torn). */
	errno = 0;
	ok(relay_marker_read(&d, "x", &m, &code) == -1 && errno == ENOENT,
	    "no marker");
	atomic_write(d.run, "x", "x:123:123:456:n\n", 16, 0644);
	ok(relay_marker_read(&d, "x", &m, &code) == RELAY_MARK_RUN &&
	    m.pid == 123, "a running marker");
	atomic_write(d.run, "x", "y:123:123:456:n\n", 16, 0644);
	ok(relay_marker_read(&d, "x", &m, &code) == 0,
	    "a marker of another id is not this one's");
	atomic_write(d.run, "x", "42\n", 3, 0644);
	ok(relay_marker_read(&d, "x", &m, &code) == RELAY_MARK_EXIT &&
	    code == 42, "a marker holding exit 42");
	atomic_write(d.run, "x", "42", 2, 0644);
	ok(relay_marker_read(&d, "x", &m, &code) == 0, "a torn exit code");
	atomic_write(d.run, "x", "5\n:123:123:456:n\n", 17, 0644);
	ok(relay_marker_read(&d, "x", &m, &code) == RELAY_MARK_ENDING,
	    "a status over the marker's first bytes: ending");
	atomic_write(d.run, "x", "0\n\0\0\0\0", 6, 0644);
	ok(relay_marker_read(&d, "x", &m, &code) == RELAY_MARK_ENDING,
	    "a status then zeros (a stale block): ending, not exit 0");
	atomic_write(d.result, "x.exit", "0\n\0\0", 4, 0644);
	ok(relay_exit_read(&d, "x", &code) == -1 && errno == EINVAL,
	    "an exit file padded with zeros is corrupt");
	atomic_write(d.result, "x.exit", "7\0\n", 3, 0644);
	ok(relay_exit_read(&d, "x", &code) == -1 && errno == EINVAL,
	    "an exit file holding a NUL is corrupt");
	unlinkat(d.result, "x.exit", 0);
	atomic_write(d.run, "x", "", 0, 0644);
	ok(relay_marker_read(&d, "x", &m, &code) == 0, "an empty marker");
	unlinkat(d.run, "x", 0);
	ok(relay_refresh(d.result) == 0, "refresh asks past the cache (statx)");
	errno = 0;
	ok(relay_refresh(-1) == -1 && errno == EBADF, "refresh of no fd: EBADF");
	{
		/* relay_results_expire: by the exit file's age, every
		 * ID.SUFFIX of an expired ID, nothing of another. */
		static const char *const files[] = { "old.exit", "old.log",
		    "old.err", "old.code", "old.x.y", "old.exit.bak", "new.exit",
		    "new.log", "run.log", "old2.log" };
		struct timespec past[2] = { { time(NULL) - 7200, 0 },
		    { time(NULL) - 7200, 0 } };
		int gone = 1;
		unlinkat(d.result, "x.exit", 0);
		for (size_t i = 0; i < sizeof files / sizeof *files; i++)
			atomic_write(d.result, files[i], "0\n", 2, 0600);
		utimensat(d.result, "old.exit", past, 0);
		ok(relay_results_expire(&d, 3600, NULL) == 1, "one result is old");
		for (size_t i = 1; i < 4; i++)
			gone &= faccessat(d.result, files[i], F_OK, 0) < 0;
		ok(gone && faccessat(d.result, "old.exit", F_OK, 0) < 0,
		    "all of its ID.SUFFIX are gone");
		ok(faccessat(d.result, "old.x.y", F_OK, 0) == 0 &&
		    faccessat(d.result, "old.exit.bak", F_OK, 0) == 0 &&
		    faccessat(d.result, "old2.log", F_OK, 0) == 0 &&
		    faccessat(d.result, "new.log", F_OK, 0) == 0 &&
		    faccessat(d.result, "run.log", F_OK, 0) == 0,
		    "no file of another id, nor a younger result");
		ok(relay_results_expire(&d, 0, NULL) == 1 &&
		    faccessat(d.result, "new.log", F_OK, 0) < 0 &&
		    faccessat(d.result, "run.log", F_OK, 0) == 0,
		    "age 0: every finished result, no running one");
		/* only: the results that have ID.only (husk-api's code). */
		atomic_write(d.result, "api.exit", "0\n", 2, 0600);
		atomic_write(d.result, "api.code", "x", 1, 0600);
		atomic_write(d.result, "cli.exit", "0\n", 2, 0600);
		utimensat(d.result, "api.exit", past, 0);
		utimensat(d.result, "cli.exit", past, 0);
		ok(relay_results_expire(&d, 3600, "code") == 1 &&
		    faccessat(d.result, "api.exit", F_OK, 0) < 0 &&
		    faccessat(d.result, "api.code", F_OK, 0) < 0 &&
		    faccessat(d.result, "cli.exit", F_OK, 0) == 0,
		    "only code: the old result with a code file, not the other");
	}
	atomic_write(d.root, "version", "husk-relay 9\n", 13, 0644);
	errno = 0;
	ok(relaydir_open(&d, t, &what) == -1 && errno == EPROTO,
	    "another protocol version is refused");
	{
		char cmd[512];
		snprintf(cmd, sizeof cmd, "rm -rf %s", t);
		system(cmd);
	}
	return done_testing();
}
