#include <math.h>

#include "fastmath.h"
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
        float mx = x[0];
        for (int j = 1; j < V; j++)
            mx = x[j] > mx ? x[j] : mx;
        float xt = x[t], sum = 0.0f;
        if (grad_scale != 0.0f) {
            for (int j = 0; j < V; j++) {
                float e = tplr_expf(x[j] - mx);
                x[j] = e; /* the gradient is e/sum − onehot */
                sum += e;
            }
            row_loss[r] = logf(sum) + mx - xt;
            float k = grad_scale / sum;
            for (int j = 0; j < V; j++)
                x[j] *= k;
            x[t] -= grad_scale;
        } else {
            for (int j = 0; j < V; j++)
                sum += tplr_expf(x[j] - mx);
            row_loss[r] = logf(sum) + mx - xt;
        }
    }
}
