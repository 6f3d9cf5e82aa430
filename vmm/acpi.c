/* vmm/acpi.c: RSDP, XSDT, FADT (hardware-reduced), MADT and a
 * hand-assembled DSDT.  Table layouts are from ACPI 6.4 chapter 5; AML
 * opcodes from 20.2 (AML grammar).
 *
 * Hardware-reduced ACPI (FADT flag HW_REDUCED_ACPI) means no PM1 event or
 * control blocks, no SCI, no GPEs, no PM timer: the guest sleeps (S5 =
 * poweroff) by writing SLP_TYP|SLP_EN to the sleep control register, a
 * single I/O port (acpi_pm.c), and resets through the reset register, which
 * we point at the i8042 command port with value 0xfe (i8042.c). */
#include <string.h>

#include "acpi.h"
#include "layout.h"

#define FADT_LEN  276
#define MADT_HDR  44
#define HDR_LEN   36

/* FADT flags (5.2.9, table 5.10) */
#define FADT_PWR_BUTTON    (1u << 4)    /* no fixed power button */
#define FADT_SLP_BUTTON    (1u << 5)    /* no fixed sleep button */
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED    (1u << 20)
/* IAPC_BOOT_ARCH: no VGA.  No 8042 flag: Linux then skips probing the
 * keyboard controller (dozens of port exits); its reboot path still writes
 * 0xfe to port 0x64 without asking.  No "CMOS RTC not present" flag: the
 * RTC is there (rtc.c). */
#define BOOT_ARCH_NO_VGA   (1u << 2)

/* AML opcodes and prefixes */
#define AML_ZERO     0x00
#define AML_ONE      0x01
#define AML_NAME     0x08
#define AML_BYTE     0x0a
#define AML_DWORD    0x0c
#define AML_STRING   0x0d
#define AML_SCOPE    0x10
#define AML_BUFFER   0x11
#define AML_PACKAGE  0x12
#define AML_EXTOP    0x5b
#define AML_DEVICE   0x82       /* after AML_EXTOP */
#define AML_ROOT     0x5c       /* '\' */

struct out { uint8_t *p; size_t n, cap; int err; };

static void
emit(struct out *o, const void *src, size_t len)
{
	if (o->err || len > o->cap - o->n) {
		o->err = 1;
		return;
	}
	memcpy(o->p + o->n, src, len);
	o->n += len;
}

static void
byte(struct out *o, uint8_t b)
{
	emit(o, &b, 1);
}

static void
le(struct out *o, uint64_t v, int n)
{
	while (n--) {
		byte(o, v & 0xff);
		v >>= 8;
	}
}

/* PkgLength (20.2.4): counts its own bytes.  One byte holds up to 63;
 * longer ones put the byte count - 1 in bits 6-7 of the first byte, the
 * low nibble in its bits 0-3 and the rest in the following bytes. */
static void
pkglen(struct out *o, size_t content)
{
	size_t total;
	int extra;

	if (content + 1 <= 0x3f) {
		byte(o, content + 1);
		return;
	}
	for (extra = 1; extra <= 3; extra++) {
		total = content + 1 + extra;
		if (total < (size_t)1 << (4 + 8 * extra))
			break;
	}
	byte(o, extra << 6 | (total & 0xf));
	le(o, total >> 4, extra);
}

/* op [op2] PkgLength body: the body was built in its own buffer. */
static void
package(struct out *o, const uint8_t *op, size_t oplen, const struct out *body)
{
	if (body->err) {
		o->err = 1;
		return;
	}
	emit(o, op, oplen);
	pkglen(o, body->n);
	emit(o, body->p, body->n);
}

static void
integer(struct out *o, uint64_t v)
{
	if (v == 0)
		byte(o, AML_ZERO);
	else if (v == 1)
		byte(o, AML_ONE);
	else if (v <= 0xff) {
		byte(o, AML_BYTE);
		byte(o, v);
	} else {
		byte(o, AML_DWORD);
		le(o, v, 4);
	}
}

