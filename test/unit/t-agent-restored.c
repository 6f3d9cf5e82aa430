/* guest-agent restored from a snapshot (cmd/guest-agent/server.c): every
 * route but GET /health and POST /rekey answered 409, after the token,
 * until a rekey succeeds.  The snapshot port and the rekey itself are
 * stubs here (t-agent-rekey tests them). */
#include <string.h>
#include <sys/socket.h>

#include "guest-agent/server.c"
#include "tap.h"

struct lang langs[LANGS_MAX];
int nlangs, maxjobs = 4;
char token[TOKEN_MAX + 1] = "tok";
const char *workdir = "/tmp";

static const char *rekey_says;	/* the stub's answer: NULL, 200 */

int worker(void *arg) { return 0; }
int files_get(void *arg) { return 0; }
int files_put(void *arg) { return 0; }
const char *job_parse(const struct json *o, struct job *j, int *wl)
{ memset(j, 0, sizeof *j); return "stub"; }
void job_free(struct job *j) {}
int snapshot_point(void) { return 1; }	/* the port says: restored */
const char *rekey(const struct json *o, int r, int *status)
{ *status = 500; return rekey_says; }

/* The request req, its head checked (and, with body, dispatched as the
 * loop does): the status of the answer, 0 when the head passed and
 * nothing was answered. */
static int
send_req(const char *req, int dispatch_it)
{
	struct conn c = { 0 };
	char ans[4096];
	int sv[2], st = 0;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	c.fd = sv[0];
	http_req_init(&c.req, HTTP_HEAD_MAX, BODY_MAX);
	if (http_req_feed(&c.req, req, strlen(req)) < 0)
		return -1;
	if (head_check(&c) == 0 && dispatch_it)
		dispatch(&c);
	bodies_left += c.reserved;
	close(sv[0]);
	if ((n = read(sv[1], ans, sizeof ans - 1)) > 0) {
		ans[n] = 0;
		sscanf(ans, "HTTP/1.1 %d", &st);
	}
	close(sv[1]);
	http_req_free(&c.req);
	return st;
}

#define AUTH "Authorization: Bearer tok\r\n"
#define REKEY "POST /rekey HTTP/1.1\r\n" AUTH "Content-Length: 2\r\n\r\n{}"

int
main(void)
{
	static const char *const gated[] = {
		"POST /exec HTTP/1.1\r\n" AUTH "Content-Length: 2\r\n\r\n",
		"POST /shutdown HTTP/1.1\r\n" AUTH "\r\n",
		"GET /files?path=/ HTTP/1.1\r\n" AUTH "\r\n",
		"PUT /files?path=/ HTTP/1.1\r\n" AUTH "Content-Length: 9\r\n\r\n",
	};

	server_start("127.0.0.1:0", 0);
	ok(!restored, "without -S: not restored, the port not read");
	server_leave(-1);
	server_start("127.0.0.1:0", 1);
	ok(restored, "-S, and the port says 1: restored");
	for (size_t i = 0; i < sizeof gated / sizeof *gated; i++)
		ok(send_req(gated[i], 0) == 409, "restored: 409 for %.20s",
		    gated[i]);
	ok(send_req("POST /exec HTTP/1.1\r\nContent-Length: 2\r\n\r\n", 0) ==
	    401, "restored: 401 still comes first, without the token");
	ok(send_req("GET /health HTTP/1.1\r\n\r\n", 0) == 0 &&
	    send_req("GET /health HTTP/1.1\r\n\r\n", 1) == 200,
	    "restored: GET /health served");
	ok(send_req(REKEY, 0) == 0, "restored: POST /rekey passes the head");
	rekey_says = "unable to add entropy: stub";
	ok(send_req(REKEY, 1) == 500 && restored,
	    "a rekey that fails: still restored");
	ok(send_req(gated[0], 0) == 409, "so 409 still");
	rekey_says = NULL;
	ok(send_req(REKEY, 1) == 200 && !restored,
	    "a rekey that succeeds: not restored");
	for (size_t i = 0; i < sizeof gated / sizeof *gated; i++)
		ok(send_req(gated[i], 0) == 0, "rekeyed: %.20s passes the head",
		    gated[i]);
	return done_testing();
}
