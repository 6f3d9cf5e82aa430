/* http: the server side: request parser and response writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "io.h"

void
http_req_init(struct http_req *r, size_t head_max, size_t body_max)
{
	memset(r, 0, sizeof *r);
	r->head_max = head_max;
	r->body_max = body_max;
}

void
http_req_free(struct http_req *r)
{
	buf_free(&r->in);
	http_req_init(r, r->head_max, r->body_max);
}

static int
bad(struct http_req *r, int status)
{
	r->done = -1;
	r->status = status;
	return -1;
}

static int
tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Split off one line at *p ending at or before end; strip CR LF. */
static char *
line(char **p, char *end)
{
	char *s = *p, *nl = memchr(s, '\n', end - s);

	if (!nl)
		return NULL;
	*p = nl + 1;
	if (nl > s && nl[-1] == '\r')
		nl--;
	*nl = 0;
	return s;
}

static int
parse_head(struct http_req *r)
{
	char *p = r->in.p, *end = r->in.p + r->head_len, *l, *sp;
	int have_cl = 0;

	if (!(l = line(&p, end)))
		return bad(r, 400);
	/* method SP target SP version */
	r->method = l;
	if (!(sp = strchr(l, ' ')))
		return bad(r, 400);
	*sp = 0;
	r->target = sp + 1;
	if (!(sp = strchr(r->target, ' ')))
		return bad(r, 400);
	*sp = 0;
	r->version = sp + 1;
	if (!*r->method || !*r->target)
		return bad(r, 400);
	for (char *c = r->method; *c; c++)
		if (!tchar(*c))
			return bad(r, 400);
	for (unsigned char *c = (unsigned char *)r->target; *c; c++)
		if (*c <= 0x20 || *c == 0x7f)
			return bad(r, 400);
	if (strncmp(r->version, "HTTP/", 5))
		return bad(r, 400);
	if (strcmp(r->version, "HTTP/1.1") && strcmp(r->version, "HTTP/1.0"))
		return bad(r, 505);
	r->keepalive = !strcmp(r->version, "HTTP/1.1");

	while ((l = line(&p, end)) && *l) {
		char *v, *e;
		if (*l == ' ' || *l == '\t')
			return bad(r, 400); /* obsolete line folding */
		if (!(v = strchr(l, ':')) || v == l)
			return bad(r, 400);
		*v++ = 0;
		for (char *c = l; *c; c++)
			if (!tchar(*c))
				return bad(r, 400);
		while (*v == ' ' || *v == '\t')
			v++;
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = 0;
		for (unsigned char *c = (unsigned char *)v; *c; c++)
			if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
				return bad(r, 400);
		if (r->nhdr == HTTP_HDRS_MAX)
			return bad(r, 431);
		r->hdr[r->nhdr].name = l;
		r->hdr[r->nhdr++].value = v;
		if (!strcasecmp(l, "Content-Length")) {
			unsigned long long n = 0;
			if (!*v || strlen(v) > 18)
				return bad(r, *v ? 413 : 400);
			for (char *c = v; *c; c++) {
				if (*c < '0' || *c > '9')
					return bad(r, 400);
				n = n * 10 + (*c - '0');
			}
			if (have_cl && n != r->body_len)
				return bad(r, 400);
			have_cl = 1;
			r->body_len = n;
		} else if (!strcasecmp(l, "Transfer-Encoding")) {
			return bad(r, 501);
		} else if (!strcasecmp(l, "Connection")) {
			if (!strcasecmp(v, "close"))
				r->keepalive = 0;
			else if (!strcasecmp(v, "keep-alive"))
				r->keepalive = 1;
		}
	}
	if (r->body_len > r->body_max)
		return bad(r, 413);
	return 0;
}

/* The end of the head: a line feed followed by an empty line. */
static size_t
head_end(struct http_req *r)
{
	const char *s = r->in.p;

	for (size_t i = r->scan; i < r->in.len; i++) {
		if (s[i] != '\n')
			continue;
		if (i + 1 < r->in.len && s[i + 1] == '\n')
			return i + 2;
		if (i + 2 < r->in.len && s[i + 1] == '\r' && s[i + 2] == '\n')
			return i + 3;
	}
	/* Resume two bytes back: the end may straddle two reads. */
	r->scan = r->in.len > 2 ? r->in.len - 2 : 0;
	return 0;
}

/* The parsed head points into r->in, which buf_add may move: keep the
 * pointers as offsets across it (found by fuzz-request). */
static int
add(struct http_req *r, const void *data, size_t n)
{
	size_t off[3 + 2 * HTTP_HDRS_MAX];
	char **p[3 + 2 * HTTP_HDRS_MAX];
	int k = 0;

	if (r->head_len) {
		p[k++] = &r->method;
		p[k++] = &r->target;
		p[k++] = &r->version;
		for (int i = 0; i < r->nhdr; i++) {
			p[k++] = (char **)&r->hdr[i].name;
			p[k++] = (char **)&r->hdr[i].value;
		}
		for (int i = 0; i < k; i++)
			off[i] = *p[i] - r->in.p;
	}
	if (buf_add(&r->in, data, n) < 0)
		return -1;
	for (int i = 0; i < k; i++)
		*p[i] = r->in.p + off[i];
	return 0;
}

