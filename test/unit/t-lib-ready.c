/* ready_fifo and ready_fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "ready.h"
#include "tap.h"

int
main(void)
{
	char tmpl[] = "/tmp/t-lib-ready.XXXXXX", *t = mkdtemp(tmpl);
	char fifo[256], buf[16] = "";
	long long t0;
	int p[2], fd;
	pid_t pid;

	snprintf(fifo, sizeof fifo, "%s/ready", t);
	mkfifo(fifo, 0600);

	t0 = clock_ms();
	errno = 0;
	ok(ready_fifo(fifo, 300) == -1 && errno == ETIMEDOUT,
	    "no reader: ETIMEDOUT");
	ok(clock_ms() - t0 >= 300 && clock_ms() - t0 < 1000,
	    "after the bound, not forever");

	if ((pid = fork()) == 0) {
		clock_sleep_ms(100);
		_exit(ready_fifo(fifo, 5000) == 0 ? 0 : 1);
	}
	fd = open(fifo, O_RDONLY);
	ok(read(fd, buf, sizeof buf - 1) == 6 && !strcmp(buf, "READY\n"),
	    "a reader gets READY");
	close(fd);
	{
		int st;
		waitpid(pid, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer succeeded");
	}

	/* In two steps: opened while a reader is there, written later. */
	fd = open(fifo, O_RDONLY | O_NONBLOCK);
	memset(buf, 0, sizeof buf);
	{
		int w = ready_fifo_open(fifo, 300);
		ok(w >= 0 && read(fd, buf, sizeof buf) < 0 && errno == EAGAIN,
		    "ready_fifo_open: the FIFO open, nothing written yet");
		ok(ready_fifo_fd(w) == 0 && read(fd, buf, sizeof buf - 1) == 6 &&
		    !strcmp(buf, "READY\n"), "ready_fifo_fd writes READY");
	}
	close(fd);

	errno = 0;
	ok(ready_fifo("/nonexistent/fifo", 100) == -1 && errno == ENOENT,
	    "missing FIFO fails at once");
	unlink(fifo);
	close(open(fifo, O_CREAT | O_WRONLY, 0600));
	errno = 0;
	ok(ready_fifo(fifo, 100) == -1 && errno == EINVAL,
	    "a regular file is not a FIFO");
	unlink(fifo);

	pipe(p);
	memset(buf, 0, sizeof buf);
	ok(ready_fd(p[1]) == 0, "ready_fd");
	ok(read(p[0], buf, sizeof buf) == 1 && buf[0] == '\n',
	    "fd got a newline, then EOF");
	ok(read(p[0], buf, sizeof buf) == 0, "and was closed");
	rmdir(t);
	return done_testing();
}
