/* vmrun: boot a Linux bzImage in a KVM virtual machine.
 *
 * Reads the kernel (-k) and initrd (-i, up to 4: one after another, each
 * from a multiple of 4 bytes) files, boots them with the command
 * line (-a, default "console=ttyS0 panic=-1", then the first line of the
 * -A file: a secret's place, as every argv is public) in -m MiB on -c vCPUs,
 * with a 16550A console on COM1, a CMOS clock, an i8042 for reset, ACPI
 * tables, one virtio-net device per -n tap=NAME, and a virtio-vsock device
 * with --vsock cid=N,uds=PATH (its protocol on PATH: virtio_vsock.h), and
 * with --balloon a virtio-balloon that takes the pages the guest frees
 * back from it (free page reporting: virtio_balloon.h).  The console is this
 * process's stdio (guest input from stdin when it is a terminal or a pipe),
 * a file, or nothing.
 *
 * Protocol with a supervisor:
 *   -R fifo / -N fd   "READY\n" / "\n" once the vCPUs run (lib/ready.h)
 *   -e file           written atomically when the VM has ended and every
 *                     thread is joined: "exit N REASON\n"
 *   SIGTERM, SIGINT, SIGHUP   stop the VM: exit 128+N
 *   --user U:G, --cgroup DIR  the jail (vmrun.8 SECURITY, lib/jail.h): a
 *                     root parent in the host's namespaces waits and
 *                     writes the exit file; the child, pid 1 of its own
 *                     PID namespace, in DIR, opens everything, then
 *                     enters new namespaces and an empty root as U:G
 *                     with no capability, and runs the VM
 * Exit status (vmrun.8): 0 guest powered off, 2 guest reset (reboot,
 * triple fault), 3 guest broke the VM, 100 usage, 111 a system call failed
 * (including a bad kernel or initrd file, a tap that cannot be opened and
 * a vsock PATH that cannot be listened on),
 * 128+N stopped by signal N.
 *
 * Invariant: every path out of main() after the VM exists goes through
 * vm_close(), which runs the devices' exit hooks, kicks every vCPU out of
 * KVM_RUN and joins it, and closes every fd; nothing is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "acpi.h"
#include "atomic.h"
#include "boot.h"
#include "capfile.h"
#include "bzimage.h"
#include "clock.h"
#include "err.h"
#include "io.h"
#include "jail.h"
#include "layout.h"
#include "loop.h"
#include "num.h"
#include "ready.h"
#include "seccomp.h"
#include "snapshot.h"
#include "vcpu.h"
#include "virtio_net.h"
#include "virtio_vsock.h"
#include "virtio_balloon.h"
#include "vm.h"

#define DEFAULT_CMDLINE "console=ttyS0 panic=-1"

static void
usage(void)
{
	fprintf(stderr, "usage: vmrun [-v] -k bzImage [-i initrd] [-a cmdline] [-A file] "
	    "[-m MiB] [-c vcpus] [-n tap=NAME[,mac=M]] [--console stdio|FILE|none] "
	    "[--console-max bytes] "
	    "[--vsock cid=N,uds=PATH] [--balloon] "
	    "[--boot-timer] [--no-seccomp] [--user uid:gid] [--cgroup dir] "
	    "[--snapshot dir] [-R readyfifo] [-N fd] [-e exitfile]\n"
	    "       vmrun [-v] --restore dir [-m MiB] [-c vcpus] "
	    "[--console stdio|FILE|none] [--console-max bytes] "
	    "[--vsock cid=N,uds=PATH] [--balloon] [--no-seccomp] "
	    "[--user uid:gid] [--cgroup dir] [-R readyfifo] [-N fd] [-e exitfile]\n");
	exit(EX_USAGE);
}

/* A file mapped read-only, whole. */
struct file { const char *path; uint8_t *p; size_t len; };

static int
map_file(struct file *f, const char *path)
{
	struct stat st = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	f->path = path;
	f->p = 0;
	f->len = 0;
	if (fd < 0)
		return -1;
	errno = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = errno;
		if (e == 0 || S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode))
			e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		errno = e;
		return -1;
	}
	f->len = st.st_size;
	if (f->len) {
		f->p = mmap(0, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (f->p == MAP_FAILED) {
			f->p = 0;
			return io_close_fail(fd);
		}
	}
	close(fd);
	return 0;
}

