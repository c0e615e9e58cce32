/* OpenSkill Plackett-Luce, one-player teams (see openskill.h). The sums run
 * over the teams sorted by rank (stable: equal scores keep their input
 * order), in the order the npm package adds them, so results agree with it
 * to a few ulps. */
#include "tplr/openskill.h"

#include <math.h>
#include <stdlib.h>

void tplr_openskill_defaults(tplr_openskill_params *p)
{
    p->mu = 25.0;
    p->sigma = 25.0 / 3.0;
    p->beta = 25.0 / 6.0;
    p->tau = 25.0 / 300.0;
    p->kappa = 1e-4;
    p->z = 3.0;
}

tplr_rating tplr_openskill_new(const tplr_openskill_params *p)
{
    return (tplr_rating){p->mu, p->sigma};
}

double tplr_openskill_ordinal(const tplr_openskill_params *p, tplr_rating r)
{
    return r.mu - p->z * r.sigma;
}

/* Insertion by rank = -score keeps ties in input order (a stable sort). */
static void sort_by_rank(const double *scores, int n, int *order)
{
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && -scores[order[j - 1]] > -scores[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}

tplr_err tplr_openskill_rate(const tplr_openskill_params *p, tplr_rating *ratings, const double *scores, int n)
{
    if (n < 1)
        return tplr_fail(TPLR_EINVAL, "openskill: a game needs at least one player (got %d)", n);
    if (!(p->beta > 0) || !isfinite(p->beta) || !(p->tau >= 0) || !isfinite(p->tau) || !(p->kappa > 0))
        return tplr_fail(TPLR_EINVAL, "openskill: beta must be > 0, tau >= 0 and kappa > 0");
    for (int i = 0; i < n; i++) {
        if (!isfinite(scores[i]) || !isfinite(ratings[i].mu) || !isfinite(ratings[i].sigma) ||
            !(ratings[i].sigma > 0))
            return tplr_fail(TPLR_EINVAL, "openskill: player %d has a non-finite score or rating, or sigma <= 0", i);
    }
    /* per sorted position: order, rank (index of the first of its tie group),
     * mu, sigma², exp(mu/c), sumQ, tie count */
    int *order = malloc((size_t)n * 2 * sizeof(int));
    double *buf = malloc((size_t)n * 4 * sizeof(double));
    if (!order || !buf) {
        free(order);
        free(buf);
        return tplr_fail(TPLR_ENOMEM, "openskill: no memory for a game of %d players", n);
    }
    int *rank = order + n;
    double *mu = buf, *sig2 = buf + n, *e = buf + 2 * n, *sumq = buf + 3 * n;
    sort_by_rank(scores, n, order);
    const double tau2 = p->tau * p->tau, beta2 = p->beta * p->beta;
    for (int j = 0; j < n; j++) {
        tplr_rating r = ratings[order[j]];
        double s = sqrt(r.sigma * r.sigma + tau2);
        mu[j] = r.mu;
        sig2[j] = s * s;
        rank[j] = (j > 0 && -scores[order[j - 1]] < -scores[order[j]]) ? j : (j > 0 ? rank[j - 1] : 0);
    }
    double csum = 0;
    for (int j = 0; j < n; j++)
        csum += sig2[j] + beta2;
    const double c = sqrt(csum);
    /* exp(mu/c) relative to the largest: every use is a ratio of these, so
     * the shift changes nothing but overflow (and the last bits) */
    double mu_max = mu[0];
    for (int j = 1; j < n; j++)
        mu_max = fmax(mu_max, mu[j]);
    for (int j = 0; j < n; j++)
        e[j] = exp((mu[j] - mu_max) / c);
    for (int q = 0; q < n; q++) {
        double sq = 0;
        for (int i = 0; i < n; i++)
            if (rank[i] >= rank[q])
                sq += e[i];
        sumq[q] = sq;
    }
    for (int i = 0; i < n; i++) {
        double omega = 0, delta = 0;
        for (int q = 0; q < n; q++) {
            if (rank[q] > rank[i])
                continue;
            int a = 0; /* teams tied with q */
            for (int t = 0; t < n; t++)
                a += rank[t] == rank[q];
            double quotient = e[i] / sumq[q];
            omega += (i == q ? 1 - quotient : -quotient) / a;
            delta += quotient * (1 - quotient) / a;
        }
        double gamma = sqrt(sig2[i]) / c;
        double i_omega = omega * (sig2[i] / c);
        double i_delta = delta * (sig2[i] / (c * c)) * gamma;
        double sigma = sqrt(sig2[i]);
        /* one-player team: sigma²/teamSigma² = 1 up to rounding; kept as npm computes it */
        double share = sigma * sigma / sig2[i];
        tplr_rating *out = &ratings[order[i]];
        out->mu = mu[i] + share * i_omega;
        out->sigma = sigma * sqrt(fmax(1 - share * i_delta, p->kappa));
    }
    free(order);
    free(buf);
    return TPLR_OK;
}
