/* tls: BearSSL server contexts for ptyd, see tls.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "buf.h"
#include "tls.h"

#define CHAIN_MAX 8
#define PEM_MAX (1 << 20)

struct tls_srv {
	br_x509_certificate chain[CHAIN_MAX];
	size_t nchain;
	unsigned issuer_type;       /* key type of the leaf's signer */
	br_skey_decoder_context key; /* holds the decoded key */
	int key_type;
};

struct tls_conn {
	br_ssl_server_context sc;
	unsigned long long sent;        /* record bytes written to the socket */
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

static void
pem_append(void *ctx, const void *p, size_t n)
{
	buf_add(ctx, p, n);
}

/* Decode every PEM object in file; call got(name, der, n) for each.
 * 0, or -1 with a reason in err. */
static int
pem_each(const char *file, int (*got)(void *, const char *, struct buf *),
    void *ctx, char *err, size_t errcap)
{
	br_pem_decoder_context pc;
	struct buf in = { 0 }, obj = { 0 };
	char name[128] = "", tmp[4096];
	int fd, r = -1, inobj = 0, count = 0;
	ssize_t n;
	size_t off = 0;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errcap, "unable to open %s: %s", file,
		    strerror(errno));
		return -1;
	}
	while ((n = read(fd, tmp, sizeof tmp)) > 0 && in.len < PEM_MAX)
		buf_add(&in, tmp, n);
	close(fd);
	buf_add(&in, "\n", 1); /* a last line without a newline */
	br_pem_decoder_init(&pc);
	while (off < in.len) {
		off += br_pem_decoder_push(&pc, in.p + off, in.len - off);
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
			obj.len = 0;
			br_pem_decoder_setdest(&pc, pem_append, &obj);
			inobj = 1;
			break;
		case BR_PEM_END_OBJ:
			if (inobj && got(ctx, name, &obj) < 0) {
				snprintf(err, errcap, "unable to decode %s in %s",
				    name, file);
				goto out;
			}
			inobj = 0;
			count++;
			break;
		case BR_PEM_ERROR:
			snprintf(err, errcap, "unable to parse PEM in %s", file);
			goto out;
		}
	}
	if (!count) {
		snprintf(err, errcap, "no PEM object in %s", file);
		goto out;
	}
	r = 0;
out:
	buf_free(&in);
	buf_free(&obj);
	return r;
}

static int
got_cert(void *ctx, const char *name, struct buf *der)
{
	struct tls_srv *s = ctx;
	br_x509_certificate *c;

	if (strcmp(name, "CERTIFICATE") && strcmp(name, "X509 CERTIFICATE"))
		return 0; /* other objects are skipped */
	if (s->nchain == CHAIN_MAX)
		return -1;
	c = &s->chain[s->nchain];
	if (!(c->data = malloc(der->len)))
		return -1;
	memcpy(c->data, der->p, der->len);
	c->data_len = der->len;
	if (s->nchain == 0) {
		br_x509_decoder_context xc;
		br_x509_decoder_init(&xc, NULL, NULL);
		br_x509_decoder_push(&xc, c->data, c->data_len);
		if (br_x509_decoder_last_error(&xc))
			return -1;
		s->issuer_type = br_x509_decoder_get_signer_key_type(&xc);
	}
	s->nchain++;
	return 0;
}

static int
got_key(void *ctx, const char *name, struct buf *der)
{
	struct tls_srv *s = ctx;

	if (strcmp(name, "RSA PRIVATE KEY") && strcmp(name, "EC PRIVATE KEY") &&
	    strcmp(name, "PRIVATE KEY"))
		return 0; /* EC PARAMETERS and the like */
	if (s->key_type)
		return -1; /* one key only */
	br_skey_decoder_init(&s->key);
	br_skey_decoder_push(&s->key, der->p, der->len);
	if (br_skey_decoder_last_error(&s->key))
		return -1;
	s->key_type = br_skey_decoder_key_type(&s->key);
	return 0;
}

