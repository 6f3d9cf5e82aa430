/* vmm/rtc.c: the MC146818 CMOS clock at ports 0x70 (index) / 0x71 (data),
 * answering with the host's real time (UTC) at each read.
 *
 * Register A's update-in-progress bit is never set: Linux's
 * mc146818_get_time waits for it to clear, and every poll is a port exit.
 * Register B says 24-hour BCD unless the guest changes the DM bit; register
 * D says the battery is good. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "layout.h"
#include "snapshot.h"
#include "vm.h"

#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32
#define B_DM    0x04    /* binary, not BCD */
#define B_24H   0x02

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[128];
	struct bus_dev dev;
};

static uint8_t
enc(struct rtc *r, unsigned v)
{
	return r->ram[REG_B] & B_DM ? v : (v / 10) << 4 | v % 10;
}

static uint8_t
rtc_reg(struct rtc *r, uint8_t i)
{
	time_t now = time(0);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (i) {
	case 0x00: return enc(r, tm.tm_sec);
	case 0x02: return enc(r, tm.tm_min);
	case 0x04: return enc(r, tm.tm_hour);
	case 0x06: return enc(r, tm.tm_wday + 1);
	case 0x07: return enc(r, tm.tm_mday);
	case 0x08: return enc(r, tm.tm_mon + 1);
	case 0x09: return enc(r, tm.tm_year % 100);
	case REG_CENTURY: return enc(r, (tm.tm_year + 1900) / 100);
	case REG_A: return r->ram[REG_A] & 0x7f;     /* UIP never set */
	case REG_C: return 0;                        /* no interrupt flags */
	case REG_D: return 0x80;                     /* valid RAM and time */
	default: return r->ram[i];
	}
}

static void
rtc_read(struct bus_dev *d, uint64_t off, void *v, unsigned size)
{
	struct rtc *r = d->priv;

	memset(v, 0, size);
	pthread_mutex_lock(&r->lock);
	*(uint8_t *)v = off == 0 ? r->index : rtc_reg(r, r->index);
	pthread_mutex_unlock(&r->lock);
}

static void
rtc_write(struct bus_dev *d, uint64_t off, const void *v, unsigned size)
{
	struct rtc *r = d->priv;
	uint8_t b = *(const uint8_t *)v;

	pthread_mutex_lock(&r->lock);
	if (off == 0)
		r->index = b & 0x7f;    /* bit 7 is the NMI mask */
	else if (r->index >= REG_A && r->index != REG_C && r->index != REG_D)
		r->ram[r->index] = b;   /* the clock itself is not settable */
	pthread_mutex_unlock(&r->lock);
}

/* Snapshots (snapshot.h): the index, then the registers; an index the
 * guest could not have written (bit 7) is refused. */
static void
rtc_save(void *arg, void *buf)
{
	struct rtc *r = arg;
	uint8_t *b = buf;

	b[0] = r->index;
	memcpy(b + 1, r->ram, sizeof r->ram);
}

static int
rtc_load(void *arg, const void *buf, const char **why)
{
	struct rtc *r = arg;
	const uint8_t *b = buf;

	if (b[0] > 0x7f)
		return *why = "its CMOS register index is out of bounds", -1;
	r->index = b[0];
	memcpy(r->ram, b + 1, sizeof r->ram);
	return 0;
}

static struct rtc cmos;

static int
rtc_init(struct vm *vm)
{
	memset(&cmos, 0, sizeof(cmos));
	pthread_mutex_init(&cmos.lock, 0);
	cmos.ram[REG_A] = 0x26;     /* 32.768 kHz base, 1024 Hz rate */
	cmos.ram[REG_B] = B_24H;
	/* PNP0B00 in the DSDT, without an IRQ: it raises none (no alarm or
	 * update interrupts), so rtc_cmos binds without one. */
	cmos.dev = (struct bus_dev){ .name = "rtc", .base = PORT_CMOS, .len = 2,
	    .read = rtc_read, .write = rtc_write, .acpi_hid = "PNP0B00",
	    .priv = &cmos };
	if (snap_register(vm, "rtc", 1 + sizeof cmos.ram, rtc_save, rtc_load,
	    &cmos) < 0)
		return -1;
	return bus_register(vm->pio, &cmos.dev);
}
VM_DEVICE(rtc_init);
