#include <math.h>

#include "lanes.h"
#include "tplr/kernels.h"

void tplr_k_xent(float *logits, float *row_loss, const int32_t *targets, int rows, int V,
                 float grad_scale)
{
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        float *x = logits + (size_t)r * (size_t)V;
        int32_t t = targets[r];
        if (t == TPLR_IGNORE_INDEX) {
            row_loss[r] = 0.0f;
            if (grad_scale != 0.0f)
                for (int j = 0; j < V; j++)
                    x[j] = 0.0f;
            continue;
        }
        float mx = tplr_lanes_max(x, V), xt = x[t];
        if (grad_scale != 0.0f) {
            float sum = tplr_lanes_exp_sum(x, V, mx, 1); /* the gradient is e/sum − onehot */
            row_loss[r] = logf(sum) + mx - xt;
            float k = grad_scale / sum;
            for (int j = 0; j < V; j++)
                x[j] *= k;
            x[t] -= grad_scale;
        } else
            row_loss[r] = logf(tplr_lanes_exp_sum(x, V, mx, 0)) + mx - xt;
    }
}
