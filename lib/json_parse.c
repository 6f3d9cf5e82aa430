/* A recursive-descent JSON parser (RFC 8259) with bounds; see json.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "json.h"
#include "num.h"
#include "utf8.h"

struct p {
	const char *s;
	size_t n, i;
	struct json_doc *d;
	int err;
};

static int value(struct p *p, struct json *v, int depth);

static void
ws(struct p *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	    p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int
fail(struct p *p, int err)
{
	p->err = err;
	if (err == EINVAL)
		p->d->erroff = p->i;
	return -1;
}

static struct json *
node(struct p *p)
{
	struct json *v;

	if (p->d->nnodes >= p->d->maxnodes) {
		fail(p, E2BIG);
		return NULL;
	}
	v = &p->d->nodes[p->d->nnodes++];
	memset(v, 0, sizeof *v);
	return v;
}

static int
hex4(struct p *p, unsigned long *cp)
{
	*cp = 0;
	if (p->n - p->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->i++];
		int h = c >= '0' && c <= '9' ? c - '0' :
		    c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (h < 0)
			return -1;
		*cp = *cp << 4 | h;
	}
	return 0;
}

/* A string at p->i (the opening quote); decoded into d->str.  Decoded text
 * is never longer than its source, so d->str (sized n + 1) cannot overflow:
 * each string's NUL takes the place of its two quotes. */
static int
string(struct p *p, const char **out, size_t *len)
{
	char *o = p->d->str + p->d->strlen, *start = o;
	unsigned long cp, lo;

	p->i++;
	for (;;) {
		unsigned char c;
		if (p->i >= p->n)
			return fail(p, EINVAL);
		c = p->s[p->i];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, EINVAL);
		if (c != '\\') {
			*o++ = c;
			p->i++;
			continue;
		}
		if (++p->i >= p->n)
			return fail(p, EINVAL);
		c = p->s[p->i++];
		switch (c) {
		case '"': case '\\': case '/': *o++ = c; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (hex4(p, &cp) < 0)
				return fail(p, EINVAL);
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(p, EINVAL);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->n - p->i < 6 || p->s[p->i] != '\\' ||
				    p->s[p->i + 1] != 'u')
					return fail(p, EINVAL);
				p->i += 2;
				if (hex4(p, &lo) < 0 || lo < 0xdc00 ||
				    lo > 0xdfff)
					return fail(p, EINVAL);
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			o += utf8_put(o, cp);
			break;
		default:
			return fail(p, EINVAL);
		}
	}
	p->i++;
	*o = 0;
	*out = start;
	*len = o - start;
	p->d->strlen += *len + 1;
	return 0;
}

static int
number(struct p *p, struct json *v)
{
	size_t st = p->i;
	const char *s = p->s;

#define DIGIT(k) ((k) < p->n && s[k] >= '0' && s[k] <= '9')
	if (p->i < p->n && s[p->i] == '-')
		p->i++;
	if (!DIGIT(p->i))
		return fail(p, EINVAL);
	if (s[p->i] == '0')
		p->i++;
	else
		while (DIGIT(p->i))
			p->i++;
	if (p->i < p->n && s[p->i] == '.') {
		p->i++;
		if (!DIGIT(p->i))
			return fail(p, EINVAL);
		while (DIGIT(p->i))
			p->i++;
	}
	if (p->i < p->n && (s[p->i] == 'e' || s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (s[p->i] == '+' || s[p->i] == '-'))
			p->i++;
		if (!DIGIT(p->i))
			return fail(p, EINVAL);
		while (DIGIT(p->i))
			p->i++;
	}
#undef DIGIT
	v->type = JSON_NUM;
	v->s = s + st;
	v->len = p->i - st;
	return 0;
}

static int
literal(struct p *p, const char *word, enum json_type t, struct json *v)
{
	size_t k = strlen(word);

	if (p->n - p->i < k || memcmp(p->s + p->i, word, k))
		return fail(p, EINVAL);
	p->i += k;
	v->type = t;
	return 0;
}

