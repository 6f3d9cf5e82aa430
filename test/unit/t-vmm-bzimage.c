/* bzImage header parsing (vmm/bzimage.c): a good header's fields, each way
 * a header can be wrong, random garbage, and the real cloud kernel when
 * `make kernel` has unpacked it. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bzimage.h"
#include "tap.h"
#include "bz-fake.h"

static int
rejects(uint8_t *b, size_t len, const char *what)
{
	struct bzimage bz;
	const char *why = 0;

	if (bzimage_parse(b, len, &bz, &why) == 0) {
		printf("# accepted\n");
		return 0;
	}
	if (!why || !strstr(why, what)) {
		printf("# why: %s\n", why ? why : "(null)");
		return 0;
	}
	return 1;
}

static void
test_good(void)
{
	size_t len;
	uint8_t *b = bz_fake(4096, &len);
	struct bzimage bz;
	const char *why;

	ok(bzimage_parse(b, len, &bz, &why) == 0, "a good header parses");
	ok(bz.version == 0x020f, "version 2.15");
	ok(bz.setup_sects == 1 && bz.kernel_off == 1024 && bz.kernel_len == 4096,
	    "kernel after 1+1 sectors, 4096 bytes");
	ok(bz.entry64 == 1, "64-bit entry from xloadflags");
	ok(bz.initrd_addr_max == 0x7fffffff && bz.cmdline_size == 2048 &&
	    bz.init_size == 0x100000 && bz.pref_address == 0x1000000,
	    "initrd_addr_max, cmdline_size, init_size, pref_address");
	ok(bz.hdr_len == 0x26c - 0x1f1, "setup header length from the jump");

	b[0x1f1] = 0;
	ok(bzimage_parse(b, len, &bz, &why) == 0 && bz.setup_sects == 4,
	    "setup_sects 0 means 4");
	b[0x1f1] = 1;
	put_le(b + 0x206, 0x020b, 2);
	ok(bzimage_parse(b, len, &bz, &why) == 0 && bz.entry64 == 0,
	    "protocol 2.11: no xloadflags, 32-bit entry");
	free(b);
}

static void
test_bad(void)
{
	size_t len;
	uint8_t *b;

#define BAD(setup, what, desc) do { \
	b = bz_fake(4096, &len); setup; \
	ok(rejects(b, len, what), desc); free(b); } while (0)

	BAD(len = 0x263, "too short", "shorter than the header");
	BAD(b[0x1fe] = 0, "0xAA55", "no boot flag");
	BAD(memcpy(b + 0x202, "HdrT", 4), "HdrS", "no HdrS");
	BAD(put_le(b + 0x206, 0x0209, 2), "older than 2.10", "protocol 2.09");
	BAD(put_le(b + 0x206, 0x0100, 2), "older than 2.10", "protocol 1.00");
	BAD(b[0x211] = 0, "zImage", "not loaded high");
	BAD(b[0x1f1] = 200, "no protected-mode kernel", "setup runs past the end");
	BAD(len = 1024, "no protected-mode kernel", "nothing after the setup");
	BAD(b[0x201] = 0x10, "header length", "header shorter than 2.10's");
	BAD(put_le(b + 0x260, 100, 4), "init_size", "init_size below the kernel size");
	BAD(put_le(b + 0x238, 0, 4), "cmdline_size", "cmdline_size 0");
	BAD(put_le(b + 0x22c, 0x1000, 4), "initrd_addr_max", "initrd_addr_max low");
#undef BAD
}

/* Random bytes, with and without a plausible signature: never accepted
 * with fields that point outside the image. */
static void
test_garbage(void)
{
	uint8_t buf[8192];
	struct bzimage bz;
	const char *why;
	unsigned i, j, bad = 0;

	srand(1);
	for (i = 0; i < 2000; i++) {
		size_t len = rand() % sizeof(buf);
		for (j = 0; j < len; j++)
			buf[j] = rand();
		if (i & 1 && len > 0x264) {
			put_le(buf + 0x1fe, 0xaa55, 2);
			memcpy(buf + 0x202, "HdrS", 4);
		}
		if (bzimage_parse(buf, len, &bz, &why) == 0 &&
		    (bz.kernel_off + bz.kernel_len != len ||
		     0x1f1 + bz.hdr_len > bz.kernel_off))
			bad++;
	}
	ok(bad == 0, "2000 random images: nothing inconsistent accepted");
}

