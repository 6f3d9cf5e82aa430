/* husk-api's parts: what husk-api.c shares with them. */
#ifndef HUSK_API_H
#define HUSK_API_H

#include <stddef.h>

#include "buf.h"
#include "http.h"
#include "http_conn.h"
#include "relaydir.h"

#define CONNS_MAX 64
#define HEAD_TIMEOUT_MS 5000     /* to send a request's head */
#define REQ_TIMEOUT_MS 30000     /* to send it whole and read the answer */
#define LINGER_MS 2000           /* for the client to close, once answered */
#define BODY_SLACK 65536         /* a /run body: the code and this much */
#define BODIES_MAX (64 << 20)    /* the bodies of all connections together */
#define OUT_MAX (1 << 20)        /* bytes of each stream /status gives */
#define CODE_MAX_DEFAULT (1 << 20)

/* husk-api.c: the configuration. */
extern struct relaydir dir;
extern const char *hosts;        /* -H, or NULL */
extern const char *runcmd;       /* HUSK_API_RUN: shell words */
extern char token[257];          /* empty: none */
extern char codedir[4096];       /* the absolute path of dir/result */
extern long long code_max;
extern long long ttl_s;          /* -T: its results kept so long; 0: ever */

/* server.c: the connections (lib/http_conn), the loop; answers in JSON. */
void server_start(const char *listen);
void server_loop(void);
void reply(struct http_conn *c, int status, const struct buf *body,
    const char *extra);
void reply_error(struct http_conn *c, int status, const char *msg);

/* routes.c: the checks on a head (0 to read the body, or -1 after
 * answering), and the answer to a whole request. */
int route_head(struct http_conn *c);
void route(struct http_conn *c);

/* husk-api.c */
void usage(void) __attribute__((noreturn));

/* call.c: husk-api call. */
int call_main(int argc, char **argv);

#endif
