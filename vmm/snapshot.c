/* vmm/snapshot.c: the snapshot port, the state file's format, saving a
 * stopped VM and setting a saved one back (snapshot.h says what and
 * when). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "err.h"
#include "io.h"
#include "ioctl.h"
#include "layout.h"
#include "num.h"
#include "snapshot.h"
#include "vcpu.h"
#include "vm.h"

#define SNAP_MAGIC "HUSKSNAP"
#define SNAP_VERSION 1
#define SNAP_BUILD 32           /* bytes of build id kept */
#define SNAP_STATE_MAX (4 << 20)
#define SNAP_PAGE 4096

struct snap_hdr {
	char magic[8];
	uint32_t version, ncpus;
	uint64_t ram_size;
	uint8_t build[SNAP_BUILD];
};
struct snap_sect { char name[SNAP_NAME]; uint64_t len; };
struct snap_vm {
	struct kvm_irqchip chip[3];     /* PIC master, PIC slave, IOAPIC */
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
};

static const char *dir;
static int mem_fd = -1, state_fd = -1;
static uint8_t *state;          /* a restore's state file, whole */
static size_t state_len;

const unsigned long snap_ioctls[] = {
	KVM_GET_MP_STATE, KVM_GET_XSAVE, KVM_GET_XCRS, KVM_GET_DEBUGREGS,
	KVM_GET_LAPIC, KVM_GET_MSRS, KVM_GET_VCPU_EVENTS, KVM_GET_IRQCHIP,
	KVM_GET_PIT2, KVM_GET_CLOCK, 0,
};

static struct snap_dev *
snap_add(struct vm *vm, const char *name)
{
	struct snap_dev *d;

	if (vm->nstates == SNAP_DEV_MAX || strlen(name) >= SNAP_NAME) {
		errno = ENOSPC;
		return 0;
	}
	d = &vm->states[vm->nstates++];
	memset(d, 0, sizeof *d);
	snprintf(d->name, sizeof d->name, "%s", name);
	return d;
}

int
snap_register(struct vm *vm, const char *name, size_t len,
    void (*save)(void *, void *),
    int (*load)(void *, const void *, const char **), void *arg)
{
	struct snap_dev *d = snap_add(vm, name);

	if (!d)
		return -1;
	d->len = len;
	d->save = save;
	d->load = load;
	d->arg = arg;
	return 0;
}

int
snap_plain(struct vm *vm, const char *name, void *p, size_t len)
{
	struct snap_dev *d = snap_add(vm, name);

	if (!d)
		return -1;
	d->p = p;
	d->len = len;
	return 0;
}

static struct snap_dev *
dev_find(struct vm *vm, const char *name)
{
	unsigned i;

	for (i = 0; i < vm->nstates; i++)
		if (!strcmp(vm->states[i].name, name))
			return &vm->states[i];
	return 0;
}

/* d's state into buf, d->len bytes. */
static void
dev_save(const struct snap_dev *d, void *buf)
{
	if (d->save)
		d->save(d->arg, buf);
	else
		memcpy(buf, d->p, d->len);
}

static int
dev_load(const struct snap_dev *d, const void *buf, size_t len,
    const char **why)
{
	if (len != d->len)
		return *why = "a device's state has another size", -1;
	if (d->load)
		return d->load(d->arg, buf, why);
	memcpy(d->p, buf, len);
	return 0;
}

size_t
snap_save_dev(struct vm *vm, const char *name, void *buf, size_t max)
{
	struct snap_dev *d = dev_find(vm, name);

	if (!d || d->len > max)
		return 0;
	dev_save(d, buf);
	return d->len;
}

int
snap_load_dev(struct vm *vm, const char *name, const void *buf, size_t len,
    const char **why)
{
	struct snap_dev *d = dev_find(vm, name);

	if (!d)
		return *why = "no such device", -1;
	return dev_load(d, buf, len, why);
}

/* vmrun's GNU build id (linked with --build-id): its first note of that
 * type in the program headers.  The bytes copied, 0 if none. */
extern const Elf64_Ehdr __ehdr_start;

