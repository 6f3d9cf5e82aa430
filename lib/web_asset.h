/* web_asset: files compiled into a binary (ptyd's browser page).
 * mk/embed.sh generates the table from WEB_ASSETS (mk/web.mk): each file
 * web/X or build/web/X is served at /X, with the Content-Type its extension names. */
#ifndef HUSK_WEB_ASSET_H
#define HUSK_WEB_ASSET_H

#include <stddef.h>

struct web_asset {
	const char *path;          /* "/index.html" */
	const char *type;          /* "text/html; charset=utf-8" */
	const unsigned char *data;
	size_t len;
};

/* Ends with an entry whose path is NULL. */
extern const struct web_asset web_assets[];

#endif
