/* husk-api: husk's HTTP job service, in front of its relay queue; and its
 * client.
 *
 * Server.  Listens on one TCP address (-l) and speaks HTTP/1.1 with JSON
 * bodies, one request per connection:
 *
 *   POST   /run        {"language","code"[,"timeout"]}  -> 202 {"id"}
 *   GET    /status/ID  {"id","status","exit_code","stdout","stderr"}
 *   DELETE /jobs/ID    cancel: 200 (it was queued) or 202 (running)
 *
 * A job is a relay command (relaydir.h) in the relay directory (-d):
 * POST /run writes its code to DIR/result/ID.code, then DIR/cmd/ID, the
 * command `exec $HUSK_API_RUN -l LANG [-t T] -f DIR/result/ID.code`
 * (HUSK_API_RUN: `husk run`), which the relayd of `husk serve` runs;
 * GET /status reads DIR/run/ID and DIR/result/ID.{exit,log,err} (relayd
 * -2 keeps standard error apart); DELETE writes DIR/cancel/ID, or takes
 * a queued command out of cmd/.  The api keeps no state of its own: a
 * result of its own (one with ID.code) is removed -T seconds after its
 * end (relay_results_expire, as relayd -K removes any), at start and
 * every ttl/2 seconds (at least 1).
 *
 * Invariants:
 * - Nothing blocks the one loop (lib/loop): connections are non-blocking,
 *   each with a deadline, their bodies bounded one by one and together,
 *   and an answer is written as the socket takes it.
 * - Every request passes the doors on its head, before its body is kept:
 *   Host (an address, localhost or -H: no DNS rebinding), no Origin (no
 *   browser page may use us), the bearer token when there is one; off
 *   loopback there must be one (-k).
 * - ID.code is in place before cmd/ID names it.
 *
 * Client.  husk-api call (husk go): POST /run, then GET /status every
 * 200 ms until the job is over; its stdout and stderr to ours, its exit
 * code as ours.  SIGINT and SIGTERM cancel the job (DELETE).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "num.h"
#include "token.h"

#include "husk-api/api.h"

#define DEFAULT_ADDR "127.0.0.1:7474"

struct relaydir dir;
const char *hosts, *runcmd = "husk run";
char token[257];
char codedir[4096];
long long code_max = CODE_MAX_DEFAULT;
long long ttl_s = 300;

/* What setup() needs. */
struct opts {
	const char *addr, *tokfile, *path;
};

void
usage(void)
{
	fprintf(stderr,
	    "usage: husk-api [-l addr:port] [-k tokenfile] [-H hosts] "
	    "[-m max_code] [-T ttl] [-d dir]\n"
	    "       husk-api call [-b url] [-k tokenfile] [-t timeout] "
	    "-l lang -c code\n"
	    "       husk-api call [-b url] [-k tokenfile] [-t timeout] "
	    "-l lang -f file\n");
	exit(EX_USAGE);
}

static void
setup(const struct opts *o)
{
	const char *what, *run = getenv("HUSK_API_RUN");
	char *real;

	if (run && *run)
		runcmd = run;
	if (o->tokfile && token_read(o->tokfile, token, sizeof token) < 0) {
		if (errno == EINVAL)
			err_die(EX_USAGE, "unable to use token file %s: the "
			    "token must be 16 to 256 URL-safe characters",
			    o->tokfile);
		err_diesys(EX_USAGE, "unable to read token file %s",
		    o->tokfile);
	}
	if (relaydir_open(&dir, o->path, &what) < 0) {
		if (errno == EPROTO)
			err_die(EX_SYS, "unable to use %s: not a husk-relay 2 "
			    "directory (see %s/version)", o->path, o->path);
		err_diesys(EX_SYS, "unable to open %s/%s", o->path,
		    what == o->path ? "." : what);
	}
	/* The command runs in relayd's directory, not ours. */
	if (!(real = realpath(o->path, NULL)))
		err_diesys(EX_SYS, "unable to resolve %s", o->path);
	if (snprintf(codedir, sizeof codedir, "%s/result", real) >=
	    (int)sizeof codedir - ID_MAX - 16)
		err_die(EX_SYS, "unable to use %s: its path is too long",
		    real);
	free(real);
	server_start(o->addr);
	err_info("serving %s", o->path);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ttl", required_argument, NULL, 'T' }, { NULL, 0, NULL, 0 }
	};
	struct opts o = { DEFAULT_ADDR, NULL, getenv("RELAY_DIR") };
	int c;

	err_setprog(argv[0]);
	/* Host names, for -l and call's -b url (husk go -b). */
	http_resolve = http_resolve_dns;
	if (argc > 1 && !strcmp(argv[1], "call"))
		return call_main(argc - 1, argv + 1);
	if (!o.path || !*o.path)
		o.path = ".relay";
	while ((c = getopt_long(argc, argv, "l:k:H:m:T:d:h", lo, NULL)) != -1) {
		switch (c) {
		case 'l': o.addr = optarg; break;
		case 'k': o.tokfile = optarg; break;
		case 'H': hosts = optarg; break;
		case 'm':
			code_max = xnum_opt(c, optarg, 1, 64 << 20,
			    "number of bytes");
			break;
		case 'T':
			ttl_s = xnum_opt(c, optarg, 0, 10LL * 365 * 86400,
			    "number of seconds");
			break;
		case 'd': o.path = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (!http_loopback(o.addr) && !o.tokfile)
		err_die(EX_USAGE, "unable to listen on %s: a non-loopback "
		    "address requires -k", o.addr);
	setup(&o);
	server_loop();
	return 0;
}
