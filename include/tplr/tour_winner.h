/* The tournament's winner-takes-all rule: submissions are walked in the
 * order they arrived; the first scored one leads, and a later one takes the
 * lead only when its score is at least (1 + threshold) times the leader's.
 * So the incumbent keeps ties and near-ties, and of two equal scores the
 * earlier wins (docs/tournament_service.md, "Winner"). */
#ifndef TPLR_TOUR_WINNER_H
#define TPLR_TOUR_WINNER_H

#include <stdint.h>

#define TPLR_TOUR_THRESHOLD_DEFAULT 0.01

typedef struct tplr_tour_scored {
    int64_t id;   /* submission id: ascending ids arrived earlier */
    double score; /* median tokens per second; entries must be finite and > 0 */
} tplr_tour_scored;

/* The index of the winner among n entries sorted by id, or -1 when n is 0. */
int tplr_tour_pick_winner(const tplr_tour_scored *s, int n, double threshold);

#endif
