/* guest-agent: run code on request, inside a job's VM; and its client.
 *
 * Server.  Listens on one TCP address (-l) and speaks HTTP/1.1 with JSON
 * bodies, one request per connection (every reply ends the connection):
 *
 *   GET  /health    {"status":"ok","version":...,"languages":[...],...}
 *   POST /exec      {"argv":[...]} or {"language":L,"code":C}, plus
 *                   optional stdin, env, cwd, timeout_ms, max_output,
 *                   stream; answers with the exit record (or, streaming,
 *                   an NDJSON chunked body: output lines, record last)
 *   POST /shutdown  answers, stops the jobs, then exits (or, as PID 1,
 *                   powers off)
 *
 * Every path but /health needs "Authorization: Bearer TOKEN" when a token
 * is configured (-k file, or -K: husk.token= on the kernel command line).
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
 * - At most -j workers exist; a request past that gets 429 at once.
 * - The job sees only the environment it is given (plus PATH and HOME),
 *   never the agent's, and no descriptor of ours past 0, 1 and 2.
 *
 * Client.  guest-agent call ADDR VERB: one request per attempt, retried
 * with backoff when the connection cannot be made or the request cannot
 * be sent, or the answer is 429 or 5xx; never once a job may have run.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "b64.h"
#include "buf.h"
#include "child.h"
#include "clock.h"
#include "err.h"
#include "http.h"
#include "io.h"
#include "json.h"
#include "num.h"
#include "pgkill.h"
#include "ready.h"
#include "token.h"

#define AGENT_VERSION "husk-guest-agent 1"
#define CONNS_MAX 64
#define JOBS_MAX 256
#define REQ_TIMEOUT_MS 10000     /* to send a whole request */
#define HEAD_TIMEOUT_MS 5000     /* to send its head: the token comes first */
#define BODY_MAX (16 << 20)      /* a request body: code plus stdin */
#define BODIES_MAX (32 << 20)    /* the bodies of all connections together */
#define GRACE_MS 500             /* TERM to KILL */
#define TIMEOUT_DEFAULT 30000
#define TIMEOUT_MAX (24LL * 3600 * 1000)
#define OUTPUT_DEFAULT (1 << 20) /* per stream */
#define OUTPUT_MAX (64 << 20)
#define LANGS_MAX 32
#define LANG_WORDS 16
#define TOKEN_MAX 256
#define JOB_PATH "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"

struct lang {
	char name[32], version[32];
	char *argv[LANG_WORDS + 2]; /* the command; the code file goes last */
	char line[1024];
};

struct conn {
	int fd;                 /* -1: slot free */
	struct http_req req;
	long long accepted, deadline;
	int continued;          /* sent 100 Continue */
	int head_ok;            /* route, method and token checked on the head */
	size_t reserved;        /* of bodies_left, for its body */
};

/* One /exec request, validated.  Its pointers are into the request's JSON
 * document and stay valid in the worker (a forked copy). */
struct job {
	char **argv;
	char **envp;
	const char *cwd;
	char *in;
	size_t inlen;
	char *code;
	size_t codelen;
	const struct lang *lang;
	long long timeout_ms, max_output;
	int stream;
};

static struct lang langs[LANGS_MAX];
static int nlangs;
static struct conn conns[CONNS_MAX];
static pid_t workers[JOBS_MAX];
static int nworkers, maxjobs = 4;
static char token[TOKEN_MAX + 1];
static const char *workdir = "/tmp";
static int lfd = -1, sfd = -1, stopping;
static size_t bodies_left = BODIES_MAX;
static long long stop_deadline;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: guest-agent [-l addr:port] [-k tokenfile] [-K cmdline] "
	    "[-j jobs] [-w workdir] [-L languages] [-R readyfifo] [-N fd]\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] addr:port health\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] addr:port shutdown\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] [-t timeout_ms] [-m max_output] [-i] addr:port "
	    "exec argv ...\n"
	    "       guest-agent call [-k tokenfile] [-c connect_ms] "
	    "[-n tries] [-t timeout_ms] [-m max_output] [-i] addr:port "
	    "run language file\n");
	exit(EX_USAGE);
}

/* ---- configuration ---- */

/* The first line of a token file, or the husk.token= word of a kernel
 * command line.  Printable, no spaces, 1..TOKEN_MAX bytes. */
static void
token_load(const char *path, int cmdline)
{
	static char buf[8192];
	const char *t = NULL;
	size_t n;

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
	n = strlen(t);
	if (!n || n > TOKEN_MAX)
		err_die(EX_USAGE, "unable to use token from %s: empty or "
		    "longer than %d bytes", path, TOKEN_MAX);
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] == 0x7f)
			err_die(EX_USAGE, "unable to use token from %s: not "
			    "printable", path);
	memcpy(token, t, n + 1);
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

static const struct lang *
lang_find(const char *name)
{
	for (int i = 0; i < nlangs; i++)
		if (!strcmp(langs[i].name, name))
			return &langs[i];
	return NULL;
}

/* ---- replies from the main loop ---- */

/* Small replies on a non-blocking socket: a client that does not read
 * them loses them; the loop never waits. */
static void
reply(struct conn *c, int status, struct buf *body, const char *extra)
{
	if (http_respond(c->fd, status, "application/json", body->p,
	    body->len, extra) < 0 && errno != EPIPE && errno != ECONNRESET)
		err_warnsys("unable to reply to a client");
}