static size_t
build_id(uint8_t *out)
{
	const Elf64_Ehdr *eh = &__ehdr_start;
	const Elf64_Phdr *ph = (const void *)((const char *)eh + eh->e_phoff);
	unsigned i;

	memset(out, 0, SNAP_BUILD);
	for (i = 0; i < eh->e_phnum; i++) {
		const char *p = (const char *)eh + ph[i].p_offset;
		const char *end = p + ph[i].p_filesz;
		if (ph[i].p_type != PT_NOTE)
			continue;
		while (p + sizeof(Elf64_Nhdr) <= end) {
			const Elf64_Nhdr *n = (const void *)p;
			const char *name = p + sizeof *n;
			const char *desc = name + ((n->n_namesz + 3) & ~3u);
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    !memcmp(name, "GNU", 4) && n->n_descsz > 0) {
				size_t len = n->n_descsz < SNAP_BUILD ?
				    n->n_descsz : SNAP_BUILD;
				memcpy(out, desc, len);
				return len;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

/* The snapshot port: 0 without --snapshot; with it 1, and the VM stops
 * to be saved (snapshot.h). */
static void
port_read(struct bus_dev *d, uint64_t off, void *v, unsigned size)
{
	struct vm *vm = d->priv;

	memset(v, 0, size);
	if (!vm->cfg.snapshot)
		return;
	*(uint8_t *)v = 1;
	if (vm->cfg.verbose)
		err_info("the guest asked for its snapshot");
	vm_stop(vm, VM_EXIT_SNAPSHOT);
}

static void
port_write(struct bus_dev *d, uint64_t off, const void *v, unsigned size)
{
}

static struct bus_dev port_dev;

static int
snap_port_init(struct vm *vm)
{
	port_dev = (struct bus_dev){ .name = "snapshot", .base = PORT_SNAPSHOT,
	    .len = 1, .read = port_read, .write = port_write, .priv = vm };
	return bus_register(vm->pio, &port_dev);
}
VM_DEVICE(snap_port_init);

int
snap_prepare(struct vm *vm, const char *d)
{
	uint8_t b[SNAP_BUILD];
	int dfd;

	dir = d;
	if (!build_id(b)) {
		err_warn("unable to take a snapshot in %s: this vmrun has no "
		    "build id", d);
		return -1;
	}
	if ((dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_warnsys("unable to open the snapshot directory %s", d);
		return -1;
	}
	/* New files only: one a restored VM maps must not change. */
	mem_fd = openat(dfd, "mem", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	state_fd = openat(dfd, "state", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	close(dfd);
	if (mem_fd < 0 || state_fd < 0) {
		err_warnsys("unable to create the snapshot files in %s", d);
		return -1;
	}
	return 0;
}

/* The state under construction. */
struct out { uint8_t *p; size_t len, cap; };

/* Room for a section (name) of len bytes, zeroed, its head written; with
 * name NULL, for len bytes without a head (the header). */
static void *
out_sect(struct out *o, const char *name, size_t len)
{
	struct snap_sect s;
	size_t head = name ? sizeof s : 0;
	size_t need = head + ((len + 7) & ~(size_t)7);
	uint8_t *p;

	if (o->len + need > o->cap) {
		size_t cap = o->cap ? o->cap : 1 << 16;
		while (cap < o->len + need)
			cap *= 2;
		if (!(p = realloc(o->p, cap)))
			return 0;
		o->p = p;
		o->cap = cap;
	}
	if (name) {
		memset(&s, 0, sizeof s);
		snprintf(s.name, sizeof s.name, "%s", name);
		s.len = len;
		memcpy(o->p + o->len, &s, sizeof s);
	}
	p = o->p + o->len + head;
	memset(p, 0, need - head);
	o->len += need;
	return p;
}

static int
page_zero(const uint8_t *p)
{
	const uint64_t *w = (const void *)p;
	unsigned i;

	for (i = 0; i < SNAP_PAGE / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

/* Guest RAM into mem: runs of pages that are not all zeros; the rest
 * are holes. */
static int
save_mem(struct vm *vm)
{
	uint64_t off = 0, run;

	if (ftruncate(mem_fd, vm->mem.size) < 0)
		return -1;
	while (off < vm->mem.size) {
		if (page_zero(vm->mem.host + off)) {
			off += SNAP_PAGE;
			continue;
		}
		for (run = off + SNAP_PAGE; run < vm->mem.size &&
		    run - off < (4 << 20) && !page_zero(vm->mem.host + run);
		    run += SNAP_PAGE)
			;
		if (lseek(mem_fd, off, SEEK_SET) < 0 ||
		    io_writeall(mem_fd, vm->mem.host + off, run - off) < 0)
			return -1;
		off = run;
	}
	return fsync(mem_fd);
}

int
snap_save(struct vm *vm)
{
	struct out o = { 0 };
	struct snap_hdr *h;
	struct snap_vm *s;
	const char *why = "allocate its state";
	char name[SNAP_NAME];
	unsigned i;

	vcpu_join_all(vm);
	if (!out_sect(&o, 0, sizeof *h))
		goto fail;
	for (i = 0; i < vm->ncpus; i++) {
		struct snap_vcpu *c;
		snprintf(name, sizeof name, "cpu%u", i);
		if (!(c = out_sect(&o, name, sizeof *c)))
			goto fail;
		if (vcpu_save(vm, i, c, &why) < 0) {
			fprintf(stderr, "%s: fatal: unable to save the snapshot "
			    "in %s: vCPU %u: unable to %s: %s\n", err_prog, dir,
			    i, why, strerror(errno));
			goto fail_quiet;
		}
	}
	if (!(s = out_sect(&o, "vm", sizeof *s)))
		goto fail;
	s->chip[0].chip_id = KVM_IRQCHIP_PIC_MASTER;
	s->chip[1].chip_id = KVM_IRQCHIP_PIC_SLAVE;
	s->chip[2].chip_id = KVM_IRQCHIP_IOAPIC;
	for (i = 0; i < 3; i++)
		if (vmm_ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &s->chip[i]) < 0) {
			why = "get the interrupt controllers";
			goto fail;
		}
	if (vmm_ioctl(vm->vm_fd, KVM_GET_PIT2, &s->pit) < 0) {
		why = "get the PIT";
		goto fail;
	}
	if (vmm_ioctl(vm->vm_fd, KVM_GET_CLOCK, &s->clock) < 0) {
		why = "get the clock";
		goto fail;
	}
	for (i = 0; i < vm->nstates; i++) {
		const struct snap_dev *d = &vm->states[i];
		void *p;
		if (!(p = out_sect(&o, d->name, d->len)))
			goto fail;
		dev_save(d, p);
	}
	if (!out_sect(&o, "end", 0))
		goto fail;
	h = (struct snap_hdr *)o.p;
	memcpy(h->magic, SNAP_MAGIC, 8);
	h->version = SNAP_VERSION;
	h->ncpus = vm->ncpus;
	h->ram_size = vm->mem.size;
	build_id(h->build);
	why = "write its memory";
	if (save_mem(vm) < 0)
		goto fail;
	why = "write its state";
	if (io_writeall(state_fd, o.p, o.len) < 0 || fsync(state_fd) < 0)
		goto fail;
	free(o.p);
	if (vm->cfg.verbose)
		err_info("snapshot saved in %s: %zu bytes of state", dir, o.len);
	return 0;
fail:
	fprintf(stderr, "%s: fatal: unable to save the snapshot in %s: unable "
	    "to %s: %s\n", err_prog, dir, why, strerror(errno));
fail_quiet:
	free(o.p);
	(void)!ftruncate(mem_fd, 0);
	(void)!ftruncate(state_fd, 0);
	return -1;
}

/* ---- restore ---- */

static int
refuse(const char *why)
{
	fprintf(stderr, "%s: fatal: unable to restore %s: %s\n", err_prog,
	    dir, why);
	return -1;
}

/* Section name's body and length; NULL if absent. */
static const uint8_t *
find_sect(const char *name, size_t *len)
{
	size_t off = sizeof(struct snap_hdr);

	while (off + sizeof(struct snap_sect) <= state_len) {
		struct snap_sect s;
		memcpy(&s, state + off, sizeof s);
		off += sizeof s;
		if (!strcmp(s.name, name)) {
			*len = s.len;
			return state + off;
		}
		off += (s.len + 7) & ~(uint64_t)7;
	}
	return 0;
}

/* Every section well formed, "end" last; none but vm, cpuN and a device
 * of this VM's. */
static const char *
check_sects(struct vm *vm)
{
	size_t off = sizeof(struct snap_hdr);
	static char why[80];
	long long n;

	while (off + sizeof(struct snap_sect) <= state_len) {
		struct snap_sect s;
		memcpy(&s, state + off, sizeof s);
		off += sizeof s;
		if (memchr(s.name, 0, sizeof s.name) == 0 ||
		    s.len > state_len - off)
			return "its state is damaged";
		off += (s.len + 7) & ~(uint64_t)7;
		if (!strcmp(s.name, "end"))
			return off == state_len ? 0 : "its state is damaged";
		if (!strcmp(s.name, "vm") || (!strncmp(s.name, "cpu", 3) &&
		    num_parse(s.name + 3, 0, vm->ncpus - 1, &n) == 0))
			continue;
		if (!dev_find(vm, s.name)) {
			snprintf(why, sizeof why, "it has a device this VM "
			    "has not: %s", s.name);
			return why;
		}
	}
	return "its state is unfinished (no end)";
}

/* A snapshot file vmrun takes: a regular file of its own user, which no
 * one else may write (else they would choose the guest it runs).  NULL,
 * or why not. */
static const char *
file_why(int fd, const char *what)
{
	static char why[80];
	struct stat st;

	if (fstat(fd, &st) < 0)
		snprintf(why, sizeof why, "unable to stat its %s: %s", what,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, sizeof why, "its %s is not a regular file", what);
	else if (st.st_uid != geteuid())
		snprintf(why, sizeof why, "its %s is uid %u's, not ours", what,
		    (unsigned)st.st_uid);
	else if (st.st_mode & 022)
		snprintf(why, sizeof why, "its %s is writable by others", what);
	else
		return 0;
	return why;
}

int
snap_open(struct vm *vm, const char *d)
{
	const char *p;
	struct snap_hdr h;
	uint8_t b[SNAP_BUILD];
	struct stat st;
	char why[120];
	int dfd, fd;

	dir = d;
	if ((dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		return refuse(strerror(errno));
	}
	/* O_NONBLOCK: a FIFO in their place must not hang us. */
	fd = openat(dfd, "state", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	mem_fd = openat(dfd, "mem", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0 || mem_fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, sizeof why, "unable to open its files: %s",
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return refuse(why);
	}
	if ((p = file_why(fd, "state")) || (p = file_why(mem_fd, "memory"))) {
		close(fd);
		return refuse(p);
	}
	if (st.st_size < (off_t)sizeof h || st.st_size > SNAP_STATE_MAX) {
		close(fd);
		return refuse("its state is not a vmrun snapshot's (empty or too large)");
	}
	state_len = st.st_size;
	if (!(state = malloc(state_len)) ||
	    pread(fd, state, state_len, 0) != (ssize_t)state_len) {
		snprintf(why, sizeof why, "unable to read its state: %s",
		    strerror(errno));
		close(fd);
		return refuse(why);
	}
	close(fd);
	memcpy(&h, state, sizeof h);
	build_id(b);
	if (memcmp(h.magic, SNAP_MAGIC, 8))
		return refuse("its state is not a vmrun snapshot's");
	if (h.version != SNAP_VERSION) {
		snprintf(why, sizeof why, "its format is version %u, this vmrun "
		    "reads %u", h.version, SNAP_VERSION);
		return refuse(why);
	}
	if (memcmp(h.build, b, SNAP_BUILD))
		return refuse("it was taken by another vmrun (build id differs)");
	if (h.ram_size != vm->cfg.ram_size || h.ncpus != vm->cfg.ncpus) {
		snprintf(why, sizeof why, "it has %llu MiB of RAM and %u vCPUs, "
		    "not %llu and %u (-m, -c)", (unsigned long long)h.ram_size >> 20,
		    h.ncpus, (unsigned long long)vm->cfg.ram_size >> 20,
		    vm->cfg.ncpus);
		return refuse(why);
	}
	if (fstat(mem_fd, &st) < 0 || (uint64_t)st.st_size != h.ram_size)
		return refuse("its memory file is not the size of its RAM");
	vm->cfg.mem_fd = mem_fd;
	vm->cfg.restore = 1;
	return 0;
}

int
snap_restore(struct vm *vm)
{
	const struct snap_vm *s;
	const char *why;
	char name[SNAP_NAME], msg[400];
	size_t len;
	unsigned i;

	if ((why = check_sects(vm)))
		return refuse(why);
	if (!(s = (const void *)find_sect("vm", &len)) || len != sizeof *s)
		return refuse("its VM state is missing or of another size");
	if (vmm_ioctl(vm->vm_fd, KVM_SET_PIT2, &s->pit) < 0)
		return refuse("unable to set the PIT");
	{
		struct kvm_clock_data c = s->clock;
		c.flags = 0;    /* from where it stopped, not realtime */
		if (vmm_ioctl(vm->vm_fd, KVM_SET_CLOCK, &c) < 0)
			return refuse("unable to set the clock");
	}
	for (i = 0; i < 3; i++)
		if (vmm_ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &s->chip[i]) < 0)
			return refuse("unable to set the interrupt controllers");
	for (i = 0; i < vm->ncpus; i++) {
		const struct snap_vcpu *c;
		snprintf(name, sizeof name, "cpu%u", i);
		if (!(c = (const void *)find_sect(name, &len)) || len != sizeof *c)
			return refuse("a vCPU's state is missing or of another size");
		errno = 0;
		if (vcpu_load(vm, i, c, &why) < 0) {
			snprintf(msg, sizeof msg, "vCPU %u: %s%s%s", i, why,
			    errno ? ": " : "", errno ? strerror(errno) : "");
			return refuse(msg);
		}
	}
	for (i = 0; i < vm->nstates; i++) {
		struct snap_dev *d = &vm->states[i];
		const uint8_t *p = find_sect(d->name, &len);
		if (!p) {
			snprintf(msg, sizeof msg, "this VM has a device it has "
			    "not: %s", d->name);
			return refuse(msg);
		}
		if (dev_load(d, p, len, &why) < 0) {
			snprintf(msg, sizeof msg, "%s: %s", d->name, why);
			return refuse(msg);
		}
	}
	free(state);
	state = 0;
	return 0;
}
