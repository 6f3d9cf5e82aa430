/* ws-frame: libFuzzer target for the WebSocket frame parser (lib/ws.c),
 * server side and client side, fed in pieces whose size the first byte
 * sets.  A message returned must respect the parser's own rules. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"
#include "ws.h"

#define MAX 4096

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct ws_rx rx;
	struct ws_msg m;
	size_t step, i, used;
	int r = 0;

	if (n < 1)
		return 0;
	step = data[0] % 32 + 1;
	for (int server = 0; server < 2; server++) {
		ws_rx_init(&rx, server, MAX);
		for (i = 1; i < n && r >= 0; ) {
			size_t k = n - i < step ? n - i : step;
			r = ws_rx_feed(&rx, data + i, k, &used, &m);
			if (used > k)
				__builtin_trap();
			i += used;
			if (r == 1) {
				if (m.op & 0x8 ? m.len > 125 : m.len > MAX)
					__builtin_trap();
				if (m.op == WS_TEXT && !utf8_valid(m.data, m.len))
					__builtin_trap();
				if (m.op == WS_CLOSE)
					ws_close_code(m.data, m.len);
			} else if (r == 0 && used < k) {
				__builtin_trap(); /* 0 means all was consumed */
			}
		}
		if (r < 0 && rx.close_code != WS_PROTOCOL &&
		    rx.close_code != WS_TOOBIG && rx.close_code != WS_BADDATA &&
		    rx.close_code != WS_INTERNAL)
			__builtin_trap();
		ws_rx_free(&rx);
		r = 0;
	}
	return 0;
}
