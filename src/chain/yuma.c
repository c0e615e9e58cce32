/* Compiled with -ffp-contract=off (CMakeLists.txt): every product and sum is
 * rounded as written, in the order written, so tests/chain/yuma_ref.py (plain
 * IEEE doubles, same order) gives the same bits. */
#include "tplr/yuma.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Support sums are compared to kappa with this slack, so that shares like
 * 1/3 + 1/6 still count as one half. */
#define SUPPORT_EPS 1e-12

typedef struct ranked {
    uint64_t stake;
    int uid;
} ranked;

static int by_stake_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->stake != y->stake)
        return x->stake > y->stake ? -1 : 1;
    return x->uid - y->uid;
}

void tplr_yuma_permits(int n, const uint64_t *stake, int max_validators, uint64_t min_stake, int *permit)
{
    ranked *r = malloc(sizeof *r * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        permit[i] = 0;
        if (r)
            r[i] = (ranked){stake[i], i};
    }
    if (!r)
        return; /* no permits: the epoch pays nothing rather than the wrong uids */
    qsort(r, (size_t)n, sizeof *r, by_stake_desc);
    for (int k = 0; k < n && k < max_validators; k++)
        if (r[k].stake > 0 && r[k].stake >= min_stake)
            permit[r[k].uid] = 1;
    free(r);
}

/* Divides v[0..n) (stride apart) by its sum, if positive. */
static void normalize(double *v, int n, int stride)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i * stride];
    if (sum > 0)
        for (int i = 0; i < n; i++)
            v[i * stride] /= sum;
}

/* Stake-weighted consensus of column j of W: the largest weight that
 * validators holding at least kappa of the stake gave j or more. */
static double column_consensus(const double *W, const double *s, int n, int j, double kappa, double *vals)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (s[i] > 0)
            vals[m++] = W[i * n + j];
    /* insertion sort of the m values, descending (m is small: validators) */
    for (int a = 1; a < m; a++) {
        double v = vals[a];
        int b = a - 1;
        while (b >= 0 && vals[b] < v) {
            vals[b + 1] = vals[b];
            b--;
        }
        vals[b + 1] = v;
    }
    for (int a = 0; a < m; a++) {
        if (a + 1 < m && vals[a + 1] == vals[a])
            continue; /* count every tie before testing */
        double support = 0;
        for (int i = 0; i < n; i++)
            if (s[i] > 0 && W[i * n + j] >= vals[a])
                support += s[i];
        if (support >= kappa - SUPPORT_EPS)
            return vals[a];
    }
    return 0;
}

tplr_err tplr_yuma_epoch(const tplr_yuma_in *in, const tplr_yuma_out *out)
{
    int n = in->n;
    size_t nn = (size_t)n * (size_t)n;
    double *s = calloc((size_t)n + 1, sizeof *s), *W = calloc(nn + 1, sizeof *W);
    double *dB = calloc(nn + 1, sizeof *dB), *vals = calloc((size_t)n + 1, sizeof *vals);
    if (!s || !W || !dB || !vals) {
        free(s), free(W), free(dB), free(vals);
        return tplr_fail(TPLR_ENOMEM, "emissions for %d uids: out of memory", n);
    }
    /* 1-2: active validators' stake, normalized */
    for (int i = 0; i < n; i++) {
        int active = in->block - in->last_update[i] <= in->activity_cutoff || in->last_update[i] > in->block;
        s[i] = in->permit[i] && active ? (double)in->stake[i] : 0;
    }
    normalize(s, n, 1);
    /* 3: weights of permitted validators, without self-weights and weights set
     * before the weighted uid's current hotkey registered; rows sum to 1 */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n && in->permit[i]; j++)
            if (i != j && in->last_update[i] >= in->registered_at[j])
                W[i * n + j] = in->weights[i * n + j];
        normalize(W + (size_t)i * n, n, 1);
    }
    /* 4-7: consensus, clipping, rank, incentive, trust */
    for (int j = 0; j < n; j++) {
        double c = column_consensus(W, s, n, j, in->kappa, vals), rank = 0, pre = 0;
        for (int i = 0; i < n; i++) {
            double w = W[i * n + j], clipped = w < c ? w : c;
            rank += s[i] * clipped;
            pre += s[i] * w;
            dB[i * n + j] = s[i] * clipped;
        }
        out->consensus[j] = c;
        out->rank[j] = rank;
        out->incentive[j] = rank;
        out->trust[j] = pre > 0 ? rank / pre : 0;
    }
    normalize(out->incentive, n, 1);
    /* 8: bonds, an EMA of the column-normalized clipped stake-weights */
    for (int j = 0; j < n; j++)
        normalize(dB + j, n, n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double prev = in->permit[i] ? in->bonds[i * n + j] : 0;
            out->bonds[i * n + j] = in->alpha * dB[i * n + j] + (1 - in->alpha) * prev;
        }
    for (int j = 0; j < n; j++)
        normalize(out->bonds + j, n, n);
    /* 9: dividends */
    for (int i = 0; i < n; i++) {
        double d = 0;
        for (int j = 0; j < n; j++)
            d += out->bonds[i * n + j] * out->incentive[j];
        out->dividends[i] = d;
    }
    normalize(out->dividends, n, 1);
    free(s), free(W), free(dB), free(vals);
    return TPLR_OK;
}

uint64_t tplr_yuma_emission(uint64_t total, int n, const double *incentive, const double *dividends,
                            uint64_t *emission)
{
    uint64_t miners = total / 2, validators = total - miners, paid = 0;
    double si = 0, sd = 0;
    for (int i = 0; i < n; i++) {
        si += incentive[i];
        sd += dividends[i];
    }
    for (int i = 0; i < n; i++) {
        uint64_t e = 0;
        if (si > 0)
            e += (uint64_t)floor((double)miners * incentive[i]);
        if (sd > 0)
            e += (uint64_t)floor((double)validators * dividends[i]);
        emission[i] = e;
        paid += e;
    }
    return paid;
}
