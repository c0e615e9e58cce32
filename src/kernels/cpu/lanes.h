/* Reductions over a row in TPLR_LANES independent lanes, combined at the
 * end. A chain of dependent float additions (or max) cannot be vectorized
 * and runs at one element per add latency; lanes run at the vector width.
 * The result is a fixed function of the row (no thread count enters it).
 * Private to the CPU kernels. */
#ifndef TPLR_KERNELS_CPU_LANES_H
#define TPLR_KERNELS_CPU_LANES_H

#include "fastmath.h"

#define TPLR_LANES 16

static inline float tplr_lanes_max(const float *x, int n)
{
    float lane[TPLR_LANES];
    for (int l = 0; l < TPLR_LANES; l++)
        lane[l] = x[0];
    int j = 0;
    for (; j + TPLR_LANES <= n; j += TPLR_LANES)
        for (int l = 0; l < TPLR_LANES; l++)
            lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
    float mx = lane[0];
    for (int l = 1; l < TPLR_LANES; l++)
        mx = lane[l] > mx ? lane[l] : mx;
    for (; j < n; j++)
        mx = x[j] > mx ? x[j] : mx;
    return mx;
}

static inline float tplr_lanes_total(const float *lane)
{
    float s = 0.0f;
    for (int l = 0; l < TPLR_LANES; l++)
        s += lane[l];
    return s;
}

/* Σ a·b, or Σ a·b·c when c is not NULL. */
static inline float tplr_lanes_dot(const float *a, const float *b, const float *c, int n)
{
    float lane[TPLR_LANES] = {0};
    int j = 0;
    if (c)
        for (; j + TPLR_LANES <= n; j += TPLR_LANES)
            for (int l = 0; l < TPLR_LANES; l++)
                lane[l] += a[j + l] * b[j + l] * c[j + l];
    else
        for (; j + TPLR_LANES <= n; j += TPLR_LANES)
            for (int l = 0; l < TPLR_LANES; l++)
                lane[l] += a[j + l] * b[j + l];
    float s = tplr_lanes_total(lane);
    for (; j < n; j++)
        s += a[j] * b[j] * (c ? c[j] : 1.0f);
    return s;
}

/* Σ exp(x − mx); with store, x is replaced by the exponentials. */
static inline float tplr_lanes_exp_sum(float *x, int V, float mx, int store)
{
    float lane[TPLR_LANES] = {0};
    int j = 0;
    for (; j + TPLR_LANES <= V; j += TPLR_LANES)
        for (int l = 0; l < TPLR_LANES; l++) {
            float e = tplr_expf(x[j + l] - mx);
            if (store)
                x[j + l] = e;
            lane[l] += e;
        }
    float sum = tplr_lanes_total(lane);
    for (; j < V; j++) {
        float e = tplr_expf(x[j] - mx);
        if (store)
            x[j] = e;
        sum += e;
    }
    return sum;
}

#endif
