/* The server: the connection layer (lib/http_conn) with husk-api's
 * bounds, its answers in JSON, and the loop. */
#include <signal.h>
#include <string.h>

#include "err.h"
#include "http_conn.h"
#include "json.h"
#include "loop.h"

#include "husk-api/api.h"

static struct http_conn conns[CONNS_MAX];
static struct http_conns server = {
	.v = conns, .n = CONNS_MAX, .lfd = -1, .budget = BODIES_MAX,
	.head_max = HTTP_HEAD_MAX, .head_ms = HEAD_TIMEOUT_MS,
	.req_ms = REQ_TIMEOUT_MS, .linger_ms = LINGER_MS,
	.head = route_head, .request = route, .error = reply_error,
};
static struct loop loop;

void
reply(struct http_conn *c, int status, const struct buf *body,
    const char *extra)
{
	http_conn_answer(c, status, "application/json", body->p, body->len,
	    extra);
}

void
reply_error(struct http_conn *c, int status, const char *msg)
{
	struct buf b = { 0 };

	buf_adds(&b, "{\"error\":");
	json_esc(&b, msg, strlen(msg));
	buf_adds(&b, "}\n");
	reply(c, status, &b, status == 401 ? "WWW-Authenticate: Bearer\r\n" :
	    NULL);
	buf_free(&b);
}

/* Its own results past -T: at start, then every ttl/2 s (at least 1). */
static void
sweep(long long *at)
{
	int n;

	if (!ttl_s || loop.now < *at)
		return;
	if ((n = relay_results_expire(&dir, ttl_s, "code")) < 0)
		err_warnsys("unable to remove old results");
	else if (n)
		err_info("removed %d result%s older than %llds", n,
		    n == 1 ? "" : "s", ttl_s);
	*at = loop.now + (ttl_s > 2 ? ttl_s * 500 : 1000);
}

/* Serve until SIGTERM, SIGINT or SIGHUP. */
void
server_loop(void)
{
	long long at = 0;
	int sig, li;

	for (;;) {
		loop_begin(&loop);
		sweep(&at);
		li = http_conns_wait(&server, &loop);
		if (ttl_s)
			loop_wake(&loop, at);
		if (loop_wait(&loop) < 0)
			err_diesys(EX_SYS, "unable to poll");
		if (loop_rev(&loop, 0))
			while ((sig = loop_signal(&loop)))
				if (sig != SIGCHLD) {
					err_info("stopping on signal %d", sig);
					http_conns_close_all(&server);
					return;
				}
		http_conns_run(&server, &loop, li);
	}
}

void
server_start(const char *listen)
{
	char where[128];

	server.body_max = code_max + BODY_SLACK;
	http_conns_init(&server);
	if (loop_init(&loop, LOOP_SIGNALS) < 0)
		err_diesys(EX_SYS, "unable to create a signalfd");
	if ((server.lfd = http_listen(listen, 64)) < 0)
		err_diesys(EX_SYS, "unable to listen on %s", listen);
	if (http_sockname(server.lfd, where, sizeof where) < 0)
		err_diesys(EX_SYS, "unable to read the address of %s", listen);
	err_info("listening on %s", where);
}
