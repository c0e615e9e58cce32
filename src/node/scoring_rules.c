/* The pure score rules: gradient score, binary indicator, sync distance and
 * sync score (templar.md §4 "Per uid"). */
#include <math.h>
#include <stdlib.h>

#include "tplr/scoring.h"

int tplr_eval_losses_ok(const tplr_eval_losses *l)
{
    return isfinite(l->before_own) && isfinite(l->after_own) && isfinite(l->before_rand) &&
           isfinite(l->after_rand) && l->before_own > 0 && l->before_rand > 0 && l->after_own >= 0 &&
           l->after_rand >= 0;
}

double tplr_gradient_score(const tplr_eval_losses *l)
{
    return (l->before_rand - l->after_rand) / l->before_rand;
}

int tplr_binary_indicator(const tplr_eval_losses *l)
{
    double own = (l->before_own - l->after_own) / l->before_own;
    double rand = (l->before_rand - l->after_rand) / l->before_rand;
    return own > rand ? 1 : -1;
}

double tplr_sync_score(const tplr_scoring_config *c, double x)
{
    if (isnan(x))
        x = c->sync_max_x;
    if (x < 0)
        x = 0;
    double base = 1.0 - fmin(x, c->sync_max_x) / c->sync_max_x;
    return pow(fmax(0.0, base), c->sync_power);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* torch.quantile's linear interpolation over sorted v[0..n) */
static double quantile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos), hi = (size_t)ceil(pos);
    return v[lo] + (pos - (double)lo) * (v[hi] - v[lo]);
}

double tplr_sync_x(const float *a, const float *b, size_t n, double delta_ema)
{
    if (n == 0 || !(delta_ema > 0))
        return 0.0;
    double *d = malloc(n * sizeof *d);
    if (!d)
        return INFINITY;
    for (size_t i = 0; i < n; i++) {
        d[i] = fabs((double)a[i] - (double)b[i]);
        if (!isfinite(d[i])) {
            free(d);
            return INFINITY;
        }
    }
    qsort(d, n, sizeof *d, cmp_double);
    double q1 = quantile(d, n, 0.25), q3 = quantile(d, n, 0.75);
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i] >= q1 && d[i] <= q3) {
            sum += d[i];
            k++;
        }
    free(d);
    double iqm = k ? sum / (double)k : 0.5 * (q1 + q3);
    return iqm / delta_ema;
}

double tplr_sync_ema_update(double ema, double delta, double alpha)
{
    if (!(ema > 0))
        return delta;
    return alpha * delta + (1.0 - alpha) * ema;
}
