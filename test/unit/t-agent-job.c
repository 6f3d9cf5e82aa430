/* guest-agent's /exec body checked into a struct job (cmd/guest-agent/job.c):
 * one line per body, the answer it gets (NULL: accepted). */
#include <string.h>

#include "guest-agent/job.c"
#include "tap.h"

struct lang langs[LANGS_MAX] = {
	{ .name = "sh", .version = "1", .argv = { "sh", NULL } },
};
int nlangs = 1, maxjobs = 4;
char token[TOKEN_MAX + 1];
const char *workdir = "/tmp";

static const struct {
	const char *body, *err;
} cases[] = {
	{ "{\"argv\":[\"true\"]}", NULL },
	{ "{\"language\":\"sh\",\"code\":\"echo\"}", NULL },
	{ "{\"language\":\"sh\",\"code_b64\":\"ZWNobw==\"}", NULL },
	{ "[]", "the body is not a JSON object" },
	{ "{\"argv\":[\"true\"],\"nope\":1}", "unknown field" },
	{ "{}", "give argv or language, one of them" },
	{ "{\"argv\":[\"a\"],\"language\":\"sh\"}",
	    "give argv or language, one of them" },
	{ "{\"argv\":[\"a\"],\"stdin\":\"x\",\"stdin_b64\":\"eA==\"}",
	    "give a field as text or as base64, not both" },
	{ "{\"argv\":[\"a\"],\"stdin\":1}", "a text field is not a string" },
	{ "{\"argv\":[\"a\"],\"stdin_b64\":\"!!\"}",
	    "a _b64 field is not base64" },
	{ "{\"argv\":[]}", "argv is not an array of 1 to 4096 strings" },
	{ "{\"argv\":[\"a\"],\"code\":\"x\"}",
	    "code goes with language, not argv" },
	{ "{\"argv\":[\"\"]}",
	    "argv holds a value that is not a string, or a NUL byte" },
	{ "{\"argv\":[\"a\\u0000b\"]}",
	    "argv holds a value that is not a string, or a NUL byte" },
	{ "{\"language\":1,\"code\":\"x\"}", "language is not a string" },
	{ "{\"language\":\"cobol\",\"code\":\"x\"}", "unknown language" },
	{ "{\"language\":\"sh\"}", "code is missing or empty" },
	{ "{\"argv\":[\"a\"],\"env\":[]}",
	    "env is not an object of at most 1024 strings" },
	{ "{\"argv\":[\"a\"],\"env\":{\"A=B\":\"x\"}}",
	    "env holds a bad name or value" },
	{ "{\"argv\":[\"a\"],\"cwd\":\"/nonexistent\"}",
	    "cwd is not a directory" },
	{ "{\"argv\":[\"a\"],\"timeout_ms\":0}",
	    "timeout_ms is not an integer in 1..86400000" },
	{ "{\"argv\":[\"a\"],\"timeout_ms\":86400001}",
	    "timeout_ms is not an integer in 1..86400000" },
	{ "{\"argv\":[\"a\"],\"max_output\":67108864}", NULL },
	{ "{\"argv\":[\"a\"],\"max_output\":67108865}",
	    "max_output is not an integer in 0..67108864" },
	{ "{\"argv\":[\"a\"],\"stream\":1}", "stream is not true or false" },
};

int
main(void)
{
	struct json_doc d;
	struct job j;
	const char *e;
	int wl;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		wl = 0;
		if (json_parse(&d, cases[i].body, strlen(cases[i].body),
		    JSON_NODES_MAX) < 0) {
			ok(0, "%s: parses", cases[i].body);
			continue;
		}
		e = job_parse(d.root, &j, &wl);
		ok(cases[i].err ? e && !strcmp(e, cases[i].err) : !e,
		    "%s: %s", cases[i].body, e ? e : "accepted");
		job_free(&j);
		json_doc_free(&d);
	}

	e = "{\"argv\":[\"env\"],\"env\":{\"PATH\":\"/x\",\"A\":\"1\","
	    "\"A\":\"2\"},\"stdin_b64\":\"aGk=\"}";
	ok(json_parse(&d, e, strlen(e), JSON_NODES_MAX) == 0, "parses");
	e = job_parse(d.root, &j, &wl);
	ok(!e && !strcmp(j.envp[0], "PATH=/x") &&
	    !strcmp(j.envp[1], "HOME=/tmp") && !strcmp(j.envp[2], "A=2") &&
	    !j.envp[3], "env: PATH replaced, a name given twice once, HOME "
	    "from the workdir");
	ok(j.inlen == 2 && !memcmp(j.in, "hi", 2) && j.timeout_ms == 30000 &&
	    j.max_output == 1 << 20 && !strcmp(j.cwd, "/tmp"),
	    "stdin decoded; the defaults");
	job_free(&j);
	json_doc_free(&d);
	return done_testing();
}
