/* ptyd: persistent terminal sessions over HTTP and WebSocket.
 *
 * ptyd listens on a TCP address (127.0.0.1:7681 by default) or a Unix
 * socket, optionally with TLS, and serves:
 *
 *   POST /terminals {cols, rows, command?, cwd?, env?}  201 {"id","pid"}
 *   GET  /terminals                     200 [ session, ... ]
 *   GET  /terminals/ID                  200 session, or with an Upgrade:
 *        a WebSocket: BINARY frames are terminal output (the scrollback
 *        tail, then live), TEXT frames JSON events, last
 *        {"type":"exit","exit_code":N|null,"signal":"SIGX"|null};
 *        from the client BINARY is keyboard input, TEXT is
 *        {"type":"resize","cols":C,"rows":R}.
 *        With ?input=text, TEXT frames are keyboard input too.
 *   POST /terminals/ID/resize {cols, rows}, POST /terminals/ID/terminate
 *   POST /execute-command {command, cwd?, timeout?}  200 {"output",
 *        "exit_code","signal","timed_out","truncated"}, once it is over
 *   GET  /status {"version","uptime_s","sessions",...}
 *   GET  /health, GET / and the page's assets (embedded, lib/web_asset.h)
 *
 * Errors are {"error":"..."} with 400/401/403/404/405/409/413/431/503.
 * `ptyd attach URL|socket ID` is the command-line client.  The full
 * contract, close codes and exit codes are in ptyd(1).
 *
 * Invariants:
 * - Every byte a session's PTY produces goes into its ring (--scrollback
 *   bytes), at a global offset.  A client is only an offset into it:
 *   replay and live output are one copy loop, so nothing is lost or
 *   repeated between the two.
 * - While a client is attached, the PTY is read only into ring space that
 *   client has already been sent: a slow client holds the command back
 *   (as a slow terminal would) instead of losing bytes.  Unattached, the
 *   ring keeps the newest bytes.
 * - One live client per session, the newest.  Attaching detaches the old
 *   one at once (close 4001 "preempted" after what it was already sent),
 *   so nothing late from an old connection can reach the session or win.
 * - A session's exit is reported only after its PTY reached EOF and the
 *   client was sent every byte; it is kept until a client was sent the
 *   exit event or --idle-timeout passes.
 * - One thread, one poll loop, no blocking call on a client's behalf.
 */
#include <arpa/inet.h>
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "http.h"
#include "io.h"
#include "loop.h"
#include "num.h"
#include "ready.h"
#include "tls.h"
#include "unixsock.h"
#include "ptyd/ptyd.h"

#define DEFAULT_ADDR "127.0.0.1:7681"

struct session *sessions;
struct conn *conns;
int nsessions, nconns;
size_t scrollback = 1 << 20, flush_bytes = 8192;
long long flush_ms = 8, idle_ms = 0;
long long max_sessions = 64;
long long started_ms;
const char *default_cmd, *origins, *hosts;
char *token;
struct tls_srv *tls;
int verbose, lsock = -1;
const char *upath;

_Noreturn void
usage(void)
{
	fprintf(stderr, "usage: ptyd [-l addr:port | -u path] [-c command] "
	    "[-R readyfifo] [-N fd] [--cert pem --key pem] [--token file] "
	    "[--origin list] [--host list] [--scrollback bytes] "
	    "[--flush ms:bytes] "
	    "[--max-sessions n] [--idle-timeout s] [-v]\n"
	    "       ptyd attach [-v] [-k tokenfile] url|socket id\n");
	exit(EX_USAGE);
}