static void
test_real(void)
{
	const char *dir = "build/kernel/root/boot";
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);
	struct bzimage bz;
	const char *why;
	struct stat st;
	void *p;
	int fd;

	path[0] = 0;
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "vmlinuz-", 8))
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
	if (d)
		closedir(d);
	if (!path[0] || (fd = open(path, O_RDONLY)) < 0) {
		ok(1, "# skip no cloud kernel unpacked (make kernel)");
		return;
	}
	fstat(fd, &st);
	p = mmap(0, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	ok(p != MAP_FAILED && bzimage_parse(p, st.st_size, &bz, &why) == 0 &&
	    bz.version >= 0x020c && bz.entry64 && bz.init_size > bz.kernel_len,
	    "the Debian cloud kernel parses: protocol %x, 64-bit entry",
	    bz.version);
	munmap(p, st.st_size);
	/* Its vmlinux, from make kernel (mk/vmlinux). */
	memcpy(strrchr(path, '/') + 1, "vmlinux", 7);
	if ((fd = open(path, O_RDONLY)) < 0) {
		ok(1, "# skip no vmlinux (make kernel)");
		return;
	}
	fstat(fd, &st);
	p = mmap(0, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	ok(p != MAP_FAILED && bzimage_parse(p, st.st_size, &bz, &why) == 0 &&
	    bz.elf && bz.nseg >= 2 && bz.elf_entry == 0x1000000 &&
	    bz.elf_end < 128 << 20, "its vmlinux parses: %u segments, entry "
	    "%#llx, end %#llx", bz.nseg, (unsigned long long)bz.elf_entry,
	    (unsigned long long)bz.elf_end);
	munmap(p, st.st_size);
}

/* A vmlinux: its segments and entry; each way its headers can be wrong. */
static void
test_elf(void)
{
	size_t len;
	uint8_t *b = elf_fake(4096, &len), *ph = b + 64;
	struct bzimage bz;
	const char *why;

	ok(bzimage_parse(b, len, &bz, &why) == 0 && bz.elf && bz.entry64 &&
	    bz.nseg == 2 && bz.elf_entry == 0x1000000 &&
	    bz.seg[0].paddr == 0x1000000 && bz.seg[0].off == 4096 &&
	    bz.seg[1].filesz == 4096 && bz.seg[1].memsz == 8192 &&
	    bz.elf_end == 0x1400000 + 8192, "a vmlinux: two PT_LOAD segments, "
	    "the note skipped, its entry and end");
	b[18] = 3;
	ok(rejects(b, len, "not an x86-64 ELF64"), "another machine: refused");
	b[18] = 62;
	b[4] = 1;
	ok(rejects(b, len, "not an x86-64 ELF64"), "ELF32: refused");
	b[4] = 2;
	put_le(b + 56, 1000, 2);
	ok(rejects(b, len, "program headers outside"), "phnum past the file");
	put_le(b + 56, 3, 2);
	put_le(ph + 32, len, 8);
	ok(rejects(b, len, "outside the file"), "a segment past the file");
	put_le(ph + 32, 4096, 8);
	put_le(ph + 40, 100, 8);
	ok(rejects(b, len, "outside the file"), "filesz above memsz");
	put_le(ph + 40, 4096, 8);
	put_le(ph + 24, 0x8000, 8);
	ok(rejects(b, len, "below 1 MiB"), "a segment below 1 MiB");
	put_le(ph + 24, 0xfffffffffffff000ULL, 8);
	ok(rejects(b, len, "outside the file"), "a segment wrapping past 2^64");
	put_le(ph + 24, 0x1000000, 8);
	put_le(b + 24, 0x3000000, 8);
	ok(rejects(b, len, "no segment holds the entry"), "entry outside");
	put_le(b + 24, 0x1000000, 8);
	ok(rejects(b, 40, "not an x86-64"), "cut short");
	free(b);
}

int
main(void)
{
	test_good();
	test_elf();
	test_bad();
	test_garbage();
	test_real();
	return done_testing();
}
