/* The routes: POST /run queues a job (its code in result/ID.code, the
 * command `husk run -l LANG [-t T] -f FILE` in cmd/ID), GET /status/ID
 * reads its state and output, DELETE /jobs/ID cancels it; and the doors
 * before them: Host, Origin, token. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "err.h"
#include "json.h"
#include "path.h"
#include "token.h"

#include "husk-api/api.h"

/* The languages a job may name, and what husk run calls them. */
static const struct lang {
	const char *name, *husk;
} langs[] = {
	{ "sh", "sh" }, { "bash", "sh" },
	{ "python3", "python3" }, { "python", "python3" }, { "py", "python3" },
	{ "lua", "lua" }, { "c", "c" },
	{ "node", "node" }, { "js", "node" },
};

/* The statuses husk run exits with for its own failures (husk(1)): a
 * job that ends with one is reported as "error". */
static int
husk_failure(int code)
{
	return code == 75 || code == 100 || code == 111 || code == 112 ||
	    code == 130;
}

static void
reply_json(struct http_conn *c, int status, struct buf *b)
{
	buf_adds(b, "}\n");
	reply(c, status, b, NULL);
	buf_free(b);
}

/* sh's quoting of s, as one word, appended to b; 0 or -1 (ENOMEM). */
static int
quote(struct buf *b, const char *s)
{
	if (buf_adds(b, "'"))
		return -1;
	for (const char *q; (q = strchr(s, '\'')); s = q + 1)
		if (buf_add(b, s, q - s) || buf_adds(b, "'\\''"))
			return -1;
	return buf_adds(b, s) || buf_adds(b, "'") ? -1 : 0;
}

/* A string member: NULL if absent, *bad if not a string. */
static const struct json *
member_str(const struct json *o, const char *key, int *bad)
{
	const struct json *v = json_get(o, key);

	if (v && v->type != JSON_STR)
		*bad = 1;
	return v && v->type == JSON_STR ? v : NULL;
}

static void
unknown_language(struct http_conn *c, const char *name)
{
	struct buf b = { 0 };
	char msg[160];

	snprintf(msg, sizeof msg, "unknown language %.64s", name);
	buf_adds(&b, "{\"error\":");
	json_esc(&b, msg, strlen(msg));
	buf_adds(&b, ",\"languages\":[");
	for (size_t i = 0; i < sizeof langs / sizeof *langs; i++) {
		buf_adds(&b, i ? "," : "");
		json_esc(&b, langs[i].name, strlen(langs[i].name));
	}
	buf_adds(&b, "]");
	reply_json(c, 400, &b);
}

/* Write the code, then the command that runs it: relayd never sees a
 * command whose code is not in place. */