/* A file that passed its checks, read in at once: all of it is copied
 * into guest RAM next, and one madvise that maps every page costs less
 * than a fault for each (a 52 MB vmlinux is 13,000 of them; measured in
 * the rig, boot to /init 70 to 150 ms sooner).  Never one larger than
 * guest RAM (an unstripped vmlinux: most of it is never copied), and
 * never before the checks: a sparse 64 GiB file would fill the host's
 * page cache first.  A hint: a kernel without MADV_POPULATE_READ (5.14)
 * faults the pages in as they are copied. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
static void
populate(const struct file *f, uint64_t max)
{
	if (f->len && f->len <= max)
		madvise(f->p, f->len, MADV_POPULATE_READ);
}

static void
unmap_file(struct file *f)
{
	if (f->p)
		munmap(f->p, f->len);
	f->p = 0;
}

/* -n tap=NAME[,mac=aa:bb:cc:dd:ee:ff] */
static void
parse_net(const char *arg, struct net_opts *o)
{
	char *s = strdup(arg), *tok, *save;

	if (!s)
		err_diesys(EX_SYS, "unable to allocate");
	memset(o, 0, sizeof(*o));
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(0, ",", &save)) {
		if (!strncmp(tok, "tap=", 4) && tok[4]) {
			o->tap = tok + 4;
		} else if (!strncmp(tok, "mac=", 4)) {
			unsigned m[6];
			char end;
			int i;
			if (sscanf(tok + 4, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1],
			    &m[2], &m[3], &m[4], &m[5], &end) != 6 || (m[0] & 1))
				err_die(EX_USAGE, "unable to parse -n %s: %s is not "
				    "a unicast MAC address", arg, tok + 4);
			for (i = 0; i < 6; i++)
				o->mac[i] = m[i];
			o->have_mac = 1;
		} else {
			err_die(EX_USAGE, "unable to parse -n %s: expected "
			    "tap=NAME[,mac=M]", arg);
		}
	}
	if (!o->tap)
		err_die(EX_USAGE, "unable to parse -n %s: no tap=NAME", arg);
	/* s is kept: o->tap points into it for the life of the process */
}

/* --vsock cid=N,uds=PATH: N a guest CID (0-2 are reserved, -1 is "any"),
 * PATH short enough for PATH_4294967295 to fit a Unix socket address. */
static void
parse_vsock(const char *arg, struct vsock_opts *o)
{
	char *s = strdup(arg), *tok, *save;
	long long cid = -1;

	if (!s)
		err_diesys(EX_SYS, "unable to allocate");
	memset(o, 0, sizeof(*o));
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(0, ",", &save)) {
		if (!strncmp(tok, "cid=", 4)) {
			if (num_parse(tok + 4, 3, 0xfffffffeLL, &cid) < 0)
				err_die(EX_USAGE, "unable to parse --vsock %s: cid "
				    "is not a number from 3 to 4294967294", arg);
		} else if (!strncmp(tok, "uds=", 4) && tok[4]) {
			if (strlen(tok + 4) >= VSOCK_PATH_MAX)
				err_die(EX_USAGE, "unable to parse --vsock %s: uds "
				    "longer than %d bytes", arg, VSOCK_PATH_MAX - 1);
			o->uds = tok + 4;
		} else {
			err_die(EX_USAGE, "unable to parse --vsock %s: expected "
			    "cid=N,uds=PATH", arg);
		}
	}
	if (cid < 0 || !o->uds)
		err_die(EX_USAGE, "unable to parse --vsock %s: expected "
		    "cid=N,uds=PATH", arg);
	o->cid = cid;
	o->listen_fd = -1;
	/* s is kept: o->uds points into it for the life of the process */
}

/* Kernel command line: the user's (or the default), then one
 * virtio_mmio.device=SIZE@BASE:IRQ per virtio-mmio device, for kernels
 * built with VIRTIO_MMIO_CMDLINE_DEVICES (Debian's find them in the DSDT). */
