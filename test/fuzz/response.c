/* response: libFuzzer target for the client side, the response parser
 * that guest-agent call (and so husk run) feeds a streamed answer: status
 * line, head, chunked or counted body, trailer.  The first byte of the
 * input sets the piece size, so splits are explored; the body delivered
 * must never be more than the input, and a parse that ended stays ended. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "http.h"

static size_t delivered;

static int
body(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	(void)p;
	delivered += n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct http_resp r;
	size_t step, i;
	int res = 0;

	if (n < 1)
		return 0;
	step = 1 + data[0] % 64;
	data++, n--;
	delivered = 0;
	http_resp_init(&r, body, NULL);
	for (i = 0; i < n && res == 0; i += step)
		res = http_resp_feed(&r, (const char *)data + i,
		    n - i < step ? n - i : step);
	if (res == 0)
		res = http_resp_eof(&r);
	if (delivered > n)
		abort();
	if (res == 1 && http_resp_feed(&r, "x", 1) != 1)
		abort();        /* complete stays complete */
	return 0;
}
