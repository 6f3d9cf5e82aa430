/* guest-agent's snapshot point and POST /rekey (cmd/guest-agent/rekey.c),
 * with the port, the ioctls and the clock faked: what a restored agent
 * does that a host test may not (read port 0x3f1, set the clock). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/random.h>

#include "tap.h"

static int port, ioperm_errno, clock_errno, clock_calls;
static unsigned long fail_req;	/* the ioctl that fails, EPERM */
static int adds, reseeds, added_bits, added_len;
static unsigned char added_last;
static struct timespec clock_to;

static int
fake_ioperm(unsigned long from, unsigned long num, int on)
{
	errno = ioperm_errno;
	return ioperm_errno || from != 0x3f1 || num != 1 || !on ? -1 : 0;
}

static unsigned char
fake_inb(unsigned short p)
{
	return p == 0x3f1 ? port : 0xee;
}

static int
fake_ioctl(int fd, unsigned long req, ...)
{
	if (req == fail_req) {
		errno = EPERM;
		return -1;
	}
	if (req == RNDADDENTROPY) {
		va_list ap;
		const struct rand_pool_info *p;
		va_start(ap, req);
		p = va_arg(ap, const struct rand_pool_info *);
		va_end(ap);
		added_bits = p->entropy_count;
		added_len = p->buf_size;
		added_last = ((const unsigned char *)p->buf)[p->buf_size - 1];
		adds++;
	} else if (req == RNDRESEEDCRNG) {
		reseeds++;
	}
	return 0;
}

static int
fake_clock_settime(clockid_t id, const struct timespec *ts)
{
	clock_calls++;
	clock_to = *ts;
	errno = clock_errno;
	return clock_errno || id != CLOCK_REALTIME ? -1 : 0;
}

#define ioperm fake_ioperm
#define inb fake_inb
#define ioctl fake_ioctl
#define clock_settime fake_clock_settime
#include "guest-agent/rekey.c"
#undef ioctl

char token[TOKEN_MAX + 1] = "old-token";

/* guest-agent.c's, whose rules t0108 checks end to end. */
const char *
token_bad(const char *t, size_t n)
{
	return n && !memchr(t, ' ', n) ? NULL : "not printable";
}

/* rekey() on body; its answer, and the status in *st. */
static const char *
try(const char *body, int restored, int *st)
{
	static struct json_doc d;
	const char *e;

	adds = reseeds = clock_calls = 0;
	if (json_parse(&d, body, strlen(body), 100) < 0)
		return "(not JSON)";
	e = rekey(d.root, restored, st);
	json_doc_free(&d);
	return e;
}

/* snapshot_point in a child: its exit status (0 or 1 returned, else
 * the status it died with). */
static int
point(void)
{
	int st;
	pid_t p = fork();

	if (p == 0) {
		freopen("/dev/null", "w", stderr);
		_exit(snapshot_point());
	}
	waitpid(p, &st, 0);
	return WEXITSTATUS(st);
}

#define E64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss" \
    "LS4vMDEyMzQ1Njc4OTo7PD0+Pw=="

int
main(void)
{
	static const char good[] = "{\"token\":\"new-token\",\"entropy_b64\":\""
	    E64 "\",\"time\":\"1700000000.000000123\"}";
	const char *e;
	int st;

	port = 0;
	ok(point() == 0, "port answers 0: not restored");
	port = 1;
	ok(point() == 1, "port answers 1: restored");
	port = 255;
	ok(point() == EX_SYS, "port answers 255 (no such device): fatal");
	port = 0;
	ioperm_errno = ENOSYS;
	ok(point() == EX_SYS, "ioperm fails: fatal");
	ioperm_errno = 0;

	e = try(good, 0, &st);
	ok(!e && adds == 1 && reseeds == 1 && clock_calls == 0 &&
	    !strcmp(token, "new-token"),
	    "not restored: entropy added, reseeded, token taken, clock left");
	ok(added_len == 64 && added_bits == 512 && added_last == 63,
	    "the 64 bytes given, credited 512 bits");
	strcpy(token, "old-token");
	e = try(good, 1, &st);
	ok(!e && clock_calls == 1 && clock_to.tv_sec == 1700000000 &&
	    clock_to.tv_nsec == 123 && !strcmp(token, "new-token"),
	    "restored: the clock set to the time given");
	strcpy(token, "old-token");

	fail_req = RNDADDENTROPY;
	e = try(good, 1, &st);
	ok(e && st == 500 && !strcmp(e, "unable to add entropy: Operation "
	    "not permitted") && clock_calls == 0 &&
	    !strcmp(token, "old-token"), "entropy refused: 500, nothing "
	    "changed: %s", e);
	fail_req = RNDRESEEDCRNG;
	e = try(good, 1, &st);
	ok(e && st == 500 && clock_calls == 0 && !strcmp(token, "old-token"),
	    "reseed refused: 500, nothing changed: %s", e);
	fail_req = 0;
	clock_errno = EPERM;
	e = try(good, 1, &st);
	ok(e && st == 500 && !strcmp(e, "unable to set the clock: Operation "
	    "not permitted") && !strcmp(token, "old-token"),
	    "clock refused: 500, token kept: %s", e);
	e = try(good, 0, &st);
	ok(!e && clock_calls == 0, "not restored: the clock not even tried");
	clock_errno = 0;
	strcpy(token, "old-token");

	{
		static const char *const bad[] = {
			"[]",
			"{\"token\":\"a b\",\"entropy_b64\":\"" E64 "\",\"time\":\"1.000000000\"}",
			"{\"token\":\"t\",\"entropy_b64\":\"" E64 "\",\"time\":\"1.00000000\"}",
			"{\"token\":\"t\",\"entropy_b64\":\"" E64 "\",\"time\":\"1.0000000000\"}",
			"{\"token\":\"t\",\"entropy_b64\":\"" E64 "\",\"time\":\".000000000\"}",
			"{\"token\":\"t\",\"entropy_b64\":\"" E64 "\",\"time\":\"1099511627777.000000000\"}",
			"{\"token\":\"t\",\"entropy_b64\":\"" E64 "\",\"time\":\"1.00000000x\"}",
			"{\"token\":\"t\",\"entropy_b64\":\"AAAA\",\"time\":\"1.000000000\"}",
			"{\"token\":\"t\",\"entropy_b64\":\"" E64 "x\",\"time\":\"1.000000000\"}",
			"{\"token\":\"t\",\"entropy_b64\":7,\"time\":\"1.000000000\"}",
			"{\"token\":\"t\",\"entropy\":\"" E64 "\",\"time\":\"1.000000000\"}",
		};
		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			e = try(bad[i], 1, &st);
			ok(e && st == 400 && !adds && !clock_calls &&
			    !strcmp(token, "old-token"), "400, nothing done: "
			    "%s: %s", bad[i], e);
		}
	}
	return done_testing();
}
