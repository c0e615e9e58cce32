/* Verification of a delivered run against the reference run on the same
 * seed: exact token count (the harness's count and the submission's claim),
 * final loss, final logits (aggregate difference) and final weights (each
 * tensor's distance from the reference, relative to the reference's update). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tour_internal.h"

static int check_tokens(const tplr_tour_exec *sub, const tplr_tour_init *in, tplr_tour_run *run)
{
    uint64_t want = (uint64_t)in->steps * (uint64_t)in->batch * (uint64_t)in->seq;
    if (sub->tokens == want && (uint64_t)sub->head.total_tokens == want)
        return 1;
    run->verdict = TPLR_TOUR_TOKEN_COUNT_MISMATCH;
    long long d = (long long)sub->tokens - (long long)want;
    snprintf(run->detail, sizeof run->detail,
             "Token count mismatch.\n  Expected:           %llu (%d steps x %d x %d)\n  Handed out:         %llu "
             "(%d batches; difference %+lld, %+.2f%%)\n  Reported by result: %lld\n  Likely causes: skipping "
             "batches, stopping early, reusing a batch instead of taking the next, or miscounting total_tokens "
             "(it counts B x S per batch, the dropped last column included)",
             (unsigned long long)want, in->steps, in->batch, in->seq, (unsigned long long)sub->tokens, sub->batches,
             d, 100.0 * (double)d / (double)want, (long long)sub->head.total_tokens);
    return 0;
}

static int check_loss(const tplr_tour_exec *ref, const tplr_tour_exec *sub, tplr_tour_run *run)
{
    double a = sub->head.final_loss, b = ref->head.final_loss, d = fabs(a - b);
    double tol = TPLR_TOUR_LOSS_TOL * (fabs(b) > 1 ? fabs(b) : 1);
    if (isfinite(a) && d <= tol)
        return 1;
    run->verdict = TPLR_TOUR_LOSS_MISMATCH;
    snprintf(run->detail, sizeof run->detail,
             "Loss value mismatch.\n  Expected:   %.6f\n  Actual:     %.6f\n  Difference: %.6f (%.2f%%; tolerance "
             "%.6f)\n  Likely causes: a modified loss, wrong targets (they are batch[:, 1:]), a missed or extra "
             "optimizer step, or returning another step's loss",
             b, a, a - b, b != 0 ? 100.0 * (a - b) / fabs(b) : 0.0, tol);
    return 0;
}

static int check_logits(const tplr_tour_exec *ref, const tplr_tour_exec *sub, size_t n, tplr_tour_run *run)
{
    double sd = 0, sr = 0, mx = 0;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)sub->logits[i] - (double)ref->logits[i]);
        if (!isfinite(d)) {
            bad++;
            continue;
        }
        sd += d;
        sr += fabs((double)ref->logits[i]);
        if (d > mx)
            mx = d;
    }
    run->logits_diff = sr > 0 ? sd / sr : (sd > 0 ? INFINITY : 0);
    if (!bad && run->logits_diff <= TPLR_TOUR_LOGITS_TOL)
        return 1;
    run->verdict = TPLR_TOUR_LOGITS_MISMATCH;
    snprintf(run->detail, sizeof run->detail,
             "Output logits don't match the reference.\n  Aggregate difference mean|d|/mean|ref|: %.6f (tolerance "
             "%.4f)\n  Max difference:  %.6f\n  Mean difference: %.6f\n  Non-finite:      %zu of %zu\n  Likely "
             "causes: logits of another step (they must be the last step's, before its update), made-up or zeroed "
             "logits, a different forward pass or precision",
             run->logits_diff, TPLR_TOUR_LOGITS_TOL, mx, n ? sd / (double)n : 0.0, bad, n);
    return 0;
}

static int check_weights(const tplr_tour_exec *ref, const tplr_tour_exec *sub, const tplr_tour_init *in,
                         const float *w0, tplr_tour_run *run)
{
    tplr_model *shapes = NULL;
    if (tplr_model_create_shapes(&in->cfg, &shapes)) {
        run->verdict = TPLR_TOUR_WEIGHTS_MISMATCH;
        snprintf(run->detail, sizeof run->detail, "cannot lay out the model: %s", tplr_errmsg());
        return 0;
    }
    double worst = 0;
    int worst_t = -1;
    for (int t = 0; t < shapes->n_tensors; t++) {
        const tplr_tensor_info *ti = &shapes->tensors[t];
        double dd = 0, du = 0, rr = 0;
        for (size_t i = ti->offset; i < ti->offset + ti->numel; i++) {
            double d = (double)sub->weights[i] - (double)ref->weights[i];
            double u = (double)ref->weights[i] - (double)w0[i];
            dd += d * d, du += u * u, rr += (double)ref->weights[i] * ref->weights[i];
        }
        /* relative to the reference's update; a tensor that did not move is
         * compared with its own size instead */
        double rel = du > 0 ? sqrt(dd / du) : (dd > 0 ? sqrt(dd / (rr > 0 ? rr : 1)) * 1e6 : 0);
        if (!isfinite(dd) || isnan(rel))
            rel = INFINITY;
        if (rel > worst || worst_t < 0) {
            worst = rel;
            worst_t = t;
        }
    }
    run->weights_rel_l2 = worst;
    int ok = worst <= TPLR_TOUR_WEIGHTS_TOL;
    if (!ok) {
        run->verdict = TPLR_TOUR_WEIGHTS_MISMATCH;
        snprintf(run->detail, sizeof run->detail,
                 "Final weights don't match the reference.\n  Worst tensor: %s\n  |w - w_ref| / |w_ref - w_start|: "
                 "%.4f (tolerance %.2f per tensor)\n  Likely causes: frozen or skipped layers, a skipped or partial "
                 "backward pass, a different optimizer (AdamW with optimizer->hp), or extra/missing steps",
                 worst_t >= 0 ? shapes->tensors[worst_t].name : "?", worst, TPLR_TOUR_WEIGHTS_TOL);
    }
    tplr_model_free(shapes);
    return ok;
}

void tplr_tour_verify(const tplr_tour_exec *ref, const tplr_tour_exec *sub, const tplr_tour_init *in,
                      const float *w0, tplr_tour_run *run)
{
    run->verdict = TPLR_TOUR_PASS;
    run->tokens = sub->tokens;
    run->loss = sub->head.final_loss;
    run->ref_loss = ref->head.final_loss;
    run->logits_diff = run->weights_rel_l2 = NAN;
    size_t n_logits = (size_t)in->batch * (size_t)(in->seq - 1) * (size_t)in->cfg.vocab;
    if (!check_tokens(sub, in, run) || !check_loss(ref, sub, run) || !check_logits(ref, sub, n_logits, run) ||
        !check_weights(ref, sub, in, w0, run))
        return;
    snprintf(run->detail, sizeof run->detail,
             "verified: %llu tokens, loss %.6f (reference %.6f), logits difference %.2e, weights %.2e of the update",
             (unsigned long long)run->tokens, run->loss, run->ref_loss, run->logits_diff, run->weights_rel_l2);
}