static char *
make_cmdline(const char *user, const char *more, struct bus *mmio)
{
	size_t cap = strlen(user) + strlen(more) + 2 + VIRTIO_MAX_DEVS * 64;
	char *s = malloc(cap);
	size_t n;
	struct bus_dev *d;

	if (!s)
		return 0;
	n = snprintf(s, cap, "%s%s%s", user, *more ? " " : "", more);
	for (d = bus_first(mmio); d; d = bus_next(mmio, d))
		if (d->acpi_hid && !strcmp(d->acpi_hid, "LNRO0005") && n < cap)
			n += snprintf(s + n, cap - n,
			    " virtio_mmio.device=%llu@0x%llx:%u",
			    (unsigned long long)d->len,
			    (unsigned long long)d->base, d->irq);
	return s;
}

static const char *
reason(int status)
{
	switch (status) {
	case VM_EXIT_POWEROFF: return "poweroff";
	case VM_EXIT_RESET: return "reset";
	case VM_EXIT_GUEST_FAULT: return "guest-fault";
	case VM_EXIT_SNAPSHOT: return "snapshot";
	case VM_EXIT_SYS: return "error";
	default: return status > VM_EXIT_SIGNAL ? "signal" : "error";
	}
}

/* Options, all known before anything is opened. */
static const char default_cmdline[] = DEFAULT_CMDLINE;
static const char *kernel, *initrd[BOOT_INITRD_PARTS], *cmdline = default_cmdline;
static unsigned ninitrd;
static const char *console = "stdio", *fifo, *exitfile, *cmdfile;
static char cmdmore[2048];      /* -A's line */
static long long mem_mib = 256, ncpus = 1, readyfd = -1, console_max;
static int boot_timer, no_seccomp, verbose, balloon;
static struct net_opts nets[VIRTIO_MAX_DEVS];
static unsigned nnets;
static long long juid, jgid;    /* --user; 0: no jail */
static const char *cgroup;
static const char *snapdir, *restoredir;       /* --snapshot, --restore */
static struct vsock_opts vsock = { .listen_fd = -1 };

/* The jail's bounds (vmrun.8 SECURITY says why each). */
#define JAIL_MEM_MARGIN (64LL << 20)    /* memory.max over guest RAM */
#define JAIL_PIDS_MARGIN 2              /* pids.max over vmrun's threads */
#define JAIL_AS_MARGIN (64LL << 20)     /* RLIMIT_AS over what is mapped */
#define JAIL_FSIZE (1LL << 30)          /* RLIMIT_FSIZE without --console-max */

enum { OPT_CONSOLE = 256, OPT_BOOT_TIMER, OPT_NO_SECCOMP, OPT_CONSOLE_MAX,
    OPT_USER, OPT_CGROUP, OPT_VSOCK, OPT_SNAPSHOT, OPT_RESTORE, OPT_BALLOON };

