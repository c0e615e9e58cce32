#include "tplr/profile.h"

static const char *const names[TPLR_PH_COUNT] = {
    "embedding", "rmsnorm", "qkv matmul", "rope", "attention", "o_proj matmul", "gate/up matmul",
    "swiglu", "down matmul", "lm_head matmul", "softmax+xent", "residual copies",
    "rmsnorm (bwd)", "qkv matmuls (bwd)", "rope (bwd)", "attention (bwd)", "o_proj matmuls (bwd)",
    "gate/up matmuls (bwd)", "swiglu (bwd)", "down matmuls (bwd)", "lm_head matmuls (bwd)",
    "embedding (bwd)", "waiting for workers", "grad norm+clip", "adamw", "batch loading",
};

static int enabled;
static _Thread_local int muted;
static double totals[TPLR_PH_COUNT];

void tplr_prof_enable(int on) { enabled = on; }
int tplr_prof_enabled(void) { return enabled && !muted; }
void tplr_prof_mute_thread(int on) { muted = on; }
void tplr_prof_add(tplr_phase ph, double seconds) { totals[ph] += seconds; }

void tplr_prof_reset(void)
{
    for (int i = 0; i < TPLR_PH_COUNT; i++)
        totals[i] = 0;
}

void tplr_prof_report(FILE *out, long steps)
{
    double sum = 0;
    for (int i = 0; i < TPLR_PH_COUNT; i++)
        sum += totals[i];
    if (sum <= 0)
        return;
    fprintf(out, "%-24s %10s %7s\n", "phase", steps > 0 ? "ms/step" : "ms", "share");
    for (int i = 0; i < TPLR_PH_COUNT; i++)
        if (totals[i] > 0)
            fprintf(out, "%-24s %10.2f %6.1f%%\n", names[i], 1e3 * totals[i] / (steps > 0 ? (double)steps : 1.0),
                    100.0 * totals[i] / sum);
    fprintf(out, "%-24s %10.2f\n", "total", 1e3 * sum / (steps > 0 ? (double)steps : 1.0));
}
