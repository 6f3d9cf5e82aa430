/* num: strict decimal parsing with bounds (after OpenBSD strtonum): no
 * sign unless min < 0, no spaces, no trailing junk, no overflow.  Returns
 * 0 and sets *out, or -1 with errno EINVAL (not a number) or ERANGE. */
#ifndef HUSK_NUM_H
#define HUSK_NUM_H

int num_parse(const char *s, long long min, long long max, long long *out);

/* For option parsing, where dying is right: parse the argument of -opt,
 * or exit 100 with "unable to parse -opt ARG: not a WHAT from MIN to MAX". */
long long xnum_opt(int opt, const char *arg, long long min, long long max,
    const char *what);

/* The same for a long option, --name ARG. */
long long xnum_lopt(const char *name, const char *arg, long long min,
    long long max, const char *what);

#endif
