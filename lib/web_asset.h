/* web_asset: files compiled into a binary (ptyd's browser page), gzip'd.
 * mk/embed.sh generates the table from WEB_ASSETS (mk/web.mk): each file
 * web/X or build/web/X is served at /X, with the Content-Type its
 * extension names: as it is to a client that accepts gzip, decoded for
 * one that does not. */
#ifndef HUSK_WEB_ASSET_H
#define HUSK_WEB_ASSET_H

#include <stddef.h>

struct web_asset {
	const char *path;          /* "/index.html" */
	const char *type;          /* "text/html; charset=utf-8" */
	const unsigned char *gz;   /* a gzip member */
	size_t gzlen;
	size_t len;                /* decoded */
};

/* Ends with an entry whose path is NULL. */
extern const struct web_asset web_assets[];

/* a's bytes decoded, once, then kept; NULL with errno if they cannot be
 * (out of memory, or a member that does not decode to a->len bytes). */
const unsigned char *web_asset_plain(const struct web_asset *a);

#endif