static void
reply_error(struct conn *c, int status, const char *msg, int with_langs)
{
	struct buf b = { 0 };

	buf_adds(&b, "{\"error\":");
	json_esc(&b, msg, strlen(msg));
	if (with_langs) {
		buf_adds(&b, ",\"languages\":[");
		for (int i = 0; i < nlangs; i++) {
			if (i)
				buf_adds(&b, ",");
			json_esc(&b, langs[i].name, strlen(langs[i].name));
		}
		buf_adds(&b, "]");
	}
	buf_adds(&b, "}\n");
	reply(c, status, &b, status == 401 ? "WWW-Authenticate: Bearer\r\n" :
	    status == 429 ? "Retry-After: 1\r\n" : NULL);
	buf_free(&b);
}

static void
do_health(struct conn *c)
{
	struct buf b = { 0 };

	buf_addf(&b, "{\"status\":\"ok\",\"version\":\"%s\",\"languages\":[",
	    AGENT_VERSION);
	for (int i = 0; i < nlangs; i++) {
		buf_adds(&b, i ? ",{\"name\":" : "{\"name\":");
		json_esc(&b, langs[i].name, strlen(langs[i].name));
		buf_adds(&b, ",\"version\":");
		json_esc(&b, langs[i].version, strlen(langs[i].version));
		buf_adds(&b, "}");
	}
	buf_addf(&b, "],\"jobs\":%d,\"max_jobs\":%d}\n", nworkers, maxjobs);
	reply(c, 200, &b, NULL);
	buf_free(&b);
}

static void
stop(void)
{
	if (stopping)
		return;
	stopping = 1;
	stop_deadline = clock_ms() + GRACE_MS + 5000;
	close(lfd);
	lfd = -1;
	for (int i = 0; i < nworkers; i++)
		kill(workers[i], SIGTERM);
}

static void
do_shutdown(struct conn *c)
{
	struct buf b = { 0 };

	buf_adds(&b, "{\"status\":\"stopping\"}\n");
	reply(c, 200, &b, NULL);
	buf_free(&b);
	err_info("shutdown requested");
	stop();
}

/* ---- /exec: the request ---- */

static const char *const exec_fields[] = {
	"argv", "language", "code", "code_b64", "stdin", "stdin_b64", "env",
	"cwd", "timeout_ms", "max_output", "stream",
};

/* A string or a base64 field (NAME or NAME_b64) as bytes; malloc'd. */
static const char *
bytes_field(const struct json *o, const char *name, char **out, size_t *len)
{
	char b64name[32];
	const struct json *s = json_get(o, name), *b;
	long n;

	snprintf(b64name, sizeof b64name, "%s_b64", name);
	b = json_get(o, b64name);
	*out = NULL;
	*len = 0;
	if (s && b)
		return "give a field as text or as base64, not both";
	if (!s && !b)
		return NULL;
	if ((s ? s : b)->type != JSON_STR)
		return "a text field is not a string";
	if (!(*out = malloc((s ? s : b)->len + 1)))
		return "out of memory";
	if (s) {
		memcpy(*out, s->s, s->len);
		*len = s->len;
		return NULL;
	}
	if ((n = b64_decode(b->s, b->len, *out)) < 0)
		return "a _b64 field is not base64";
	*len = n;
	return NULL;
}

static int
has_nul(const struct json *v)
{
	return memchr(v->s, 0, v->len) != NULL;
}

