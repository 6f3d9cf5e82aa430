/* streamd attach: the client of streamd(1).
 *
 * It connects to the socket, writes each DATA frame out to its own fd 1
 * or 2, forwards its stdin as STDIN frames within the server's window,
 * and exits with the command's status from the EXIT frame.  With a
 * terminal command (HELLO's stream 1) and a terminal on fd 0, that
 * terminal is raw (lib/rawterm) and its size goes out at start and on
 * SIGWINCH.
 *
 * Invariant: a chunk is written out only after its CLAIM was sent and
 * the connection then found still open for reading (streamd shuts it
 * down to take the output back); its ACK follows the write, so nothing
 * acknowledged is ever unwritten.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "frame.h"
#include "io.h"
#include "loop.h"
#include "rawterm.h"
#include "unixsock.h"

#include "streamd/streamd.h"

#define EX_PREEMPTED 1

static const char *sock;	/* its path, for messages */
static FILE *journal;		/* -O: one line per chunk written out */
static int conn = -1, hello, gone_away, revoked, stdin_open = 1;
static uint64_t sent_stdin, acked_stdin;

static void
send_frame(int type, int stream, const void *data, uint32_t len,
    uint64_t off)
{
	uint8_t h[FRAME_HDR];

	if (gone_away)
		return;
	frame_header(h, type, stream, len, off);
	if (io_writeall(conn, h, FRAME_HDR) < 0 ||
	    (len && io_writeall(conn, data, len) < 0)) {
		/* streamd may have sent EXIT and gone: read on for it. */
		if (errno == EPIPE || errno == ECONNRESET) {
			gone_away = 1;
			return;
		}
		rawterm_off();
		err_diesys(EX_SYS, "unable to write to streamd");
	}
}

/* The output is still ours: streamd has not shut the connection down
 * (which it does to a preempted client, and when it goes away). */
static int
still_ours(void)
{
	int r;

	while ((r = loop_once(conn, POLLRDHUP, 0)) < 0)
		if (errno != EINTR)
			return 0;
	return !(r & (POLLRDHUP | POLLHUP | POLLERR));
}

static void
send_size(void)
{
	unsigned short rows, cols;
	uint8_t b[4];

	if (rawterm_size(&rows, &cols) < 0)
		return;
	b[0] = rows >> 8, b[1] = rows;
	b[2] = cols >> 8, b[3] = cols;
	send_frame(F_RESIZE, 0, b, 4, 0);
}

/* Claim it, then make sure it is still ours: once streamd has revoked the
 * output (shut the connection down) nothing more is written, even by a
 * client that was stopped meanwhile with frames unread.  A claim sent
 * before the revocation is waited for, up to 2 s. */
static void
data_out(const struct frame *f)
{
	if (!revoked) {
		send_frame(F_CLAIM, f->stream, NULL, 0, f->off + f->len);
		revoked = !still_ours();
	}
	if (revoked)
		return;	/* the next client writes it */
	/* Write it out, then say so: the ack follows the write. */
	if (io_writeall(f->stream, f->data, f->len) < 0) {
		rawterm_off();
		err_diesys(EX_SYS, "unable to write output");
	}
	if (journal)
		fprintf(journal, "%d %llu %u\n", f->stream,
		    (unsigned long long)f->off, f->len);
	send_frame(F_ACK, f->stream, NULL, 0, f->off + f->len);
}

static int32_t
be32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* One frame from streamd: 0 to go on, 1 after EXIT with the status to
 * exit with in *status, or -1 with *why for a frame a server does not
 * send. */
