/* The /files workers: a process forked for one GET (a tar of a path,
 * streamed as a chunked body) or one PUT (a tar body read straight from
 * the connection and extracted).  Both are lib/tar's; the main loop never
 * reads a PUT's body nor waits on a slow client. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "tar.h"

#include "guest-agent/agent.h"

static void
answer(int cfd, int status, const char *key, const char *msg)
{
	struct buf b = { 0 };

	buf_addf(&b, "{\"%s\":", key);
	json_esc(&b, msg, strlen(msg));
	buf_adds(&b, "}\n");
	http_respond(cfd, status, "application/json", b.p, b.len, NULL);
	buf_free(&b);
}

/* The connection, blocking, each read or write bounded by FILES_IDLE_MS;
 * what the main loop holds closed. */
static void
files_setup(int cfd)
{
	struct timeval tv = { FILES_IDLE_MS / 1000, 0 };

	server_leave(cfd);
	signal(SIGPIPE, SIG_IGN);
	fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* The archive's bytes as chunks of up to 64 KiB. */
struct chunker {
	int cfd;
	struct buf b;
};

static int
chunk_out(void *ctx, const void *p, size_t n)
{
	struct chunker *c = ctx;

	if (buf_add(&c->b, p, n) < 0)
		return -1;
	if (c->b.len < 65536)
		return 0;
	n = c->b.len;
	c->b.len = 0;
	return http_chunk(c->cfd, c->b.p, n);
}

int
files_get(void *arg)
{
	struct files *f = arg;
	struct chunker ch = { f->cfd, { 0 } };
	struct tar_w w = { NULL, &ch, f->max, FILES_ENTRIES_MAX, 0, 0, "",
	    NULL, NULL, 0 };
	struct stat st;
	struct buf h = { 0 };

	files_setup(f->cfd);
	if (lstat(f->path, &st) < 0) {
		char m[640];
		snprintf(m, sizeof m, "unable to stat %.500s: %s", f->path,
		    strerror(errno));
		server_job_done();
		answer(f->cfd, errno == ENOENT || errno == ENOTDIR ? 404 :
		    errno == EACCES ? 403 : 500, "error", m);
		return 0;
	}
	/* A dry run first: what cannot be archived is refused before the
	 * answer starts, while a status can still say so. */
	if (tar_write(&w, f->path) < 0) {
		server_job_done();
		answer(f->cfd, strstr(w.err, "more than") ? 413 : 400, "error",
		    w.err);
		return 0;
	}
	w.out = chunk_out;
	http_head(&h, 200, "application/x-tar", -1, NULL);
	if (io_writeall(f->cfd, h.p, h.len) < 0 || tar_write(&w, f->path) < 0 ||
	    (ch.b.len && http_chunk(f->cfd, ch.b.p, ch.b.len) < 0)) {
		/* No last chunk: the client sees the answer cut short. */
		err_warn("%s", w.err[0] ? w.err : "unable to send a tar");
		server_job_done();
		return 1;
	}
	server_job_done();
	http_chunk(f->cfd, NULL, 0);
	buf_free(&h);
	buf_free(&ch.b);
	return 0;
}

/* mkdir -p: path absolute. */
static int
mkdirs(const char *path)
{
	char p[4096];
	size_t n = strlen(path);

	if (n >= sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, path, n + 1);
	for (char *s = p + 1; ; s++)
		if (*s == '/' || !*s) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -1;
			if (!(*s = c))
				return 0;
		}
}

/* Extract the body into a new directory in the destination, then move
 * its entries into place: a stream refused halfway leaves nothing. */
int
files_put(void *arg)
{
	struct files *f = arg;
	char tmp[4200], m[700], chunk[65536];
	long long left = f->clen - (long long)f->restlen;
	struct tar_x x;
	int dfd = -1, tfd = -1, status = 400;

	files_setup(f->cfd);
	tar_x_init(&x, -1, f->max, FILES_ENTRIES_MAX);
	/* The host is trusted: a workspace's link out of it stays a link
	 * (to the guest's file of that name), as husk run -C promises. */
	x.any_link = 1;
	snprintf(tmp, sizeof tmp, "%s/.husk-put-XXXXXX", f->path);
	if (mkdirs(f->path) < 0 || (dfd = open(f->path, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) < 0 || !mkdtemp(tmp) ||
	    (tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(m, sizeof m, "unable to make a directory in %.500s: %s",
		    f->path, strerror(errno));
		status = errno == EACCES ? 403 : 500;
		goto fail;
	}
	x.dirfd = tfd;
	if (tar_x_feed(&x, f->rest, f->restlen) < 0)
		goto refused;
	while (left > 0) {
		ssize_t n = read(f->cfd, chunk, left < (long long)sizeof chunk ?
		    (size_t)left : sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(m, sizeof m, "unable to read the body: %s",
			    n ? strerror(errno) : "it ended early");
			goto fail;
		}
		left -= n;
		if (tar_x_feed(&x, chunk, n) < 0)
			goto refused;
	}
	if (tar_x_end(&x) < 0)
		goto refused;
	/* Each top entry into place. */
	{
		DIR *d = fdopendir(dup(tfd));
		struct dirent *de;
		int bad = 0;
		while (d && (de = readdir(d)) && !bad)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
			    tar_place(tfd, de->d_name, dfd, de->d_name) < 0) {
				snprintf(m, sizeof m, "unable to move %.200s into "
				    "%.300s: %s", de->d_name, f->path,
				    strerror(errno));
				bad = 1;
			}
		if (d)
			closedir(d);
		if (!d || bad) {
			status = 500;
			if (!d)
				snprintf(m, sizeof m, "unable to read %.500s: %s",
				    tmp, strerror(errno));
			goto fail;
		}
	}
	tar_rmtree(AT_FDCWD, tmp);
	server_job_done();
	snprintf(m, sizeof m, "{\"files\":%lld,\"bytes\":%lld}\n", x.entries,
	    x.bytes);
	http_respond(f->cfd, 200, "application/json", m, strlen(m), NULL);
	tar_x_free(&x);
	return 0;
refused:
	snprintf(m, sizeof m, "%s", x.err);
	status = strstr(m, "more than") ? 413 : 400;
fail:
	tar_x_free(&x);
	if (tfd >= 0)
		tar_rmtree(AT_FDCWD, tmp);
	server_job_done();
	err_warn("%s", m);
	answer(f->cfd, status, "error", m);
	return 1;
}
