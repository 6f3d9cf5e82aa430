/* guest-agent: run code on request, inside a job's VM; and its client.
 *
 * Server.  Listens on one TCP or vsock address (-l) and speaks HTTP/1.1
 * with JSON bodies, one request per connection (every reply ends the
 * connection):
 *
 *   GET  /health    {"status":"ok","version":...,"languages":[...],...}
 *   POST /exec      {"argv":[...]} or {"language":L,"code":C}, plus
 *                   optional stdin, env, cwd, timeout_ms, max_output,
 *                   stream; answers with the exit record (or, streaming,
 *                   an NDJSON chunked body: output lines, record last)
 *   POST /shutdown  answers, stops the jobs, then exits (or, as PID 1,
 *                   powers off)
 *   GET  /files?path=ABS     a tar of ABS (lib/tar), chunked
 *   PUT  /files?path=ABSDIR  a tar body extracted into ABSDIR
 *   POST /rekey     {"token":T,"entropy_b64":B,"time":"SEC.NSEC"}: a new
 *                   token, entropy for the kernel, and (restored) the time
 *
 * Every path but /health needs "Authorization: Bearer TOKEN" when a token
 * is configured (-k file, or -K: husk.token= on the kernel command line).
 * With -S, once listening, the agent reads vmrun's snapshot port: a VM
 * restored from a snapshot answers 409 to all but /health and /rekey
 * until a rekey makes it its own.
 * guest-agent(8) documents the fields, the codes and how output bytes that
 * are not UTF-8 travel in JSON (json.h: json_bytes).
 *
 * Invariants:
 * - The main process never blocks on a job or a slow client: one poll()
 *   loop over the listening socket, the connections still sending their
 *   request (each with a deadline) and a signalfd.  Nothing wakes it when
 *   idle: no timers, no polling.
 * - Each accepted /exec runs in a worker process forked for it, which
 *   forks the job as leader of a new process group, pumps its pipes, and
 *   kills the whole group (TERM, grace, KILL: lib/pgkill) on output cap,
 *   timeout, client hang-up or shutdown.  The worker is a child subreaper,
 *   so double-forked members are reaped by it, not leaked.
 * - A /files request runs in a worker too, which for a PUT reads the
 *   body from the connection itself (past BODY_MAX; the main loop keeps
 *   none of it).  An archive from the other side (PUT here, call get in
 *   the client) is extracted by lib/tar's rules into a new directory,
 *   then moved into place whole, or removed.
 * - At most -j jobs (and /files workers) run; a request past that gets
 *   429 at once.  A job's
 *   slot is free when the job is over, before its worker sends the
 *   result: a client holding a result may start the next job at once.
 * - The job sees only the environment it is given (plus PATH and HOME),
 *   never the agent's, and no descriptor of ours past 0, 1 and 2.
 *
 * Client.  guest-agent call ADDR VERB: one request per attempt, retried
 * with backoff when the connection cannot be made or the request cannot
 * be sent, or the answer is 429 or 5xx; never once a job may have run.
 * get and put copy a file or tree out of or into the guest as a tar.
 *
 * Packing, on the host.  guest-agent pack DIR PREFIX: DIR's tree as a
 * newc cpio on standard output (lib/cpio.h), for husk run -C DIR to
 * append to the guest image: the job finds it under /PREFIX.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "cpio.h"
#include "err.h"
#include "io.h"
#include "num.h"
#include "ready.h"

#include "guest-agent/agent.h"

struct lang langs[LANGS_MAX];
int nlangs, maxjobs = 4;
char token[TOKEN_MAX + 1];
const char *workdir = "/tmp";

/* The server's options that setup() uses. */
struct opts {
	const char *listen, *langfile, *ready, *tokfile, *cmdline;
	int readyfd, snapshot;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: guest-agent [-l addr:port] [-k tokenfile] [-K cmdline] "
	    "[-j jobs] [-w workdir] [-L languages] [-R readyfifo] [-N fd] [-S]\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] [-w wait_ms] addr:port health\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] [-w wait_ms] addr:port shutdown\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] [-w wait_ms] [-t timeout_ms] [-m max_output] [-d dir] [-i | -I] "
	    "addr:port exec argv ...\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] [-w wait_ms] [-t timeout_ms] [-m max_output] [-d dir] [-i | -I] "
	    "addr:port run language file\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] [-w wait_ms] [-t timeout_ms] [-m max_bytes] "
	    "addr:port get path dest\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] [-w wait_ms] [-t timeout_ms] [-m max_bytes] "
	    "[-x pattern] addr:port put path guestdir [name]\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] [-w wait_ms] addr:port rekey newtokenfile\n"
	    "       guest-agent pack [-x pattern] [-m max_bytes] "
	    "[-n max_files] dir prefix\n");
	exit(EX_USAGE);
}

