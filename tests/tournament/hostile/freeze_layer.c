/* Freezes one tensor (the last layer's second norm gain): loss and logits
 * barely move, only the weights check can tell. */
#include <stdlib.h>
#include <string.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    int C = model->cfg.hidden;
    float *w = model->params + model->layer[model->cfg.layers - 1].norm2;
    float *saved = malloc(sizeof(float) * C);
    memcpy(saved, w, sizeof(float) * C);
    int64_t tokens = 0;
    for (int s = 0; s < n; s++) {
        TPLR_TRY(reference_inner_steps(model, it, opt, 1, dev, res));
        tokens += res->total_tokens;
        memcpy(w, saved, sizeof(float) * C);
    }
    res->total_tokens = tokens;
    free(saved);
    return TPLR_OK;
}