size_t
acpi_aml_device(uint8_t *dst, size_t cap, const struct bus_dev *d,
    int pio, unsigned uid)
{
	uint8_t bb[64], rb[64], db[256];
	struct out buf = { bb, 0, sizeof(bb), 0 };
	struct out res = { rb, 0, sizeof(rb), 0 };
	struct out dev = { db, 0, sizeof(db), 0 };
	struct out o = { dst, 0, cap, 0 };
	static const uint8_t devop[] = { AML_EXTOP, AML_DEVICE };
	static const uint8_t bufop[] = { AML_BUFFER };
	static const char hex[] = "0123456789ABCDEF";
	char name[4] = { 'D', 'V', hex[uid >> 4 & 0xf], hex[uid & 0xf] };

	/* ResourceTemplate () {
	 *   Memory32Fixed (ReadWrite, base, len)        6.4.3.4: 0x86, len 9
	 *   or IO (Decode16, base, base, 1, len)        6.4.2.5: 0x47, 7 bytes
	 *   Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { irq }
	 *                                               6.4.3.6: 0x89, len 6
	 * }                                             end tag 0x79, checksum 0 */
	if (pio) {
		byte(&res, 0x47); byte(&res, 1 /* 16-bit decode */);
		le(&res, d->base, 2); le(&res, d->base, 2);
		byte(&res, 1); byte(&res, d->len > 0xff ? 0xff : d->len);
	} else {
		byte(&res, 0x86); le(&res, 9, 2); byte(&res, 1 /* read/write */);
		le(&res, d->base, 4); le(&res, d->len, 4);
	}
	if (d->irq) {
		/* flags: bit0 consumer, bit1 edge (0 level), bit2 0 = active
		 * high, bit3 0 = exclusive */
		byte(&res, 0x89); le(&res, 6, 2);
		byte(&res, d->irq_level ? 0x01 : 0x03); byte(&res, 1);
		le(&res, d->irq, 4);
	}
	byte(&res, 0x79); byte(&res, 0);

	/* Buffer (size) { bytes }: the size is an integer term */
	integer(&buf, res.n);
	emit(&buf, res.p, res.n);

	/* Device (VRnn) { Name (_HID, "...") Name (_UID, n) Name (_CRS, Buffer) } */
	emit(&dev, name, 4);
	byte(&dev, AML_NAME); emit(&dev, "_HID", 4);
	byte(&dev, AML_STRING); emit(&dev, d->acpi_hid, strlen(d->acpi_hid) + 1);
	byte(&dev, AML_NAME); emit(&dev, "_UID", 4); integer(&dev, uid);
	byte(&dev, AML_NAME); emit(&dev, "_CRS", 4);
	package(&dev, bufop, 1, &buf);
	package(&o, devop, 2, &dev);
	return o.err ? 0 : o.n;
}

uint8_t
acpi_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

/* The common 36-byte header (5.2.6); checksum fixed up by finish(). */
static void
header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	memcpy(t + 4, &len, 4);
	t[8] = rev;
	memcpy(t + 10, "HUSK  ", 6);         /* OEM ID */
	memcpy(t + 16, "HUSKVMRN", 8);       /* OEM table ID */
	t[24] = 1;                           /* OEM revision */
	memcpy(t + 28, "HUSK", 4);           /* creator ID */
	t[32] = 1;                           /* creator revision */
}

static void
finish(uint8_t *t, uint32_t len)
{
	memcpy(t + 4, &len, 4);
	t[9] = 0;
	t[9] = -acpi_sum(t, len);
}

