/* ptyd's API: HTTP routing and answers, the browser's doors (Host,
 * Origin, token), and the WebSocket protocol of an attached client. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "ansi.h"
#include "clock.h"
#include "err.h"
#include "pgkill.h"
#include "token.h"
#include "web_asset.h"
#include "ptyd/ptyd.h"

#define INQ_MAX 65536           /* input held for a PTY that is not reading */
#define DIM_MAX 4096            /* cols and rows: 1 to DIM_MAX */

static void
session_json(struct buf *b, const struct session *s)
{
	buf_addf(b, "{\"id\":\"%s\",\"pid\":%ld,\"command\":", s->id,
	    (long)s->pid);
	json_esc(b, s->command, strlen(s->command));
	buf_addf(b, ",\"started\":%lld,\"cols\":%d,\"rows\":%d,\"attached\":%s,"
	    "\"exited\":%s,", s->started, s->cols, s->rows,
	    s->live ? "true" : "false", s->reaped ? "true" : "false");
	if (s->reaped && WIFEXITED(s->wstatus))
		buf_addf(b, "\"exit_code\":%d,\"signal\":null}",
		    WEXITSTATUS(s->wstatus));
	else if (s->reaped && WIFSIGNALED(s->wstatus))
		buf_addf(b, "\"exit_code\":null,\"signal\":\"%s\"}",
		    signame(WTERMSIG(s->wstatus)));
	else
		buf_adds(b, "\"exit_code\":null,\"signal\":null}");
}

static void
exit_event(struct buf *b, const struct session *s)
{
	struct buf j = { 0 };

	if (WIFEXITED(s->wstatus))
		buf_addf(&j, "{\"type\":\"exit\",\"exit_code\":%d,\"signal\":null}",
		    WEXITSTATUS(s->wstatus));
	else
		buf_addf(&j, "{\"type\":\"exit\",\"exit_code\":null,"
		    "\"signal\":\"%s\"}", signame(WTERMSIG(s->wstatus)));
	ws_frame(b, WS_TEXT, j.p, j.len);
	buf_free(&j);
}

static void
respond(struct conn *c, int status, const char *ctype, const void *body,
    size_t n, const char *extra)
{
	http_head(&c->out, status, ctype, n, extra);
	buf_add(&c->out, body, n);
	c->state = C_DONE;
	c->deadline = clock_ms() + REQ_TIMEOUT_MS;
}

static void
respond_json(struct conn *c, int status, struct buf *b, const char *extra)
{
	respond(c, status, "application/json", b->p, b->len, extra);
}

void
respond_err(struct conn *c, int status, const char *msg, const char *extra)
{
	struct buf b = { 0 };

	buf_adds(&b, "{\"error\":");
	json_esc(&b, msg, strlen(msg));
	buf_adds(&b, "}\n");
	if (verbose)
		err_info("%s %s: %d %s", c->req.method ? c->req.method : "-",
		    c->req.target ? c->req.target : "-", status, msg);
	respond_json(c, status, &b, extra);
	buf_free(&b);
}

/* The next word of *p, a list separated by any of sep, and its length
 * in *n; NULL at its end (or for no list). */
static const char *
word_next(const char **p, const char *sep, size_t *n)
{
	const char *w;

	if (!*p)
		return NULL;
	*p += strspn(*p, sep);
	if (!**p)
		return NULL;
	w = *p;
	*n = strcspn(w, sep);
	*p = w + *n;
	return w;
}

/* The token as a bearer header, or as the cookie when a browser says the
 * request comes from ptyd's own page: a page on another port of the same
 * host is "same-site" and gets the cookie sent too (its Origin was refused
 * already; Sec-Fetch-Site covers the requests without one). */
