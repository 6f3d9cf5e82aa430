/* vmm/uart.c: a 16550A UART, transmitting at once and never busy.
 *
 * This fakes a 16550A: Linux's 8250 autoconfig identifies one from IIR bits
 * 7:6 after a FIFO enable, and then uses 16-byte TX bursts.  The transmitter
 * is always empty (LSR THRE|TEMT): a byte written to THR goes straight to
 * the console fd, so printk's polling console write never spins.
 *
 * The THR-empty interrupt follows the 16550 datasheet, which is what keeps
 * the 8250 driver from stalling: it becomes pending when THR empties (after
 * every write here) and when IER.THRI goes from 0 to 1 with THR empty, and is
 * cleared by reading IIR while IIR reports it, or by writing THR.  The
 * driver's startup check (UART_BUG_THRE) toggles IER.THRI and expects IIR
 * to report THRI each time; if it did not, the driver would fall back to a
 * polling timer.  IRQ 4 is edge-triggered on the IOAPIC, so the line is
 * driven to the level "IIR has an interrupt" after every access: the
 * driver's handler reads IIR until NO_INT, which drops the line, so the
 * next event makes a fresh rising edge. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "snapshot.h"
#include "uart.h"
#include "vm.h"
#include "layout.h"

static uint8_t
iir(struct uart *u)
{
	uint8_t fifo = u->fcr & UART_FCR_ENABLE ? UART_IIR_FIFO : 0;

	if ((u->ier & UART_IER_RDI) && u->rx_len)
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thri)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NO_INT;
}

static void
update_irq(struct uart *u)
{
	int level = !(iir(u) & UART_IIR_NO_INT);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->vm)
			vm_irq_line(u->vm, u->irq, level);
	}
}

static void
update_lsr(struct uart *u)
{
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_len ? UART_LSR_DR : 0);
}

static void
transmit(struct uart *u, uint8_t c)
{
	if (u->mcr & UART_MCR_LOOP) {
		/* loopback: what is sent is received */
		if (u->rx_len < UART_RX_SIZE) {
			u->rx[(u->rx_head + u->rx_len) % UART_RX_SIZE] = c;
			u->rx_len++;
		}
		return;
	}
	if (u->out_fd >= 0)
		capfile_write(&u->out, &c, 1);
}

static uint8_t
reg_read(struct uart *u, unsigned off)
{
	uint8_t v = 0;

	switch (off) {
	case UART_RBR:
		if (u->lcr & UART_LCR_DLAB)
			return u->dll;
		if (u->rx_len) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_RX_SIZE;
			u->rx_len--;
		}
		return v;
	case UART_IER:
		return u->lcr & UART_LCR_DLAB ? u->dlm : u->ier;
	case UART_IIR:
		v = iir(u);
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thri = 0;
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return u->lsr;
	case UART_MSR:
		if (u->mcr & UART_MCR_LOOP)
			/* CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2 */
			return (u->mcr & 0x02) << 3 | (u->mcr & 0x01) << 5 |
			    (u->mcr & 0x04) << 4 | (u->mcr & 0x08) << 4;
		return u->msr;
	default:
		return u->scr;
	}
}

static void
reg_write(struct uart *u, unsigned off, uint8_t v)
{
	switch (off) {
	case UART_RBR:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = v;
			return;
		}
		transmit(u, v);
		u->thri = 1;            /* sent at once: THR is empty again */
		return;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = v;
			return;
		}
		if (!(u->ier & UART_IER_THRI) && (v & UART_IER_THRI))
			u->thri = 1;
		u->ier = v & 0x0f;
		return;
	case UART_IIR:              /* FCR */
		u->fcr = v & 0xc9;      /* enable, DMA mode, trigger level */
		if (v & UART_FCR_CLEAR_RCVR)
			u->rx_head = u->rx_len = 0;
		return;
	case UART_LCR:
		u->lcr = v;
		return;
	case UART_MCR:
		u->mcr = v & 0x1f;
		return;
	case UART_LSR:              /* read-only; factory test on real parts */
	case UART_MSR:
		return;
	default:
		u->scr = v;
	}
}

