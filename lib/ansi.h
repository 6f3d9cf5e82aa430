/* ansi: terminal output as plain text.
 *
 * ansi_strip removes from p[0..n) what a terminal would act on rather than
 * show (ECMA-48 in its 7-bit form): CSI sequences (ESC [, parameters,
 * intermediates, a final byte), the strings OSC, DCS, SOS, PM and APC
 * (ESC ] P X ^ _, ended by BEL or ESC \), every other ESC sequence (ESC,
 * intermediates, a final byte), and control bytes but newline and tab,
 * so a terminal's "\r\n" is "\n".  A sequence cut off at the end goes
 * too.  Bytes >= 0x80 are kept as they are (UTF-8 text; 8-bit C1 controls
 * are not taken as such).  In place; returns the new length. */
#ifndef HUSK_ANSI_H
#define HUSK_ANSI_H

#include <stddef.h>

size_t ansi_strip(void *p, size_t n);

#endif
