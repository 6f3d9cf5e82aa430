/* ptyd attach: the command-line client.  It upgrades GET /terminals/ID
 * to a WebSocket, puts the terminal in raw mode, and copies keyboard to
 * BINARY frames and BINARY frames to the screen; ^\ detaches. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "b64.h"
#include "err.h"
#include "io.h"
#include "rawterm.h"
#include "unixsock.h"
#include "ptyd/ptyd.h"

static void
send_frame(int fd, int op, const void *p, size_t n)
{
	uint8_t mk[4], h[14], *f;
	size_t hl;

	if (getrandom(mk, 4, 0) != 4)
		err_diesys(EX_SYS, "unable to get random bytes");
	hl = ws_frame_head(h, op, 1, n, mk);
	if (!(f = malloc(hl + n)))
		err_die(EX_SYS, "unable to allocate a frame: out of memory");
	memcpy(f, h, hl);
	memcpy(f + hl, p, n);
	ws_mask(f + hl, n, mk, 0);
	if (io_writeall(fd, f, hl + n) < 0) {
		rawterm_off();
		err_diesys(EX_SYS, "unable to write to the server");
	}
	free(f);
}

static void
send_size(int fd)
{
	unsigned short rows, cols;
	char j[96];

	if (rawterm_size(&rows, &cols) < 0)
		return;
	snprintf(j, sizeof j, "{\"type\":\"resize\",\"cols\":%d,\"rows\":%d}",
	    cols, rows);
	send_frame(fd, WS_TEXT, j, strlen(j));
}

static int
client_connect(const char *where, char *host, size_t hcap)
{
	const char *p;
	int fd;

	if (!strncmp(where, "http://", 7) || !strncmp(where, "ws://", 5)) {
		p = strstr(where, "//") + 2;
		snprintf(host, hcap, "%.*s", (int)strcspn(p, "/"), p);
		if ((fd = http_connect(host, 10000)) < 0)
			err_diesys(EX_SYS, "unable to connect to %s", host);
		return fd;
	}
	if (!strncmp(where, "https://", 8) || !strncmp(where, "wss://", 6))
		err_die(EX_USAGE, "unable to attach to %s: TLS is not supported "
		    "by the client; use a Unix socket or plain http", where);
	snprintf(host, hcap, "localhost");
	if ((fd = unixsock_connect(where)) < 0 && errno == ENAMETOOLONG)
		err_die(EX_USAGE, "unable to use socket %s: path too long", where);
	if (fd < 0)
		err_diesys(EX_SYS, "unable to connect to %s", where);
	return fd;
}

/* Read the handshake reply; leftover bytes (frames) go to *rest. */
static void
client_handshake(int fd, const char *host, const char *id, const char *tok,
    struct buf *rest)
{
	unsigned char rnd[16];
	char accept[29], *end, *a;
	struct buf k = { 0 }, rq = { 0 }, in = { 0 };
	char tmp[4096];
	ssize_t r;
	int st;

	if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
		err_diesys(EX_SYS, "unable to get random bytes");
	b64_encode(&k, rnd, sizeof rnd);
	ws_accept_key(k.p, accept);
	buf_addf(&rq, "GET /terminals/%s HTTP/1.1\r\nHost: %s\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
	    id, host, k.p);
	if (tok)
		buf_addf(&rq, "Authorization: Bearer %s\r\n", tok);
	buf_adds(&rq, "\r\n");
	if (io_writeall(fd, rq.p, rq.len) < 0)
		err_diesys(EX_SYS, "unable to send the handshake");
	while (!(end = in.p ? strstr(in.p, "\r\n\r\n") : NULL)) {
		if (in.len > HTTP_HEAD_MAX)
			err_die(EX_SYS, "unable to attach to %s: reply head "
			    "too large", id);
		r = read(fd, tmp, sizeof tmp);
		if (r <= 0)
			err_die(EX_SYS, "unable to attach to %s: connection "
			    "closed during the handshake", id);
		buf_add(&in, tmp, r);
	}
	if (sscanf(in.p, "HTTP/1.%*d %d", &st) != 1)
		err_die(EX_SYS, "unable to attach to %s: not an HTTP reply", id);
	if (st != 101) {
		/* Show the server's {"error": ...}: read the body to EOF. */
		while (in.len < 65536 && (r = read(fd, tmp, sizeof tmp)) > 0)
			buf_add(&in, tmp, r);
		end = strstr(in.p, "\r\n\r\n") + 4;
		end[strcspn(end, "\n")] = 0;
		err_die(EX_SYS, "unable to attach to %s: %d %s", id, st, end);
	}
	*end = 0;
	a = strcasestr(in.p, "\r\nSec-WebSocket-Accept: ");
	if (!a || strncmp(a + 24, accept, 28))
		err_die(EX_SYS, "unable to attach to %s: wrong "
		    "Sec-WebSocket-Accept", id);
	buf_add(rest, end + 4, in.len - (end + 4 - in.p));
	buf_free(&k);
	buf_free(&rq);
	buf_free(&in);
}

struct client {
	int fd, vflag, tty, in_open;
	int code;		/* from the exit event; -1: none yet */
	struct ws_rx rx;
	struct buf rest;	/* bytes from the server not parsed yet */
};

