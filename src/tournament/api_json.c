/* JSON views of submissions and evaluation runs. */
#include "api_json.h"

#include <math.h>
#include <stdio.h>

static json_t *real_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

json_t *tour_submission_json(const tplr_tour_submission *s, int64_t winner)
{
    json_t *pay = s->has_payment ? json_pack("{s:I, s:I, s:I}", "block", (json_int_t)s->pay_block, "index",
                                             (json_int_t)s->pay_index, "amount", (json_int_t)s->paid)
                                 : json_null();
    return json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:o, s:i, s:b, s:I, s:I, s:o, s:s}", "submission_id",
                     (json_int_t)s->id, "hotkey", s->hotkey, "uid", s->uid, "code_sha256", s->code_sha256, "status",
                     tplr_tour_status_name(s->status), "verdict", s->verdict, "score",
                     s->has_score ? json_real(s->score) : json_null(), "num_evaluations", s->n_evals, "is_winner",
                     winner != 0 && winner == s->id, "created_ms", (json_int_t)s->created_ms, "updated_ms",
                     (json_int_t)s->updated_ms, "payment", pay, "error", s->error);
}

json_t *tour_run_json(const tplr_tour_eval_row *r)
{
    char seed[24]; /* a string: 64-bit seeds lose digits as JavaScript numbers */
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
    return json_pack("{s:i, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:I}", "run", r->run, "verdict",
                     r->verdict, "seed", seed, "tokens", (json_int_t)r->tokens, "seconds",
                     real_or_null(r->seconds), "tps", real_or_null(r->tps), "loss", real_or_null(r->loss), "ref_loss",
                     real_or_null(r->ref_loss), "logits_diff", real_or_null(r->logits_diff), "weights_rel_l2",
                     real_or_null(r->weights_rel_l2), "detail", r->detail, "created_ms", (json_int_t)r->created_ms);
}