/* Members of an array or object, after its opening bracket. */
static int
members(struct p *p, struct json *v, int obj, int depth)
{
	struct json **tail = &v->child, *m;
	char close = obj ? '}' : ']';

	p->i++;
	ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t keylen = 0;
		ws(p);
		if (obj) {
			if (p->i >= p->n || p->s[p->i] != '"')
				return fail(p, EINVAL);
			if (string(p, &key, &keylen) < 0)
				return -1;
			ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return fail(p, EINVAL);
			p->i++;
		}
		if (!(m = node(p)) || value(p, m, depth + 1) < 0)
			return -1;
		m->key = key;
		m->keylen = keylen;
		*tail = m;
		tail = &m->next;
		v->len++;
		ws(p);
		if (p->i >= p->n)
			return fail(p, EINVAL);
		if (p->s[p->i] == close) {
			p->i++;
			return 0;
		}
		if (p->s[p->i] != ',')
			return fail(p, EINVAL);
		p->i++;
	}
}

static int
value(struct p *p, struct json *v, int depth)
{
	if (depth > JSON_DEPTH_MAX)
		return fail(p, E2BIG);
	ws(p);
	if (p->i >= p->n)
		return fail(p, EINVAL);
	switch (p->s[p->i]) {
	case '{':
		v->type = JSON_OBJ;
		return members(p, v, 1, depth);
	case '[':
		v->type = JSON_ARR;
		return members(p, v, 0, depth);
	case '"':
		v->type = JSON_STR;
		return string(p, &v->s, &v->len);
	case 't': return literal(p, "true", JSON_TRUE, v);
	case 'f': return literal(p, "false", JSON_FALSE, v);
	case 'n': return literal(p, "null", JSON_NULL, v);
	default: return number(p, v);
	}
}

int
json_parse(struct json_doc *d, const char *s, size_t n, size_t maxnodes)
{
	struct p p = { s, n, 0, d, 0 };

	memset(d, 0, sizeof *d);
	/* Every value takes at least one byte of input. */
	d->maxnodes = maxnodes < n ? maxnodes : n;
	if (!d->maxnodes)
		d->maxnodes = 1;
	d->nodes = malloc(d->maxnodes * sizeof *d->nodes);
	d->str = malloc(n + 1);
	if (!d->nodes || !d->str) {
		json_doc_free(d);
		errno = ENOMEM;
		return -1;
	}
	if (!(d->root = node(&p)) || value(&p, d->root, 1) < 0)
		goto fail;
	ws(&p);
	if (p.i != n) {
		fail(&p, EINVAL);
		goto fail;
	}
	return 0;
fail:
	json_doc_free(d);
	errno = p.err;
	return -1;
}

void
json_doc_free(struct json_doc *d)
{
	free(d->nodes);
	free(d->str);
	d->nodes = NULL;
	d->str = NULL;
	d->root = NULL;
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	size_t k = strlen(key);

	if (!obj || obj->type != JSON_OBJ)
		return NULL;
	for (const struct json *m = obj->child; m; m = m->next)
		if (m->keylen == k && !memcmp(m->key, key, k))
			return m;
	return NULL;
}

int
json_keys_only(const struct json *o, const char *const *keys, size_t n)
{
	for (const struct json *m = o->child; m; m = m->next) {
		size_t i = 0;
		while (i < n && (strlen(keys[i]) != m->keylen ||
		    memcmp(keys[i], m->key, m->keylen)))
			i++;
		if (i == n)
			return 0;
	}
	return 1;
}

int
json_bytes_get(const struct json *o, const char *key, char **out,
    size_t *len)
{
	char k[64];
	const struct json *v;
	int b64 = 1;
	long n;

	*out = NULL;
	*len = 0;
	snprintf(k, sizeof k, "%s_b64", key);
	if (!(v = json_get(o, k))) {
		b64 = 0;
		if (!(v = json_get(o, key)))
			return 0;
	}
	if (v->type != JSON_STR) {
		errno = EINVAL;
		return -1;
	}
	if (!(*out = malloc(v->len + 1)))
		return -1;
	if (b64) {
		if ((n = b64_decode(v->s, v->len, *out)) < 0) {
			free(*out);
			*out = NULL;
			errno = EINVAL;
			return -1;
		}
		*len = n;
	} else {
		memcpy(*out, v->s, v->len);
		*len = v->len;
	}
	return 0;
}

int
json_int(const struct json *v, long long min, long long max, long long *out)
{
	char tmp[32];

	if (!v || v->type != JSON_NUM || v->len >= sizeof tmp ||
	    memchr(v->s, '.', v->len) || memchr(v->s, 'e', v->len) ||
	    memchr(v->s, 'E', v->len)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(tmp, v->s, v->len);
	tmp[v->len] = 0;
	return num_parse(tmp, min, max, out);
}