const char *
signame(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
		[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",
		[SIGUSR2] = "SIGUSR2", [SIGPIPE] = "SIGPIPE",
		[SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
		[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD",
		[SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
		[SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
		[SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",
		[SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
		[SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
		[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR",
		[SIGSYS] = "SIGSYS",
	};
	static char tmp[16];

	if (sig > 0 && sig < (int)(sizeof names / sizeof names[0]) && names[sig])
		return names[sig];
	snprintf(tmp, sizeof tmp, "SIG%d", sig);
	return tmp;
}

/* The token in file, its first line: read here once, for the server
 * (--token) and for ptyd attach (-k). */
char *
token_file(const char *file)
{
	char t[4096], *p;

	if (io_readsmall(AT_FDCWD, file, t, sizeof t) < 0)
		err_diesys(EX_USAGE, "unable to read token file %s", file);
	t[strcspn(t, "\r\n")] = 0;
	if (!(p = strdup(t)))
		err_die(EX_SYS, "unable to read token file %s: out of memory",
		    file);
	return p;
}

static struct loop l;	/* setup() makes it, loop() turns it */

/* SIGTERM, SIGINT, SIGHUP: the sessions end, and so do we. */
static int
stop(int sig)
{
	if (verbose)
		err_info("%s: stopping", signame(sig));
	shutdown_all();
	if (upath)
		unlink(upath);
	return 0;
}

/* One wait per turn on every descriptor and the earliest deadline; then
 * each layer takes what is ready: signals, new connections, the PTYs,
 * the connections, and last the sessions that are over. */
static int
loop(void)
{
	int ci, si, sig;

	for (;;) {
		loop_begin(&l);
		ci = conns_wait(&l);
		si = sessions_wait(&l);
		if (loop_wait(&l) < 0)
			err_diesys(EX_SYS, "unable to poll");
		if (loop_rev(&l, 0)) {
			while ((sig = loop_signal(&l)))
				if (sig != SIGCHLD)
					return stop(sig);
			reap(l.now);
		}
		conns_accept(&l, ci);
		sessions_run(&l, si);
		conns_run(&l, ci + 1);
		sessions_done(l.now);
	}
}

/* --- main --------------------------------------------------------------- */

/* What main() read for setup(). */
struct start {
	const char *addr, *fifo, *cert, *key, *tokfile;
	long long nfd;
};

/* --flush ms:bytes */
static void
flush_opt(char *arg)
{
	char *colon = strchr(arg, ':');

	if (!colon)
		err_die(EX_USAGE, "unable to parse --flush %s: not ms:bytes", arg);
	*colon = 0;
	flush_ms = xnum_lopt("flush", arg, 0, 1000, "number of ms");
	flush_bytes = xnum_lopt("flush", colon + 1, 1, FRAME_OUT_MAX,
	    "number of bytes");
}

/* Everything before the loop, each failure fatal: the token, the
 * certificate, descriptors, signals, the listener, then readiness. */
static void
setup(const struct start *st)
{
	const char *ready_env, *fifo = st->fifo;
	char where[300];
	struct rlimit rl;

	if (!default_cmd)
		default_cmd = getenv("SHELL") && *getenv("SHELL") ?
		    getenv("SHELL") : "/bin/sh";
	if (st->tokfile) {
		token = token_file(st->tokfile);
		if (strlen(token) < 16 || strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-._~+/=") != strlen(token))
			err_die(EX_USAGE, "unable to use token file %s: the "
			    "token must be 16 or more URL-safe characters",
			    st->tokfile);
	}
	if (st->cert) {
		char why[256];
		if (tls_srv_load(&tls, st->cert, st->key, why, sizeof why) < 0)
			err_die(EX_USAGE, "unable to load TLS certificate %s "
			    "and key %s: %s", st->cert, st->key, why);
	}
	/* Every connection and session costs descriptors: take all we may. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	started_ms = clock_ms();
	if (loop_init(&l, LOOP_SIGNALS) < 0)
		err_diesys(EX_SYS, "unable to set up signals");
	if (upath)
		lsock = unixsock_listen(upath, 128);
	else
		lsock = http_listen(st->addr, 128);
	if (lsock < 0)
		err_diesys(EX_SYS, "unable to listen on %s", upath ? upath :
		    st->addr);
	if (upath)
		snprintf(where, sizeof where, "%s", upath);
	else
		http_sockname(lsock, where, sizeof where);
	err_info("listening on %s%s", tls ? "https://" : upath ? "" :
	    "http://", where);

	/* Ready only now that the listener is bound; a parent must not
	 * wait forever on a failure, so it is fatal. */
	ready_env = getenv("PTYD_READY_PIPE");
	if (!fifo && ready_env && *ready_env)
		fifo = ready_env;
	if (fifo && ready_fifo(fifo, READY_TIMEOUT_MS) < 0)
		err_diesys(EX_SYS, "unable to signal readiness on %s", fifo);
	if (st->nfd >= 0 && ready_fd(st->nfd) < 0)
		err_diesys(EX_SYS, "unable to signal readiness on fd %lld",
		    st->nfd);
}

enum { O_CERT = 256, O_KEY, O_TOKEN, O_ORIGIN, O_SCROLLBACK, O_FLUSH,
	O_MAXSESS, O_IDLE, O_HOST };

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "token", required_argument, NULL, O_TOKEN },
		{ "origin", required_argument, NULL, O_ORIGIN },
		{ "host", required_argument, NULL, O_HOST },
		{ "scrollback", required_argument, NULL, O_SCROLLBACK },
		{ "flush", required_argument, NULL, O_FLUSH },
		{ "max-sessions", required_argument, NULL, O_MAXSESS },
		{ "idle-timeout", required_argument, NULL, O_IDLE },
		{ 0 },
	};
	struct start st = { .nfd = -1 };
	int opt;

	err_setprog(argv[0]);
	/* Host names, for -l and attach's url. */
	http_resolve = http_resolve_dns;
	if (argc > 1 && !strcmp(argv[1], "attach"))
		return attach_main(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "+hl:u:c:R:N:v", lopts,
	    NULL)) != -1) {
		switch (opt) {
		case 'l': st.addr = optarg; break;
		case 'u': upath = optarg; break;
		case 'c': default_cmd = optarg; break;
		case 'R': st.fifo = optarg; break;
		case 'N':
			st.nfd = xnum_opt('N', optarg, 0, 1 << 20, "descriptor");
			break;
		case 'v': verbose = 1; break;
		case O_CERT: st.cert = optarg; break;
		case O_KEY: st.key = optarg; break;
		case O_TOKEN: st.tokfile = optarg; break;
		case O_ORIGIN: origins = optarg; break;
		case O_HOST: hosts = optarg; break;
		case O_SCROLLBACK:
			scrollback = xnum_lopt("scrollback", optarg, 4096,
			    1 << 30, "number");
			break;
		case O_FLUSH: flush_opt(optarg); break;
		case O_MAXSESS:
			max_sessions = xnum_lopt("max-sessions", optarg, 1,
			    100000, "number");
			break;
		case O_IDLE:
			idle_ms = 1000 * xnum_lopt("idle-timeout", optarg, 0,
			    1LL << 31, "number of seconds");
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (st.addr && upath)
		err_die(EX_USAGE, "unable to use -l and -u together");
	if (!st.cert != !st.key)
		err_die(EX_USAGE, "unable to use TLS: --cert and --key go together");
	if (!st.addr && !upath)
		st.addr = DEFAULT_ADDR;
	if (st.addr && !http_loopback(st.addr) && !st.tokfile)
		err_die(EX_USAGE, "unable to listen on %s: a non-loopback "
		    "address requires --token", st.addr);
	setup(&st);
	return loop();
}