static int
authorized(const struct http_req *r)
{
	const char *a = http_req_header(r, "Authorization"), *ck, *p;
	const char *site = http_req_header(r, "Sec-Fetch-Site");

	if (!token)
		return 1;
	if (a && strncasecmp(a, "Bearer ", 7) == 0)
		return token_eq(token, a + 7, strlen(a + 7));
	if (site && strcasecmp(site, "same-origin") && strcasecmp(site, "none"))
		return 0;
	if ((ck = http_req_header(r, "Cookie"))) {
		size_t n;
		while ((p = word_next(&ck, "; ", &n)))
			if (n >= 11 && strncmp(p, "ptyd_token=", 11) == 0)
				return token_eq(token, p + 11, n - 11);
	}
	return 0;
}

/* s (n bytes) is one of the comma-separated words of list, any case. */
static int
in_list(const char *list, const char *s, size_t n)
{
	const char *w;
	size_t k;

	while ((w = word_next(&list, ",", &k)))
		if (k == n && strncasecmp(w, s, n) == 0)
			return 1;
	return 0;
}

/* The Host asked for is a name ptyd serves as: an IP address (no name, so
 * no DNS rebinding), localhost, or one in --host; any port.  A request
 * without Host (HTTP/1.0, not a browser) passes. */
static int
host_ok(const struct http_req *r)
{
	if (upath)        /* -u: no browser reaches a Unix socket */
		return 1;
	return http_host_ok(r, hosts);
}

/* Origin: absent (not a browser), in --origin, or, without --origin, the
 * page's own origin (scheme and the Host we were asked as). */
static int
origin_ok(const struct http_req *r)
{
	const char *o = http_req_header(r, "Origin"), *h;
	char self[512];

	if (!o)
		return 1;
	if (origins)
		return in_list(origins, o, strlen(o));
	if (!(h = http_req_header(r, "Host")))
		return 0;
	snprintf(self, sizeof self, "%s://%s", tls ? "https" : "http", h);
	return strcasecmp(self, o) == 0;
}

/* A JSON body that must be an object; NULL after answering 400. */
static const struct json *
body_object(struct conn *c, struct json_doc *d)
{
	if (json_parse(d, c->req.body ? c->req.body : "", c->req.body_len,
	    4096) < 0) {
		struct buf m = { 0 };
		buf_addf(&m, "invalid JSON at byte %zu", d->erroff);
		respond_err(c, 400, m.p, NULL);
		buf_free(&m);
		return NULL;
	}
	if (d->root->type != JSON_OBJ) {
		json_doc_free(d);
		respond_err(c, 400, "the body is not a JSON object", NULL);
		return NULL;
	}
	return d->root;
}

/* cols and rows from o (defaults if absent); -1 after answering 400. */
static int
dims(struct conn *c, const struct json *o, int *cols, int *rows)
{
	static const char *const name[] = { "cols", "rows" };
	int *out[] = { cols, rows };

	for (int i = 0; i < 2; i++) {
		const struct json *v = json_get(o, name[i]);
		long long x;
		if (!v)
			continue;
		if (json_int(v, 1, DIM_MAX, &x) < 0) {
			struct buf m = { 0 };
			buf_addf(&m, "%s must be an integer from 1 to %d",
			    name[i], DIM_MAX);
			if (c)
				respond_err(c, 400, m.p, NULL);
			buf_free(&m);
			return -1;
		}
		*out[i] = x;
	}
	return 0;
}

/* The start of a request that makes a session (POST /terminals and
 * /execute-command): room under --max-sessions, a JSON object in d, cols
 * and rows.  The object, or NULL after answering (d freed). */
static const struct json *
session_request(struct conn *c, struct json_doc *d, int *cols, int *rows)
{
	const struct json *o;

	if (nsessions >= max_sessions) {
		respond_err(c, 503, "too many sessions (--max-sessions)", NULL);
		return NULL;
	}
	if (!(o = body_object(c, d)))
		return NULL;
	if (dims(c, o, cols, rows) < 0) {
		json_doc_free(d);
		return NULL;
	}
	return o;
}

