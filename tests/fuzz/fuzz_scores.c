/* libFuzzer target: the tplr-scores file reader. An accepted file must write
 * back to the same state, and a window must run on it. */
#include <stdlib.h>
#include <string.h>

#include "tplr/scoring_file.h"
#include "tplr/scoring_pick.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static tplr_scoring *s, *t;
    tplr_scoring_config c;
    tplr_scoring_config_defaults(&c);
    if (!s && (tplr_scoring_create(&c, &s) != TPLR_OK || tplr_scoring_create(&c, &t) != TPLR_OK))
        abort();
    if (tplr_scoring_init(s, &c) != TPLR_OK)
        abort();
    if (tplr_scoring_from_json(s, (const char *)data, size, "fuzz") != TPLR_OK)
        return 0;
    char *text;
    if (tplr_scoring_to_json(s, &text) != TPLR_OK)
        abort();
    if (tplr_scoring_init(t, &c) != TPLR_OK || tplr_scoring_from_json(t, text, strlen(text), "again") != TPLR_OK ||
        memcmp(s->uid, t->uid, sizeof s->uid) != 0)
        abort();
    free(text);
    /* one window over every uid the file names */
    uint16_t cand[TPLR_SCORING_MAX_UIDS], out[TPLR_SCORING_MAX_UIDS], res[TPLR_SCORING_MAX_UIDS];
    double stake[TPLR_SCORING_MAX_UIDS], w[TPLR_SCORING_MAX_UIDS];
    int n = 0, k, nr;
    for (int u = 0; u < TPLR_SCORING_MAX_UIDS; u++)
        if (s->uid[u].known) {
            cand[n] = (uint16_t)u;
            stake[n++] = 0;
        }
    if (s->window < (int64_t)1 << 52 && tplr_scoring_begin_window(s, s->window + 1) == TPLR_OK) {
        if (tplr_scoring_select(s, cand, stake, n, 1, out, &k, NULL) != TPLR_OK)
            abort();
        tplr_eval_losses l = {3, 2.9, 3, 2.95};
        for (int i = 0; i < k; i++)
            if (tplr_scoring_eval(s, out[i], &l, 0.5) != TPLR_OK)
                abort();
        if (tplr_scoring_end_window(s) != TPLR_OK || tplr_scoring_weights(s, out, w, &k) != TPLR_OK ||
            tplr_scoring_peers(s, cand, NULL, n, 0, out, &k, res, &nr) != TPLR_OK)
            abort();
    }
    return 0;
}
