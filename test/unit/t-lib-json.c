/* json: parser accepts and refuses by table; writer carries any bytes. */
#include <errno.h>
#include <string.h>

#include "b64.h"
#include "json.h"
#include "tap.h"
#include "utf8.h"

int
main(void)
{
	static const struct {
		const char *s;
		int ok;
	} t[] = {
		{ "{}", 1 }, { "[]", 1 }, { " [1, -2.5e3, true, false, null] ", 1 },
		{ "{\"a\":{\"b\":[\"c\"]}}", 1 }, { "\"\\u00e9\\ud83d\\ude00\"", 1 },
		{ "0", 1 }, { "-0.0e+1", 1 },
		{ "", 0 }, { "{", 0 }, { "[1,]", 0 }, { "{\"a\":1,}", 0 },
		{ "01", 0 }, { "1.", 0 }, { ".5", 0 }, { "+1", 0 }, { "1e", 0 },
		{ "tru", 0 }, { "nul", 0 }, { "\"abc", 0 }, { "\"\\x\"", 0 },
		{ "\"\\ud800\"", 0 }, { "\"\\udc00\"", 0 }, { "\"\\u12\"", 0 },
		{ "\"a\nb\"", 0 }, { "[1] x", 0 }, { "{1:2}", 0 },
		{ "{\"a\" 1}", 0 }, { "[1 2]", 0 },
	};
	struct json_doc d;
	char deep[100];
	struct buf b = { 0 };
	long long v;
	char out[16];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int r = json_parse(&d, t[i].s, strlen(t[i].s), 100);
		ok((r == 0) == t[i].ok, "json_parse case %zu %s", i,
		    t[i].ok ? "accepts" : "refuses");
		if (r == 0)
			json_doc_free(&d);
	}
	ok(json_parse(&d, "\"a\\u0000b\\n\\u00e9\"", 18, 10) == 0 &&
	    d.root->len == 6 && !memcmp(d.root->s, "a\0b\n\xc3\xa9", 6),
	    "strings decode, NUL included");
	json_doc_free(&d);
	ok(json_parse(&d, "{\"x\":42,\"y\":1.5,\"x\":7}", 22, 10) == 0 &&
	    json_int(json_get(d.root, "x"), 0, 100, &v) == 0 && v == 42 &&
	    json_int(json_get(d.root, "y"), 0, 100, &v) < 0 &&
	    !json_get(d.root, "z"), "json_get first match, json_int integers");
	json_doc_free(&d);
	memset(deep, '[', 50);
	memset(deep + 50, ']', 50);
	errno = 0;
	ok(json_parse(&d, deep, 100, 1000) < 0 && errno == E2BIG,
	    "nesting deeper than %d is E2BIG", JSON_DEPTH_MAX);
	ok(json_parse(&d, "[1,2,3,4]", 9, 3) < 0 && errno == E2BIG,
	    "more nodes than allowed is E2BIG");

	json_bytes(&b, "out", "ok\n", 3);
	ok(!strcmp(b.p, "\"out\":\"ok\\n\""), "valid UTF-8 stays one field: %s",
	    b.p);
	b.len = 0;
	json_bytes(&b, "out", "a\xff", 2);
	ok(!strcmp(b.p, "\"out\":\"a\xef\xbf\xbd\",\"out_b64\":\"Yf8=\""),
	    "invalid UTF-8 gets a lossy field and a _b64 one: %s", b.p);
	b.len = 0;
	json_bytes(&b, "out", "q\"b\\\x01\x1b\x7f\0z", 9);
	ok(!strcmp(b.p, "\"out\":\"q\\\"b\\\\\\u0001\\u001b\\u007f\\u0000z\""),
	    "quote, backslash, control bytes and NUL are escaped: %s", b.p);
	buf_free(&b);
	ok(utf8_valid("\xc3\xa9", 2) && !utf8_valid("\xc0\x80", 2) &&
	    !utf8_valid("\xed\xa0\x80", 3) && !utf8_valid("\xf4\x90\x80\x80", 4),
	    "utf8_valid refuses overlong, surrogate, > U+10FFFF");
	ok(b64_decode("YWJj", 4, out) == 3 && !memcmp(out, "abc", 3) &&
	    b64_decode("YQ==", 4, out) == 1 && b64_decode("YQ=", 3, out) < 0 &&
	    b64_decode("Y===", 4, out) < 0 && b64_decode("Y!==", 4, out) < 0,
	    "b64_decode");
	{
		/* json_bytes_get reads what json_bytes writes: key_b64
		 * first, else key; neither: NULL; bad base64: EINVAL. */
		static const char doc[] = "{\"a\":\"a\\ufffd\",\"a_b64\":\"Yf8=\","
		    "\"t\":\"text\",\"n\":1,\"x_b64\":\"!!\"}";
		char *p;
		size_t n;
		ok(json_parse(&d, doc, sizeof doc - 1, 100) == 0, "bytes doc");
		ok(json_bytes_get(d.root, "a", &p, &n) == 0 && n == 2 &&
		    !memcmp(p, "a\xff", 2), "json_bytes_get takes key_b64");
		free(p);
		ok(json_bytes_get(d.root, "t", &p, &n) == 0 && n == 4 &&
		    !memcmp(p, "text", 4), "else key");
		free(p);
		ok(json_bytes_get(d.root, "none", &p, &n) == 0 && !p && !n,
		    "neither: NULL");
		errno = 0;
		ok(json_bytes_get(d.root, "n", &p, &n) < 0 && errno == EINVAL &&
		    !p, "not a string: EINVAL");
		errno = 0;
		ok(json_bytes_get(d.root, "x", &p, &n) < 0 && errno == EINVAL &&
		    !p, "bad base64: EINVAL");
		json_doc_free(&d);
	}
	{
		/* json_keys_only: every member known, or not; by whole
		 * names (a prefix or a longer name is another). */
		static const char *const k[] = { "ab", "c" };
		static const struct {
			const char *doc;
			int want;
		} t[] = {
			{ "{}", 1 }, { "{\"ab\":1,\"c\":2,\"c\":3}", 1 },
			{ "{\"ab\":1,\"d\":2}", 0 }, { "{\"a\":1}", 0 },
			{ "{\"abc\":1}", 0 }, { "{\"c\":1,\"\":2}", 0 },
		};
		for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
			ok(json_parse(&d, t[i].doc, strlen(t[i].doc), 10) == 0 &&
			    json_keys_only(d.root, k, 2) == t[i].want,
			    "json_keys_only %s", t[i].doc);
			json_doc_free(&d);
		}
	}
	return done_testing();
}
