/* json: the output half of JSON for status reports. */
#ifndef HUSK_JSON_H
#define HUSK_JSON_H

#include <stdio.h>

/* Print s as a JSON string: quotes, backslash and control bytes escaped;
 * bytes >= 0x80 pass through (callers hand in UTF-8 paths). */
void json_str(FILE *f, const char *s);

#endif
