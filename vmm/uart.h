/* vmm/uart.h: a 16550A at COM1 (0x3f8, IRQ 4), the guest console. */
#ifndef VMM_UART_H
#define VMM_UART_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "capfile.h"

#define UART_RX_SIZE 4096

struct vm;

struct uart {
	pthread_mutex_t lock;       /* vCPU threads and the console reader */
	uint8_t dll, dlm, ier, fcr, lcr, mcr, lsr, msr, scr;
	int thri;                   /* THR-empty interrupt pending */
	uint8_t rx[UART_RX_SIZE];   /* ring of received bytes */
	size_t rx_head, rx_len;
	int irq_level;              /* last level driven on the IRQ line */
	int out_fd;                 /* transmitted bytes go here; -1: dropped */
	struct capfile out;         /* out_fd, bounded by vm->cfg.console_max */
	struct vm *vm;              /* for the IRQ line; NULL in unit tests */
	unsigned irq;
	struct bus_dev dev;
};

/* The state a snapshot keeps (snapshot.h): the registers and the
 * receive ring. */
struct uart_state {
	uint8_t dll, dlm, ier, fcr, lcr, mcr, lsr, msr, scr;
	int thri, irq_level;
	size_t rx_head, rx_len;
	uint8_t rx[UART_RX_SIZE];
};

/* Reset state; the device window is base..base+8. */
void uart_init(struct uart *u, struct vm *vm, uint64_t base, unsigned irq,
    int out_fd);
/* Queue received bytes; returns how many were taken: none while the
 * guest has receive interrupts off (IER.RDI), else as many as fit. */
size_t uart_input(struct uart *u, const void *buf, size_t len);

/* Register offsets (DLAB=0 unless noted) and bits, after Linux serial_reg.h */
#define UART_RBR 0   /* read: receive buffer; write: THR; DLAB: DLL */
#define UART_IER 1   /* DLAB: DLM */
#define UART_IIR 2   /* read: interrupt id; write: FCR */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI   0x01
#define UART_IER_THRI  0x02
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI  0x02
#define UART_IIR_RDI   0x04
#define UART_IIR_FIFO  0xc0
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RCVR 0x02
#define UART_LCR_DLAB  0x80
#define UART_MCR_LOOP  0x10
#define UART_LSR_DR    0x01
#define UART_LSR_THRE  0x20
#define UART_LSR_TEMT  0x40

#endif