/* Fill j from the JSON body; NULL, or what is wrong. */
static const char *
job_parse(const struct json *o, struct job *j, int *with_langs)
{
	const struct json *argv = json_get(o, "argv"),
	    *lang = json_get(o, "language"), *env = json_get(o, "env"),
	    *cwd = json_get(o, "cwd"), *v;
	const char *e;
	size_t n = 0;
	struct stat st;

	memset(j, 0, sizeof *j);
	j->timeout_ms = TIMEOUT_DEFAULT;
	j->max_output = OUTPUT_DEFAULT;
	if (!o || o->type != JSON_OBJ)
		return "the body is not a JSON object";
	for (const struct json *m = o->child; m; m = m->next) {
		size_t i = 0;
		while (i < sizeof exec_fields / sizeof *exec_fields &&
		    (strlen(exec_fields[i]) != m->keylen ||
		    memcmp(exec_fields[i], m->key, m->keylen)))
			i++;
		if (i == sizeof exec_fields / sizeof *exec_fields)
			return "unknown field";
	}
	if (!argv == !lang)
		return "give argv or language, one of them";
	if ((e = bytes_field(o, "code", &j->code, &j->codelen)))
		return e;
	if ((e = bytes_field(o, "stdin", &j->in, &j->inlen)))
		return e;
	if (argv) {
		if (argv->type != JSON_ARR || !argv->len || argv->len > 4096)
			return "argv is not an array of 1 to 4096 strings";
		if (j->code)
			return "code goes with language, not argv";
		if (!(j->argv = calloc(argv->len + 1, sizeof *j->argv)))
			return "out of memory";
		for (v = argv->child; v; v = v->next) {
			if (v->type != JSON_STR || has_nul(v) ||
			    (n == 0 && !v->len))
				return "argv holds a value that is not a "
				    "string, or a NUL byte";
			j->argv[n++] = (char *)v->s;
		}
	} else {
		if (lang->type != JSON_STR)
			return "language is not a string";
		if (!(j->lang = lang_find(lang->s))) {
			*with_langs = 1;
			return "unknown language";
		}
		if (!j->code || !j->codelen)
			return "code is missing or empty";
	}
	if (env && (env->type != JSON_OBJ || env->len > 1024))
		return "env is not an object of at most 1024 strings";
	if (!(j->envp = calloc((env ? env->len : 0) + 3, sizeof *j->envp)) ||
	    !(j->envp[0] = strdup(JOB_PATH)) ||
	    asprintf(&j->envp[1], "HOME=%s", workdir) < 0)
		return "out of memory";
	n = 2;
	for (v = env ? env->child : NULL; v; v = v->next) {
		char *kv;
		size_t k = 0;
		if (v->type != JSON_STR || has_nul(v) || !v->keylen ||
		    memchr(v->key, '=', v->keylen) ||
		    memchr(v->key, 0, v->keylen))
			return "env holds a bad name or value";
		if (asprintf(&kv, "%s=%s", v->key, v->s) < 0)
			return "out of memory";
		/* A name given twice, or PATH or HOME, is replaced. */
		while (k < n && strncmp(j->envp[k], kv, v->keylen + 1))
			k++;
		if (k < n)
			free(j->envp[k]);
		else
			n++;
		j->envp[k] = kv;
	}
	j->cwd = workdir;
	if (cwd) {
		if (cwd->type != JSON_STR || has_nul(cwd))
			return "cwd is not a string";
		if (stat(cwd->s, &st) < 0 || !S_ISDIR(st.st_mode))
			return "cwd is not a directory";
		j->cwd = cwd->s;
	}
	if ((v = json_get(o, "timeout_ms")) &&
	    json_int(v, 1, TIMEOUT_MAX, &j->timeout_ms) < 0)
		return "timeout_ms is not an integer in 1..86400000";
	if ((v = json_get(o, "max_output")) &&
	    json_int(v, 0, OUTPUT_MAX, &j->max_output) < 0)
		return "max_output is not an integer in 0..67108864";
	if ((v = json_get(o, "stream"))) {
		if (v->type != JSON_TRUE && v->type != JSON_FALSE)
			return "stream is not true or false";
		j->stream = v->type == JSON_TRUE;
	}
	return NULL;
}

/* ---- /exec: the worker ---- */

struct pipe {
	int fd;
	const char *name;
	struct buf out;
	long long total;
};

struct run {
	int cfd, stream, sig;
	pid_t pid;
	int reaped, wstatus, killed, truncated, timed_out, gone;
	long long cap;
	struct pipe p[2];
};

static void
run_kill(struct run *r)
{
	int st;

	if (r->killed)
		return;
	r->killed = 1;
	if (pg_kill(r->pid, r->pid, GRACE_MS, &st) < 0 && errno != ESRCH)
		err_warnsys("unable to kill process group %d", (int)r->pid);
	if (!r->reaped) {
		r->reaped = 1;
		r->wstatus = st;
	}
}

static void
stream_line(struct run *r, struct buf *b)
{
	if (!r->gone && http_chunk(r->cfd, b->p, b->len) < 0) {
		r->gone = 1;
		run_kill(r);
	}
}

/* Take output from pipe i: stream it or keep it, up to the cap. */
static void
pump(struct run *r, int i)
{
	char chunk[65536];
	struct pipe *p = &r->p[i];
	ssize_t n = read(p->fd, chunk, sizeof chunk);
	long long room;
	size_t keep;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(p->fd);
		p->fd = -1;
		return;
	}
	room = p->total >= r->cap ? 0 : r->cap - p->total;
	keep = room < n ? (size_t)room : (size_t)n;
	p->total += n;
	if (keep && r->stream) {
		struct buf b = { 0 };
		buf_adds(&b, "{");
		json_bytes(&b, p->name, chunk, keep);
		buf_adds(&b, "}\n");
		stream_line(r, &b);
		buf_free(&b);
	} else if (keep && buf_add(&p->out, chunk, keep) < 0) {
		err_warnsys("unable to keep output");
	}
	if (keep < (size_t)n) {
		r->truncated = 1;
		run_kill(r);
	}
}

static void
record(struct run *r, struct buf *b, long long ms)
{
	int st = r->wstatus;

	buf_adds(b, "{");
	if (WIFSIGNALED(st))
		buf_addf(b, "\"exit_code\":null,\"signal\":%d", WTERMSIG(st));
	else
		buf_addf(b, "\"exit_code\":%d,\"signal\":null",
		    WIFEXITED(st) ? WEXITSTATUS(st) : 255);
	if (!r->stream)
		for (int i = 0; i < 2; i++) {
			buf_adds(b, ",");
			json_bytes(b, r->p[i].name, r->p[i].out.p ?
			    r->p[i].out.p : "", r->p[i].out.len);
		}
	buf_addf(b, ",\"truncated\":%s,\"timed_out\":%s,\"duration_ms\":%lld}\n",
	    r->truncated ? "true" : "false", r->timed_out ? "true" : "false",
	    ms);
}

