/* json: libFuzzer target for the JSON reader (lib/json_parse.c) alone,
 * with the small node limit ptyd uses for control messages and the large
 * one for bodies, then the accessors ptyd calls on what was parsed. */
#include <stddef.h>
#include <stdint.h>

#include "json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static const size_t limits[] = { 64, 4096 };
	struct json_doc d;
	long long x;

	for (int i = 0; i < 2; i++) {
		if (json_parse(&d, (const char *)data, n, limits[i]) < 0)
			continue;
		if (d.nnodes > limits[i])
			__builtin_trap();
		if (d.root->type == JSON_OBJ) {
			const struct json *v;
			if ((v = json_get(d.root, "cols")))
				json_int(v, 1, 4096, &x);
			if ((v = json_get(d.root, "type")) && v->type == JSON_STR &&
			    v->s[v->len] != 0)
				__builtin_trap();
		}
		json_doc_free(&d);
	}
	return 0;
}
