/* husk-api call: run code through a husk api and wait for it, as if it ran
 * here: POST /run, GET /status/ID every 200 ms, then the job's stdout and
 * stderr on ours and its exit code as ours. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "io.h"
#include "json.h"
#include "loop.h"
#include "num.h"
#include "token.h"

#include "husk-api/api.h"

#define POLL_MS 200
#define CONNECT_MS 5000
#define ANSWER_MS 30000
#define TRIES 25                 /* a status poll that fails, in a row */

static char host[512], addr[sizeof host + 8], tok[257];
static volatile sig_atomic_t interrupted;

static void
onsig(int s)
{
	interrupted = s;
}

static int
resp_body(void *ctx, const char *p, size_t n)
{
	return buf_add(ctx, p, n) < 0;
}

/* One request: 0 with *status and the body in out, or -1 with errno. */
static int
request(const char *method, const char *path, const struct buf *body,
    int *status, struct buf *out)
{
	struct http_resp r;
	struct buf req = { 0 };
	char chunk[65536];
	long long deadline = clock_ms() + ANSWER_MS;
	int fd, got = -1, e;

	buf_addf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n",
	    method, path, host);
	if (tok[0])
		buf_addf(&req, "Authorization: Bearer %s\r\n", tok);
	if (body)
		buf_addf(&req, "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n", body->len);
	buf_adds(&req, "\r\n");
	if (body)
		buf_add(&req, body->p, body->len);
	if (!req.p) {
		errno = ENOMEM;
		return -1;
	}
	out->len = 0;
	if ((fd = http_connect(addr, CONNECT_MS)) < 0)
		goto fail;
	if (io_writeall(fd, req.p, req.len) < 0)
		goto fail;
	http_resp_init(&r, resp_body, out);
	for (;;) {
		long long left = deadline - clock_ms();
		ssize_t n;
		if (left <= 0 || loop_once(fd, POLLIN, (int)left) == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if ((n = read(fd, chunk, sizeof chunk)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if ((got = n ? http_resp_feed(&r, chunk, n) :
		    http_resp_eof(&r)) != 0)
			break;
	}
	if (got < 0)
		goto fail;
	close(fd);
	buf_free(&req);
	*status = r.status;
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	buf_free(&req);
	errno = e;
	return -1;
}

/* The answer's JSON object, or death. */
static void
parse(struct json_doc *d, const struct buf *b, const char *what)
{
	if (json_parse(d, b->p ? b->p : "", b->len, JSON_NODES_MAX) < 0 ||
	    d->root->type != JSON_OBJ)
		err_die(EX_SYS, "unable to read the answer to %s: not a JSON "
		    "object", what);
}

/* Die with what the api said: 100 for a request it refused as bad. */
static void
refused(int status, const struct buf *b, const char *what)
{
	struct json_doc d;
	const struct json *e, *l;
	struct buf m = { 0 };
	int code = status == 400 || status == 413 ? EX_USAGE : EX_SYS;

	if (json_parse(&d, b->p ? b->p : "", b->len, JSON_NODES_MAX) == 0) {
		if ((e = json_get(d.root, "error")) && e->type == JSON_STR)
			buf_add(&m, e->s, e->len);
		if ((l = json_get(d.root, "languages")) &&
		    l->type == JSON_ARR) {
			buf_adds(&m, " (known:");
			for (l = l->child; l; l = l->next)
				if (l->type == JSON_STR)
					buf_addf(&m, " %s", l->s);
			buf_adds(&m, ")");
		}
		json_doc_free(&d);
	}
	err_die(code, "unable to %s: %d %s%s%s", what, status,
	    http_reason(status), m.p ? ": " : "", m.p ? m.p : "");
}

/* A member of the status: key, or key_b64 where the bytes are not UTF-8
 * (json.h json_bytes), to fd. */
static void
put(const struct json *o, const char *key, int fd)
{
	char *p;
	size_t n;

	if (json_bytes_get(o, key, &p, &n) < 0)
		err_diesys(EX_SYS, "unable to decode %s", key);
	if (p)
		io_writeall(fd, p, n);
	free(p);
}

/* http://HOST:PORT[/]: the address to connect to and the Host. */
static void
parse_url(const char *url)
{
	const char *h = url + 7;
	size_t n;

	if (strncmp(url, "http://", 7))
		err_die(EX_USAGE, "unable to use -b %s: not an http:// URL",
		    url);
	n = strcspn(h, "/");
	if (!n || n >= sizeof host || (h[n] && strcmp(h + n, "/")))
		err_die(EX_USAGE, "unable to use -b %s: not http://HOST:PORT",
		    url);
	memcpy(host, h, n);
	host[n] = 0;
	snprintf(addr, sizeof addr, "%s", host);
	if (!strrchr(host, ':') || host[n - 1] == ']')
		snprintf(addr, sizeof addr, "%s:80", host);
}

/* Cancel the job and die of it; or return if it finished first (409):
 * its result stands. */
static void
cancel(const char *id, int sig)
{
	struct buf b = { 0 };
	char path[ID_MAX + 16];
	int status;

	snprintf(path, sizeof path, "/jobs/%s", id);
	if (request("DELETE", path, NULL, &status, &b) < 0)
		err_diesys(EX_SYS, "unable to cancel %s", id);
	if (status == 409) {
		buf_free(&b);
		interrupted = 0;
		return;
	}
	if (status != 200 && status != 202)
		refused(status, &b, "cancel the job");
	err_die(EX_CANCEL, "job %s cancelled by signal %d", id, sig);
}

int
call_main(int argc, char **argv)
{
	const char *url = getenv("HUSK_API_URL"), *lang = NULL;
	const char *code = NULL, *file = NULL, *tokfile = NULL;
	struct buf body = { 0 }, src = { 0 }, out = { 0 };
	struct sigaction sa = { .sa_handler = onsig };
	long long timeout = 0;
	char id[ID_MAX + 1], path[ID_MAX + 16];
	struct json_doc d;
	const struct json *v;
	int c, status, fails = 0;

	if (!url || !*url)
		url = "http://127.0.0.1:7474";
	while ((c = getopt(argc, argv, "b:k:t:l:c:f:")) != -1) {
		switch (c) {
		case 'b': url = optarg; break;
		case 'k': tokfile = optarg; break;
		case 't':
			timeout = xnum_opt(c, optarg, 1, 86400,
			    "number of seconds");
			break;
		case 'l': lang = optarg; break;
		case 'c': code = optarg; break;
		case 'f': file = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || !lang || !code == !file)
		usage();
	parse_url(url);
	/* A server that goes away fails a write (EPIPE), not us. */
	signal(SIGPIPE, SIG_IGN);
	if (tokfile && token_read(tokfile, tok, sizeof tok) < 0)
		err_diesys(EX_USAGE, "unable to read token file %s", tokfile);
	if (!file)
		buf_adds(&src, code);
	else if (buf_slurp(&src, file) < 0)
		err_diesys(errno == ENOENT ? EX_USAGE : EX_SYS,
		    "unable to read %s", file);

	buf_adds(&body, "{\"language\":");
	json_esc(&body, lang, strlen(lang));
	buf_adds(&body, ",\"code\":");
	json_esc(&body, src.p ? src.p : "", src.len);
	if (timeout)
		buf_addf(&body, ",\"timeout\":%lld", timeout);
	buf_adds(&body, "}");
	if (!body.p)
		err_die(EX_SYS, "unable to build the request: out of memory");
	if (request("POST", "/run", &body, &status, &out) < 0)
		err_diesys(EX_SYS, "unable to submit to %s", url);
	if (status != 202)
		refused(status, &out, "submit");
	parse(&d, &out, "POST /run");
	if (!(v = json_get(d.root, "id")) || v->type != JSON_STR ||
	    v->len > ID_MAX || !id_valid(v->s))
		err_die(EX_SYS, "unable to read the answer to POST /run: no id");
	memcpy(id, v->s, v->len + 1);
	json_doc_free(&d);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	snprintf(path, sizeof path, "/status/%s", id);
	for (;;) {
		const struct json *st, *ex;
		if (interrupted)
			cancel(id, interrupted);
		clock_sleep_ms(POLL_MS);
		if (interrupted)
			cancel(id, interrupted);
		if (request("GET", path, NULL, &status, &out) < 0) {
			if (++fails < TRIES)
				continue;
			err_diesys(EX_SYS, "unable to read the status of %s",
			    id);
		}
		fails = 0;
		if (status != 200)
			refused(status, &out, "read the job's status");
		parse(&d, &out, "GET /status");
		st = json_get(d.root, "status");
		if (!st || st->type != JSON_STR)
			err_die(EX_SYS, "unable to read the status of %s", id);
		if (strcmp(st->s, "done") && strcmp(st->s, "error")) {
			json_doc_free(&d);
			continue;
		}
		put(d.root, "stdout", 1);
		put(d.root, "stderr", 2);
		ex = json_get(d.root, "exit_code");
		long long x;
		if (!ex || json_int(ex, 0, 255, &x) < 0)
			err_die(EX_SYS, "job %s ended with no exit code", id);
		return x;
	}
}