static _Noreturn void
job_exec(struct job *j, char **argv, int in, int out, int err)
{
	extern char **environ;
	char msg[512];
	int e;

	setpgid(0, 0);
	if (child_reset() < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0 || chdir(j->cwd) < 0) {
		snprintf(msg, sizeof msg, "guest-agent: fatal: unable to set "
		    "up the job: %s\n", strerror(errno));
		io_writeall(2, msg, strlen(msg));
		_exit(EX_SYS);
	}
	environ = j->envp;
	execvp(argv[0], argv);
	e = errno;
	snprintf(msg, sizeof msg, "guest-agent: fatal: unable to exec %s: "
	    "%s\n", argv[0], strerror(e));
	io_writeall(2, msg, strlen(msg));
	_exit(e == ENOENT ? EX_NOTFOUND : EX_NOEXEC);
}

/* Write the code file; the job's argv is the language's command plus it. */
static char **
code_file(struct job *j, char *path, size_t cap)
{
	static char *argv[LANG_WORDS + 2];
	int fd, n = 0;

	snprintf(path, cap, "%s/.husk-code-%d", workdir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd < 0)
		return NULL;
	/* Byte for byte: no trimming, no added newline. */
	if (io_writeall(fd, j->code, j->codelen) < 0) {
		close(fd);
		return NULL;
	}
	if (close(fd) < 0)
		return NULL;
	while (j->lang->argv[n])
		argv[n] = j->lang->argv[n], n++;
	argv[n++] = path;
	argv[n] = NULL;
	return argv;
}

static _Noreturn void
worker(int cfd, struct job *j)
{
	struct run r = { .cfd = cfd, .cap = j->max_output, .stream = j->stream };
	char codepath[4096] = "", **argv = j->argv;
	int out[2], err[2], in[2] = { -1, -1 }, wfd = -1, fl;
	size_t inoff = 0;
	long long start, deadline;
	sigset_t mask;
	struct buf b = { 0 };

	/* What the main loop holds is not ours: close it. */
	for (int i = 0; i < CONNS_MAX; i++)
		if (conns[i].fd >= 0 && conns[i].fd != cfd)
			close(conns[i].fd);
	close(lfd);
	close(sfd);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		err_diesys(EX_SYS, "unable to create a signalfd");
	fl = fcntl(cfd, F_GETFL);
	fcntl(cfd, F_SETFL, fl & ~O_NONBLOCK);

	if (j->lang && !(argv = code_file(j, codepath, sizeof codepath))) {
		err_warnsys("unable to write %s", codepath);
		http_respond(cfd, 500, "application/json",
		    "{\"error\":\"unable to write the code file\"}\n", 41, NULL);
		unlink(codepath);
		_exit(EX_SYS);
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    (j->in ? pipe2(in, O_CLOEXEC) :
	    (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC))) < 0)
		err_diesys(EX_SYS, "unable to create the job's pipes");
	start = clock_ms();
	deadline = start + j->timeout_ms;
	if ((r.pid = fork()) < 0)
		err_diesys(EX_SYS, "unable to fork");
	if (r.pid == 0)
		job_exec(j, argv, in[0], out[1], err[1]);
	setpgid(r.pid, r.pid); /* as the child does: whoever runs first */
	close(out[1]);
	close(err[1]);
	close(in[0]);
	wfd = in[1];
	if (wfd >= 0)
		fcntl(wfd, F_SETFL, O_NONBLOCK);
	r.p[0] = (struct pipe){ out[0], "stdout", { 0 }, 0 };
	r.p[1] = (struct pipe){ err[0], "stderr", { 0 }, 0 };
	if (r.stream) {
		http_head(&b, 200, "application/x-ndjson", -1, NULL);
		if (io_writeall(cfd, b.p, b.len) < 0) {
			r.gone = 1;
			run_kill(&r);
		}
		buf_free(&b);
	}

	while (r.p[0].fd >= 0 || r.p[1].fd >= 0 || !r.reaped) {
		struct pollfd pfd[5];
		int np = 0, idx[2] = { -1, -1 }, widx = -1, cidx, tmo;
		long long now = clock_ms();

		if (!r.killed && now >= deadline) {
			r.timed_out = 1;
			run_kill(&r);
			continue;
		}
		if (r.killed && now >= deadline + GRACE_MS + 5000)
			break; /* pipes held open by an escapee: stop */
		tmo = (int)((r.killed ? deadline + GRACE_MS + 5000 : deadline) -
		    now);
		for (int i = 0; i < 2; i++)
			if (r.p[i].fd >= 0) {
				idx[i] = np;
				pfd[np++] = (struct pollfd){ r.p[i].fd, POLLIN, 0 };
			}
		if (wfd >= 0) {
			widx = np;
			pfd[np++] = (struct pollfd){ wfd, POLLOUT, 0 };
		}
		cidx = np;
		pfd[np++] = (struct pollfd){ cfd, r.gone ? 0 : POLLRDHUP, 0 };
		pfd[np++] = (struct pollfd){ sfd, POLLIN, 0 };
		if (poll(pfd, np, tmo) < 0) {
			if (errno == EINTR)
				continue;
			err_diesys(EX_SYS, "unable to poll");
		}
		for (int i = 0; i < 2; i++)
			if (idx[i] >= 0 && pfd[idx[i]].revents)
				pump(&r, i);
		if (widx >= 0 && pfd[widx].revents) {
			ssize_t n = (pfd[widx].revents & POLLOUT) ?
			    write(wfd, j->in + inoff, j->inlen - inoff) : -1;
			if (n > 0)
				inoff += n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
			    inoff == j->inlen) {
				close(wfd);
				wfd = -1;
			}
		}
		if (!r.gone && pfd[cidx].revents) {
			/* The client hung up: nobody wants the result. */
			r.gone = 1;
			run_kill(&r);
		}
		if (pfd[np - 1].revents) {
			struct signalfd_siginfo si;
			int st;
			pid_t p;
			while (read(sfd, &si, sizeof si) == sizeof si)
				if (si.ssi_signo != SIGCHLD) {
					r.sig = si.ssi_signo;
					run_kill(&r);
				}
			while ((p = waitpid(-1, &st, WNOHANG)) > 0)
				if (p == r.pid && !r.reaped) {
					r.reaped = 1;
					r.wstatus = st;
				}
			/* The leader is gone: so is the job.  Members it
			 * left behind are stopped, not waited for. */
			if (r.reaped && !r.killed && pg_alive(r.pid) == 1)
				run_kill(&r);
		}
	}
	if (wfd >= 0)
		close(wfd);
	for (int i = 0; i < 2; i++)
		if (r.p[i].fd >= 0)
			close(r.p[i].fd);
	if (codepath[0])
		unlink(codepath);
	if (!r.gone) {
		record(&r, &b, clock_ms() - start);
		if (r.stream) {
			if (http_chunk(cfd, b.p, b.len) < 0 ||
			    http_chunk(cfd, NULL, 0) < 0)
				r.gone = 1;
		} else if (http_respond(cfd, 200, "application/json", b.p,
		    b.len, NULL) < 0) {
			r.gone = 1;
		}
	}
	_exit(0);
}