static int
frame_in(const struct frame *f, const char **why, int *status)
{
	int32_t code, sig;

	switch (f->type) {
	case F_HELLO:
		if (f->off != FRAME_VERSION)
			err_die(EX_SYS, "unable to attach to %s: protocol "
			    "version %llu", sock, (unsigned long long)f->off);
		hello = 1;
		if ((f->stream & 1) && rawterm_on() == 0)
			send_size();
		return 0;
	case F_DATA:
		data_out(f);
		return 0;
	case F_STDIN_ACK:
		acked_stdin = f->off;
		return 0;
	case F_PREEMPT:
		rawterm_off();
		err_die(EX_PREEMPTED, "unable to keep streaming from %s: "
		    "preempted by a newer client", sock);
	case F_EXIT:
		code = be32(f->data);
		sig = be32(f->data + 4);
		rawterm_off();
		*status = sig ? 128 + sig : code;
		return 1;
	}
	*why = "frame type not sent by streamd";
	return -1;
}

/* Read and handle what streamd sent: 1 after EXIT, with the status to
 * exit with in *status, else 0. */
static int
conn_read(int *status)
{
	static uint8_t in[FRAME_HDR + FRAME_MAX];
	static size_t inlen;
	const char *why = NULL;
	struct frame f;
	ssize_t n, used;
	size_t pos = 0;
	int r = 0;

	n = read(conn, in + inlen, sizeof in - inlen);
	if (n <= 0) {
		rawterm_off();
		err_die(EX_SYS, "unable to read from %s: streamd closed the "
		    "connection%s", sock, revoked ? " and took back the "
		    "output (a newer client took over, or streamd is gone)" :
		    "");
	}
	inlen += n;
	while ((used = frame_decode(in + pos, inlen - pos, &f, &why)) > 0) {
		pos += used;
		if ((r = frame_in(&f, &why, status)) != 0)
			break;
	}
	if (r > 0)
		return 1;
	if (r < 0)
		used = -1;
	if (used < 0) {
		rawterm_off();
		err_die(EX_SYS, "unable to read from %s: malformed frame (%s)",
		    sock, why);
	}
	memmove(in, in + pos, inlen - pos);
	inlen -= pos;
	return 0;
}

/* Forward stdin, at most the window ahead of what the command took. */
static void
stdin_read(void)
{
	static uint8_t buf[FRAME_MAX];
	size_t room = STDIN_WINDOW - (sent_stdin - acked_stdin);
	ssize_t n;

	n = read(0, buf, room < sizeof buf ? room : sizeof buf);
	if (n > 0) {
		send_frame(F_STDIN, 0, buf, n, sent_stdin);
		sent_stdin += n;
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		stdin_open = 0;
		send_frame(F_STDIN_EOF, 0, NULL, 0, 0);
	}
}

int
attach(int argc, char **argv)
{
	struct loop l;
	int c, in, status;

	while ((c = getopt(argc, argv, "O:h")) != -1) {
		switch (c) {
		case 'O':
			if (!(journal = fopen(optarg, "ae")))
				err_diesys(EX_SYS, "unable to open %s", optarg);
			setvbuf(journal, NULL, _IOLBF, 0);
			break;
		default: usage();
		}
	}
	if (argc - optind != 1 || strlen(argv[optind]) >= SUN_PATH_MAX)
		usage();
	sock = argv[optind];
	if ((conn = unixsock_connect(sock)) < 0)
		err_diesys(EX_SYS, "unable to connect to %s", sock);
	/* SIGWINCH on the loop; SIGPIPE ignored, every other signal left
	 * at its default action. */
	if (loop_init(&l, LOOP_WINCH) < 0)
		err_diesys(EX_SYS, "unable to create signalfd");

	for (;;) {
		loop_begin(&l);
		c = loop_add(&l, conn, POLLIN, NULL);
		in = loop_add(&l, 0, stdin_open && hello && !revoked &&
		    sent_stdin - acked_stdin < STDIN_WINDOW ? POLLIN : 0, NULL);
		if (loop_wait(&l) < 0)
			err_diesys(EX_SYS, "unable to poll");
		if (loop_rev(&l, 0)) {
			while (loop_signal(&l) > 0)
				;
			if (rawterm_is_on())
				send_size();
		}
		if (loop_rev(&l, in))
			stdin_read();
		if (loop_rev(&l, c) && conn_read(&status))
			return status;
	}
}