/* Its end: cwd (a string, or null or absent) checked, the session
 * started; NULL after answering 400 or why it could not start. */
static struct session *
session_start(struct conn *c, int cols, int rows, char **argv,
    const char *line, const struct json *env, const struct json *cwd,
    int exec)
{
	struct buf why = { 0 };
	struct session *s;
	int status;

	if (cwd && cwd->type == JSON_NULL)
		cwd = NULL;
	if (cwd && (cwd->type != JSON_STR || strlen(cwd->s) != cwd->len)) {
		respond_err(c, 400, "cwd must be a string", NULL);
		return NULL;
	}
	if (!(s = session_new(cols, rows, argv, line, env, cwd ? cwd->s : NULL,
	    exec, &status, &why))) {
		err_warn("%s", why.p);
		respond_err(c, status, why.p, NULL);
	}
	buf_free(&why);
	return s;
}

static void
api_create(struct conn *c, const char *path, size_t plen)
{
	struct json_doc d;
	const struct json *o, *cmd, *env, *cwd, *v;
	int cols = 80, rows = 24, n = 0;
	char *argv[256], *shell[] = { "/bin/sh", "-c", NULL, NULL };
	struct buf line = { 0 }, b = { 0 };
	struct session *s;

	if (!(o = session_request(c, &d, &cols, &rows)))
		return;
	cmd = json_get(o, "command");
	env = json_get(o, "env");
	cwd = json_get(o, "cwd");
	if (cmd && cmd->type == JSON_STR && cmd->len &&
	    strlen(cmd->s) == cmd->len) {
		shell[2] = (char *)cmd->s;
		memcpy(argv, shell, sizeof shell);
		buf_adds(&line, cmd->s);
	} else if (cmd && cmd->type == JSON_ARR && cmd->len > 0 &&
	    cmd->len < 255) {
		for (v = cmd->child; v; v = v->next) {
			if (v->type != JSON_STR || strlen(v->s) != v->len) {
				respond_err(c, 400, "command must be a string "
				    "or an array of strings", NULL);
				goto out;
			}
			argv[n++] = (char *)v->s;
			buf_addf(&line, "%s%s", n > 1 ? " " : "", v->s);
		}
		argv[n] = NULL;
	} else if (cmd && cmd->type != JSON_NULL) {
		respond_err(c, 400, "command must be a string or an array of "
		    "strings", NULL);
		goto out;
	} else {
		shell[2] = (char *)default_cmd;
		memcpy(argv, shell, sizeof shell);
		buf_adds(&line, default_cmd);
	}
	int bad_env = env && env->type != JSON_OBJ && env->type != JSON_NULL;
	if (env && env->type != JSON_OBJ)
		env = NULL;
	for (v = env ? env->child : NULL; v; v = v->next)
		if (v->type != JSON_STR || strlen(v->s) != v->len ||
		    !v->keylen || strlen(v->key) != v->keylen ||
		    strchr(v->key, '='))
			bad_env = 1;
	if (bad_env) {
		respond_err(c, 400, "env must be an object of strings", NULL);
		goto out;
	}
	if (!(s = session_start(c, cols, rows, argv, line.p ? line.p : "",
	    env, cwd, 0)))
		goto out;
	buf_addf(&b, "{\"id\":\"%s\",\"pid\":%ld}\n", s->id, (long)s->pid);
	respond_json(c, 201, &b, NULL);
out:
	buf_free(&line);
	buf_free(&b);
	json_doc_free(&d);
}

/* POST /execute-command {command, cwd?, timeout?, cols?, rows?}: sh -c
 * command on a terminal of its own, under a time limit; the connection
 * waits (C_WAIT) and is answered when the command is over (exec_answer).
 * It counts as a session against --max-sessions. */