/* --user UID:GID, both numeric, neither 0 (root is what the jail drops). */
static void
parse_user(const char *arg)
{
	char u[32];
	const char *colon = strchr(arg, ':');

	if (!colon || (size_t)(colon - arg) >= sizeof u)
		err_die(EX_USAGE, "unable to parse --user %s: expected UID:GID", arg);
	snprintf(u, sizeof u, "%.*s", (int)(colon - arg), arg);
	if (num_parse(u, 1, 0x7fffffff, &juid) < 0 ||
	    num_parse(colon + 1, 1, 0x7fffffff, &jgid) < 0)
		err_die(EX_USAGE, "unable to parse --user %s: expected UID:GID, "
		    "numbers from 1 to 2147483647", arg);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "console", required_argument, 0, OPT_CONSOLE },
		{ "console-max", required_argument, 0, OPT_CONSOLE_MAX },
		{ "boot-timer", no_argument, 0, OPT_BOOT_TIMER },
		{ "no-seccomp", no_argument, 0, OPT_NO_SECCOMP },
		{ "user", required_argument, 0, OPT_USER },
		{ "cgroup", required_argument, 0, OPT_CGROUP },
		{ "vsock", required_argument, 0, OPT_VSOCK },
		{ "balloon", no_argument, 0, OPT_BALLOON },
		{ "snapshot", required_argument, 0, OPT_SNAPSHOT },
		{ "restore", required_argument, 0, OPT_RESTORE },
		{ 0, 0, 0, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "vk:i:a:A:m:c:n:R:N:e:h", lo, 0)) != -1) {
		switch (c) {
		case 'v': verbose = 1; break;
		case 'k': kernel = optarg; break;
		case 'i':
			if (ninitrd == BOOT_INITRD_PARTS)
				err_die(EX_USAGE, "unable to add -i %s: at most %d "
				    "initrd files", optarg, BOOT_INITRD_PARTS);
			initrd[ninitrd++] = optarg;
			break;
		case 'a': cmdline = optarg; break;
		case 'A': cmdfile = optarg; break;
		case 'm': mem_mib = xnum_opt(c, optarg, 32, RAM_MAX >> 20, "MiB"); break;
		case 'c': ncpus = xnum_opt(c, optarg, 1, VM_MAX_CPUS, "vCPU count"); break;
		case 'n':
			if (nnets == VIRTIO_MAX_DEVS)
				err_die(EX_USAGE, "unable to add -n %s: at most %d "
				    "network devices", optarg, VIRTIO_MAX_DEVS);
			parse_net(optarg, &nets[nnets++]);
			break;
		case 'R': fifo = optarg; break;
		case 'N': readyfd = xnum_opt(c, optarg, 3, 1 << 20, "fd"); break;
		case 'e': exitfile = optarg; break;
		case OPT_CONSOLE: console = optarg; break;
		case OPT_CONSOLE_MAX:
			if (num_parse(optarg, CAPFILE_MIN, 1LL << 40,
			    &console_max) < 0)
				err_die(EX_USAGE, "unable to parse --console-max "
				    "%s: not a number of bytes from %d to %lld",
				    optarg, CAPFILE_MIN, 1LL << 40);
			break;
		case OPT_BOOT_TIMER: boot_timer = 1; break;
		case OPT_NO_SECCOMP: no_seccomp = 1; break;
		case OPT_USER: parse_user(optarg); break;
		case OPT_CGROUP: cgroup = optarg; break;
		case OPT_VSOCK:
			if (vsock.uds)
				err_die(EX_USAGE, "unable to parse --vsock %s: at "
				    "most one --vsock", optarg);
			parse_vsock(optarg, &vsock);
			break;
		case OPT_BALLOON: balloon = 1; break;
		case OPT_SNAPSHOT: snapdir = optarg; break;
		case OPT_RESTORE: restoredir = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || !kernel == !restoredir)
		usage();
	/* A restored VM has the snapshot's kernel, memory and devices. */
	if (restoredir && (ninitrd || cmdfile || cmdline != default_cmdline ||
	    boot_timer || snapdir))
		usage();
	if ((snapdir || restoredir) && nnets)
		err_die(EX_USAGE, "unable to use -n with --%s: a snapshot keeps "
		    "no network device", snapdir ? "snapshot" : "restore");
	if (!*console)
		err_die(EX_USAGE, "unable to parse --console: empty");
	if (cgroup && !juid)
		err_die(EX_USAGE, "unable to use --cgroup without --user");
	if (cgroup && *cgroup != '/')
		err_die(EX_USAGE, "unable to use --cgroup %s: not an absolute path",
		    cgroup);
}

/* Console: stdio (input only from a terminal or a pipe: a regular file or
 * /dev/null on stdin would read as endless EOF), a file, or nothing. */
static void
open_console(struct vm *vm)
{
	struct stat st;

	if (!strcmp(console, "none"))
		return;
	if (!strcmp(console, "stdio")) {
		vm->cfg.console_out = 1;
		if (fstat(0, &st) == 0 && (isatty(0) || S_ISFIFO(st.st_mode) ||
		    S_ISSOCK(st.st_mode)))
			vm->cfg.console_in = 0;
		return;
	}
	vm->cfg.console_out = open(console, O_RDWR | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0644);
	vm->cfg.console_max = console_max;  /* a file's: it is read to be cut */
	if (vm->cfg.console_out < 0)
		err_diesys(EX_SYS, "unable to open console file %s", console);
}

/* The exit file, opened before the filter (its directory and temp file):
 * under the filter no path can be opened.  Until then, -1. */
static struct atomic_file xf = { .dirfd = -1, .fd = -1 };

static void
write_exitfile(int status)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "exit %d %s\n", status, reason(status));

	if (!exitfile)
		return;
	/* Setup failed before the exit file was opened: no filter yet. */
	if ((xf.fd >= 0 ? atomic_commit(&xf, buf, n) :
	    atomic_write_path(exitfile, buf, n, 0644)) < 0)
		err_warnsys("unable to write %s", exitfile);
}