static int
submit(const char *id, const struct lang *l, long long timeout,
    const struct json *code)
{
	char name[ID_MAX + 8], path[sizeof codedir + ID_MAX + 16];
	struct buf cmd = { 0 };
	int r;

	snprintf(name, sizeof name, "%s.code", id);
	if (atomic_write(dir.result, name, code->s, code->len, dir.fmode) < 0) {
		err_warnsys("unable to write %s/result/%s", dir.path, name);
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", codedir, name);
	r = buf_adds(&cmd, "exec ") || buf_adds(&cmd, runcmd) ||
	    buf_adds(&cmd, " -l ") || quote(&cmd, l->husk) ||
	    (timeout && buf_addf(&cmd, " -t %lld", timeout)) ||
	    buf_adds(&cmd, " -f ") || quote(&cmd, path) ? -1 : 0;
	if (r < 0 || (r = relay_submit(&dir, id, cmd.p, cmd.len)) < 0)
		err_warnsys("unable to write %s/cmd/%s", dir.path, id);
	if (r < 0)
		unlinkat(dir.result, name, 0);
	buf_free(&cmd);
	return r;
}

static void
do_run(struct http_conn *c, const char *arg)
{
	struct json_doc d;
	const struct json *lang, *code, *t;
	const struct lang *l = NULL;
	long long timeout = 0;
	char id[ID_MAX + 1];
	struct buf b = { 0 };
	int bad = 0;

	(void)arg;
	if (json_parse(&d, c->req.body ? c->req.body : "", c->req.body_len,
	    64) < 0) {
		reply_error(c, 400, errno == ENOMEM ? "out of memory" :
		    "the body is not a JSON object within bounds");
		return;
	}
	if (d.root->type != JSON_OBJ) {
		reply_error(c, 400, "the body is not a JSON object");
		goto out;
	}
	lang = member_str(d.root, "language", &bad);
	code = member_str(d.root, "code", &bad);
	if (bad || !lang) {
		reply_error(c, 400, "language and code must be strings");
		goto out;
	}
	if ((t = json_get(d.root, "timeout")) &&
	    json_int(t, 1, 86400, &timeout) < 0) {
		reply_error(c, 400, "timeout must be a number of seconds, "
		    "1 to 86400");
		goto out;
	}
	for (size_t i = 0; i < sizeof langs / sizeof *langs; i++)
		if (strlen(langs[i].name) == lang->len &&
		    !memcmp(langs[i].name, lang->s, lang->len))
			l = &langs[i];
	if (!l) {
		unknown_language(c, lang->s);
		goto out;
	}
	if (!code || code->len == 0) {
		reply_error(c, 400, "empty code");
		goto out;
	}
	if ((long long)code->len > code_max) {
		buf_addf(&b, "code longer than %lld bytes", code_max);
		reply_error(c, 413, b.p);
		buf_free(&b);
		goto out;
	}
	relay_newid(id, sizeof id);
	if (submit(id, l, timeout, code) < 0) {
		reply_error(c, 500, "unable to queue the job");
		goto out;
	}
	err_info("%s queued (%s, %zu bytes)", id, l->husk, code->len);
	buf_addf(&b, "{\"id\":\"%s\"", id);
	reply_json(c, 202, &b);
out:
	json_doc_free(&d);
}

/* result/ID.SUFFIX, at most OUT_MAX bytes of it, as the member key. */
static int
output(struct buf *b, const char *id, const char *suffix, const char *key)
{
	static char data[OUT_MAX + 1];
	char name[ID_MAX + 8];
	ssize_t n = 0;
	int fd;

	snprintf(name, sizeof name, "%s.%s", id, suffix);
	fd = openat(dir.result, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		n = pread(fd, data, sizeof data, 0);
		close(fd);
	}
	if (n < 0)
		n = 0;
	buf_adds(b, ",");
	json_bytes(b, key, data, n > OUT_MAX ? OUT_MAX : n);
	return n > OUT_MAX;
}

static void
do_status(struct http_conn *c, const char *id)
{
	struct buf b = { 0 };
	const char *status;
	int st, code = 0, have = 0, cut;

	if (!id_valid(id) || (st = relay_state(&dir, id)) == RELAY_GONE) {
		reply_error(c, 404, "no such job");
		return;
	}
	if (st < 0) {
		reply_error(c, 500, "unable to read the relay directory");
		return;
	}
	/* The exit first: once it is there, the output is whole. */
	if ((have = relay_exit_read(&dir, id, &code)) < 0 && errno != EINVAL) {
		reply_error(c, 500, "unable to read the job's exit file");
		return;
	}
	if (have > 0)
		status = husk_failure(code) ? "error" : "done";
	else if (have < 0)
		status = "error";        /* a corrupt exit file */
	else if (faccessat(dir.run, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		status = "running";
	else
		status = "pending";
	buf_addf(&b, "{\"id\":\"%s\",\"status\":\"%s\",\"exit_code\":", id,
	    status);
	if (have > 0)
		buf_addf(&b, "%d", code);
	else
		buf_adds(&b, "null");
	cut = output(&b, id, "log", "stdout");
	cut |= output(&b, id, "err", "stderr");
	if (cut)
		buf_adds(&b, ",\"truncated\":true");
	reply_json(c, 200, &b);
}

static void
do_cancel(struct http_conn *c, const char *id)
{
	struct buf b = { 0 };
	int st;

	if (!id_valid(id) || (st = relay_state(&dir, id)) == RELAY_GONE) {
		reply_error(c, 404, "no such job");
		return;
	}
	if (st == RELAY_PENDING)
		st = relay_cancel(&dir, id);
	else if (st == RELAY_DONE)
		st = 2;
	switch (st) {
	case 0:
		buf_addf(&b, "{\"id\":\"%s\",\"status\":\"error\","
		    "\"exit_code\":130", id);
		reply_json(c, 200, &b);
		break;
	case 1:
		buf_addf(&b, "{\"id\":\"%s\",\"status\":\"cancelling\"", id);
		reply_json(c, 202, &b);
		break;
	case 2:
		reply_error(c, 409, "the job has finished");
		break;
	default:
		err_warnsys("unable to cancel %s", id);
		reply_error(c, 500, "unable to cancel the job");
	}
}

static const struct route {
	const char *method, *path;  /* a path ending in '/' takes an id */
	void (*fn)(struct http_conn *, const char *);
} routes[] = {
	{ "POST", "/run", do_run },
	{ "GET", "/status/", do_status },
	{ "DELETE", "/jobs/", do_cancel },
};

/* The route of the request's path (its query left out); *arg what
 * follows a prefix route's '/', in the target. */
static const struct route *
route_find(const struct http_req *r, size_t *len)
{
	const char *q = strchr(r->target, '?');

	*len = q ? (size_t)(q - r->target) : strlen(r->target);
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		size_t n = strlen(routes[i].path);
		if (routes[i].path[n - 1] == '/' ? *len > n &&
		    !memcmp(routes[i].path, r->target, n) &&
		    !memchr(r->target + n, '/', *len - n) : *len == n &&
		    !memcmp(routes[i].path, r->target, n))
			return &routes[i];
	}
	return NULL;
}

static int
authorized(const struct http_req *r)
{
	const char *a = http_req_header(r, "Authorization");

	if (!token[0])
		return 1;
	if (!a || strncmp(a, "Bearer ", 7))
		return 0;
	return token_eq(token, a + 7, strlen(a + 7));
}

int
route_head(struct http_conn *c)
{
	const struct route *rt;
	size_t len;

	/* No page of ours is a browser's: a request a page sends (it has
	 * an Origin) is refused, lest any site run code through us. */
	if (!http_host_ok(&c->req, hosts))
		reply_error(c, 403, "host not allowed");
	else if (http_req_header(&c->req, "Origin"))
		reply_error(c, 403, "origin not allowed");
	else if (!authorized(&c->req))
		reply_error(c, 401, "a valid bearer token is required");
	else if (!(rt = route_find(&c->req, &len)))
		reply_error(c, 404, "no such path");
	else if (strcmp(c->req.method, rt->method))
		reply_error(c, 405, "method not allowed");
	else
		return 0;
	return -1;
}

void
route(struct http_conn *c)
{
	size_t len;
	const struct route *rt = route_find(&c->req, &len);
	char arg[ID_MAX + 2] = "";
	size_t n = strlen(rt->path);

	if (rt->path[n - 1] == '/') {
		if (len - n >= sizeof arg) {
			reply_error(c, 404, "no such job");
			return;
		}
		memcpy(arg, c->req.target + n, len - n);
		arg[len - n] = 0;
	}
	rt->fn(c, arg);
}