static void
api_execute(struct conn *c, const char *path, size_t plen)
{
	struct json_doc d;
	const struct json *o, *cmd, *cwd, *to;
	int cols = 80, rows = 24;
	long long secs = EXEC_TIMEOUT_S;
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	struct buf m = { 0 };
	struct session *s;

	if (!(o = session_request(c, &d, &cols, &rows)))
		return;
	cmd = json_get(o, "command");
	cwd = json_get(o, "cwd");
	to = json_get(o, "timeout");
	if (!cmd || cmd->type != JSON_STR || !cmd->len ||
	    strlen(cmd->s) != cmd->len) {
		respond_err(c, 400, "command must be a non-empty string", NULL);
		goto out;
	}
	if (to && to->type != JSON_NULL &&
	    json_int(to, 1, EXEC_TIMEOUT_MAX, &secs) < 0) {
		buf_addf(&m, "timeout must be an integer from 1 to %d",
		    EXEC_TIMEOUT_MAX);
		respond_err(c, 400, m.p, NULL);
		goto out;
	}
	argv[2] = (char *)cmd->s;
	if (!(s = session_start(c, cols, rows, argv, cmd->s, NULL, cwd, 1)))
		goto out;
	s->exec_deadline = clock_ms() + secs * 1000;
	s->waiter = c;
	c->s = s;
	c->state = C_WAIT;
	c->deadline = 0;        /* the command's time limit bounds it */
out:
	buf_free(&m);
	json_doc_free(&d);
}

/* The answer to execute-command, s being over: 200 {"output",
 * "exit_code","signal","timed_out","truncated"}, the output as plain text
 * (lib/ansi), "output_b64" beside it when not UTF-8 (json_bytes). */
void
exec_answer(struct session *s)
{
	struct conn *c = s->waiter;
	struct buf b = { 0 };
	size_t n = ansi_strip(s->out.p, s->out.len);

	if (!c)
		return;
	s->waiter = NULL;
	c->s = NULL;
	buf_adds(&b, "{");
	json_bytes(&b, "output", s->out.p ? s->out.p : "", n);
	if (WIFEXITED(s->wstatus))
		buf_addf(&b, ",\"exit_code\":%d,\"signal\":null",
		    WEXITSTATUS(s->wstatus));
	else
		buf_addf(&b, ",\"exit_code\":null,\"signal\":\"%s\"",
		    signame(WTERMSIG(s->wstatus)));
	buf_addf(&b, ",\"timed_out\":%s,\"truncated\":%s}\n",
	    s->timed_out ? "true" : "false", s->truncated ? "true" : "false");
	if (verbose)
		err_info("execute-command %s: %sstatus %d", s->command,
		    s->timed_out ? "timed out, " : "", status_code(s->wstatus));
	respond_json(c, 200, &b, NULL);
	buf_free(&b);
}

static void
api_list(struct conn *c, const char *path, size_t plen)
{
	struct buf b = { 0 };
	int first = 1;

	buf_adds(&b, "[");
	for (struct session *s = sessions; s; s = s->next) {
		if (s->exec)
			continue;
		if (!first)
			buf_adds(&b, ",");
		first = 0;
		session_json(&b, s);
	}
	buf_adds(&b, "]\n");
	respond_json(c, 200, &b, NULL);
	buf_free(&b);
}

static void
api_resize(struct conn *c, struct session *s)
{
	struct json_doc d;
	const struct json *o;
	int cols = -1, rows = -1;
	struct buf b = { 0 };

	if (!(o = body_object(c, &d)))
		return;
	if (dims(c, o, &cols, &rows) < 0)
		goto out;
	if (cols < 0 || rows < 0) {
		respond_err(c, 400, "cols and rows are required", NULL);
		goto out;
	}
	if (s->eof) {
		respond_err(c, 409, "the session has exited", NULL);
		goto out;
	}
	session_resize(s, cols, rows);
	session_json(&b, s);
	buf_adds(&b, "\n");
	respond_json(c, 200, &b, NULL);
out:
	buf_free(&b);
	json_doc_free(&d);
}