static void
do_exec(struct conn *c)
{
	struct json_doc d;
	struct job j;
	const char *e;
	int with_langs = 0;
	pid_t pid;

	if (json_parse(&d, c->req.body, c->req.body_len, JSON_NODES_MAX) < 0) {
		reply_error(c, 400, errno == ENOMEM ? "out of memory" :
		    "the body is not valid JSON within bounds", 0);
		return;
	}
	if ((e = job_parse(d.root, &j, &with_langs))) {
		reply_error(c, 400, e, with_langs);
		goto out;
	}
	if (nworkers >= maxjobs) {
		reply_error(c, 429, "busy: all job slots are in use", 0);
		goto out;
	}
	if ((pid = fork()) < 0) {
		err_warnsys("unable to fork");
		reply_error(c, 503, "unable to fork", 0);
		goto out;
	}
	if (pid == 0)
		worker(c->fd, &j);
	workers[nworkers++] = pid;
out:
	free(j.argv);
	for (int i = 0; j.envp && j.envp[i]; i++)
		free(j.envp[i]);
	free(j.envp);
	free(j.in);
	free(j.code);
	json_doc_free(&d);
}

/* ---- the main loop ---- */

static const struct route {
	const char *method, *path;
	int auth;
	void (*fn)(struct conn *);
} routes[] = {
	{ "GET", "/health", 0, do_health },
	{ "POST", "/exec", 1, do_exec },
	{ "POST", "/shutdown", 1, do_shutdown },
};

/* "Bearer TOKEN", compared in constant time (lib/token). */
static int
token_ok(const char *auth)
{
	if (!auth || strncmp(auth, "Bearer ", 7))
		return 0;
	return token_eq(token, auth + 7, strlen(auth + 7));
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	bodies_left += c->reserved;
	c->reserved = 0;
	http_req_free(&c->req);
}

static const struct route *
route_find(const struct http_req *r)
{
	const char *q = strchr(r->target, '?');
	size_t len = q ? (size_t)(q - r->target) : strlen(r->target);

	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
		if (strlen(routes[i].path) == len &&
		    !memcmp(routes[i].path, r->target, len))
			return &routes[i];
	return NULL;
}

/* The head is in: answer what it alone decides (no such path, no token,
 * the wrong method, no room for the body) before a byte of the body is
 * kept.  0 to go on reading, -1 after answering. */
static int
head_check(struct conn *c)
{
	const struct route *rt = route_find(&c->req);

	if (!rt)
		reply_error(c, 404, "no such path", 0);
	else if (rt->auth && token[0] &&
	    !token_ok(http_req_header(&c->req, "Authorization")))
		reply_error(c, 401, "a valid bearer token is required", 0);
	else if (strcmp(c->req.method, rt->method))
		reply_error(c, 405, "method not allowed", 0);
	else if (c->req.body_len > bodies_left) {
		struct buf b = { 0 };
		buf_adds(&b, "{\"error\":\"busy: other requests' bodies fill "
		    "the agent's memory for them\"}\n");
		reply(c, 503, &b, "Retry-After: 1\r\n");
		buf_free(&b);
	} else {
		c->head_ok = 1;
		c->reserved = c->req.body_len;
		bodies_left -= c->reserved;
		c->deadline = c->accepted + REQ_TIMEOUT_MS;
		return 0;
	}
	return -1;
}

static void
dispatch(struct conn *c)
{
	if (stopping)
		reply_error(c, 503, "shutting down", 0);
	else
		route_find(&c->req)->fn(c);
}

