/* ansi: escape sequences and control bytes out, text (UTF-8 too) kept. */
#include <string.h>

#include "ansi.h"
#include "tap.h"

static int
strips(const char *in, const char *want)
{
	char b[256];
	size_t n = strlen(in);

	memcpy(b, in, n);
	n = ansi_strip(b, n);
	if (n == strlen(want) && memcmp(b, want, n) == 0)
		return 1;
	printf("# got \"%.*s\"\n", (int)n, b);
	return 0;
}

int
main(void)
{
	ok(strips("plain text\n\ttab", "plain text\n\ttab"), "text as it is");
	ok(strips("\x1b[1;31mred\x1b[0m", "red"), "SGR colors");
	ok(strips("a\x1b[2J\x1b[10;20Hb\x1b[?25l", "ab"),
	    "cursor moves, private CSI");
	ok(strips("x\r\n\a\by\x7f", "x\ny"), "controls but newline and tab");
	ok(strips("\x1b]0;title\aT\x1b]8;;http://e\x1b\\L", "TL"),
	    "OSC ended by BEL or ST");
	ok(strips("\x1bPq#0\x1b\\D\x1b_apc\x1b\\", "D"), "DCS, APC");
	ok(strips("\x1b(B\x1b" "7\x1b=k\x1b" "8", "k"),
	    "charset, save, keypad, restore");
	ok(strips("caf\xc3\xa9 \xe2\x94\x80\x80",
	    "caf\xc3\xa9 \xe2\x94\x80\x80"), "bytes >= 0x80 kept");
	ok(strips("end\x1b[1;3", "end") && strips("end\x1b]0;ti", "end") &&
	    strips("end\x1b", "end"), "a sequence cut off at the end");
	ok(strips("\x1b[1\x01m", "m"), "a CSI ended by a control byte");
	ok(strips("\x1b]0;t\x1b(Bx", "x"), "an OSC ended by another ESC");
	ok(ansi_strip("", 0) == 0, "nothing");
	return done_testing();
}
