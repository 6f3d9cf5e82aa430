/* debugexit: end the VM test rig's qemu with a status.
 *
 *   debugexit STATUS
 *
 * Writes STATUS (0..255) to I/O port 0xf4, where the rig puts qemu's
 * isa-debug-exit device; qemu then exits with status (STATUS << 1) | 1,
 * so the rig tells "the guest's /init finished" (odd) from a qemu that
 * stopped any other way (0 on a plain poweroff, 124 on its timeout).
 * Debian's kernel has no /dev/port (CONFIG_DEVPORT is not set), so this
 * needs ioperm and outb.  Returns only if the port does nothing (not
 * under the rig's qemu): exit 1.
 *
 * Exit status: 1 the write did not stop the machine, 100 usage, 111 a
 * system call failed. */
#include <stdio.h>
#include <sys/io.h>

#include "err.h"
#include "num.h"

#define DEBUG_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	long long st;

	err_setprog(argv[0]);
	if (argc != 2) {
		fprintf(stderr, "usage: debugexit status\n");
		return EX_USAGE;
	}
	if (num_parse(argv[1], 0, 255, &st) < 0)
		err_die(EX_USAGE, "unable to parse status %s: not 0..255", argv[1]);
	if (ioperm(DEBUG_EXIT_PORT, 1, 1) < 0)
		err_diesys(EX_SYS, "unable to get access to port %#x", DEBUG_EXIT_PORT);
	outb((unsigned char)st, DEBUG_EXIT_PORT);
	err_die(EX_FALSE, "unable to stop the machine: port %#x did nothing",
		DEBUG_EXIT_PORT);
}
