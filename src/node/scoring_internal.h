/* Helpers shared by the scoring modules (src/node/scoring_*.c). */
#ifndef TPLR_SCORING_INTERNAL_H
#define TPLR_SCORING_INTERNAL_H

#include "tplr/scoring.h"

tplr_err sc_check_uid(const tplr_scoring *s, int uid, const char *what);
tplr_err sc_check_window(const tplr_scoring *s, const char *what);
/* Marks uid known and returns its record. */
tplr_uid_score *sc_touch(tplr_scoring *s, int uid);
/* Records a penalty event (final score before, now; value: what triggered it). */
void sc_event(tplr_scoring *s, int uid, tplr_penalty reason, double before, double value);
/* Multiplies a positive final score (and the BMA with it when with_bma) by factor. */
void sc_slash(tplr_scoring *s, int uid, double factor, int with_bma, tplr_penalty reason, double value);
/* Resets uid, marks it naughty for naughty_windows when asked, records the event. */
void sc_reset(tplr_scoring *s, int uid, int naughty, tplr_penalty reason, double value);

#endif