int
http_req_feed(struct http_req *r, const void *data, size_t n)
{
	if (r->done) {
		errno = EINVAL;
		return r->done;
	}
	if (add(r, data, n) < 0)
		return bad(r, 500);
	if (!r->head_len) {
		size_t e = head_end(r);
		if (!e) {
			if (r->in.len > r->head_max)
				return bad(r, 431);
			/* A request starts with a method: anything else at
			 * the start is not HTTP; say so at once. */
			if (r->in.len && !tchar(r->in.p[0]) &&
			    r->in.p[0] != '\r' && r->in.p[0] != '\n')
				return bad(r, 400);
			return 0;
		}
		if (e > r->head_max)
			return bad(r, 431);
		r->head_len = e;
		if (parse_head(r) < 0)
			return -1;
	}
	if (r->in.len - r->head_len < r->body_len)
		return 0;
	r->body = r->in.p + r->head_len;
	r->done = 1;
	return 1;
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int
http_query(const char *target, const char *key, char *out, size_t cap)
{
	const char *p = strchr(target, '?');
	size_t kl = strlen(key);

	while (p) {
		p++;
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t n = 0;
			for (p += kl + 1; *p && *p != '&' && *p != '#'; p++) {
				int c = (unsigned char)*p;
				if (c == '%') {
					int h = hexval(p[1]), l = h < 0 ? -1 :
					    hexval(p[2]);
					if (l < 0)
						return -1;
					c = h * 16 + l;
					p += 2;
				}
				if (!c || n + 1 >= cap)
					return -1;
				out[n++] = c;
			}
			out[n] = 0;
			return (int)n;
		}
		p = strchr(p, '&');
	}
	return -1;
}

int
http_query_esc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/", c)) {
			if (buf_add(b, s, 1) < 0)
				return -1;
		} else if (buf_addf(b, "%%%02X", c) < 0) {
			return -1;
		}
	}
	return 0;
}

const char *
http_req_header(const struct http_req *r, const char *name)
{
	for (int i = 0; i < r->nhdr; i++)
		if (!strcasecmp(r->hdr[i].name, name))
			return r->hdr[i].value;
	return NULL;
}

/* 1 if the q-value at v ("1", "0.5", "0.000") is above zero: a digit
 * other than 0 before its end.  By hand: strtod(3) would bring in all of
 * musl's float parsing. */
static int
qvalue_positive(const char *v)
{
	int dot = 0;

	for (; (*v >= '0' && *v <= '9') || (*v == '.' && !dot++); v++)
		if (*v != '0' && *v != '.')
			return 1;
	return 0;
}

int
http_accepts(const char *v, const char *coding)
{
	size_t cl = strlen(coding);
	int named = -1, star = -1;      /* -1: not listed; else q > 0 */

	while (v && *v) {
		const char *name;
		size_t n;
		int q = 1;

		v += strspn(v, " \t,");
		name = v;
		n = strcspn(v, ",;");
		v += n;
		while (n && (name[n - 1] == ' ' || name[n - 1] == '\t'))
			n--;
		while (*v == ';') {
			v++;
			v += strspn(v, " \t");
			if ((*v == 'q' || *v == 'Q') && v[1] == '=')
				q = qvalue_positive(v + 2);
			v += strcspn(v, ";,");
		}
		if (n == cl && !strncasecmp(name, coding, cl))
			named = q;
		else if (n == 1 && *name == '*')
			star = q;
	}
	return named >= 0 ? named : star > 0;
}

size_t
http_req_rest(const struct http_req *r, const char **p)
{
	size_t used = r->head_len + r->body_len;

	*p = r->in.p + used;
	return r->done == 1 ? r->in.len - used : 0;
}

static const struct {
	int code;
	const char *text;
} reasons[] = {
	{ 100, "Continue" }, { 101, "Switching Protocols" }, { 200, "OK" },
	{ 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
	{ 303, "See Other" }, { 400, "Bad Request" },
	{ 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 408, "Request Timeout" }, { 409, "Conflict" },
	{ 411, "Length Required" }, { 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" }, { 426, "Upgrade Required" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 503, "Service Unavailable" }, { 505, "HTTP Version Not Supported" },
};

const char *
http_reason(int status)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].code == status)
			return reasons[i].text;
	return "Unknown";
}

int
http_head(struct buf *b, int status, const char *ctype, long long clen,
    const char *extra)
{
	if (buf_addf(b, "HTTP/1.1 %d %s\r\n", status, http_reason(status)) < 0)
		return -1;
	if (ctype && buf_addf(b, "Content-Type: %s\r\n", ctype) < 0)
		return -1;
	if ((clen >= 0 ? buf_addf(b, "Content-Length: %lld\r\n", clen) :
	    buf_adds(b, "Transfer-Encoding: chunked\r\n")) < 0)
		return -1;
	if (extra && buf_adds(b, extra) < 0)
		return -1;
	return buf_adds(b, "Connection: close\r\n\r\n");
}

int
http_respond(int fd, int status, const char *ctype, const void *body,
    size_t n, const char *extra)
{
	struct buf b = { 0 };
	int r = -1, e;

	if (http_head(&b, status, ctype, n, extra) == 0 &&
	    buf_add(&b, body, n) == 0 && io_writeall(fd, b.p, b.len) >= 0)
		r = 0;
	e = errno;
	buf_free(&b);
	errno = e;
	return r;
}

int
http_chunk(int fd, const void *p, size_t n)
{
	struct buf b = { 0 };
	int r = -1, e;

	/* One write per chunk: a streamed line goes out as one segment. */
	if (buf_addf(&b, "%zx\r\n", n) == 0 && buf_add(&b, p, n) == 0 &&
	    buf_adds(&b, "\r\n") == 0 && io_writeall(fd, b.p, b.len) >= 0)
		r = 0;
	e = errno;
	buf_free(&b);
	errno = e;
	return r;
}
