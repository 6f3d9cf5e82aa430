/* guest-agent's layers and what they share.  cmd/guest-agent.c states the
 * contract; the layers are:
 *
 *   guest-agent.c  options, their conflicts, setup, main
 *   server.c       the connections: accept, head and body bounds,
 *                  eviction, the routes, the main loop
 *   job.c          an /exec body checked into a struct job
 *   worker.c       the process that runs one job and sends its result
 *   files.c        the processes that send a tar (GET /files) or
 *                  extract one (PUT /files)
 *   rekey.c        the snapshot point (-S) and POST /rekey
 *   client.c       guest-agent call
 */
#ifndef GUEST_AGENT_AGENT_H
#define GUEST_AGENT_AGENT_H

#include <stddef.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "tar.h"

#define AGENT_VERSION "husk-guest-agent 1"
#define CONNS_MAX 64
#define JOBS_MAX 256
#define WORKERS_MAX (2 * JOBS_MAX) /* running, or sending their results */
#define REQ_TIMEOUT_MS 10000     /* to send a whole request */
#define HEAD_TIMEOUT_MS 5000     /* to send its head: the token comes first */
#define BODY_MAX (16 << 20)      /* a request body: code plus stdin */
#define BODIES_MAX (32 << 20)    /* the bodies of all connections together */
#define GRACE_MS 500             /* TERM to KILL */
#define IN_CHUNK 65536           /* a streamed stdin's buffer, each side */
#define LINGER_MS 5000           /* a streamed stdin drained after the result */
#define TIMEOUT_DEFAULT 30000
#define TIMEOUT_MAX (24LL * 3600 * 1000)
#define OUTPUT_DEFAULT (1 << 20) /* per stream */
#define OUTPUT_MAX (64 << 20)
#define LANGS_MAX 32
#define LANG_WORDS 16
#define TOKEN_MAX 256
#define FILES_MAX (1LL << 30)    /* a /files tar's file bytes, by default */
#define FILES_BOUND (1LL << 40)  /* the most a max= may ask */
#define FILES_ENTRIES_MAX (1 << 20)
#define FILES_IDLE_MS 30000      /* a /files worker's read or write */
#define EX_REFUSED 101           /* call get, put: the copy was refused */
#define FILES_WAIT_MS 600000     /* call get, put: the whole copy, by default */
#define PORT_SNAPSHOT 0x3f1      /* -S: vmrun's snapshot port (vmrun(8)) */
#define ENTROPY_MIN 32           /* POST /rekey's entropy, in bytes */
#define ENTROPY_MAX 512
#define JOB_PATH "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"

struct lang {
	char name[32], version[32];
	char *argv[LANG_WORDS + 2]; /* the command; the code file goes last */
	char line[1024];
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
	int stdin_stream;	/* stdin comes chunked after the body */
};

/* guest-agent call: the options (set by guest-agent.c), then the state of
 * the attempts (client.c). */
struct call {
	const char *addr, *cwd;
	const char *exclude[64];        /* put -x */
	size_t nexclude;
	const struct verb *verb;
	char **args;
	int nargs;
	long long connect_ms, tries, timeout_ms, max_output;
	long long wait_until;  /* -w: a refused connect is retried till then */
	int stdin_too;         /* -i: stdin read whole, in the body */
	int stdin_stream;      /* -I: stdin streamed after the body */
	struct buf req;        /* the request, sent whole by each attempt */
	int wait_ms;           /* for the answer of one attempt */
	struct buf body;       /* what the answer carried (not streamed) */
	struct buf line;       /* a streamed line being gathered */
	int status, have_record, code, bad;
	char *error;           /* the exit record's, if any */
	struct buf in;         /* -I: a chunk of stdin being sent */
	size_t inoff;
	int in_eof, in_done;   /* the last chunk is made, is sent */
	const struct http_resp *resp;
	/* get and put (client.c) */
	struct tar_x *tx;      /* get: the extraction into tmp */
	int refused, tar_done; /* get: the stream was refused, or ended */
	int upfd;              /* put: the tar to send, or -1 */
	long long uplen;
};

/* A verb of guest-agent call: how many operands follow it (max -1: no
 * bound), and whether it runs a job (takes -t, -m and -i, and streams its
 * output): a command line, or a language and a code file. */
enum { CALL_ARGV = 1, CALL_CODE };
enum { CALL_GET = 1, CALL_PUT };
struct verb {
	const char *name, *method, *path;
	int min, max, job, files;
};

/* guest-agent.c: the configuration the options set. */
extern struct lang langs[LANGS_MAX];
extern int nlangs, maxjobs;
extern char token[TOKEN_MAX + 1];
extern const char *workdir;

const char *token_bad(const char *t, size_t n);
void token_load(const char *path, int cmdline, char *out);

/* job.c */
const struct lang *lang_find(const char *name);
const char *job_parse(const struct json *o, struct job *j, int *with_langs);
void job_free(struct job *j);

/* server.c: listen (or die), then serve until stopped; the main process
 * holds these descriptors, which a worker closes. */
void server_start(const char *listen, int snapshot);
void server_loop(void);
void server_leave(int keep);
/* In a worker, once its job is over and before it sends the result: the
 * job's slot is free. */
void server_job_done(void);
void sig_default(int sig);

/* worker.c: the worker's work, lib/spawn's fn: run job for the client on
 * cfd; its exit status. */
struct work {
	int cfd;
	struct job *job;
	const char *rest;	/* bytes read past the body: a streamed stdin's */
	size_t restlen;
};
int worker(void *arg);

/* files.c: the /files workers, lib/spawn's fn.  rest: the bytes of the
 * body the main loop read with the head (a PUT's), clen its length. */
struct files {
	int cfd;
	char path[4096];
	long long max, clen;
	const char *rest;
	size_t restlen;
};
int files_get(void *arg);
int files_put(void *arg);

/* rekey.c: the snapshot point (dies on failure): 1 restored, 0 not;
 * POST /rekey's work on its body: NULL, or what is wrong with *status,
 * and nothing changed. */
int snapshot_point(void);
const char *rekey(const struct json *o, int restored, int *status);

/* client.c */
extern const struct verb call_verbs[];
extern const size_t call_nverbs;
void call_setup(struct call *c, const char *tokfile);
int call_run(struct call *c);

#endif
