/* http: request parser by table, split feeding, response parser. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>

#include "http.h"
#include "tap.h"

static struct buf got;

static int
body(void *ctx, const char *p, size_t n)
{
	return buf_add(&got, p, n);
}

int
main(void)
{
	static const struct {
		const char *req;
		int ret, status;
	} t[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 1, 0 },
		{ "GET / HTTP/1.0\n\n", 1, 0 },
		{ "POST /exec HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", 1, 0 },
		{ "POST /exec HTTP/1.1\r\nContent-Length: 3\r\n\r\nab", 0, 0 },
		{ "GET / HTTP/1.1\r\n", 0, 0 },
		{ "GET / HTTP/2.0\r\n\r\n", -1, 505 },
		{ "GET / FTP/1.0\r\n\r\n", -1, 400 },
		{ "GET /\r\n\r\n", -1, 400 },
		{ "G(T / HTTP/1.1\r\n\r\n", -1, 400 },
		{ "\x01GET", -1, 400 },
		{ "GET / HTTP/1.1\r\nNo colon\r\n\r\n", -1, 400 },
		{ "GET / HTTP/1.1\r\n fold: x\r\n\r\n", -1, 400 },
		{ "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", -1, 400 },
		{ "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", -1, 400 },
		{ "GET / HTTP/1.1\r\nContent-Length: 1000001\r\n\r\n", -1, 413 },
		{ "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", -1, 501 },
	};
	struct http_req r;
	struct http_resp resp;
	const char *rest;
	const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
	int res = 0;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int k;
		http_req_init(&r, 1024, 1000000);
		k = http_req_feed(&r, t[i].req, strlen(t[i].req));
		ok(k == t[i].ret && (k >= 0 || r.status == t[i].status),
		    "request %zu: %d (status %d)", i, k, r.status);
		http_req_free(&r);
	}
	/* One byte at a time, with a pipelined second request after it. */
	{
		const char *s = "POST /x?y HTTP/1.1\r\nHost: a\r\nX-Y:  v  \r\n"
		    "Content-Length: 5\r\n\r\nhelloGET";
		http_req_init(&r, 1024, 100);
		for (size_t i = 0; i < strlen(s) && res == 0; i++)
			res = http_req_feed(&r, s + i, 1);
		ok(res == 1 && !strcmp(r.method, "POST") &&
		    !strcmp(r.target, "/x?y") && r.body_len == 5 &&
		    !memcmp(r.body, "hello", 5) &&
		    !strcmp(http_req_header(&r, "x-y"), "v") && r.keepalive,
		    "fed a byte at a time: parsed, header trimmed");
		http_req_free(&r);
	}
	{
		/* The head in one read, a body that moves the buffer later. */
		static char big[100000];
		memset(big, 'x', sizeof big);
		http_req_init(&r, 1024, sizeof big);
		const char *h = "POST /e HTTP/1.1\r\nA: b\r\n"
		    "Content-Length: 100000\r\n\r\n";
		res = http_req_feed(&r, h, strlen(h));
		res = res == 0 ? http_req_feed(&r, big, sizeof big) : -2;
		ok(res == 1 && !strcmp(r.method, "POST") &&
		    !strcmp(r.target, "/e") && !strcmp(http_req_header(&r, "A"), "b"),
		    "the head survives the buffer growing for the body");
		http_req_free(&r);
	}
	http_req_init(&r, 1024, 100);
	res = http_req_feed(&r, "GET / HTTP/1.1\r\n\r\nGET", 21);
	ok(res == 1 && http_req_rest(&r, &rest) == 3 && !memcmp(rest, "GET", 3),
	    "bytes past the request are kept");
	http_req_free(&r);
	http_req_init(&r, 64, 100);
	ok(http_req_feed(&r, "GET / HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 73) < 0 &&
	    r.status == 431, "a head past head_max is 431");
	http_req_free(&r);

	http_resp_init(&resp, body, NULL);
	res = 0;
	for (size_t i = 0; i < strlen(chunked) && res == 0; i++)
		res = http_resp_feed(&resp, chunked + i, 1);
	ok(res == 1 && resp.status == 200 && got.len == 5 &&
	    !memcmp(got.p, "abcde", 5), "chunked response de-chunked");
	got.len = 0;
	/* A streamed answer of a million small chunks: the framing lines are
	 * the body's, not the head's, and have no limit in number. */
	{
		const char *h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
		size_t n = 1000000, k;
		http_resp_init(&resp, body, NULL);
		res = http_resp_feed(&resp, h, strlen(h));
		for (k = 0; k < n && res == 0; k++)
			res = http_resp_feed(&resp, "1\r\nx\r\n", 6);
		if (res == 0)
			res = http_resp_feed(&resp, "0\r\n\r\n", 5);
		ok(res == 1 && got.len == n, "a million chunks: %d, %zu bytes",
		    res, got.len);
		got.len = 0;
	}
	/* A chunked body alone (a streamed request body): de-chunked from
	 * its first size line; bad framing is refused. */
	{
		static const struct {
			const char *in, *out;
			int ret;
		} c[] = {
			{ "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\nmore", "abcde", 1 },
			{ "A\r\n0123456789\r\n", "0123456789", 0 },
			{ "zz\r\n", "", -1 },
			{ "3\r\nabcX\r\n", "abc", -1 },
			{ "\r\n", "", -1 },
		};
		for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
			http_chunked_init(&resp, body, NULL);
			res = 0;
			for (size_t k = 0; c[i].in[k] && res == 0; k++)
				res = http_resp_feed(&resp, c[i].in + k, 1);
			ok(res == c[i].ret && got.len == strlen(c[i].out) &&
			    !memcmp(got.p, c[i].out, got.len),
			    "chunked body alone %zu: %d", i, res);
			got.len = 0;
		}
	}
	/* The head and the trailer stay bounded. */
	{
		static char hdr[40];
		int i;
		http_resp_init(&resp, body, NULL);
		res = http_resp_feed(&resp, "HTTP/1.1 200 OK\r\n", 17);
		for (i = 0; i < 1000000 && res == 0; i++) {
			snprintf(hdr, sizeof hdr, "X-%d: y\r\n", i);
			res = http_resp_feed(&resp, hdr, strlen(hdr));
		}
		ok(res < 0 && i < 100000, "an endless head is refused (after %d)",
		    i);
		http_resp_init(&resp, body, NULL);
		res = http_resp_feed(&resp, chunked, strlen(chunked) - 2);
		for (i = 0; i < 1000000 && res == 0; i++)
			res = http_resp_feed(&resp, "T: y\r\n", 6);
		ok(res < 0 && i < 100000, "an endless trailer is refused "
		    "(after %d)", i);
		got.len = 0;
	}
	http_resp_init(&resp, body, NULL);
	res = http_resp_feed(&resp, "HTTP/1.1 429 Too Many\r\nContent-Length: 2\r\n"
	    "Retry-After: 1\r\n\r\nok", 62);
	ok(res == 1 && resp.status == 429 && !strcmp(resp.retry_after, "1") &&
	    got.len == 2, "content-length response");
	http_resp_init(&resp, body, NULL);
	ok(http_resp_feed(&resp, "HTTP/1.1 20 OK\r\n\r\n", 18) < 0,
	    "a bad status line is refused");
	http_resp_init(&resp, body, NULL);
	ok(http_resp_feed(&resp, "HTTP/1.1 200 OK\r\n\r\nabc", 22) == 0 &&
	    http_resp_eof(&resp) == 1, "a body to EOF ends at EOF");
	buf_free(&got);
	/* Accept-Encoding: RFC 9110 12.5.3 */
	{
		static const struct { const char *v; int gz; } ae[] = {
			{ NULL, 0 }, { "", 0 }, { "gzip", 1 }, { "GZip", 1 },
			{ "deflate, gzip, br", 1 }, { "br;q=1.0, gzip;q=0.8", 1 },
			{ "gzip;q=0", 0 }, { "gzip; q=0.000", 0 },
			{ " gzip ;q=0.001", 1 }, { "*", 1 }, { "*;q=0", 0 },
			{ "gzip;q=0, *", 0 }, { "*, gzip;q=0", 0 },
			{ "identity", 0 }, { "x-gzip", 0 }, { "gzipper", 0 },
			{ "br, *;q=0.5", 1 }, { ",,gzip,,", 1 },
			{ "gzip;q=.5", 1 }, { "gzip;q=0.", 0 },
			{ "gzip;q=-1", 0 }, { "gzip;q=0.0.1", 0 },
			{ "gzip;q=x", 0 }, { "gzip;Q=1", 1 },
		};
		int bad = 0;
		for (size_t i = 0; i < sizeof ae / sizeof ae[0]; i++)
			if (http_accepts(ae[i].v, "gzip") != ae[i].gz) {
				printf("# Accept-Encoding: %s\n", ae[i].v ?
				    ae[i].v : "(none)");
				bad++;
			}
		ok(bad == 0, "Accept-Encoding: gzip taken where named or "
		    "covered by *, with q above 0 (%d wrong)", bad);
	}
	{
		/* AF_VSOCK addresses: "vsock:PORT" listens on any CID;
		 * a connect names the CID. */
		static const struct {
			const char *a;
			int passive;
			unsigned cid, port;	/* cid 0: refused */
		} va[] = {
			{ "vsock:52", 1, VMADDR_CID_ANY, 52 },
			{ "vsock:3:8000", 0, 3, 8000 },
			{ "vsock:2:1", 0, 2, 1 },
			{ "vsock:52", 0, 0, 0 },
			{ "vsock:3:52", 1, 0, 0 },
			{ "vsock:", 1, 0, 0 },
			{ "vsock:-1", 1, 0, 0 },
			{ "vsock:4294967295", 1, 0, 0 },
			{ "vsock:3:", 0, 0, 0 },
			{ "vsock:x:5", 0, 0, 0 },
			{ "vsock:12345678901234567:5", 0, 0, 0 },
		};
		int bad = 0;
		for (size_t i = 0; i < sizeof va / sizeof va[0]; i++) {
			struct sockaddr_storage ss;
			struct sockaddr_vm *sv = (void *)&ss;
			socklen_t len;
			int r;
			errno = 0;
			r = http_addr(va[i].a, va[i].passive, &ss, &len);
			if (va[i].cid ? r != 0 || ss.ss_family != AF_VSOCK ||
			    sv->svm_cid != va[i].cid ||
			    sv->svm_port != va[i].port :
			    r != -1 || errno != EINVAL) {
				printf("# %s (passive %d): %d\n", va[i].a,
				    va[i].passive, r);
				bad++;
			}
		}
		ok(bad == 0, "vsock addresses: port, CID:port, bounds (%d "
		    "wrong)", bad);
	}
	{
		/* TCP addresses: IP addresses alone unless http_resolve is
		 * set; "" the wildcard (passive) or the loopback. */
		static const struct {
			const char *a;
			int passive;
			const char *want;	/* NULL: refused with err */
			int err;
		} ta[] = {
			{ "127.0.0.1:80", 0, "127.0.0.1:80", 0 },
			{ "127.1:8000", 0, "127.0.0.1:8000", 0 },
			{ ":0", 1, "0.0.0.0:0", 0 },
			{ ":9", 0, "127.0.0.1:9", 0 },
			{ "[::1]:65535", 0, "[::1]:65535", 0 },
			{ "[fe80::1%3]:1", 0, "[fe80::1]:1 scope 3", 0 },
			{ "[::ffff:1.2.3.4]:5", 0, "[::ffff:1.2.3.4]:5", 0 },
			{ "1.2.3.4:65536", 0, NULL, EINVAL },
			{ "1.2.3.4:-1", 0, NULL, EINVAL },
			{ "1.2.3.4:http", 0, NULL, EINVAL },
			{ "1.2.3.4", 0, NULL, EINVAL },
			{ "localhost:80", 0, NULL, ENOTSUP },
			{ "[fe80::1%nosuchif9]:1", 0, NULL, ENOTSUP },
			{ "example.invalid:80", 1, NULL, ENOTSUP },
		};
		int bad = 0;
		for (size_t i = 0; i < sizeof ta / sizeof ta[0]; i++) {
			struct sockaddr_storage ss;
			struct sockaddr_in *s4 = (void *)&ss;
			struct sockaddr_in6 *s6 = (void *)&ss;
			socklen_t len;
			char got[80], a[INET6_ADDRSTRLEN] = "?";
			int r;
			errno = 0;
			r = http_addr(ta[i].a, ta[i].passive, &ss, &len);
			if (r == 0 && ss.ss_family == AF_INET &&
			    len == sizeof *s4) {
				inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
				snprintf(got, sizeof got, "%s:%u", a,
				    ntohs(s4->sin_port));
			} else if (r == 0 && ss.ss_family == AF_INET6 &&
			    len == sizeof *s6) {
				inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
				snprintf(got, sizeof got, s6->sin6_scope_id ?
				    "[%s]:%u scope %u" : "[%s]:%u", a,
				    ntohs(s6->sin6_port), s6->sin6_scope_id);
			} else
				snprintf(got, sizeof got, "%d errno %d", r,
				    errno);
			if (ta[i].want ? strcmp(got, ta[i].want) :
			    r != -1 || errno != ta[i].err) {
				printf("# %s (passive %d): %s\n", ta[i].a,
				    ta[i].passive, got);
				bad++;
			}
		}
		ok(bad == 0, "TCP addresses: numeric, bounds, a name refused "
		    "(ENOTSUP) with no resolver (%d wrong)", bad);
	}
	{
		struct sockaddr_storage ss;
		struct sockaddr_in *s4 = (void *)&ss;
		socklen_t len;
		int r;

		http_resolve = http_resolve_dns;
		r = http_addr("localhost:81", 0, &ss, &len);
		ok(r == 0 && (ss.ss_family == AF_INET6 ||
		    (ss.ss_family == AF_INET &&
		    s4->sin_addr.s_addr == htonl(INADDR_LOOPBACK))) &&
		    ntohs(s4->sin_port) == 81,
		    "with http_resolve_dns, localhost:81 resolves");
		http_resolve = NULL;
	}
	{
		int fd = http_listen("127.0.0.1:0", 1), fd6;
		char where[80];

		ok(fd >= 0 && http_sockname(fd, where, sizeof where) == 0 &&
		    !strncmp(where, "127.0.0.1:", 10) && where[10] > '0',
		    "http_sockname: %s", fd >= 0 ? where : "no socket");
		if (fd >= 0)
			close(fd);
		if ((fd6 = http_listen("[::1]:0", 1)) < 0)
			ok(1, "# skip no IPv6 loopback");
		else {
			ok(http_sockname(fd6, where, sizeof where) == 0 &&
			    !strncmp(where, "[::1]:", 6) && where[6] > '0',
			    "http_sockname: %s", where);
			close(fd6);
		}
	}
	{
		char v[16];
		struct buf q = { 0 };
		http_query_esc(&q, "/a b&c%d\xc3\xa9");
		ok(!strcmp(q.p, "/a%20b%26c%25d%C3%A9") &&
		    http_query("/f?x=1&path=/a%20b%26c%25d%C3%A9", "path", v,
		    sizeof v) == 10 && !strcmp(v, "/a b&c%d\xc3\xa9") &&
		    http_query("/f?path=a%2", "path", v, sizeof v) < 0 &&
		    http_query("/f?path=a%00", "path", v, sizeof v) < 0 &&
		    http_query("/f?xpath=a", "path", v, sizeof v) < 0 &&
		    http_query("/f?path=0123456789abcdef", "path", v,
		    sizeof v) < 0 && http_query("/f?max=&path=", "path", v,
		    sizeof v) == 0, "query values: escaped, decoded, bounded");
		buf_free(&q);
	}
	{
		/* A server's doors (http_guard.c). */
		static const struct { const char *host; int ok; } hv[] = {
			{ NULL, 1 }, { "127.0.0.1", 1 }, { "10.0.0.1:7474", 1 },
			{ "[::1]:80", 1 }, { "[::1", 0 }, { "localhost:1", 1 },
			{ "LocalHost", 1 }, { "api.example", 1 },
			{ "API.example:8", 1 }, { "evil.example", 0 },
			{ "localhost.evil.example", 0 }, { "api.example.evil", 0 },
			{ "127.0.0.1.evil", 0 }, { "", 0 },
		};
		static const struct { const char *addr; int lo; } lv[] = {
			{ "127.0.0.1:0", 1 }, { "127.8.9.1:80", 1 },
			{ "[::1]:80", 1 }, { "0.0.0.0:0", 0 }, { ":80", 0 },
			{ "10.0.0.1:80", 0 }, { "[::]:80", 0 }, { "bad", 0 },
		};
		int bad = 0;
		for (size_t i = 0; i < sizeof hv / sizeof hv[0]; i++) {
			struct http_req r;
			char req[256];
			int n = hv[i].host ? snprintf(req, sizeof req,
			    "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", hv[i].host) :
			    snprintf(req, sizeof req, "GET / HTTP/1.0\r\n\r\n");
			http_req_init(&r, 4096, 0);
			if (http_req_feed(&r, req, n) != 1 ||
			    http_host_ok(&r, "x,api.example") != hv[i].ok) {
				printf("# Host %s\n", hv[i].host);
				bad++;
			}
			http_req_free(&r);
		}
		ok(bad == 0, "Host: addresses, localhost, the named ones "
		    "only (%d wrong)", bad);
		bad = 0;
		for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
			if (http_loopback(lv[i].addr) != lv[i].lo) {
				printf("# %s\n", lv[i].addr);
				bad++;
			}
		ok(bad == 0, "loopback listen addresses (%d wrong)", bad);
	}
	return done_testing();
}
