/* http_guard: the doors of an HTTP server on a TCP port (see http.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "http.h"

int
http_loopback(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (http_addr(addr, 1, &ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >>
		    24) == 127;
	if (ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
		    &((struct sockaddr_in6 *)&ss)->sin6_addr);
	return 0;
}

/* s (n bytes) is one of the comma-separated words of list, any case. */
static int
in_list(const char *list, const char *s, size_t n)
{
	while (list && *list) {
		size_t k = strcspn(list, ",");
		if (k == n && strncasecmp(list, s, n) == 0)
			return 1;
		list += k + (list[k] == ',');
	}
	return 0;
}

int
http_host_ok(const struct http_req *r, const char *names)
{
	const char *h = http_req_header(r, "Host"), *colon;
	char name[256];
	unsigned char a[16];
	size_t n;

	if (!h)
		return 1;
	if (*h == '[') {
		n = strcspn(h + 1, "]");
		if (h[1 + n] != ']' || n >= sizeof name)
			return 0;
		memcpy(name, h + 1, n);
		name[n] = 0;
		return inet_pton(AF_INET6, name, a) == 1;
	}
	colon = strchr(h, ':');
	n = colon ? (size_t)(colon - h) : strlen(h);
	if (n >= sizeof name)
		return 0;
	memcpy(name, h, n);
	name[n] = 0;
	return inet_pton(AF_INET, name, a) == 1 ||
	    strcasecmp(name, "localhost") == 0 || in_list(names, name, n);
}
