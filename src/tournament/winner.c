/* Winner-takes-all with an incumbency threshold. */
#include "tplr/tour_winner.h"

int tplr_tour_pick_winner(const tplr_tour_scored *s, int n, double threshold)
{
    int lead = -1;
    for (int i = 0; i < n; i++)
        if (lead < 0 || s[i].score - s[lead].score >= threshold * s[lead].score)
            lead = i;
    return lead;
}