static void
api_terminate(struct conn *c, struct session *s)
{
	struct buf b = { 0 };

	if (s->reaped) {
		respond_err(c, 409, "the session has exited", NULL);
		return;
	}
	/* SIGHUP as a closed terminal would (interactive shells ignore
	 * SIGTERM), SIGTERM for the rest, SIGKILL after a grace. */
	pg_signal(s->pid, SIGHUP);
	pg_signal(s->pid, SIGTERM);
	pg_signal(s->pid, SIGCONT);
	if (!s->kill_at)
		s->kill_at = clock_ms() + KILL_GRACE_MS;
	session_json(&b, s);
	buf_adds(&b, "\n");
	respond_json(c, 202, &b, NULL);
	buf_free(&b);
}

static int
header_has(const struct http_req *r, const char *name, const char *token_)
{
	const char *v = http_req_header(r, name);
	size_t n = strlen(token_);

	while (v && *v) {
		size_t k;
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		k = strcspn(v, ", \t");
		if (k == n && strncasecmp(v, token_, n) == 0)
			return 1;
		v += k;
	}
	return 0;
}

/* The attach's query: input=text (every TEXT frame is input, none a
 * control message) or input=json (the default); other words are not
 * ours and are let be.  -1 after answering 400. */
static int
attach_query(struct conn *c)
{
	const char *q = strchr(c->req.target, '?'), *w;
	size_t k;

	c->text_in = 0;
	if (q)
		q++;
	while ((w = word_next(&q, "&", &k))) {
		if (k < 6 || strncmp(w, "input=", 6))
			continue;
		if (k == 10 && !strncmp(w + 6, "text", 4))
			c->text_in = 1;
		else if (k == 10 && !strncmp(w + 6, "json", 4))
			c->text_in = 0;
		else {
			respond_err(c, 400, "input must be text or json", NULL);
			return -1;
		}
	}
	return 0;
}

