/* A VM restored from a snapshot, made its own: the snapshot point (-S),
 * where vmrun saves the VM, and POST /rekey, which gives the agent a
 * token, entropy and (restored) the time of its own (guest-agent(8)). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/random.h>

#include "b64.h"
#include "err.h"
#include "json.h"
#include "num.h"

#include "guest-agent/agent.h"

/* vmrun answers this read: 0, no snapshot is taken; or it saves the VM
 * in the middle of it with the answer 1, which every VM restored from it
 * reads (and the VM it saved is ended there).  1 restored, 0 not. */
int
snapshot_point(void)
{
	int v;

	if (ioperm(PORT_SNAPSHOT, 1, 1) < 0)
		err_diesys(EX_SYS, "unable to open I/O port %#x", PORT_SNAPSHOT);
	if ((v = inb(PORT_SNAPSHOT)) > 1)
		err_die(EX_SYS, "unable to read I/O port %#x: it answered %d",
		    PORT_SNAPSHOT, v);
	return v;
}

/* "SEC.NSEC", nine digits of nanoseconds: 0 or -1. */
static int
time_parse(const struct json *v, struct timespec *ts)
{
	char s[32], *dot;
	long long sec, ns;

	if (!v || v->type != JSON_STR || v->len >= sizeof s)
		return -1;
	memcpy(s, v->s, v->len + 1);
	if (!(dot = strchr(s, '.')) || strlen(dot + 1) != 9)
		return -1;
	*dot = 0;
	if (num_parse(s, 0, 1LL << 40, &sec) < 0 ||
	    num_parse(dot + 1, 0, 999999999, &ns) < 0)
		return -1;
	ts->tv_sec = sec;
	ts->tv_nsec = ns;
	return 0;
}

static const char *const rekey_fields[] = { "token", "entropy_b64", "time" };

/* Check the whole body, then add the entropy and reseed the kernel's
 * CRNG, then (restored) set the clock, then take the token: NULL, or
 * what is wrong with *status, and nothing of ours changed. */
const char *
rekey(const struct json *o, int restored, int *status)
{
	static char msg[128];
	/* The pool's header and room for what ENTROPY_MAX bytes of base64
	 * decode to, by 4-byte group. */
	static union {
		struct rand_pool_info i;
		char room[sizeof(struct rand_pool_info) + ENTROPY_MAX + 3];
	} p;
	const struct json *t = json_get(o, "token"),
	    *b = json_get(o, "entropy_b64");
	struct timespec ts;
	const char *e;
	long n = -1;
	int fd;

	*status = 400;
	if (!o || o->type != JSON_OBJ ||
	    !json_keys_only(o, rekey_fields, 3))
		return "the body is not a JSON object of token, entropy_b64 "
		    "and time";
	if (!t || t->type != JSON_STR)
		return "token is missing, or not a string";
	if ((e = token_bad(t->s, t->len))) {
		snprintf(msg, sizeof msg, "unable to use token: %s", e);
		return msg;
	}
	if (time_parse(json_get(o, "time"), &ts) < 0)
		return "time is missing, or not \"SEC.NSEC\"";
	if (b && b->type == JSON_STR && b->len <= (ENTROPY_MAX + 2) / 3 * 4)
		n = b64_decode(b->s, b->len, p.i.buf);
	if (n < ENTROPY_MIN || n > ENTROPY_MAX)
		return "entropy_b64 is missing, not base64, or not 32 to 512 "
		    "bytes";
	p.i.entropy_count = 8 * n;
	p.i.buf_size = n;
	*status = 500;
	if ((fd = open("/dev/random", O_WRONLY | O_CLOEXEC)) < 0 ||
	    ioctl(fd, RNDADDENTROPY, &p.i) < 0 ||
	    ioctl(fd, RNDRESEEDCRNG) < 0)
		e = "unable to add entropy";
	else if (restored && clock_settime(CLOCK_REALTIME, &ts) < 0)
		e = "unable to set the clock";
	if (e)
		snprintf(msg, sizeof msg, "%s: %s", e, strerror(errno));
	else
		memcpy(token, t->s, t->len + 1);
	if (fd >= 0)
		close(fd);
	explicit_bzero(&p, sizeof p);
	return e ? msg : NULL;
}
