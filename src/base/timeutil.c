#include "tplr/timeutil.h"

#include <stdio.h>
#include <time.h>

double tplr_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double tplr_wall_time(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void tplr_format_duration(double seconds, char *buf, int cap)
{
    if (!(seconds >= 0) || seconds > 1e8) {
        snprintf(buf, (size_t)cap, "--:--");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, (size_t)cap, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, (size_t)cap, "%ld:%02ld", s / 60, s % 60);
}