static void
conn_read(struct conn *c)
{
	char chunk[65536];
	ssize_t n = read(c->fd, chunk, sizeof chunk);
	const char *ex;
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	r = http_req_feed(&c->req, chunk, n);
	if (r < 0) {
		reply_error(c, c->req.status, http_reason(c->req.status), 0);
		conn_close(c);
	} else if (c->req.head_len && !c->head_ok && head_check(c) < 0) {
		conn_close(c);
	} else if (r > 0) {
		dispatch(c);
		conn_close(c);
	} else if (c->req.head_len && !c->continued &&
	    (ex = http_req_header(&c->req, "Expect")) &&
	    !strcasecmp(ex, "100-continue")) {
		c->continued = 1;
		io_writeall(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
}

static void
conn_accept(void)
{
	struct conn *c = NULL;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int free_slot;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			err_warnsys("unable to accept a connection");
		return;
	}
	for (int i = 0; i < CONNS_MAX && !c; i++)
		if (conns[i].fd < 0)
			c = &conns[i];
	free_slot = c != NULL;
	/* Full: a connection whose head did not pass yet (idle, or without
	 * the token) makes room, the oldest first, so such clients never
	 * keep an authenticated one out. */
	for (int i = 0; i < CONNS_MAX && !free_slot; i++)
		if (!conns[i].head_ok && (!c || conns[i].accepted < c->accepted))
			c = &conns[i];
	if (c && !free_slot)
		conn_close(c);
	if (!c) {
		struct conn tmp = { .fd = fd };
		reply_error(&tmp, 503, "too many connections", 0);
		close(fd);
		return;
	}
	c->fd = fd;
	c->accepted = clock_ms();
	c->deadline = c->accepted + HEAD_TIMEOUT_MS;
	c->continued = c->head_ok = 0;
	http_req_init(&c->req, HTTP_HEAD_MAX, BODY_MAX);
}

static void
reap(void)
{
	struct signalfd_siginfo si;
	int st;
	pid_t p;

	while (read(sfd, &si, sizeof si) == sizeof si)
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			stop();
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		for (int i = 0; i < nworkers; i++)
			if (workers[i] == p) {
				workers[i] = workers[--nworkers];
				break;
			}
}

static _Noreturn void
finish(void)
{
	for (int i = 0; i < CONNS_MAX; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	if (getpid() == 1) {
		/* As init there is nobody to hand over to: power off. */
		sync();
		reboot(RB_POWER_OFF);
		err_diesys(EX_SYS, "unable to power off");
	}
	err_info("stopped");
	exit(0);
}

static _Noreturn void
serve(void)
{
	for (;;) {
		struct pollfd pfd[CONNS_MAX + 2];
		int np = 0, idx[CONNS_MAX], tmo = -1;
		long long now = clock_ms(), next = -1;

		if (stopping && (nworkers == 0 || now >= stop_deadline))
			finish();
		if (stopping)
			next = stop_deadline;
		pfd[np++] = (struct pollfd){ sfd, POLLIN, 0 };
		if (lfd >= 0)
			pfd[np++] = (struct pollfd){ lfd, POLLIN, 0 };
		for (int i = 0; i < CONNS_MAX; i++) {
			idx[i] = -1;
			if (conns[i].fd < 0)
				continue;
			if (now >= conns[i].deadline) {
				reply_error(&conns[i], 408, "request timeout", 0);
				conn_close(&conns[i]);
				continue;
			}
			if (next < 0 || conns[i].deadline < next)
				next = conns[i].deadline;
			idx[i] = np;
			pfd[np++] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
		}
		if (next >= 0)
			tmo = next > now ? (int)(next - now) : 0;
		if (poll(pfd, np, tmo) < 0) {
			if (errno == EINTR)
				continue;
			err_diesys(EX_SYS, "unable to poll");
		}
		if (pfd[0].revents)
			reap();
		if (lfd >= 0 && pfd[1].revents)
			conn_accept();
		for (int i = 0; i < CONNS_MAX; i++)
			if (idx[i] >= 0 && pfd[idx[i]].revents &&
			    conns[i].fd >= 0)
				conn_read(&conns[i]);
	}
}

static int
server_main(int argc, char **argv)
{
	const char *listen = "0.0.0.0:8000", *langfile = NULL, *ready = NULL,
	    *tokfile = NULL, *cmdline = NULL;
	int c, readyfd = -1;
	char where[128];
	sigset_t mask;
	struct stat st;

	while ((c = getopt(argc, argv, "+l:k:K:j:w:L:R:N:h")) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'k': tokfile = optarg; break;
		case 'K': cmdline = optarg; break;
		case 'j':
			maxjobs = xnum_opt('j', optarg, 1, JOBS_MAX, "number");
			break;
		case 'w': workdir = optarg; break;
		case 'L': langfile = optarg; break;
		case 'R': ready = optarg; break;
		case 'N':
			readyfd = xnum_opt('N', optarg, 3, 1023, "file descriptor");
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (tokfile && cmdline)
		err_die(EX_USAGE, "unable to use -k and -K together");
	if (ready && readyfd >= 0)
		err_die(EX_USAGE, "unable to use -R and -N together");
	if (readyfd >= 0 && fcntl(readyfd, F_GETFD) < 0)
		err_diesys(EX_USAGE, "unable to use -N %d", readyfd);
	if (workdir[0] != '/')
		err_die(EX_USAGE, "unable to use -w %s: not an absolute path",
		    workdir);

	if (tokfile || cmdline)
		token_load(tokfile ? tokfile : cmdline, !tokfile);
	langs_load(langfile ? langfile : "/etc/husk/languages", !!langfile);
	if (stat(workdir, &st) < 0)
		err_diesys(EX_SYS, "unable to stat %s", workdir);
	if (!S_ISDIR(st.st_mode))
		err_die(EX_SYS, "unable to use %s as workdir: not a directory",
		    workdir);
	for (int i = 0; i < CONNS_MAX; i++)
		conns[i].fd = -1;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		err_diesys(EX_SYS, "unable to create a signalfd");
	/* Orphans of a worker that died come to us, not to init. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if ((lfd = http_listen(listen, 64)) < 0)
		err_diesys(EX_SYS, "unable to listen on %s", listen);
	if (http_sockname(lfd, where, sizeof where) < 0)
		err_diesys(EX_SYS, "unable to read the address of %s", listen);
	err_info("listening on %s", where);
	if (ready && ready_fifo(ready, READY_TIMEOUT_MS) < 0)
		err_diesys(EX_SYS, "unable to signal readiness on %s", ready);
	if (readyfd >= 0 && ready_fd(readyfd) < 0)
		err_diesys(EX_SYS, "unable to signal readiness on fd %d",
		    readyfd);
	/* After the readiness FIFO: a relative -R names it from where we
	 * were started. */
	if (chdir(workdir) < 0)
		err_diesys(EX_SYS, "unable to chdir to %s", workdir);
	serve();
}

/* ---- the client ---- */

struct call {
	const char *addr, *verb;
	long long connect_ms, tries, timeout_ms, max_output;
	int stdin_too;
	struct buf body;       /* what the answer carried (not streamed) */
	struct buf line;       /* a streamed line being gathered */
	int status, have_record, code, bad;
	const struct http_resp *resp;
};

/* One streamed line: output to pass on, or the exit record. */
static int
call_line(struct call *c, const char *s, size_t n)
{
	static const char *const names[] = { "stdout", "stderr" };
	struct json_doc d;
	const struct json *v, *sig, *to;
	long long x;

	if (json_parse(&d, s, n, JSON_NODES_MAX) < 0 ||
	    d.root->type != JSON_OBJ) {
		c->bad = 1;
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		char k[16], *raw;
		long len;
		snprintf(k, sizeof k, "%s_b64", names[i]);
		if ((v = json_get(d.root, k)) && v->type == JSON_STR &&
		    (raw = malloc(v->len + 1))) {
			if ((len = b64_decode(v->s, v->len, raw)) >= 0)
				io_writeall(i + 1, raw, len);
			free(raw);
		} else if ((v = json_get(d.root, names[i])) &&
		    v->type == JSON_STR) {
			io_writeall(i + 1, v->s, v->len);
		}
	}
	if ((v = json_get(d.root, "exit_code"))) {
		sig = json_get(d.root, "signal");
		to = json_get(d.root, "timed_out");
		c->have_record = 1;
		if (to && to->type == JSON_TRUE)
			c->code = EX_TIMEOUT;
		else if (json_int(v, 0, 255, &x) == 0)
			c->code = x;
		else if (json_int(sig, 1, 127, &x) == 0)
			c->code = 128 + x;
		else
			c->code = 255;
	}
	json_doc_free(&d);
	return 0;
}

static int
call_body(void *ctx, const char *p, size_t n)
{
	struct call *c = ctx;
	const char *nl;

	if (c->resp->status != 200 ||
	    (strcmp(c->verb, "exec") && strcmp(c->verb, "run")))
		return buf_add(&c->body, p, n) < 0 || c->body.len > BODY_MAX;
	while (n && (nl = memchr(p, '\n', n))) {
		if (buf_add(&c->line, p, nl - p) < 0 ||
		    call_line(c, c->line.p, c->line.len) < 0)
			return 1;
		c->line.len = 0;
		n -= nl + 1 - p;
		p = nl + 1;
	}
	return buf_add(&c->line, p, n) < 0 || c->line.len > 2 * BODY_MAX;
}

/* Read a whole file (or stdin for "-") for a request. */
static void
slurp(const char *path, struct buf *b)
{
	char chunk[65536];
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	ssize_t n;

	if (fd < 0)
		err_diesys(EX_SYS, "unable to open %s", path);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err_diesys(EX_SYS, "unable to read %s", path);
		if (buf_add(b, chunk, n) < 0 || b->len > BODY_MAX)
			err_die(EX_USAGE, "unable to send %s: more than %d "
			    "bytes", path, BODY_MAX);
	}
	if (fd)
		close(fd);
}

/* One attempt: 0 answered (c->status), 1 worth retrying (could not
 * connect or send: nothing ran), -1 failed after sending. */
static int
call_once(struct call *c, const char *req, size_t reqlen, int wait_ms)
{
	struct http_resp r;
	char chunk[65536];
	long long deadline = clock_ms() + wait_ms;
	int fd = http_connect(c->addr, c->connect_ms), got;

	if (fd < 0) {
		err_warnsys("unable to connect to %s", c->addr);
		return 1;
	}
	if (io_writeall(fd, req, reqlen) < 0) {
		err_warnsys("unable to send to %s", c->addr);
		close(fd);
		return 1;
	}
	c->status = 0;
	c->body.len = c->line.len = 0;
	http_resp_init(&r, call_body, c);
	c->resp = &r;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = deadline - clock_ms();
		ssize_t n;
		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			close(fd);
			errno = ETIMEDOUT;
			return -1;
		}
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		/* The status is known once the head is in: body_cb uses it. */
		got = n ? http_resp_feed(&r, chunk, n) : http_resp_eof(&r);
		if (got != 0)
			break;
	}
	close(fd);
	c->status = r.status;
	if (got < 0) {
		if (!errno)
			errno = EPROTO;
		return -1;
	}
	return 0;
}

