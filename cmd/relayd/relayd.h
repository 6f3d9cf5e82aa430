/* relayd's parts: what relayd.c shares with them, and their interfaces. */
#ifndef HUSK_RELAYD_H
#define HUSK_RELAYD_H

#include "loop.h"
#include "relaydir.h"

#define NODE_MAX 160

/* relayd.c: the directory, our srv/NODE (its name and a descriptor), the
 * inotify descriptor (-1 without), and the slow rescan's period. */
extern struct relaydir dir;
extern char node[NODE_MAX];
extern int nodefd, ino, poll_ms;

/* wake.c: the wake socket (relaydir.h RELAY_WAKE), where clients on this
 * host wait for result/ID.* without an inotify instance of their own.
 * wake_setup listens, only where we watch with inotify (so that we see
 * result/ change whoever changes it); wake_add puts the socket and each
 * client in this turn's loop, wake_handle takes their events after the
 * wait; wake_for wakes who waits for result/NAME's id (NULL: everyone,
 * after lost events), wake_name is the same as atomic_write_then's hook.
 * result_wd is inotify's watch on result/ while a client waits, or -1. */
extern int result_wd;
void wake_setup(void);
int wake_listening(void);
void wake_add(struct loop *ev);
void wake_handle(struct loop *ev);
void wake_for(const char *name);
void wake_name(void *name);

#endif