/* A TEXT frame: JSON events; the exit's code or signal is our status. */
static void
client_event(struct client *cl, const struct ws_msg *m)
{
	struct json_doc d;
	const struct json *t, *v;
	long long x;

	if (cl->vflag)
		fprintf(stderr, "%.*s\n", (int)m->len, (const char *)m->data);
	if (json_parse(&d, (const char *)m->data, m->len, 64) < 0)
		return;
	t = json_get(d.root, "type");
	if (t && t->type == JSON_STR && !strcmp(t->s, "exit")) {
		v = json_get(d.root, "exit_code");
		if (v && json_int(v, 0, 255, &x) == 0)
			cl->code = x;
		v = json_get(d.root, "signal");
		for (int sg = 1; sg < 65 && v && v->type == JSON_STR; sg++)
			if (!strcmp(signame(sg), v->s))
				cl->code = 128 + sg;
	}
	json_doc_free(&d);
}

/* One message from the server; a close ends the client. */
static void
client_msg(struct client *cl, const struct ws_msg *m)
{
	int cc;

	switch (m->op) {
	case WS_BINARY:
		if (io_writeall(1, m->data, m->len) < 0) {
			rawterm_off();
			err_diesys(EX_SYS, "unable to write output");
		}
		break;
	case WS_TEXT:
		client_event(cl, m);
		break;
	case WS_PING:
		send_frame(cl->fd, WS_PONG, m->data, m->len);
		break;
	case WS_CLOSE:
		cc = ws_close_code(m->data, m->len);
		send_frame(cl->fd, WS_CLOSE, m->data, m->len >= 2 ? 2 : 0);
		rawterm_off();
		if (cc == CLOSE_PREEMPTED)
			err_die(EX_FALSE, "detached: preempted by a newer client");
		if (cl->code >= 0)
			exit(cl->code);
		err_die(EX_SYS, "closed by the server: %d %.*s", cc,
		    m->len > 2 ? (int)m->len - 2 : 0, (const char *)m->data + 2);
	}
}

/* Wait for the server, the keyboard or a signal, and take what came:
 * SIGWINCH resizes; SIGTERM, SIGINT, SIGHUP end the client (130). */
static void
client_wait(struct client *cl, struct loop *l)
{
	char tmp[16384];
	ssize_t n;
	int ni, ii, sig;

	loop_begin(l);
	ni = xloop_add(l, cl->fd, POLLIN, NULL);
	ii = xloop_add(l, cl->in_open ? 0 : -1, POLLIN, NULL);
	if (loop_wait(l) < 0)
		err_diesys(EX_SYS, "unable to poll");
	while (loop_rev(l, 0) && (sig = loop_signal(l))) {
		if (sig == SIGWINCH) {
			send_size(cl->fd);
		} else if (sig != SIGCHLD) {
			rawterm_off();
			exit(EX_CANCEL);
		}
	}
	if (loop_rev(l, ii)) {
		n = read(0, tmp, sizeof tmp);
		if (n <= 0) {
			cl->in_open = 0; /* output keeps coming */
		} else if (cl->tty && memchr(tmp, 0x1c, n)) {
			/* ^\ detaches, as in dtach */
			rawterm_off();
			exit(0);
		} else {
			send_frame(cl->fd, WS_BINARY, tmp, n);
		}
	}
	if (loop_rev(l, ni)) {
		n = read(cl->fd, tmp, sizeof tmp);
		if (n <= 0) {
			rawterm_off();
			if (cl->code >= 0)
				exit(cl->code);
			err_die(EX_SYS, "unable to read from the server: "
			    "connection closed");
		}
		buf_add(&cl->rest, tmp, n);
	}
}

int
attach_main(int argc, char **argv)
{
	const char *tokfile = NULL, *tok = NULL;
	struct client cl = { .code = -1, .in_open = 1 };
	char host[256];
	struct ws_msg m;
	struct loop l;
	size_t used, off;
	int opt, r;

	while ((opt = getopt(argc, argv, "+hvk:")) != -1) {
		switch (opt) {
		case 'v': cl.vflag = 1; break;
		case 'k': tokfile = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (tokfile)
		tok = token_file(tokfile);
	else if (getenv("PTYD_TOKEN"))
		tok = getenv("PTYD_TOKEN");
	cl.fd = client_connect(argv[optind], host, sizeof host);
	client_handshake(cl.fd, host, argv[optind + 1], tok, &cl.rest);

	if (loop_init(&l, LOOP_SIGNALS | LOOP_WINCH) < 0)
		err_diesys(EX_SYS, "unable to open a signalfd");
	if ((cl.tty = isatty(0))) {
		rawterm_on();
		send_size(cl.fd);
	}
	ws_rx_init(&cl.rx, 0, 1 << 24);
	for (;;) {
		for (off = 0; off < cl.rest.len; off += used) {
			r = ws_rx_feed(&cl.rx, (uint8_t *)cl.rest.p + off,
			    cl.rest.len - off, &used, &m);
			if (r < 0) {
				rawterm_off();
				err_die(EX_SYS, "unable to read from the server: "
				    "protocol error %d", cl.rx.close_code);
			}
			if (r == 0)
				break;
			client_msg(&cl, &m);
		}
		cl.rest.len = 0;
		client_wait(&cl, &l);
	}
}
