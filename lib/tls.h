/* tls: BearSSL server-side TLS for an event loop.
 *
 * tls_srv_load reads a PEM certificate chain (leaf first) and a PEM
 * private key (RSA or EC, PKCS#1, SEC 1 or PKCS#8).  tls_io moves bytes
 * between a non-blocking socket, the TLS engine and the caller's
 * plaintext: received application data is appended to in (at most
 * in_room bytes), and up to outn bytes of out are taken for sending
 * (*outused says how many).  It never blocks.  Returns the poll events
 * it waits for (POLLIN, POLLOUT), 0 once the session is closed cleanly,
 * or -1 with errno (EPROTO for a TLS failure, or the socket's error). */
#ifndef HUSK_TLS_H
#define HUSK_TLS_H

#include <stddef.h>

#include "buf.h"

struct tls_srv;
struct tls_conn;

/* 0, or -1 with errno and a reason in err. */
int tls_srv_load(struct tls_srv **srv, const char *certfile,
    const char *keyfile, char *err, size_t errcap);
struct tls_conn *tls_conn_new(struct tls_srv *srv);
void tls_conn_free(struct tls_conn *t);
int tls_io(struct tls_conn *t, int fd, struct buf *in, size_t in_room,
    const void *out, size_t outn, size_t *outused);
/* Bytes of records written to the socket so far. */
unsigned long long tls_sent(const struct tls_conn *t);
/* Queue a close_notify; tls_io sends it. */
void tls_close(struct tls_conn *t);

#endif
