/* ACPI tables (vmm/acpi.c): checksums, the pointers between tables, the
 * FADT fields poweroff depends on, MADT entries per vCPU, and the exact
 * AML of one virtio-mmio device. */
#include <string.h>

#include "acpi.h"
#include "bus.h"
#include "layout.h"
#include "tap.h"

static uint64_t
rd(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The AML acpi_aml_device must produce for LNRO0005 at 0xd0000000 + 4 KiB,
 * IRQ 16, _UID 0, assembled by hand from ACPI 6.4 chapters 6.4 and 20. */
static const uint8_t want_aml[] = {
	0x5b, 0x82, 0x3a,                       /* DeviceOp, PkgLength 58 */
	'D', 'V', '0', '0',
	0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
	0x08, '_', 'U', 'I', 'D', 0x00,         /* Name (_UID, Zero) */
	0x08, '_', 'C', 'R', 'S', 0x11, 0x1a,   /* Name (_CRS, Buffer, PkgLength 26) */
	0x0a, 0x17,                             /* BufferSize 23 */
	0x86, 0x09, 0x00, 0x01,                 /* Memory32Fixed, read/write */
	0x00, 0x00, 0x00, 0xd0, 0x00, 0x10, 0x00, 0x00,
	0x89, 0x06, 0x00, 0x01, 0x01,           /* Interrupt: consumer, level, high; 1 */
	0x10, 0x00, 0x00, 0x00,                 /* GSI 16 */
	0x79, 0x00,                             /* end tag */
};

int
main(void)
{
	struct guest_mem m = { calloc(1, 2 << 20), 2 << 20 };
	struct bus *mmio = bus_new(), *pio = bus_new();
	struct bus_dev vdev = { .name = "virtio", .base = 0xd0000000, .len = 0x1000,
	    .acpi_hid = "LNRO0005", .irq = 16, .irq_level = 1 };
	struct bus_dev com = { .name = "uart", .base = 0x3f8, .len = 8,
	    .acpi_hid = "PNP0501", .irq = 4 };
	struct bus_dev plain = { .name = "timer", .base = 0x3f0, .len = 1 };
	uint8_t aml[256], *r, *x, *f, *ma, *ds;
	uint64_t rsdp;
	size_t n;
	unsigned i, lapics = 0, ioapics = 0;

	bus_register(mmio, &vdev);
	bus_register(pio, &com);
	bus_register(pio, &plain);

	n = acpi_aml_device(aml, sizeof(aml), &vdev, 0, 0);
	ok(n == sizeof(want_aml) && !memcmp(aml, want_aml, n),
	    "AML of one virtio-mmio device, byte for byte (%zu bytes)", n);
	ok(acpi_aml_device(aml, 10, &vdev, 0, 0) == 0, "AML that does not fit: 0");
	n = acpi_aml_device(aml, sizeof(aml), &com, 1, 1);
	ok(n > 12 && !memcmp(aml + n - 11, "\x89\x06\x00\x03\x01\x04\x00\x00\x00\x79\x00", 11),
	    "the UART's IRQ 4 stays edge-triggered");

	ok(acpi_build(&m, 2, pio, mmio, &rsdp) == 0 && rsdp == ACPI_ADDR,
	    "tables built, RSDP at ACPI_ADDR");
	r = m.host + rsdp;
	ok(!memcmp(r, "RSD PTR ", 8) && r[15] == 2, "RSDP signature, revision 2");
	ok(acpi_sum(r, 20) == 0 && acpi_sum(r, 36) == 0, "RSDP checksums (20 and 36 bytes)");

	x = m.host + rd(r + 24, 8);
	ok(!memcmp(x, "XSDT", 4) && rd(x + 4, 4) == 52 && acpi_sum(x, 52) == 0,
	    "XSDT: two entries, checksum");
	f = m.host + rd(x + 36, 8);
	ma = m.host + rd(x + 44, 8);
	ok(!memcmp(f, "FACP", 4) && rd(f + 4, 4) == 276 && acpi_sum(f, 276) == 0,
	    "FADT: 276 bytes, checksum");
	ok(rd(f + 112, 4) & (1u << 20), "FADT: HW_REDUCED_ACPI");
	ok(f[244] == 1 && rd(f + 248, 8) == PORT_ACPI_SLEEP_CTL &&
	    f[256] == 1 && rd(f + 260, 8) == PORT_ACPI_SLEEP_STS,
	    "FADT: sleep control/status registers in I/O space");
	ok((rd(f + 112, 4) & (1u << 10)) && f[116] == 1 &&
	    rd(f + 120, 8) == PORT_I8042_CMD && f[128] == 0xfe,
	    "FADT: reset register = 0xfe to port 0x64");
	ds = m.host + rd(f + 140, 8);
	ok(rd(f + 40, 4) == rd(f + 140, 8), "FADT: DSDT and X_DSDT agree");
	ok(!memcmp(ds, "DSDT", 4) && acpi_sum(ds, rd(ds + 4, 4)) == 0,
	    "DSDT checksum");
	ok(memmem(ds, rd(ds + 4, 4), want_aml + 28, sizeof(want_aml) - 28) != 0,
	    "DSDT holds the virtio device's _CRS");
	ok(memmem(ds, rd(ds + 4, 4), "\x08_S5_\x12\x07\x04\x0a\x05\x00\x00\x00", 12) != 0,
	    "DSDT: Name (_S5, Package { 5, 0, 0, 0 })");
	ok(memmem(ds, rd(ds + 4, 4), "PNP0501", 7) &&
	    memmem(ds, rd(ds + 4, 4), "\x47\x01\xf8\x03\xf8\x03\x01\x08", 8),
	    "DSDT: COM1 as PNP0501 with IO (0x3f8, 8)");
	ok(!memmem(ds, rd(ds + 4, 4), "DV02", 4), "devices without an ACPI id left out");

	ok(!memcmp(ma, "APIC", 4) && acpi_sum(ma, rd(ma + 4, 4)) == 0 &&
	    rd(ma + 36, 4) == LAPIC_ADDR, "MADT checksum, local APIC address");
	for (i = 44; i < rd(ma + 4, 4); i += ma[i + 1]) {
		if (ma[i] == 0 && (ma[i + 4] & 1) && ma[i + 3] == lapics)
			lapics++;
		if (ma[i] == 1 && rd(ma + i + 4, 4) == IOAPIC_ADDR)
			ioapics++;
		if (ma[i + 1] == 0)
			break;
	}
	ok(lapics == 2 && ioapics == 1, "MADT: 2 enabled local APICs (ids 0, 1), 1 IOAPIC");
	ok(acpi_build(&m, 0, pio, mmio, &rsdp) < 0, "0 vCPUs refused");
	bus_free(mmio);
	bus_free(pio);
	free(m.host);
	return done_testing();
}
