/* Clocks. */
#ifndef TPLR_TIMEUTIL_H
#define TPLR_TIMEUTIL_H

/* Seconds on a monotonic clock (for durations). */
double tplr_now(void);
/* Seconds since the Unix epoch (for timestamps). */
double tplr_wall_time(void);
/* Formats seconds as H:MM:SS or M:SS into buf. */
void tplr_format_duration(double seconds, char *buf, int cap);

#endif