static void
api_attach(struct conn *c, struct session *s)
{
	const char *ver = http_req_header(&c->req, "Sec-WebSocket-Version");
	const char *rest;
	char accept[29];
	size_t n;

	if (strcmp(c->req.method, "GET")) {
		respond_err(c, 405, "a WebSocket upgrade must be a GET", NULL);
		return;
	}
	if (attach_query(c) < 0)
		return;
	if (!ver || strcmp(ver, "13")) {
		respond_err(c, 426, "WebSocket version 13 required",
		    "Sec-WebSocket-Version: 13\r\n");
		return;
	}
	if (!header_has(&c->req, "Connection", "upgrade") ||
	    ws_accept_key(http_req_header(&c->req, "Sec-WebSocket-Key"),
	    accept) < 0) {
		respond_err(c, 400, "bad WebSocket handshake", NULL);
		return;
	}
	buf_addf(&c->out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	n = http_req_rest(&c->req, &rest);
	buf_add(&c->in, rest, n);
	c->state = C_WS;
	c->deadline = 0;
	ws_rx_init(&c->rx, 1, MSG_MAX);
	if (s->live) {
		if (verbose)
			err_info("session %s: client fd %d preempted", s->id, s->live->fd);
		conn_close_frame(s->live, CLOSE_PREEMPTED, "preempted");
	}
	s->live = c;
	c->s = s;
	c->off = replay_start(&s->ring);
	c->flush_at = 0;
	if (verbose)
		err_info("session %s: client fd %d attached at %llu", s->id, c->fd,
		    (unsigned long long)c->off);
}

/* An asset as the binary holds it, gzip'd, to a client that takes that;
 * decoded (once, then kept) for one that does not. */
static void
serve_asset(struct conn *c, const char *path, size_t n)
{
	const struct web_asset *a;
	const unsigned char *p;
	int gz = http_accepts(http_req_header(&c->req, "Accept-Encoding"),
	    "gzip");

	if (n == 1)
		path = "/index.html", n = 11;
	for (a = web_assets; a->path; a++) {
		if (strlen(a->path) != n || memcmp(a->path, path, n))
			continue;
		if (!gz && !(p = web_asset_plain(a))) {
			err_warnsys("unable to decode %s", a->path);
			respond_err(c, 500, "unable to decode the page", NULL);
			return;
		}
		char extra[192];
		snprintf(extra, sizeof extra, "Cache-Control: %s\r\n"
		    "X-Content-Type-Options: nosniff\r\n"
		    "Vary: Accept-Encoding\r\n%s",
		    strstr(a->type, "html") ? "no-cache" : "max-age=3600",
		    gz ? "Content-Encoding: gzip\r\n" : "");
		respond(c, 200, a->type, gz ? a->gz : p, gz ? a->gzlen : a->len,
		    extra);
		return;
	}
	respond_err(c, 404, "not found", NULL);
}

/* GET /?token=T: set the cookie and send the browser to the clean URL,
 * so the token does not stay in its address bar or history. */
static int
token_login(struct conn *c, const char *q)
{
	const char *p = q;
	char extra[512];
	const char *w;
	size_t k;

	while ((w = word_next(&p, "&", &k))) {
		if (k < 6 || strncmp(w, "token=", 6))
			continue;
		if (!token || !token_eq(token, w + 6, k - 6)) {
			respond_err(c, 401, "wrong token", NULL);
			return 1;
		}
		snprintf(extra, sizeof extra, "Location: /\r\n"
		    "Set-Cookie: ptyd_token=%s; Path=/; HttpOnly; "
		    "SameSite=Strict%s\r\n", token, tls ? "; Secure" : "");
		respond(c, 303, NULL, "", 0, extra);
		return 1;
	}
	return 0;
}

/* Content-Type: application/json, parameters allowed. */
static int
json_type(const struct http_req *r)
{
	const char *v = http_req_header(r, "Content-Type");

	return v && strncasecmp(v, "application/json", 16) == 0 &&
	    (!v[16] || v[16] == ';' || v[16] == ' ');
}

enum { M_GET = 1, M_POST = 2, M_OTHER = 4, M_ANY = 7 };

static int
method(const struct conn *c)
{
	return !strcmp(c->req.method, "GET") ? M_GET :
	    !strcmp(c->req.method, "POST") ? M_POST : M_OTHER;
}

static void
api_health(struct conn *c, const char *path, size_t n)
{
	struct buf b = { 0 };

	buf_adds(&b, "{\"status\":\"ok\"}\n");
	respond_json(c, 200, &b, NULL);
	buf_free(&b);
}

/* GET /status: the API's version, the uptime, the terminal sessions and
 * the commands running (execute-command). */
static void
api_status(struct conn *c, const char *path, size_t n)
{
	struct buf b = { 0 };
	int terms = 0, cmds = 0;

	for (struct session *s = sessions; s; s = s->next)
		s->exec ? cmds++ : terms++;
	buf_addf(&b, "{\"version\":\"%s\",\"uptime_s\":%lld,\"sessions\":%d,"
	    "\"commands\":%d,\"max_sessions\":%lld}\n", PTYD_VERSION,
	    (clock_ms() - started_ms) / 1000, terms, cmds, max_sessions);
	respond_json(c, 200, &b, NULL);
	buf_free(&b);
}

static void
api_show(struct conn *c, struct session *s)
{
	struct buf b = { 0 };

	session_json(&b, s);
	buf_adds(&b, "\n");
	respond_json(c, 200, &b, NULL);
	buf_free(&b);
}

/* What /terminals/ID[/ACTION] does to session ID. */
static const struct {
	const char *path;
	int methods;
	void (*fn)(struct conn *c, struct session *s);
} acts[] = {
	{ "", M_GET, api_show },
	{ "/resize", M_POST, api_resize },
	{ "/terminate", M_POST, api_terminate },
};

static void
api_terminal(struct conn *c, const char *path, size_t n)
{
	const char *id = path + strlen("/terminals/"), *rest;
	size_t idlen = strcspn(id, "/?"), k;
	struct session *s;

	rest = id + idlen;
	k = path + n - rest;
	if (!(s = session_find(id, idlen))) {
		respond_err(c, 404, "no such session", NULL);
		return;
	}
	if (!k && header_has(&c->req, "Upgrade", "websocket")) {
		api_attach(c, s);
		return;
	}
	for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
		if (k != strlen(acts[i].path) || strncmp(rest, acts[i].path, k))
			continue;
		if (acts[i].methods & method(c))
			acts[i].fn(c, s);
		else
			respond_err(c, 405, "method not allowed", NULL);
		return;
	}
	respond_err(c, 404, "not found", NULL);
}

