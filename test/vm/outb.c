/* outb PORT [VALUE]: write one byte to an I/O port from a test guest (the
 * Debian cloud kernel has no /dev/port), or without VALUE read one and
 * print it in decimal.  Static, built by the VM tests. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
	unsigned long port, val = 0;

	if (argc != 2 && argc != 3) {
		fputs("usage: outb port [value]\n", stderr);
		return 100;
	}
	port = strtoul(argv[1], 0, 0);
	if (argc == 3)
		val = strtoul(argv[2], 0, 0);
	if (port > 0xffff || val > 0xff || ioperm(port, 1, 1) < 0) {
		perror("outb: fatal: unable to get port access");
		return 111;
	}
	if (argc == 2)
		printf("%u\n", inb(port));
	else
		outb(val, port);
	return 0;
}
