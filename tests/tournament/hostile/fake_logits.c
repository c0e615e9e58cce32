/* Trains honestly but returns made-up logits (the loss is right). */
#include <stdlib.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    TPLR_TRY(reference_inner_steps(model, it, opt, n, dev, res));
    size_t k = (size_t)tplr_tour_batch_rows(it) * (tplr_tour_batch_len(it) - 1) * model->cfg.vocab;
    srand(1);
    for (size_t i = 0; i < k; i++)
        res->final_logits[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return TPLR_OK;
}