static int
call_main(int argc, char **argv)
{
	struct call c = { .connect_ms = 5000, .tries = 3, .timeout_ms = -1,
	    .max_output = -1 };
	struct buf req = { 0 }, body = { 0 }, in = { 0 }, code = { 0 };
	const char *tokfile = NULL, *path = "/health", *method = "POST";
	int ch, wait_ms = 30000;
	long long backoff = 100;

	optind = 1;
	while ((ch = getopt(argc, argv, "+k:c:n:t:m:ih")) != -1) {
		switch (ch) {
		case 'k': tokfile = optarg; break;
		case 'c':
			c.connect_ms = xnum_opt('c', optarg, 1, 3600000, "number");
			break;
		case 'n':
			c.tries = xnum_opt('n', optarg, 1, 100, "number");
			break;
		case 't':
			c.timeout_ms = xnum_opt('t', optarg, 1, TIMEOUT_MAX, "number");
			break;
		case 'm':
			c.max_output = xnum_opt('m', optarg, 0, OUTPUT_MAX, "number");
			break;
		case 'i': c.stdin_too = 1; break;
		default: usage();
		}
	}
	if (argc - optind < 2)
		usage();
	c.addr = argv[optind++];
	c.verb = argv[optind++];
	if (!strcmp(c.verb, "health") || !strcmp(c.verb, "shutdown")) {
		if (optind != argc || c.timeout_ms >= 0 || c.max_output >= 0 ||
		    c.stdin_too)
			usage();
		if (!strcmp(c.verb, "health"))
			method = "GET";
		else
			path = "/shutdown";
	} else if (!strcmp(c.verb, "exec") || !strcmp(c.verb, "run")) {
		int run = !strcmp(c.verb, "run");
		if (run ? argc - optind != 2 : argc - optind < 1)
			usage();
		if (run && c.stdin_too && !strcmp(argv[optind + 1], "-"))
			err_die(EX_USAGE, "unable to use -i with code from "
			    "standard input");
		path = "/exec";
		buf_adds(&body, "{\"stream\":true");
		if (run) {
			slurp(argv[optind + 1], &code);
			buf_adds(&body, ",\"language\":");
			json_esc(&body, argv[optind], strlen(argv[optind]));
			buf_adds(&body, ",\"code_b64\":\"");
			b64_encode(&body, code.p, code.len);
			buf_adds(&body, "\"");
		} else {
			buf_adds(&body, ",\"argv\":[");
			for (int i = optind; i < argc; i++) {
				if (i > optind)
					buf_adds(&body, ",");
				json_esc(&body, argv[i], strlen(argv[i]));
			}
			buf_adds(&body, "]");
		}
		if (c.stdin_too) {
			slurp("-", &in);
			buf_adds(&body, ",\"stdin_b64\":\"");
			b64_encode(&body, in.p, in.len);
			buf_adds(&body, "\"");
		}
		if (c.timeout_ms >= 0)
			buf_addf(&body, ",\"timeout_ms\":%lld", c.timeout_ms);
		if (c.max_output >= 0)
			buf_addf(&body, ",\"max_output\":%lld", c.max_output);
		buf_adds(&body, "}");
		wait_ms = (c.timeout_ms >= 0 ? c.timeout_ms : TIMEOUT_DEFAULT) +
		    GRACE_MS + 30000;
	} else {
		usage();
	}
	if (tokfile)
		token_load(tokfile, 0);
	buf_addf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, c.addr);
	if (token[0])
		buf_addf(&req, "Authorization: Bearer %s\r\n", token);
	if (body.len)
		buf_adds(&req, "Content-Type: application/json\r\n");
	buf_addf(&req, "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    body.len);
	buf_add(&req, body.p, body.len);
	if (!req.p)
		err_die(EX_SYS, "unable to build the request: out of memory");

	for (long long t = 1;; t++) {
		int r = call_once(&c, req.p, req.len, wait_ms);
		if (r < 0)
			err_diesys(EX_SYS, "unable to %s on %s", c.verb, c.addr);
		if (r == 0 && c.status != 429 && c.status < 500)
			break;
		if (t >= c.tries) {
			if (r)
				err_die(EX_SYS, "unable to %s on %s: gave up "
				    "after %lld tries", c.verb, c.addr, t);
			break;
		}
		clock_sleep_ms(backoff);
		backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
	}
	if (c.status != 200) {
		char *nl;
		if (c.body.p && (nl = strchr(c.body.p, '\n')))
			*nl = 0;
		err_die(c.status >= 400 && c.status < 500 && c.status != 429 ?
		    EX_USAGE : EX_SYS, "unable to %s on %s: %d %s: %s", c.verb,
		    c.addr, c.status, http_reason(c.status),
		    c.body.p ? c.body.p : "");
	}
	if (!strcmp(c.verb, "health") || !strcmp(c.verb, "shutdown")) {
		io_writeall(1, c.body.p ? c.body.p : "", c.body.len);
		return 0;
	}
	if (c.bad || !c.have_record)
		err_die(EX_SYS, "unable to %s on %s: the answer ended without "
		    "an exit record", c.verb, c.addr);
	return c.code;
}

static const struct mode {
	const char *name;
	int (*fn)(int, char **);
} modes[] = {
	{ "call", call_main },
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
