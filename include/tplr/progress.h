/* A progress line for long work: on a terminal it redraws one line in place;
 * otherwise it prints a line every few seconds, so logs stay readable. */
#ifndef TPLR_PROGRESS_H
#define TPLR_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct tplr_progress {
    FILE *out;
    int is_tty;
    int64_t total;
    double start;
    double last_print;
    double interval; /* seconds between lines when not a terminal */
    int drawn;       /* a line is on screen and must be ended */
} tplr_progress;

void tplr_progress_start(tplr_progress *p, FILE *out, int64_t total);
/* Shows "done/total | detail | ETA"; prints only when due unless force. */
void tplr_progress_update(tplr_progress *p, int64_t done, const char *detail, int force);
/* Ends the line on a terminal. */
void tplr_progress_finish(tplr_progress *p);

#endif
