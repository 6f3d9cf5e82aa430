/* fuzz-request: libFuzzer target for the request path that guest-agent
 * and ptyd share: the HTTP request parser fed in pieces, then the JSON
 * parser on the body, then the writer on what was parsed.  The first
 * byte of the input sets the piece size, so splits are explored too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http.h"
#include "json.h"

static void
walk(const struct json *v, struct buf *b)
{
	for (; v; v = v->next) {
		if (v->key)
			json_bytes(b, "k", v->key, v->keylen);
		if (v->type == JSON_STR)
			json_bytes(b, "s", v->s, v->len);
		walk(v->child, b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct http_req r;
	struct json_doc d;
	struct buf b = { 0 };
	size_t step, i;
	int res = 0;

	if (n < 1)
		return 0;
	step = data[0] % 64 + 1;
	data++, n--;
	http_req_init(&r, HTTP_HEAD_MAX, 1 << 20);
	for (i = 0; i < n && res == 0; i += step)
		res = http_req_feed(&r, data + i, n - i < step ? n - i : step);
	if (res == 1) {
		const char *rest;
		http_req_header(&r, "Authorization");
		http_req_rest(&r, &rest);
		if (json_parse(&d, r.body, r.body_len, 4096) == 0) {
			walk(d.root, &b);
			json_doc_free(&d);
		}
	} else if (res < 0 && (r.status < 400 || r.status > 505)) {
		__builtin_trap();
	}
	buf_free(&b);
	http_req_free(&r);
	return 0;
}
