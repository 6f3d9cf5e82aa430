/* clock: monotonic milliseconds, for deadlines that a clock step cannot
 * stretch or cut short. */
#ifndef HUSK_CLOCK_H
#define HUSK_CLOCK_H

long long clock_ms(void);
void clock_sleep_ms(int ms);

#endif