/* ---- configuration ---- */

#define STR_(x) #x
#define STR(x) STR_(x)

/* What is wrong with t[0..n) as a token, or NULL: printable, no spaces,
 * 1..TOKEN_MAX bytes (-k, -K, call's files, POST /rekey's token). */
const char *
token_bad(const char *t, size_t n)
{
	if (!n || n > TOKEN_MAX)
		return "empty or longer than " STR(TOKEN_MAX) " bytes";
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] == 0x7f)
			return "not printable";
	return NULL;
}

/* The first line of a token file, or the husk.token= word of a kernel
 * command line, into out (token_bad's rules). */
void
token_load(const char *path, int cmdline, char *out)
{
	static char buf[8192];
	const char *t = NULL, *e;

	if (io_readsmall(AT_FDCWD, path, buf, sizeof buf) < 0)
		err_diesys(EX_SYS, "unable to read %s", path);
	if (cmdline) {
		for (char *w = strtok(buf, " \t\n"); w; w = strtok(NULL, " \t\n"))
			if (!strncmp(w, "husk.token=", 11))
				t = w + 11;
		if (!t)
			err_die(EX_USAGE, "unable to find husk.token= in %s",
			    path);
	} else {
		buf[strcspn(buf, "\n")] = 0;
		t = buf;
	}
	if ((e = token_bad(t, strlen(t))))
		err_die(EX_USAGE, "unable to use token from %s: %s", path, e);
	memcpy(out, t, strlen(t) + 1);
}

/* Lines "NAME VERSION COMMAND...": the code file is appended to COMMAND.
 * Blank lines and lines starting with '#' are skipped. */
static void
langs_load(const char *path, int required)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	int ln = 0;

	if (!f) {
		if (!required && errno == ENOENT)
			return;
		err_diesys(EX_SYS, "unable to open %s", path);
	}
	while (fgets(line, sizeof line, f)) {
		struct lang *l = &langs[nlangs];
		char *w[LANG_WORDS + 3];
		int n = 0;
		ln++;
		if (!strchr(line, '\n') && !feof(f))
			err_die(EX_USAGE, "unable to parse %s: line %d: too "
			    "long", path, ln);
		memcpy(l->line, line, sizeof line);
		for (char *s = strtok(l->line, " \t\n"); s;
		    s = strtok(NULL, " \t\n")) {
			if (n == LANG_WORDS + 2)
				err_die(EX_USAGE, "unable to parse %s: line "
				    "%d: more than %d words", path, ln,
				    LANG_WORDS + 2);
			w[n++] = s;
		}
		if (!n || w[0][0] == '#')
			continue;
		if (n < 3 || strlen(w[0]) >= sizeof l->name ||
		    strlen(w[1]) >= sizeof l->version)
			err_die(EX_USAGE, "unable to parse %s: line %d: want "
			    "NAME VERSION COMMAND", path, ln);
		if (nlangs == LANGS_MAX)
			err_die(EX_USAGE, "unable to parse %s: more than %d "
			    "languages", path, LANGS_MAX);
		for (int i = 0; i < nlangs; i++)
			if (!strcmp(langs[i].name, w[0]))
				err_die(EX_USAGE, "unable to parse %s: line "
				    "%d: %s given twice", path, ln, w[0]);
		strcpy(l->name, w[0]);
		strcpy(l->version, w[1]);
		for (int i = 2; i < n; i++)
			l->argv[i - 2] = w[i];
		nlangs++;
	}
	if (ferror(f))
		err_diesys(EX_SYS, "unable to read %s", path);
	fclose(f);
}

