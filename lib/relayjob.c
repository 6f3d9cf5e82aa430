/* relayjob: a client's part of the relay protocol (relaydir.h): submit a
 * command, cancel it, remove results.  relay(1) and husk-api(8) share it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "relaydir.h"

int
relay_submit(const struct relaydir *d, const char *id, const char *text,
    size_t len)
{
	if (len > RELAY_CMD_MAX) {
		errno = E2BIG;
		return -1;
	}
	return atomic_write(d->cmd, id, text, len, d->fmode);
}

int
relay_cancel(const struct relaydir *d, const char *id)
{
	char buf[ID_MAX + 8];
	int n, code;

	if (unlinkat(d->cmd, id, 0) == 0) {
		snprintf(buf, sizeof buf, "%s.exit", id);
		if (atomic_write(d->result, buf, "130\n", 4, d->fmode) < 0)
			return -1;
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	if ((n = relay_exit_read(d, id, &code)) != 0)
		return n < 0 && errno != EINVAL ? -1 : 2;
	n = snprintf(buf, sizeof buf, "%s\n", id);
	if (atomic_write(d->cancel, id, buf, n, d->fmode) < 0)
		return -1;
	return 1;
}

void
relay_result_remove(const struct relaydir *d, const char *id)
{
	static const char *const suffix[] = { "log", "err", "exit" };
	char name[ID_MAX + 8];

	for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
		snprintf(name, sizeof name, "%s.%s", id, suffix[i]);
		unlinkat(d->result, name, 0);
	}
}

static int
cmpid(const void *key, const void *elt)
{
	return strcmp(key, *(char *const *)elt);
}

/* The ids of ids[0..n) whose exit file is at least age s old by the
 * filesystem's clock (all of them for age 0), and that have a file
 * ID.only when only is not NULL, moved to the front in their order
 * (sorted stays sorted); their count, or -1 with errno. */
static int
expired(const struct relaydir *d, char **ids, int n, long long age,
    const char *only)
{
	char name[ID_MAX + 8];
	struct stat st;
	time_t now;
	int k = 0;

	if (age > 0 && relay_fsnow(d->root, &now) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "%s.exit", ids[i]);
		if (age > 0 && (fstatat(d->result, name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || now - st.st_mtime < age))
			continue;
		snprintf(name, sizeof name, "%s.%s", ids[i], only ? only : "");
		if (only && fstatat(d->result, name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		char *t = ids[k];
		ids[k++] = ids[i];
		ids[i] = t;
	}
	return k;
}

int
relay_results_expire(const struct relaydir *d, long long age,
    const char *only)
{
	char **ids, name[ID_MAX + 8];
	struct dirent *de;
	int n, k, fd;
	DIR *dd;

	if ((n = relay_names(d->result, ".exit", &ids)) < 0)
		return -1;
	if ((k = expired(d, ids, n, age, only)) <= 0)
		goto out;
	/* Every ID.SUFFIX (SUFFIX without a dot) but the exit file, which
	 * goes last: while it is there, the result is whole or going. */
	if ((fd = openat(d->result, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0 || !(dd = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		k = -1;
		goto out;
	}
	while ((de = readdir(dd))) {
		char *dot = strrchr(de->d_name, '.');
		size_t len = dot ? (size_t)(dot - de->d_name) : 0;
		if (!len || len > ID_MAX || de->d_name[0] == '.' ||
		    !strcmp(dot, ".exit"))
			continue;
		memcpy(name, de->d_name, len);
		name[len] = 0;
		if (bsearch(name, ids, k, sizeof *ids, cmpid))
			unlinkat(d->result, de->d_name, 0);
	}
	closedir(dd);
	for (int i = 0; i < k; i++) {
		snprintf(name, sizeof name, "%s.exit", ids[i]);
		unlinkat(d->result, name, 0);
	}
out:
	relay_names_free(ids, n);
	return k;
}
