/* vmm/layout.h: every guest-physical address and size vmrun uses, in one
 * place.  Low memory follows the PC: the real-mode IVT/BDA page stays
 * empty, the boot structures sit in the first 640 KiB, 0x9fc00..1 MiB is the
 * EBDA/VGA/BIOS hole (reserved in the e820 map; the ACPI tables live in its
 * BIOS area so a kernel that ignores acpi_rsdp_addr still finds the RSDP by
 * the legacy scan of 0xe0000..0xfffff), and the kernel loads at 1 MiB.  RAM
 * ends below the 32-bit MMIO hole, so one slot of guest RAM is enough. */
#ifndef VMM_LAYOUT_H
#define VMM_LAYOUT_H

/* Flat GDT (null, null, code 0x10, data 0x18, TSS 0x20: 40 bytes) loaded at
 * entry; the kernel
 * replaces it before it needs anything but flat segments. */
#define BOOT_GDT_ADDR      0x500ULL
/* Empty IDT: no exception may happen before the kernel loads its own. */
#define BOOT_IDT_ADDR      0x540ULL
/* struct boot_params, the "zero page"; %rsi points here at entry. */
#define ZERO_PAGE_ADDR     0x7000ULL
/* Initial stack top (16-byte aligned, grows down under the page tables);
 * the kernel switches to its own stack in its first instructions. */
#define BOOT_STACK_TOP     0x8ff0ULL
/* Identity page tables: PML4, one PDPT, four page directories of 2 MiB
 * pages mapping guest-physical 0..4 GiB 1:1.  The 64-bit boot protocol needs
 * the kernel, boot_params and command line mapped; 4 GiB covers all RAM. */
#define PML4_ADDR          0x9000ULL
#define PDPT_ADDR          0xa000ULL
#define PD_ADDR            0xb000ULL   /* 4 pages: 0xb000..0xefff */
/* Kernel command line, NUL-terminated; its size is bounded by the
 * header's cmdline_size and by CMDLINE_MAX. */
#define CMDLINE_ADDR       0x20000ULL
#define CMDLINE_MAX        0x10000ULL
/* End of usable low memory: 0x9fc00..0xfffff is the EBDA/VGA/BIOS hole. */
#define EBDA_START         0x9fc00ULL
/* ACPI tables: RSDP first (16-byte aligned, inside the legacy scan area),
 * then XSDT, FADT, MADT, DSDT. */
#define ACPI_ADDR          0xe0000ULL
#define ACPI_SIZE          0x10000ULL
/* The x86 reset vector, f000:fff0.  There is no BIOS, so boot.c puts a
 * 7-byte stub here that resets through the i8042 (out 0xfe to port 0x64).
 * Linux ends up here on reboot under hardware-reduced ACPI: it then
 * prefers an EFI reset, and without EFI falls back to BOOT_BIOS, a jump to
 * this vector in real mode, before it would try the keyboard controller. */
#define RESET_VECTOR       0xffff0ULL
/* The protected-mode kernel is loaded at 1 MiB (boot protocol). */
#define HIMEM_START        0x100000ULL
/* Guest RAM ends at or below the MMIO hole start (3 GiB). */
#define MMIO_HOLE_START    0xc0000000ULL
#define RAM_MAX            MMIO_HOLE_START
/* virtio-mmio windows: device i at VIRTIO_MMIO_BASE + i*VIRTIO_MMIO_SIZE,
 * raising IOAPIC pin VIRTIO_IRQ_BASE + i (level-triggered, active-high,
 * as the DSDT says; virtio_mmio.h says why level).  Pins 16..23 are
 * IOAPIC-only, clear of every ISA IRQ. */
#define VIRTIO_MMIO_BASE   0xd0000000ULL
#define VIRTIO_MMIO_SIZE   0x1000ULL
#define VIRTIO_IRQ_BASE    16
#define VIRTIO_MAX_DEVS    8
/* KVM_SET_IDENTITY_MAP_ADDR (one page) and KVM_SET_TSS_ADDR (three pages):
 * needed by KVM on Intel for real-mode emulation, just below the BIOS ROM
 * alias at the top of 4 GiB; inside the MMIO hole, never RAM. */
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL
#define KVM_TSS_ADDR          0xfffbd000ULL
/* In-kernel irqchip: IOAPIC and local APIC default addresses (MADT). */
#define IOAPIC_ADDR        0xfec00000ULL
#define LAPIC_ADDR         0xfee00000ULL

/* I/O ports. */
#define PORT_I8042_DATA    0x60
#define PORT_I8042_CMD     0x64
#define PORT_CMOS          0x70        /* index 0x70, data 0x71 */
#define PORT_BOOT_TIMER    0x3f0       /* Firecracker's: write 123 */
#define PORT_SNAPSHOT      0x3f1       /* read: 1 when saved (snapshot.h) */
#define PORT_COM1          0x3f8
#define IRQ_COM1           4
/* ACPI hardware-reduced sleep registers (FADT), and the reset register,
 * which is the i8042's command port: value 0xfe resets, one code path. */
#define PORT_ACPI_SLEEP_CTL 0x600
#define PORT_ACPI_SLEEP_STS 0x601

#endif