/* ---- the server ---- */

/* Read the token and languages, check the workdir, listen, then tell
 * whoever waits that we are ready. */
static void
setup(const struct opts *o)
{
	struct stat st;

	if (o->tokfile || o->cmdline)
		token_load(o->tokfile ? o->tokfile : o->cmdline, !o->tokfile,
		    token);
	langs_load(o->langfile ? o->langfile : "/etc/husk/languages",
	    !!o->langfile);
	if (stat(workdir, &st) < 0)
		err_diesys(EX_SYS, "unable to stat %s", workdir);
	if (!S_ISDIR(st.st_mode))
		err_die(EX_SYS, "unable to use %s as workdir: not a directory",
		    workdir);
	server_start(o->listen, o->snapshot);
	if (o->ready && ready_fifo(o->ready, READY_TIMEOUT_MS) < 0)
		err_diesys(EX_SYS, "unable to signal readiness on %s",
		    o->ready);
	if (o->readyfd >= 0 && ready_fd(o->readyfd) < 0)
		err_diesys(EX_SYS, "unable to signal readiness on fd %d",
		    o->readyfd);
	/* After the readiness FIFO: a relative -R names it from where we
	 * were started. */
	if (chdir(workdir) < 0)
		err_diesys(EX_SYS, "unable to chdir to %s", workdir);
}

/* Stopped: as init there is nobody to hand over to, so power off. */
static int
finish(void)
{
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
		err_diesys(EX_SYS, "unable to power off");
	}
	err_info("stopped");
	return 0;
}

static int
server_main(int argc, char **argv)
{
	struct opts o = { .listen = "0.0.0.0:8000", .readyfd = -1 };
	int c;

	while ((c = getopt(argc, argv, "+l:k:K:j:w:L:R:N:Sh")) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'k': o.tokfile = optarg; break;
		case 'K': o.cmdline = optarg; break;
		case 'j':
			maxjobs = xnum_opt('j', optarg, 1, JOBS_MAX, "number");
			break;
		case 'w': workdir = optarg; break;
		case 'L': o.langfile = optarg; break;
		case 'R': o.ready = optarg; break;
		case 'S': o.snapshot = 1; break;
		case 'N':
			o.readyfd = xnum_opt('N', optarg, 3, 1023,
			    "file descriptor");
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (o.tokfile && o.cmdline)
		err_die(EX_USAGE, "unable to use -k and -K together");
	if (o.ready && o.readyfd >= 0)
		err_die(EX_USAGE, "unable to use -R and -N together");
	if (o.readyfd >= 0 && fcntl(o.readyfd, F_GETFD) < 0)
		err_diesys(EX_USAGE, "unable to use -N %d", o.readyfd);
	if (workdir[0] != '/')
		err_die(EX_USAGE, "unable to use -w %s: not an absolute path",
		    workdir);
	setup(&o);
	server_loop();
	return finish();
}

/* ---- the client ---- */

static int
call_main(int argc, char **argv)
{
	struct call c = { .connect_ms = 5000, .tries = 3, .timeout_ms = -1,
	    .max_output = -1 };
	const char *tokfile = NULL;
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "+k:c:n:w:t:m:d:x:iIh")) != -1) {
		switch (ch) {
		case 'k': tokfile = optarg; break;
		case 'c':
			c.connect_ms = xnum_opt('c', optarg, 1, 3600000, "number");
			break;
		case 'n':
			c.tries = xnum_opt('n', optarg, 1, 100, "number");
			break;
		case 'w':
			c.wait_until = clock_ms() + xnum_opt('w', optarg, 1,
			    3600000, "number");
			break;
		case 't':
			c.timeout_ms = xnum_opt('t', optarg, 1, TIMEOUT_MAX, "number");
			break;
		case 'm':
			c.max_output = xnum_opt('m', optarg, 0, FILES_BOUND,
			    "number");
			break;
		case 'd':
			if (optarg[0] != '/')
				err_die(EX_USAGE, "unable to use -d %s: not an "
				    "absolute path", optarg);
			c.cwd = optarg;
			break;
		case 'x':
			if (c.nexclude == sizeof c.exclude / sizeof *c.exclude)
				err_die(EX_USAGE, "unable to use -x %s: more "
				    "than %zu patterns", optarg,
				    sizeof c.exclude / sizeof *c.exclude);
			c.exclude[c.nexclude++] = optarg;
			break;
		case 'i': c.stdin_too = 1; break;
		case 'I': c.stdin_stream = 1; break;
		default: usage();
		}
	}
	if (argc - optind < 2)
		usage();
	c.addr = argv[optind++];
	for (size_t i = 0; i < call_nverbs; i++)
		if (!strcmp(argv[optind], call_verbs[i].name))
			c.verb = &call_verbs[i];
	c.args = argv + ++optind;
	c.nargs = argc - optind;
	if (!c.verb)
		usage();
	if (c.nargs < c.verb->min || (c.verb->max >= 0 &&
	    c.nargs > c.verb->max))
		usage();
	if ((!c.verb->job && !c.verb->files && (c.timeout_ms >= 0 ||
	    c.max_output >= 0)) || (!c.verb->job && (c.stdin_too ||
	    c.stdin_stream || c.cwd)) || (c.stdin_too && c.stdin_stream))
		usage();
	if (c.nexclude && c.verb->files != CALL_PUT)
		usage();
	if (c.verb->files && c.max_output == 0)
		err_die(EX_USAGE, "unable to parse -m 0: not a number from 1 "
		    "to %lld", FILES_BOUND);
	if (c.verb->job && c.max_output > OUTPUT_MAX)
		err_die(EX_USAGE, "unable to parse -m %lld: not a number from "
		    "0 to %d", c.max_output, OUTPUT_MAX);
	if (c.verb->job == CALL_CODE && (c.stdin_too || c.stdin_stream) &&
	    !strcmp(c.args[1], "-"))
		err_die(EX_USAGE, "unable to use -%c with code from standard "
		    "input", c.stdin_too ? 'i' : 'I');
	call_setup(&c, tokfile);
	return call_run(&c);
}