/* --user, before anything is read: vmrun forks into a new PID namespace
 * (lib/jail).  This process stays root, in the host's namespaces, and only
 * waits, passes on TERM, INT and HUP, and writes the exit file, created
 * now: the jailed child keeps no descriptor of the host's file system.
 * Returns in the child, which first joins --cgroup.  Here, once the child
 * has ended, exits with its status; 128+N if signal N killed it, and then
 * with no exit file, as an unjailed vmrun killed so leaves none. */
static void
jail_outer(void)
{
	const char *step;
	int ws, r, status;

	if (exitfile && atomic_open(&xf, exitfile, 0644) < 0)
		err_diesys(EX_SYS, "unable to create the exit file %s", exitfile);
	if ((r = jail_pidns(readyfd, &ws, &step)) < 0)
		err_diesys(EX_SYS, "unable to %s", step);
	if (r == 0) {
		if (xf.fd >= 0) {
			close(xf.fd);
			close(xf.dirfd);
		}
		xf.fd = xf.dirfd = -1;
		exitfile = 0;
		/* Before the guest's memory exists: all of it is charged
		 * there.  Threads: main, vCPUs, one I/O thread per virtio
		 * device, and KVM's worker for the VM (kvm-nx-lpage-recovery),
		 * which KVM puts in its creator's cgroup. */
		if (cgroup && jail_cgroup(cgroup, (mem_mib << 20) + JAIL_MEM_MARGIN,
		    1 + ncpus + nnets + !!vsock.uds + balloon + 1 +
		    JAIL_PIDS_MARGIN, &step) < 0)
			err_diesys(EX_SYS, "unable to %s %s", step, cgroup);
		return;
	}
	if (WIFEXITED(ws)) {
		status = WEXITSTATUS(ws);
		write_exitfile(status);
	} else {
		status = 128 + WTERMSIG(ws);
		atomic_abort(&xf);
	}
	exit(status);
}

/* --user, in the child: every path is open and no thread runs yet. */
static int
jail_inner(void)
{
	struct jail j = { juid, jgid, JAIL_FSIZE, JAIL_AS_MARGIN, SIGKILL };
	const char *step;

	/* A console file kept under --console-max (lib/capfile) never
	 * grows past it: the limit holds a vmrun a guest took over to it. */
	if (console_max && strcmp(console, "stdio") && strcmp(console, "none"))
		j.fsize = console_max;
	/* --snapshot writes guest RAM to a file. */
	if (snapdir && j.fsize < (rlim_t)mem_mib << 20)
		j.fsize = (rlim_t)mem_mib << 20;
	if (jail_enter(&j, &step) < 0) {
		err_warnsys("unable to %s", step);
		return -1;
	}
	return 0;
}

/* Guest input not yet taken by the UART. */
struct conin {
	int fd;                 /* -1: none, or at end of file */
	char buf[512];
	size_t len, off;        /* buf[off..len) waits for the UART */
};

/* The main thread's loop (lib/loop): signals (entry 0), the stop eventfd
 * and console input; one deadline folds the vCPUs' paging check and,
 * while the UART's receive buffer is full, a 10 ms retry (uart.h). */
static void
run_loop(struct vm *vm, struct loop *l)
{
	struct conin in = { .fd = vm->cfg.console_in };
	long long check = clock_ms() + VCPU_CHECK_MS;
	int ci, sig;

	while (vm_status(vm) == VM_RUNNING) {
		loop_begin(l);
		if (l->now >= check) {
			vcpu_poke_all(vm);      /* each checks its paging */
			check = l->now + VCPU_CHECK_MS;
		}
		loop_wake(l, check);
		loop_add(l, vm->stop_efd, POLLIN, 0);
		if (in.off < in.len)
			loop_wake(l, l->now + 10);
		ci = loop_add(l, in.fd, in.off < in.len ? 0 : POLLIN, &in);
		if (loop_wait(l) < 0) {
			err_warnsys("unable to poll");
			vm_stop(vm, VM_EXIT_SYS);
			break;
		}
		if ((loop_rev(l, 0) & POLLIN) && (sig = loop_signal(l)) &&
		    sig != SIGCHLD) {
			if (verbose)
				err_info("stopping on signal %d", sig);
			vm_stop(vm, VM_EXIT_SIGNAL + sig);
		}
		if (loop_rev(l, ci) & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(in.fd, in.buf, sizeof(in.buf));
			if (n > 0) {
				in.len = n;
				in.off = 0;
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				in.fd = -1;
			}
		}
		if (in.off < in.len && vm->console_input)
			in.off += vm->console_input(vm->console_ctx,
			    in.buf + in.off, in.len - in.off);
	}
}

