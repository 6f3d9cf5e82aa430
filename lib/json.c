#include <string.h>

#include "b64.h"
#include "json.h"
#include "utf8.h"

const char *
json_escape_byte(unsigned char c, char tmp[7])
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\t': return "\\t";
	case '\r': return "\\r";
	}
	if (c >= 0x20 && c != 0x7f)
		return NULL;
	memcpy(tmp, "\\u00", 4);
	tmp[4] = "0123456789abcdef"[c >> 4];
	tmp[5] = "0123456789abcdef"[c & 15];
	tmp[6] = 0;
	return tmp;
}

void
json_str(FILE *f, const char *s)
{
	char tmp[7];
	const char *e;

	putc('"', f);
	for (; *s; s++)
		if ((e = json_escape_byte(*s, tmp)))
			fputs(e, f);
		else
			putc(*s, f);
	putc('"', f);
}

int
json_esc(struct buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t run = 0;
	char tmp[7];
	const char *e;

	if (buf_add(b, "\"", 1) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!(e = json_escape_byte(s[i], tmp)))
			continue;
		if (buf_add(b, s + run, i - run) < 0 || buf_adds(b, e) < 0)
			return -1;
		run = i + 1;
	}
	if (buf_add(b, s + run, n - run) < 0)
		return -1;
	return buf_add(b, "\"", 1);
}

int
json_bytes(struct buf *b, const char *key, const void *p, size_t n)
{
	const unsigned char *s = p;
	struct buf lossy = { 0 };
	int r = -1;

	if (json_esc(b, key, strlen(key)) < 0 || buf_add(b, ":", 1) < 0)
		return -1;
	if (utf8_valid(s, n))
		return json_esc(b, s, n);
	for (size_t i = 0, k; i < n; i += k) {
		if ((k = utf8_seq(s + i, n - i))) {
			if (buf_add(&lossy, s + i, k) < 0)
				goto out;
		} else {
			k = 1;
			if (buf_add(&lossy, "\xef\xbf\xbd", 3) < 0)
				goto out;
		}
	}
	if (json_esc(b, lossy.p, lossy.len) < 0 || buf_add(b, ",", 1) < 0 ||
	    buf_add(b, "\"", 1) < 0 || buf_adds(b, key) < 0 ||
	    buf_adds(b, "_b64\":\"") < 0 || b64_encode(b, s, n) < 0 ||
	    buf_add(b, "\"", 1) < 0)
		goto out;
	r = 0;
out:
	buf_free(&lossy);
	return r;
}