/* The routes; a path ending in '/' is the start of longer ones.  Any
 * other GET is a page asset; "/" also takes ?token= (token_login). */
static const struct route {
	const char *path;
	int methods;
	int open;		/* served without the token */
	void (*fn)(struct conn *c, const char *path, size_t n);
} routes[] = {
	{ "/health", M_GET, 1, api_health },
	{ "/status", M_GET, 0, api_status },
	{ "/execute-command", M_POST, 0, api_execute },
	{ "/terminals", M_GET, 0, api_list },
	{ "/terminals", M_POST, 0, api_create },
	{ "/terminals/", M_ANY, 0, api_terminal },
};

/* The route of path (n bytes) for method m, or NULL; *any: the first
 * route of that path, whatever its method (NULL: no such path). */
static const struct route *
route_find(const char *path, size_t n, int m, const struct route **any)
{
	*any = NULL;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const struct route *r = &routes[i];
		size_t k = strlen(r->path);
		if (r->path[k - 1] == '/' ? n <= k : n != k)
			continue;
		if (strncmp(path, r->path, k))
			continue;
		if (!*any)
			*any = r;
		if (r->methods & m)
			return r;
	}
	return NULL;
}

void
route(struct conn *c)
{
	const char *t = c->req.target, *q;
	const struct route *r, *any;
	int m = method(c);
	size_t plen = strcspn(t, "?");

	q = t[plen] == '?' ? t + plen + 1 : NULL;
	/* Browsers' doors, on every route: a name that is not ours (DNS
	 * rebinding), a page of another origin (a cross-site request, which
	 * a "simple" POST is without a preflight), a body that is not JSON
	 * (what a form or text/plain POST sends).  No CORS answer at all. */
	if (!host_ok(&c->req)) {
		respond_err(c, 403, "host not allowed", NULL);
		return;
	}
	if (!origin_ok(&c->req)) {
		respond_err(c, 403, "origin not allowed", NULL);
		return;
	}
	if (m == M_POST && c->req.body_len && !json_type(&c->req)) {
		respond_err(c, 415, "the body must be application/json",
		    NULL);
		return;
	}
	r = route_find(t, plen, m, &any);
	if (m == M_GET && plen == 1 && token_login(c, q))
		return;
	if (!(any && any->open) && !authorized(&c->req)) {
		respond_err(c, 401, "missing or wrong token",
		    "WWW-Authenticate: Bearer\r\n");
		return;
	}
	if (r)
		r->fn(c, t, plen);
	else if (any)
		respond_err(c, 405, "method not allowed", NULL);
	else if (m == M_GET)
		serve_asset(c, t, plen);
	else
		respond_err(c, 404, "not found", NULL);
}