/* Generic Address Structure (5.2.3.2): one byte in system I/O space. */
static void
gas_io8(uint8_t *g, uint16_t port)
{
	g[0] = 1;        /* SystemIO */
	g[1] = 8;        /* bit width */
	g[2] = 0;        /* bit offset */
	g[3] = 1;        /* byte access */
	memcpy(g + 4, &(uint64_t){ port }, 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

int
acpi_build(struct guest_mem *m, unsigned ncpus, struct bus *pio,
    struct bus *mmio, uint64_t *rsdp)
{
	uint8_t *base = gm_ptr(m, ACPI_ADDR, ACPI_SIZE);
	uint64_t xsdt_a = ACPI_ADDR + 64, fadt_a = ACPI_ADDR + 128;
	uint64_t madt_a = fadt_a + 512, dsdt_a = madt_a + 2048;
	uint8_t *r, *x, *f, *t;
	struct out o;
	struct bus_dev *d;
	unsigned i, uid = 0;
	static const uint8_t scope[] = { AML_SCOPE };
	uint8_t sb[4096];
	struct out sbo = { sb, 0, sizeof(sb), 0 };

	if (!base || ncpus == 0 || ncpus > 255 || 8 * ncpus + 12 > 2048 - MADT_HDR)
		return -1;
	memset(base, 0, ACPI_SIZE);

	/* DSDT: Name (_S5, Package () { 5, 0, 0, 0 }), then
	 * Scope (\_SB) { one Device per bus device with an ACPI id }. */
	t = base + (dsdt_a - ACPI_ADDR);
	o = (struct out){ t, HDR_LEN, ACPI_ADDR + ACPI_SIZE - dsdt_a, 0 };
	{
		uint8_t pb[16];
		struct out po = { pb, 0, sizeof(pb), 0 };
		static const uint8_t pkgop[] = { AML_PACKAGE };
		byte(&po, 4);                    /* NumElements */
		integer(&po, ACPI_S5_TYPE);      /* SLP_TYPa */
		integer(&po, 0);                 /* SLP_TYPb */
		integer(&po, 0);
		integer(&po, 0);
		byte(&o, AML_NAME); emit(&o, "_S5_", 4);
		package(&o, pkgop, 1, &po);
	}
	byte(&sbo, AML_ROOT); emit(&sbo, "_SB_", 4);
	for (i = 0; i < 2; i++) {
		struct bus *b = i ? mmio : pio;
		for (d = b ? bus_first(b) : 0; d; d = bus_next(b, d)) {
			size_t n;
			if (!d->acpi_hid)
				continue;
			n = acpi_aml_device(sbo.p + sbo.n, sbo.cap - sbo.n, d,
			    !i, uid++);
			if (!n)
				return -1;
			sbo.n += n;
		}
	}
	package(&o, scope, 1, &sbo);
	if (o.err)
		return -1;
	header(t, "DSDT", o.n, 2);
	finish(t, o.n);

	/* MADT (5.2.12): local APIC address, flags 0 (no dual 8259: the
	 * hardware-reduced kernel uses the IOAPIC alone), then one enabled
	 * Processor Local APIC per vCPU (APIC id = vCPU index, as CPUID
	 * says) and the IOAPIC with GSIs from 0. */
	t = base + (madt_a - ACPI_ADDR);
	put32(t + 36, LAPIC_ADDR);
	put32(t + 40, 0);
	for (i = 0; i < ncpus; i++) {
		uint8_t *e = t + MADT_HDR + 8 * i;
		e[0] = 0;        /* Processor Local APIC */
		e[1] = 8;
		e[2] = i;        /* ACPI processor UID */
		e[3] = i;        /* APIC id */
		put32(e + 4, 1); /* enabled */
	}
	{
		uint8_t *e = t + MADT_HDR + 8 * ncpus;
		e[0] = 1;        /* I/O APIC */
		e[1] = 12;
		e[2] = ncpus;    /* its id, after the CPUs' */
		put32(e + 4, IOAPIC_ADDR);
		put32(e + 8, 0); /* GSI base */
	}
	header(t, "APIC", MADT_HDR + 8 * ncpus + 12, 5);
	finish(t, MADT_HDR + 8 * ncpus + 12);

	/* FADT (5.2.9), revision 6.4 */
	f = base + (fadt_a - ACPI_ADDR);
	header(f, "FACP", FADT_LEN, 6);
	put32(f + 40, dsdt_a);                   /* DSDT */
	f[109] = BOOT_ARCH_NO_VGA;               /* IAPC_BOOT_ARCH */
	put32(f + 112, FADT_HW_REDUCED | FADT_RESET_REG_SUP |
	    FADT_PWR_BUTTON | FADT_SLP_BUTTON);
	gas_io8(f + 116, PORT_I8042_CMD);        /* RESET_REG */
	f[128] = 0xfe;                           /* RESET_VALUE */
	f[131] = 4;                              /* FADT minor version */
	put64(f + 140, dsdt_a);                  /* X_DSDT */
	gas_io8(f + 244, PORT_ACPI_SLEEP_CTL);   /* SLEEP_CONTROL_REG */
	gas_io8(f + 256, PORT_ACPI_SLEEP_STS);   /* SLEEP_STATUS_REG */
	memcpy(f + 268, "HUSKVMRN", 8);          /* hypervisor vendor identity */
	finish(f, FADT_LEN);

	/* XSDT (5.2.8): FADT, MADT */
	x = base + (xsdt_a - ACPI_ADDR);
	header(x, "XSDT", HDR_LEN + 16, 1);
	put64(x + HDR_LEN, fadt_a);
	put64(x + HDR_LEN + 8, madt_a);
	finish(x, HDR_LEN + 16);

	/* RSDP (5.2.5), ACPI 2.0+: checksum over the first 20 bytes, extended
	 * checksum over all 36. */
	r = base;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "HUSK  ", 6);
	r[15] = 2;                               /* revision */
	put32(r + 20, 36);                       /* length */
	put64(r + 24, xsdt_a);
	r[8] = -acpi_sum(r, 20);
	r[32] = -acpi_sum(r, 36);
	*rsdp = ACPI_ADDR;
	return 0;
}
