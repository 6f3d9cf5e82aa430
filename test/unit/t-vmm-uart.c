/* The 16550A (vmm/uart.c) through its bus window: transmit, the THR-empty
 * interrupt as Linux's 8250 driver probes and uses it, receive, divisor
 * latch, FIFO identification, loopback, and the IRQ level. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "uart.h"

static struct uart u;

static uint8_t
in(unsigned off)
{
	uint8_t v;

	u.dev.read(&u.dev, off, &v, 1);
	return v;
}

static void
out(unsigned off, uint8_t v)
{
	u.dev.write(&u.dev, off, &v, 1);
}

int
main(void)
{
	int p[2];
	char buf[16];

	if (pipe(p) < 0)
		return 1;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	uart_init(&u, 0, 0x3f8, 4, p[1]);
	ok(u.dev.base == 0x3f8 && u.dev.len == 8 && u.dev.irq == 4 &&
	    !strcmp(u.dev.acpi_hid, "PNP0501"), "window 0x3f8+8, IRQ 4, PNP0501");

	ok(in(UART_LSR) == (UART_LSR_THRE | UART_LSR_TEMT), "LSR: transmitter empty, no data");
	ok(in(UART_IIR) == UART_IIR_NO_INT && !u.irq_level, "IIR: no interrupt, line low");
	out(UART_RBR, 'h');
	out(UART_RBR, 'i');
	ok(read(p[0], buf, sizeof(buf)) == 2 && !memcmp(buf, "hi", 2),
	    "THR writes reach the console fd at once");
	ok(in(UART_LSR) & UART_LSR_THRE, "THR still empty after writes: printk never waits");

	/* the 8250 driver's UART_BUG_THRE probe: enable THRI, read IIR,
	 * disable, enable again, read IIR; both reads must show THRI */
	out(UART_IER, UART_IER_THRI);
	ok(u.irq_level == 1, "enabling THRI with THR empty raises the line");
	ok((in(UART_IIR) & 0x0f) == UART_IIR_THRI, "IIR reports THRI");
	ok(in(UART_IIR) == UART_IIR_NO_INT && u.irq_level == 0,
	    "reading IIR cleared THRI; line low");
	out(UART_IER, 0);
	out(UART_IER, UART_IER_THRI);
	ok((in(UART_IIR) & 0x0f) == UART_IIR_THRI, "re-enabling THRI reports it again");
	out(UART_RBR, 'x');
	ok(u.irq_level == 1 && (in(UART_IIR) & 0x0f) == UART_IIR_THRI,
	    "each transmitted byte makes THR empty again: THRI, line high");
	ok(u.irq_level == 0, "IIR read dropped the line: the next event is a fresh edge");
	out(UART_IER, 0);
	ok(in(UART_IIR) == UART_IIR_NO_INT, "THRI disabled: nothing");
	read(p[0], buf, sizeof(buf));

	/* receive */
	ok(uart_input(&u, "ab", 2) == 0 && !(in(UART_LSR) & UART_LSR_DR),
	    "no input taken while receive interrupts are off (driver not ready)");
	out(UART_IER, UART_IER_RDI);
	ok(uart_input(&u, "ab", 2) == 2, "IER.RDI on: input queued");
	ok(in(UART_LSR) & UART_LSR_DR, "LSR: data ready");
	ok(u.irq_level == 1 && (in(UART_IIR) & 0x0f) == UART_IIR_RDI,
	    "IIR reports received data, line high");
	ok(in(UART_RBR) == 'a' && in(UART_RBR) == 'b', "RBR yields bytes in order");
	ok(!(in(UART_LSR) & UART_LSR_DR) && in(UART_IIR) == UART_IIR_NO_INT &&
	    u.irq_level == 0, "drained: no data, no interrupt");
	out(UART_IER, 0);
	ok(u.irq_level == 0, "RDI off: line low");
	out(UART_IER, UART_IER_RDI);
	{
		static char big[UART_RX_SIZE + 10];
		ok(uart_input(&u, big, sizeof(big)) == UART_RX_SIZE,
		    "input beyond the buffer is refused, not dropped");
		out(UART_IIR, UART_FCR_ENABLE | UART_FCR_CLEAR_RCVR);
		ok(!(in(UART_LSR) & UART_LSR_DR), "FCR clear-receiver empties it");
	}
	out(UART_IER, 0);

	/* FIFO identification and divisor latch */
	out(UART_IIR, UART_FCR_ENABLE);
	ok((in(UART_IIR) & 0xc0) == 0xc0, "FIFO enabled: IIR bits 7:6 say 16550A");
	out(UART_LCR, UART_LCR_DLAB | 3);
	out(UART_RBR, 0x01);
	out(UART_IER, 0x00);
	ok(in(UART_RBR) == 0x01 && in(UART_IER) == 0 && read(p[0], buf, 1) < 0,
	    "DLAB: divisor latch, nothing transmitted");
	out(UART_LCR, 3);
	ok(in(UART_LCR) == 3, "LCR reads back");
	out(UART_SCR, 0x5a);
	ok(in(UART_SCR) == 0x5a, "scratch register");

	/* loopback, as the 8250 autoconfig test uses it */
	out(UART_MCR, UART_MCR_LOOP | 0x0a);
	ok((in(UART_MSR) & 0xf0) == 0x90, "loopback MSR mirrors MCR (0x90)");
	out(UART_RBR, 'L');
	ok(read(p[0], buf, 1) < 0 && in(UART_RBR) == 'L', "loopback: sent byte is received");
	out(UART_MCR, 0x08);

	/* wide access: byte by byte */
	{
		uint16_t w = 'A' | 'B' << 8;
		u.dev.write(&u.dev, 0, &w, 1);
		ok(read(p[0], buf, 4) == 1 && buf[0] == 'A', "1-byte write at THR");
	}
	close(p[0]);
	close(p[1]);
	return done_testing();
}
