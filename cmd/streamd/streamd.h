/* What streamd's two halves share: the server in cmd/streamd.c, its
 * client (streamd attach) in cmd/streamd/attach.c. */
#ifndef STREAMD_STREAMD_H
#define STREAMD_STREAMD_H

#include <sys/un.h>

/* The longest socket path, its NUL aside, is SUN_PATH_MAX - 1. */
#define SUN_PATH_MAX sizeof ((struct sockaddr_un *)0)->sun_path

/* streamd attach [-O journal] socket, argv[0] "attach": the command's
 * status (its exit code, or 128+N for signal N) once delivered; any other
 * end exits from within. */
int attach(int argc, char **argv);

/* The synopsis on stderr, then exit 100. */
_Noreturn void usage(void);

#endif
