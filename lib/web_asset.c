/* web_asset: the decoded copies, made on first need: a client that does
 * not take gzip is rare (curl without --compressed), and most ptyd never
 * meet one. */
#include <errno.h>
#include <stdlib.h>

#include "inflate.h"
#include "web_asset.h"

#define KEPT_MAX 32

static struct {
	const struct web_asset *a;
	unsigned char *p;
} kept[KEPT_MAX];

const unsigned char *
web_asset_plain(const struct web_asset *a)
{
	int i;
	unsigned char *p;

	for (i = 0; i < KEPT_MAX && kept[i].a; i++)
		if (kept[i].a == a)
			return kept[i].p;
	if (i == KEPT_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	/* One byte more: a member that decodes longer fails (ENOSPC). */
	if (!(p = malloc(a->len + 1)))
		return NULL;
	ssize_t n = gunzip(a->gz, a->gzlen, p, a->len + 1);
	if (n != (ssize_t)a->len) {
		if (n >= 0)
			errno = EINVAL;
		free(p);
		return NULL;
	}
	kept[i].a = a;
	kept[i].p = p;
	return p;
}