/* Accesses wider than a byte are taken byte by byte, as the ISA bus would. */
static void
uart_read(struct bus_dev *d, uint64_t off, void *data, unsigned size)
{
	struct uart *u = d->priv;
	uint8_t *p = data;
	unsigned i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < size; i++) {
		p[i] = reg_read(u, (off + i) & 7);
		update_lsr(u);
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void
uart_write(struct bus_dev *d, uint64_t off, const void *data, unsigned size)
{
	struct uart *u = d->priv;
	const uint8_t *p = data;
	unsigned i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < size; i++) {
		reg_write(u, (off + i) & 7, p[i]);
		update_lsr(u);
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

void
uart_init(struct uart *u, struct vm *vm, uint64_t base, unsigned irq,
    int out_fd)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, 0);
	u->vm = vm;
	u->irq = irq;
	u->out_fd = out_fd;
	capfile_init(&u->out, out_fd, vm ? vm->cfg.console_max : 0);
	u->mcr = 0x08;              /* OUT2 */
	u->msr = 0xb0;              /* DCD, DSR, CTS: a cable is attached */
	update_lsr(u);
	/* PNP0501: a 16550A-compatible port, listed in the DSDT (acpi.h) */
	u->dev = (struct bus_dev){ .name = "uart", .base = base, .len = 8,
	    .read = uart_read, .write = uart_write, .acpi_hid = "PNP0501",
	    .irq = irq, .priv = u };
}

size_t
uart_input(struct uart *u, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	/* Flow control: bytes wait on the host side until the driver has
	 * receive interrupts on.  Before that the 8250 driver's startup would
	 * clear the FIFO (FCR) and lose them, as a real port would. */
	while ((u->ier & UART_IER_RDI) && n < len && u->rx_len < UART_RX_SIZE) {
		u->rx[(u->rx_head + u->rx_len) % UART_RX_SIZE] = p[n++];
		u->rx_len++;
	}
	update_lsr(u);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

static size_t
console_input(void *ctx, const void *buf, size_t len)
{
	return uart_input(ctx, buf, len);
}

/* Snapshots (snapshot.h); a ring position past the ring is refused. */
static void
uart_save(void *arg, void *buf)
{
	struct uart *u = arg;
	struct uart_state *s = buf;

	pthread_mutex_lock(&u->lock);
	*s = (struct uart_state){ u->dll, u->dlm, u->ier, u->fcr, u->lcr,
	    u->mcr, u->lsr, u->msr, u->scr, u->thri, u->irq_level, u->rx_head,
	    u->rx_len, { 0 } };
	memcpy(s->rx, u->rx, sizeof s->rx);
	pthread_mutex_unlock(&u->lock);
}

static int
uart_load(void *arg, const void *buf, const char **why)
{
	struct uart *u = arg;
	const struct uart_state *s = buf;

	if (s->rx_head >= UART_RX_SIZE || s->rx_len > UART_RX_SIZE)
		return *why = "its uart's receive ring is out of bounds", -1;
	pthread_mutex_lock(&u->lock);
	u->dll = s->dll; u->dlm = s->dlm; u->ier = s->ier; u->fcr = s->fcr;
	u->lcr = s->lcr; u->mcr = s->mcr; u->lsr = s->lsr; u->msr = s->msr;
	u->scr = s->scr; u->thri = s->thri; u->irq_level = !!s->irq_level;
	u->rx_head = s->rx_head; u->rx_len = s->rx_len;
	memcpy(u->rx, s->rx, sizeof u->rx);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

/* COM1, the console. */
static struct uart com1;

static int
com1_init(struct vm *vm)
{
	uart_init(&com1, vm, PORT_COM1, IRQ_COM1, vm->cfg.console_out);
	vm->console_input = console_input;
	vm->console_ctx = &com1;
	if (snap_register(vm, "uart", sizeof(struct uart_state), uart_save,
	    uart_load, &com1) < 0)
		return -1;
	return bus_register(vm->pio, &com1.dev);
}
VM_DEVICE(com1_init);
