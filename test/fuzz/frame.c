/* libFuzzer target for the streamd frame decoder: any byte string is
 * decoded frame by frame, as streamd does with what a client sends; the
 * decoder must never read past the input or accept a frame that breaks
 * its own rules. */
#include <stdint.h>
#include <stdlib.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	struct frame f;
	const char *why;
	ssize_t n;

	while ((n = frame_decode(data + pos, size - pos, &f, &why)) > 0) {
		if ((size_t)n != FRAME_HDR + f.len || f.len > FRAME_MAX ||
		    pos + n > size)
			abort();
		if (f.len) {
			volatile uint8_t x = f.data[f.len - 1];
			(void)x;
		}
		pos += n;
	}
	return 0;
}