/* ---- packing ---- */

/* Defaults: what a guest's RAM holds comfortably (husk raises it). */
#define PACK_MAX_BYTES (256LL << 20)
#define PACK_MAX_FILES 100000

static int
pack_main(int argc, char **argv)
{
	struct tree_opts o = { .max_bytes = PACK_MAX_BYTES,
	    .max_entries = PACK_MAX_FILES };
	const char **x;
	char err[512];
	int ch;

	if (!(x = calloc(argc, sizeof *x)))
		err_diesys(EX_SYS, "unable to allocate");
	optind = 1;
	while ((ch = getopt(argc, argv, "+x:m:n:h")) != -1) {
		switch (ch) {
		case 'x': x[o.nexclude++] = optarg; break;
		case 'm':
			o.max_bytes = xnum_opt('m', optarg, 1, 1LL << 40,
			    "number");
			break;
		case 'n':
			o.max_entries = xnum_opt('n', optarg, 1, 10000000,
			    "number");
			break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (!cpio_prefix_valid(argv[optind + 1]))
		err_die(EX_USAGE, "unable to use prefix %s: not a relative "
		    "path without empty, . or .. components", argv[optind + 1]);
	if (isatty(1))
		err_die(EX_USAGE, "unable to pack %s: standard output is a "
		    "terminal", argv[optind]);
	o.exclude = x;
	if (cpio_write(1, argv[optind], argv[optind + 1], &o, err,
	    sizeof err) < 0)
		err_die(EX_SYS, "unable to pack %s: %s", argv[optind], err);
	free(x);
	return 0;
}

static const struct mode {
	const char *name;
	int (*fn)(int, char **);
} modes[] = {
	{ "call", call_main },
	{ "pack", pack_main },
};

int
main(int argc, char **argv)
{
	err_setprog(argv[0]);
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
		if (argc > 1 && !strcmp(argv[1], modes[i].name))
			return modes[i].fn(argc - 1, argv + 1);
	return server_main(argc, argv);
}