/* A control message from the live client. */
static void
ws_control(struct conn *c, const uint8_t *p, size_t n)
{
	struct json_doc d;
	const struct json *ty;
	int cols = -1, rows = -1;
	struct buf e = { 0 };
	const char *err = NULL;

	if (json_parse(&d, (const char *)p, n, 64) < 0) {
		err = "invalid JSON";
	} else {
		if (d.root->type != JSON_OBJ || !(ty = json_get(d.root, "type")) ||
		    ty->type != JSON_STR)
			err = "a control message needs a type";
		else if (strcmp(ty->s, "resize"))
			err = "unknown control message type";
		else if (dims(NULL, d.root, &cols, &rows) < 0 || cols < 0 ||
		    rows < 0)
			err = "resize needs cols and rows from 1 to 4096";
		else if (c->s)
			session_resize(c->s, cols, rows);
		json_doc_free(&d);
	}
	if (err) {
		buf_adds(&e, "{\"type\":\"error\",\"error\":");
		json_esc(&e, err, strlen(err));
		buf_adds(&e, "}");
		ws_frame(&c->out, WS_TEXT, e.p, e.len);
		buf_free(&e);
	}
}

/* Parse what the client sent; stop while the PTY's input queue is full. */
static void
ws_input(struct conn *c)
{
	struct ws_msg m;
	size_t used;
	int r, code;

	while (c->inoff < c->in.len && c->state == C_WS) {
		if (c->s && c->s->inq.len >= INQ_MAX)
			break;
		if (conn_unread(c))
			break;
		r = ws_rx_feed(&c->rx, (uint8_t *)c->in.p + c->inoff,
		    c->in.len - c->inoff, &used, &m);
		c->inoff += used;
		if (r < 0) {
			if (verbose)
				err_info("client protocol error: close %d",
				    c->rx.close_code);
			conn_close_frame(c, c->rx.close_code, "protocol error");
			c->state = C_DONE;
			break;
		}
		if (r == 0)
			break;
		switch (m.op) {
		case WS_TEXT:
		case WS_BINARY:
			/* ?input=text: keystrokes as text, never a command */
			if (m.op == WS_TEXT && !c->text_in)
				ws_control(c, m.data, m.len);
			else if (c->s && c->s->ptm >= 0)
				buf_add(&c->s->inq, m.data, m.len);
			break;
		case WS_PING:
			if (!c->close_sent)
				ws_frame(&c->out, WS_PONG, m.data, m.len);
			break;
		case WS_CLOSE:
			code = ws_close_code(m.data, m.len);
			if (code < 0)
				conn_close_frame(c, WS_PROTOCOL, "bad close");
			else
				conn_close_frame(c, code == 1005 ? WS_NORMAL :
				    code, "");
			c->state = C_DONE;
			c->rd_eof = 1; /* the handshake is complete */
			break;
		}
	}
	if (c->inoff == c->in.len || c->state != C_WS)
		c->in.len = c->inoff = 0;
}

/* Give the live client its next frame of output, or the exit. */
void
ws_pump(struct conn *c, long long now)
{
	struct session *s = c->s;
	uint64_t avail;
	size_t n;
	uint8_t h[14];

	if (c->state != C_WS || !s || s->live != c || c->close_sent)
		return;
	if (c->out.len - c->outoff >= FRAME_OUT_MAX)
		return;
	avail = s->ring.end - c->off;
	if (avail) {
		if (avail < flush_bytes && c->flush_at > now &&
		    !s->eof)
			return;
		n = avail > FRAME_OUT_MAX ? FRAME_OUT_MAX : avail;
		buf_add(&c->out, h, ws_frame_head(h, WS_BINARY, 1, n, NULL));
		ring_copy(&s->ring, c->off, n, &c->out);
		c->off += n;
		c->flush_at = 0;
		c->win_bytes += n;
		if (c->off != s->ring.end)
			return;
	}
	/* The exit right behind the last output: once a TLS flush has
	 * taken that output, nothing may wake us for another pump. */
	if (s->eof && s->reaped && !c->exit_sent) {
		exit_event(&c->out, s);
		c->exit_sent = 1;
	}
}

/* What the client sent, to its session (or our answers). */
void
conn_input(struct conn *c)
{
	if (c->state == C_WS || c->in.len) {
		ws_input(c);
		if (c->s)
			session_write(c->s);
	}
}