/* The guest's inputs, read before /dev/kvm is touched. */
static struct file kf, rf[BOOT_INITRD_PARTS];
static struct bzimage bz;

static void
read_inputs(struct vm *vm)
{
	const char *why;

	if (restoredir) {
		if (snap_open(vm, restoredir) < 0)
			exit(EX_SYS);
		return;
	}
	if (map_file(&kf, kernel) < 0)
		err_diesys(EX_SYS, "unable to read kernel %s", kernel);
	if (bzimage_parse(kf.p, kf.len, &bz, &why) < 0)
		err_die(EX_SYS, "unable to load kernel %s: %s", kernel, why);
	populate(&kf, vm->cfg.ram_size);
	for (unsigned i = 0; i < ninitrd; i++) {
		if (map_file(&rf[i], initrd[i]) < 0)
			err_diesys(EX_SYS, "unable to read initrd %s", initrd[i]);
		if (rf[i].len == 0)
			err_die(EX_SYS, "unable to load initrd %s: empty file",
			    initrd[i]);
		if (rf[i].len > vm->cfg.ram_size)
			err_die(EX_SYS, "unable to load initrd %s: larger than "
			    "guest RAM (%llu MiB)", initrd[i],
			    (unsigned long long)(vm->cfg.ram_size >> 20));
		populate(&rf[i], vm->cfg.ram_size);
	}
	if (cmdfile) {
		ssize_t n = io_readsmall(AT_FDCWD, cmdfile, cmdmore,
		    sizeof cmdmore);
		if (n < 0)
			err_diesys(EX_SYS, "unable to read -A %s", cmdfile);
		cmdmore[strcspn(cmdmore, "\n")] = 0;
	}
}

/* The guest's memory contents: the command line (with the devices'),
 * ACPI tables, the kernel and initrd; the inputs are unmapped after.
 * 0, or -1 with a message printed. */
static int
load_guest(struct vm *vm, struct boot_info *bi)
{
	struct boot_part parts[BOOT_INITRD_PARTS];
	const char *why;
	uint64_t rsdp;
	char *cl;
	int r = -1;

	for (unsigned i = 0; i < ninitrd; i++)
		parts[i] = (struct boot_part){ rf[i].p, rf[i].len };

	if (!(cl = make_cmdline(cmdline, cmdmore, vm->mmio))) {
		err_warnsys("unable to allocate the command line");
		return -1;
	}
	if (acpi_build(&vm->mem, vm->ncpus, vm->pio, vm->mmio, &rsdp) < 0) {
		err_warn("unable to build ACPI tables: too many devices");
		goto out;
	}
	if (boot_load(&vm->mem, &bz, kf.p, parts, ninitrd, cl, rsdp, bi,
	    &why) < 0) {
		err_warn("unable to load kernel %s: %s", kernel, why);
		goto out;
	}
	unmap_file(&kf);
	for (unsigned i = 0; i < ninitrd; i++)
		unmap_file(&rf[i]);
	if (verbose)
		err_info("kernel protocol %u.%02u, %s entry at 0x%llx, initrd at "
		    "0x%llx, command line: %s%s%s", bz.version >> 8,
		    bz.version & 0xff, bi->entry64 ? "64-bit" : "32-bit",
		    (unsigned long long)bi->entry,
		    (unsigned long long)bi->initrd_addr, cmdline,
		    *cmdmore ? " (-A's line, not shown)" : "",
		    /* the devices make_cmdline added after it */
		    cl + strlen(cmdline) + (*cmdmore ? 1 + strlen(cmdmore) : 0));
	r = 0;
out:
	free(cl);
	return r;
}

/* Everything from /dev/kvm to running vCPUs: the VM, its vCPUs and
 * devices, the guest's memory, the files opened ahead, the seccomp
 * filter, the vCPU threads and the readiness notice.  0, or -1 with a
 * message printed; vm_close releases what exists either way. */
