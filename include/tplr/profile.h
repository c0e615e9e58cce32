/* A phase profiler for the training step: when enabled, each phase's wall
 * time is added up, and a table shows where a step's time goes. Disabled, a
 * phase costs one branch. */
#ifndef TPLR_PROFILE_H
#define TPLR_PROFILE_H

#include <stdio.h>

#include "tplr/timeutil.h"

typedef enum {
    TPLR_PH_EMBED, TPLR_PH_NORM, TPLR_PH_QKV_MM, TPLR_PH_ROPE, TPLR_PH_ATTN, TPLR_PH_OUT_MM, TPLR_PH_UP_MM,
    TPLR_PH_SWIGLU, TPLR_PH_DOWN_MM, TPLR_PH_HEAD_MM, TPLR_PH_XENT, TPLR_PH_COPY,
    TPLR_PH_NORM_B, TPLR_PH_QKV_MM_B, TPLR_PH_ROPE_B, TPLR_PH_ATTN_B, TPLR_PH_OUT_MM_B, TPLR_PH_UP_MM_B,
    TPLR_PH_SWIGLU_B, TPLR_PH_DOWN_MM_B, TPLR_PH_HEAD_MM_B, TPLR_PH_EMBED_B,
    TPLR_PH_WAIT, TPLR_PH_CLIP, TPLR_PH_OPTIM, TPLR_PH_DATA,
    TPLR_PH_COUNT
} tplr_phase;

void tplr_prof_enable(int on);
int tplr_prof_enabled(void);
void tplr_prof_add(tplr_phase ph, double seconds);
/* Phases timed on the calling thread are not counted while muted: when
 * workers run the same phases side by side, one of them is timed. */
void tplr_prof_mute_thread(int on);
void tplr_prof_reset(void);
/* Prints each phase's share of the total, per step when steps > 0. */
void tplr_prof_report(FILE *out, long steps);

#define TPLR_PROF(ph, stmt)                                       \
    do {                                                          \
        double tplr_prof_t0_ = tplr_prof_enabled() ? tplr_now() : 0; \
        stmt;                                                     \
        if (tplr_prof_t0_ > 0)                                    \
            tplr_prof_add(ph, tplr_now() - tplr_prof_t0_);        \
    } while (0)

#endif
