/* ptyd's private header: the session and connection records, the limits,
 * the settings main() reads from the command line, and what each layer
 * offers the others.
 *
 *   ptyd.c           options, setup, the loop, exit status
 *   ptyd/session.c   the PTY session: spawn, ring, reap
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
#include "ws.h"


#define BODY_MAX 65536          /* request bodies: 413 beyond */
#define MSG_MAX 65536           /* client WebSocket messages: 1009 beyond */
#define FRAME_OUT_MAX 65536     /* output bytes per BINARY frame */
#define INQ_MAX 65536           /* input held for a PTY that is not reading */
#define OUT_MAX (1 << 20)       /* control replies a client left unread */
#define CONN_MAX 1000
#define DIM_MAX 4096            /* cols and rows: 1 to DIM_MAX */
#define REQ_TIMEOUT_MS 10000    /* a request must arrive whole by then */
#define HEAD_TIMEOUT_MS 5000    /* and its head by then */
#define PEER_PENDING_MAX 64     /* unfinished requests one address may hold */
#define ACCEPT_PAUSE_MS 100     /* out of descriptors: accept again after */
#define LINGER_MS 2000          /* after our close frame, wait for theirs */
#define DRAIN_MS 10000          /* a closing client must take some bytes by then */
#define KILL_GRACE_MS 2000      /* terminate: SIGKILL after this */
#define SAFE_SCAN 4096          /* replay start: look this far for a line */
#define EOF_GRACE_MS 250        /* after the reap, an idle PTY is ended */
#define CLOSE_PREEMPTED 4001
#define CLOSE_GONE 4004

struct session {
	char id[17];
	pid_t pid;
	int ptm;                /* -1 after EOF */
	char *command;
	long long started;      /* Unix time */
	int cols, rows;
	uint8_t *ring;
	uint64_t end;           /* bytes produced; the ring holds the last cap */
	int reaped, eof, wstatus, seen;
	long long exited_ms, kill_at;
	struct conn *live;
	struct buf inq;         /* input not yet taken by the PTY */
	struct session *next;
};

/* C_ROUTE: a request is complete (or bad) and waits for its answer. */
enum { C_HTTP, C_ROUTE, C_WS, C_DONE };

struct conn {
	int fd;
	int state;
	long long accepted;
	unsigned char peer[16]; /* its address (IPv4 in the first 4 bytes) */
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
	long long sent_at;      /* when the last output frame was queued */
	int close_sent, exit_sent;
	struct conn *next;
};


/* Settings (ptyd.c). */
extern size_t scrollback, flush_bytes;
extern long long flush_ms, idle_ms, max_sessions;
extern const char *default_cmd, *origins, *hosts, *upath;
extern char *token;
extern struct tls_srv *tls;
extern int verbose, lsock, sigfd;

/* State: the sessions and connections, newest first. */
extern struct session *sessions;
extern struct conn *conns;
extern int nsessions, nconns;

/* ptyd.c */
_Noreturn void usage(void);
const char *signame(int sig);

/* session.c */
struct session *session_find(const char *id, size_t n);
uint64_t replay_start(const struct session *s);
struct session *session_new(int cols, int rows, char **argv,
    const char *cmdline, const struct json *env, const char *cwd,
    int *status, struct buf *why);
void session_free(struct session *s);
size_t session_room(const struct session *s);
void session_read(struct session *s, long long now);
void session_write(struct session *s);
void session_resize(struct session *s, int cols, int rows);
void reap(long long now);
void shutdown_all(void);

/* conn.c */
void conn_detach(struct conn *c);
void conn_close_frame(struct conn *c, int code, const char *reason);
void serve(void);

/* api.c */
void respond_err(struct conn *c, int status, const char *msg,
    const char *extra);
void route(struct conn *c);
void ws_pump(struct conn *c, long long now);
void conn_input(struct conn *c);

/* client.c */
int attach_main(int argc, char **argv);

#endif