int
tls_srv_load(struct tls_srv **out, const char *certfile, const char *keyfile,
    char *err, size_t errcap)
{
	struct tls_srv *s = calloc(1, sizeof *s);

	if (!s) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (pem_each(certfile, got_cert, s, err, errcap) < 0 ||
	    pem_each(keyfile, got_key, s, err, errcap) < 0)
		goto fail;
	if (!s->nchain) {
		snprintf(err, errcap, "no certificate in %s", certfile);
		goto fail;
	}
	if (s->key_type != BR_KEYTYPE_RSA && s->key_type != BR_KEYTYPE_EC) {
		snprintf(err, errcap, "no RSA or EC private key in %s", keyfile);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	for (size_t i = 0; i < s->nchain; i++)
		free(s->chain[i].data);
	free(s);
	errno = EINVAL;
	return -1;
}

struct tls_conn *
tls_conn_new(struct tls_srv *s)
{
	struct tls_conn *t = malloc(sizeof *t);

	if (!t)
		return NULL;
	if (s->key_type == BR_KEYTYPE_RSA)
		br_ssl_server_init_full_rsa(&t->sc, s->chain, s->nchain,
		    br_skey_decoder_get_rsa(&s->key));
	else
		br_ssl_server_init_full_ec(&t->sc, s->chain, s->nchain,
		    s->issuer_type, br_skey_decoder_get_ec(&s->key));
	br_ssl_engine_set_buffer(&t->sc.eng, t->iobuf, sizeof t->iobuf, 1);
	if (!br_ssl_server_reset(&t->sc)) {
		free(t);
		errno = EPROTO;
		return NULL;
	}
	return t;
}

void
tls_conn_free(struct tls_conn *t)
{
	free(t);
}

unsigned long long
tls_sent(const struct tls_conn *t)
{
	return t->sent;
}

void
tls_close(struct tls_conn *t)
{
	br_ssl_engine_close(&t->sc.eng);
}

int
tls_io(struct tls_conn *t, int fd, struct buf *in, size_t in_room,
    const void *out, size_t outn, size_t *outused)
{
	br_ssl_engine_context *e = &t->sc.eng;
	unsigned char *p;
	size_t n, took = 0, got = 0;
	ssize_t r;
	int want;

	*outused = 0;
	for (;;) {
		unsigned st = br_ssl_engine_current_state(e);
		int progress = 0;

		if (st & BR_SSL_CLOSED) {
			if (br_ssl_engine_last_error(e) == BR_ERR_OK)
				return 0;
			errno = EPROTO;
			return -1;
		}
		if (st & BR_SSL_SENDREC) {
			p = br_ssl_engine_sendrec_buf(e, &n);
			r = write(fd, p, n);
			if (r > 0) {
				br_ssl_engine_sendrec_ack(e, r);
				t->sent += r;
				progress = 1;
			} else if (r < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if ((st & BR_SSL_RECVAPP) && got < in_room) {
			p = br_ssl_engine_recvapp_buf(e, &n);
			if (n > in_room - got)
				n = in_room - got;
			if (buf_add(in, p, n) < 0)
				return -1;
			br_ssl_engine_recvapp_ack(e, n);
			got += n;
			progress = 1;
		}
		if ((st & BR_SSL_SENDAPP) && took < outn) {
			p = br_ssl_engine_sendapp_buf(e, &n);
			if (n > outn - took)
				n = outn - took;
			memcpy(p, (const char *)out + took, n);
			br_ssl_engine_sendapp_ack(e, n);
			took += n;
			*outused = took;
			if (took == outn)
				br_ssl_engine_flush(e, 0);
			progress = 1;
		}
		if ((st & BR_SSL_RECVREC) && got < in_room) {
			p = br_ssl_engine_recvrec_buf(e, &n);
			r = read(fd, p, n);
			if (r > 0) {
				br_ssl_engine_recvrec_ack(e, r);
				progress = 1;
			} else if (r == 0) {
				/* EOF without close_notify: a truncation. */
				errno = ECONNRESET;
				return got ? 0 : -1;
			} else if (errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (!progress)
			break;
	}
	unsigned st = br_ssl_engine_current_state(e);
	want = 0;
	if (st & BR_SSL_SENDREC)
		want |= POLLOUT;
	if (st & BR_SSL_RECVREC)
		want |= POLLIN;
	return want ? want : POLLIN;
}
