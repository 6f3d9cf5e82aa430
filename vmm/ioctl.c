/* vmm/ioctl.c: see ioctl.h. */
#include <stdarg.h>
#include <sys/ioctl.h>

#include "ioctl.h"

int
vmm_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	/* As libc's ioctl does: the third argument, whatever it is, is
	 * passed on as one register's worth. */
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return ioctl(fd, req, arg);
}