static int
setup(struct vm *vm)
{
	struct boot_info bi;
	unsigned i;
	int rfd = -1;

	open_console(vm);
	if (vm_open(vm) < 0 || vcpu_init(vm) < 0 || vm_devices_init(vm) < 0)
		return -1;
	if (vm->cfg.mem_fd >= 0) {      /* mapped now */
		close(vm->cfg.mem_fd);
		vm->cfg.mem_fd = -1;
	}
	for (i = 0; i < nnets; i++)
		if (virtio_net_add(vm, &nets[i]) < 0)
			return -1;
	if (vsock.uds && virtio_vsock_add(vm, &vsock) < 0)
		return -1;
	if (balloon && virtio_balloon_add(vm) < 0)
		return -1;
	if (restoredir) {
		if (vcpu_create_all(vm, 0, 0) < 0 || snap_restore(vm) < 0)
			return -1;
	} else if (load_guest(vm, &bi) < 0 ||
	    vcpu_create_all(vm, bi.entry, bi.entry64) < 0) {
		return -1;
	}
	if (snapdir && snap_prepare(vm, snapdir) < 0)
		return -1;

	/* Every path is opened now (the tap and the console were): the
	 * exit file's directory and temp file, the ready FIFO once it has a
	 * reader. */
	if (exitfile && atomic_open(&xf, exitfile, 0644) < 0) {
		err_warnsys("unable to create the exit file %s", exitfile);
		return -1;
	}
	if (fifo && (rfd = ready_fifo_open(fifo, READY_TIMEOUT_MS)) < 0) {
		err_warnsys("unable to notify readiness on %s", fifo);
		return -1;
	}
	/* --user: into the jail, with one thread (vm.h vm_at_start); then
	 * the devices' threads. */
	if ((juid && jail_inner() < 0) || vm_start(vm) < 0) {
		if (rfd >= 0)
			close(rfd);
		return -1;
	}
	/* Setup is over: from here on only the allowlist (seccomp.c), on
	 * every thread, the virtio-net I/O threads already running too. */
	if (!no_seccomp && vmm_seccomp_apply(xf.dirfd, vsock.listen_fd,
	    snapdir ? snap_ioctls : 0) < 0) {
		err_warnsys("unable to install the seccomp filter on every thread");
		if (rfd >= 0)
			close(rfd);
		return -1;
	}
	if (vcpu_start_all(vm) < 0) {
		if (rfd >= 0)
			close(rfd);
		return -1;
	}
	if (fifo && ready_fifo_fd(rfd) < 0) {
		err_warnsys("unable to notify readiness on %s", fifo);
		return -1;
	}
	if (readyfd >= 0 && ready_fd(readyfd) < 0)
		err_warnsys("unable to notify readiness on fd %lld", readyfd);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct vm vm;
	struct timespec ts;
	struct loop l;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	err_setprog(argv[0]);
	parse_args(argc, argv);
	if (juid)
		jail_outer();
	vm_init(&vm);
	vm.cfg.ram_size = (uint64_t)mem_mib << 20;
	vm.cfg.ncpus = ncpus;
	vm.cfg.snapshot = !!snapdir;
	read_inputs(&vm);
	/* Signals blocked before any thread exists, so every thread
	 * inherits the mask and they all come to the loop's entry 0. */
	if (loop_init(&l, LOOP_SIGNALS) < 0)
		err_diesys(EX_SYS, "unable to create signalfd");

	vm.cfg.start_ns = (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	vm.cfg.boot_timer = boot_timer;
	vm.cfg.verbose = verbose;
	if (setup(&vm) == 0)
		run_loop(&vm, &l);
	else
		vm_stop(&vm, VM_EXIT_SYS);
	status = vm_status(&vm);
	if (status == VM_EXIT_SNAPSHOT && snap_save(&vm) < 0)
		status = VM_EXIT_SYS;
	vm_close(&vm);
	unmap_file(&kf);
	for (unsigned i = 0; i < ninitrd; i++)
		unmap_file(&rf[i]);
	if (vm.cfg.console_out > 2)
		close(vm.cfg.console_out);
	loop_free(&l);
	write_exitfile(status);
	if (verbose)
		err_info("exit %d (%s)", status, reason(status));
	return status;
}
