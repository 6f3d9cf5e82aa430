/* ptyd's private header: the session and connection records, the limits,
 * the settings main() reads from the command line, and what each layer
 * offers the others.
 *
 *   ptyd.c           options, setup, the loop, exit status
 *   ptyd/session.c   the PTY session: spawn, read, write, reap
 *   ptyd/ring.c      its scrollback ring (pure functions)
 *   ptyd/conn.c      the connection: accept, plain or TLS, timeouts, limits
 *   ptyd/api.c       HTTP routing and the WebSocket protocol
 *   ptyd/client.c    ptyd attach */
#ifndef PTYD_PTYD_H
#define PTYD_PTYD_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "loop.h"
#include "ptyd/ring.h"
#include "ws.h"

#define PTYD_VERSION "1"      /* the API's (GET /status) */
#define MSG_MAX 65536           /* client WebSocket messages: 1009 beyond */
#define FRAME_OUT_MAX 65536     /* output bytes per BINARY frame */
#define REQ_TIMEOUT_MS 10000    /* a request must arrive whole by then */
#define KILL_GRACE_MS 2000      /* terminate: SIGKILL after this */
#define EOF_GRACE_MS 250        /* after the reap, an idle PTY is ended */
#define QUIET_BYTES 1024        /* output under this per flush window: not
                                 * coalesced (echoes, prompts) */
#define EXEC_OUT_MAX (1 << 20) /* execute-command: output kept, as read */
#define EXEC_TIMEOUT_S 30       /* its time limit, unless the request's */
#define EXEC_TIMEOUT_MAX 3600
#define CLOSE_PREEMPTED 4001
#define CLOSE_GONE 4004

struct session {
	char id[17];
	pid_t pid;
	int ptm;                /* -1 after EOF */
	char *command;
	long long started;      /* Unix time */
	int cols, rows;
	struct ring ring;       /* its output (--scrollback bytes of it) */
	int reaped, eof, wstatus, seen;
	long long exited_ms, kill_at;
	struct conn *live;
	struct buf inq;         /* input not yet taken by the PTY */
	/* execute-command: not a terminal (no ring, no id to find it by);
	 * answered to waiter once it exited and its PTY reached EOF. */
	int exec, timed_out, truncated;
	long long exec_deadline;
	struct conn *waiter;
	struct buf out;         /* its output, at most EXEC_OUT_MAX bytes */
	struct session *next;
};

/* C_ROUTE: a request is complete (or bad) and waits for its answer;
 * C_WAIT: its answer waits for a command (execute-command). */
enum { C_HTTP, C_ROUTE, C_WS, C_WAIT, C_DONE };

struct conn {
	int fd;
	int state;
	long long accepted;
	unsigned char peer[16]; /* its address (IPv4 in the first 4 bytes) */
	const struct xport *x;  /* its transport: plain or TLS (conn.c) */
	struct tls_conn *tls;
	int tls_want;
	struct http_req req;
	struct buf in;          /* WebSocket bytes not parsed yet */
	size_t inoff;
	struct buf out;
	size_t outoff;
	int rd_eof, wr_shut;
	long long deadline;     /* request timeout, close drain or linger */
	/* WebSocket */
	struct ws_rx rx;
	struct session *s;      /* while live */
	uint64_t off;           /* next byte of s->ring to send */
	long long flush_at;     /* coalescing: send pending bytes by then */
	long long win_at;       /* the current flush window began then */
	size_t win_bytes;       /* and this much output was queued in it */
	int close_sent, exit_sent;
	int text_in;            /* ?input=text: TEXT frames are input too */
	struct conn *next;
};

/* Settings (ptyd.c). */
extern size_t scrollback, flush_bytes;
extern long long flush_ms, idle_ms, max_sessions, started_ms;
extern const char *default_cmd, *origins, *hosts, *upath;
extern char *token;
extern struct tls_srv *tls;
extern int verbose, lsock;

/* State: the sessions and connections, newest first. */
extern struct session *sessions;
extern struct conn *conns;
extern int nsessions, nconns;

/* ptyd.c */
_Noreturn void usage(void);
const char *signame(int sig);
char *token_file(const char *file);

/* session.c */
struct session *session_find(const char *id, size_t n);
struct session *session_new(int cols, int rows, char **argv,
    const char *cmdline, const struct json *env, const char *cwd,
    int exec, int *status, struct buf *why);
void session_free(struct session *s);
void session_write(struct session *s);
void session_resize(struct session *s, int cols, int rows);
void reap(long long now);
int sessions_wait(struct loop *l);
void sessions_run(struct loop *l, int i);
void sessions_done(long long now);
void shutdown_all(void);

/* conn.c */
void conn_detach(struct conn *c);
void conn_close_frame(struct conn *c, int code, const char *reason);
int conn_unread(struct conn *c);
int conns_wait(struct loop *l);
void conns_accept(struct loop *l, int i);
void conns_run(struct loop *l, int i);

/* api.c */
void respond_err(struct conn *c, int status, const char *msg,
    const char *extra);
void route(struct conn *c);
void ws_pump(struct conn *c, long long now);
void conn_input(struct conn *c);
void exec_answer(struct session *s);

/* client.c */
int attach_main(int argc, char **argv);

#endif
