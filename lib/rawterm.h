/* rawterm: the attach clients' terminal (ptyd attach, streamd attach).
 *
 * rawterm_on puts the terminal on fd 0 in raw mode (cfmakeraw) and
 * registers, once, an atexit handler that puts it back, so every exit,
 * err_die included, leaves the user's terminal as it found it.  0, or -1
 * with errno (ENOTTY: fd 0 is not a terminal; nothing changed).
 * rawterm_off puts it back now (done at most once per rawterm_on).
 * rawterm_size reads fd 0's window size: 0, or -1 (not a terminal, or a
 * size of zero).  rawterm_is_on: 1 while raw. */
#ifndef HUSK_RAWTERM_H
#define HUSK_RAWTERM_H

int rawterm_on(void);
void rawterm_off(void);
int rawterm_is_on(void);
int rawterm_size(unsigned short *rows, unsigned short *cols);

#endif
