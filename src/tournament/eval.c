/* tplr_tour_evaluate: compile, then per evaluation a fresh seed, the
 * reference run on it (cached), the submission's run, verification, TPS. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "tour_internal.h"
#include "tplr/fileio.h"
#include "tplr/hash.h"
#include "tplr/kernels.h"
#include "tplr/tour_sandbox.h"

static const char *const verdict_names[] = {"Pass", "CompileError", "Timeout", "Crash", "SandboxViolation",
                                            "TokenCountMismatchError", "LossMismatchError", "LogitsMismatchError",
                                            "WeightsMismatchError"};

const char *tplr_tour_verdict_name(tplr_tour_verdict v)
{
    return (unsigned)v < sizeof verdict_names / sizeof verdict_names[0] ? verdict_names[v] : "Unknown";
}

void tplr_tour_eval_opts_default(tplr_tour_eval_opts *o)
{
    memset(o, 0, sizeof *o);
    o->preset = "small";
    o->steps = 20;
    o->batch = 4;
    o->seq = 129;
    o->evals = 3;
    o->timeout_s = 600;
    o->cache_dir = "/var/tmp/tplr-tour-cache";
    o->work_dir = "/tmp/tplr-tour-work";
}

static tplr_err check_opts(const tplr_tour_eval_opts *o, tplr_model_config *cfg)
{
    TPLR_TRY(tplr_config_preset(o->preset, cfg));
    if (o->steps < 1 || o->batch < 1 || o->batch > 4096 || o->seq < 2)
        return tplr_fail(TPLR_EINVAL, "--steps and --batch must be ≥ 1 and --seq ≥ 2");
    if (o->seq - 1 > cfg->max_seq)
        return tplr_fail(TPLR_EINVAL, "--seq %d: the model sees seq − 1 = %d tokens, more than preset %s's max_seq %d",
                         o->seq, o->seq - 1, o->preset, cfg->max_seq);
    if (o->evals < 1 || o->evals > TPLR_TOUR_MAX_EVALS)
        return tplr_fail(TPLR_EINVAL, "--evals must be in [1, %d]", TPLR_TOUR_MAX_EVALS);
    if (!(o->timeout_s > 0) || o->timeout_s > 86400)
        return tplr_fail(TPLR_EINVAL, "--timeout must be in (0, 86400] seconds");
    if (!o->work_dir || !o->cache_dir)
        return tplr_fail(TPLR_EINVAL, "work_dir and cache_dir must be set");
    return TPLR_OK;
}

/* A build folder the sandbox's user can use. */
static tplr_err make_dir(const char *work, const char *prefix, char *out, size_t cap)
{
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/%s-XXXXXX", work, prefix);
    if (!mkdtemp(tmpl))
        return tplr_fail_errno("cannot create a folder in %s", work);
    snprintf(out, cap, "%s", tmpl);
    return tplr_sbx_grant(out);
}

static void remove_dir(const char *dir)
{
    const char *files[] = {"train.c", "runner", "compile.log", "run.log"};
    char p[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (!tplr_path_join(p, sizeof p, dir, files[i]))
            unlink(p);
    rmdir(dir);
}

static uint64_t mem_limit(const tplr_tour_eval_opts *o, const tplr_tour_init *in)
{
    if (o->mem_gib > 0)
        return (uint64_t)(o->mem_gib * (double)(1ull << 30));
    tplr_model *m = NULL;
    if (tplr_model_create_shapes(&in->cfg, &m))
        return (uint64_t)16 << 30;
    double need = 16.0 * (double)m->n_params + (double)tplr_acts_bytes(m, in->batch, in->seq - 1, in->threads) +
                  8.0 * (double)in->batch * (double)(in->seq - 1) * (double)in->cfg.vocab;
    tplr_model_free(m);
    return (uint64_t)(3.0 * need) + ((uint64_t)1 << 30) + (uint64_t)in->threads * (128ull << 20);
}

typedef struct eval_ctx {
    const tplr_tour_eval_opts *o;
    char ref_sha[65];
    const char *ref_path;
    char ref_dir[4096]; /* compiled on the first cache miss */
    uint64_t mem;
} eval_ctx;

static tplr_err reference_run(eval_ctx *c, const tplr_tour_init *in, uint64_t n_logits, uint64_t n_weights,
                              tplr_tour_exec *ref)
{
    char key[65], name[128], path[4096];
    TPLR_TRY(tplr_tour_ref_key(in, c->ref_sha, key));
    snprintf(name, sizeof name, "ref-%s.bin", key);
    TPLR_TRY(tplr_path_join(path, sizeof path, c->o->cache_dir, name));
    if (tplr_path_exists(path) && tplr_tour_ref_load(path, key, n_logits, n_weights, ref) == TPLR_OK)
        return TPLR_OK;
    if (!c->ref_dir[0]) {
        TPLR_TRY(make_dir(c->o->work_dir, "ref", c->ref_dir, sizeof c->ref_dir));
        tplr_tour_verdict v;
        char detail[1024];
        TPLR_TRY(tplr_tour_compile(c->ref_path, c->ref_dir, 300, &v, detail, sizeof detail));
        if (v != TPLR_TOUR_PASS)
            return tplr_fail(TPLR_EIO, "the reference %s does not compile: %s", c->ref_path, detail);
    }
    TPLR_TRY(tplr_tour_harness_run(c->ref_dir, in, c->o->timeout_s, c->mem, ref));
    uint64_t want = (uint64_t)in->steps * (uint64_t)in->batch * (uint64_t)in->seq;
    if (ref->verdict != TPLR_TOUR_PASS || ref->tokens != want)
        return tplr_fail(TPLR_EIO, "the reference run failed (%s): %s", tplr_tour_verdict_name(ref->verdict),
                         ref->detail);
    return tplr_tour_ref_save(path, key, ref, n_logits, n_weights);
}

static tplr_err initial_weights(const tplr_tour_init *in, float **w0)
{
    tplr_model *m = NULL;
    TPLR_TRY(tplr_model_create(&in->cfg, &m));
    tplr_tour_init_weights(m, tplr_tour_weight_seed(in->seed));
    *w0 = m->params;
    m->params = NULL;
    tplr_model_free(m);
    return TPLR_OK;
}

static tplr_err one_eval(eval_ctx *c, const char *sub_dir, const tplr_tour_init *in, tplr_tour_run *run)
{
    tplr_model *shapes = NULL;
    TPLR_TRY(tplr_model_create_shapes(&in->cfg, &shapes));
    uint64_t n_weights = shapes->n_params;
    tplr_model_free(shapes);
    uint64_t n_logits = (uint64_t)in->batch * (uint64_t)(in->seq - 1) * (uint64_t)in->cfg.vocab;
    tplr_tour_exec ref, sub;
    TPLR_TRY(reference_run(c, in, n_logits, n_weights, &ref));
    tplr_err e = tplr_tour_harness_run(sub_dir, in, c->o->timeout_s, c->mem, &sub);
    if (e) {
        tplr_tour_exec_free(&ref);
        return e;
    }
    run->seed = in->seed;
    run->tokens = sub.tokens;
    run->startup_s = sub.startup_s;
    if (sub.verdict == TPLR_TOUR_PASS) {
        float *w0 = NULL;
        e = initial_weights(in, &w0);
        if (!e)
            tplr_tour_verify(&ref, &sub, in, w0, run);
        free(w0);
        run->seconds = sub.seconds;
        run->tps = sub.seconds > 0 ? (double)sub.tokens / sub.seconds : 0;
    } else {
        run->verdict = sub.verdict;
        run->loss = run->logits_diff = run->weights_rel_l2 = NAN;
        run->ref_loss = ref.head.final_loss;
        snprintf(run->detail, sizeof run->detail, "%s", sub.detail);
    }
    tplr_tour_exec_free(&ref);
    tplr_tour_exec_free(&sub);
    return e;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t fresh_seed(void)
{
    uint64_t s = 0;
    while (s == 0)
        if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s)
            s = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
    return s & 0x7fffffffffffffffull ? s & 0x7fffffffffffffffull : 1;
}

static void summarize(tplr_tour_report *r)
{
    double tps[TPLR_TOUR_MAX_EVALS];
    int n = 0;
    r->verdict = TPLR_TOUR_PASS;
    for (int i = 0; i < r->n_runs; i++) {
        if (r->runs[i].verdict != TPLR_TOUR_PASS && r->verdict == TPLR_TOUR_PASS)
            r->verdict = r->runs[i].verdict;
        if (r->runs[i].verdict == TPLR_TOUR_PASS)
            tps[n++] = r->runs[i].tps;
    }
    qsort(tps, (size_t)n, sizeof tps[0], cmp_double);
    r->median_tps = r->verdict != TPLR_TOUR_PASS || n == 0 ? 0 : (n % 2 ? tps[n / 2] : 0.5 * (tps[n / 2 - 1] + tps[n / 2]));
}

tplr_err tplr_tour_evaluate(const char *source_path, const tplr_tour_eval_opts *o, tplr_tour_report *r)
{
    memset(r, 0, sizeof *r);
    tplr_model_config cfg;
    TPLR_TRY(check_opts(o, &cfg));
    TPLR_TRY(tplr_mkdirs(o->work_dir));
    TPLR_TRY(tplr_mkdirs(o->cache_dir));
    TPLR_TRY(tplr_sbx_check_reachable(o->work_dir));
    TPLR_TRY(tplr_sbx_check_reachable(TPLR_TOUR_LIB_FILE));
    TPLR_TRY(tplr_sbx_check_reachable(TPLR_TOUR_INCLUDE_DIR));
    eval_ctx c = {.o = o, .ref_path = o->reference_path ? o->reference_path : TPLR_TOUR_REFERENCE};
    TPLR_TRY(tplr_sha256_file(c.ref_path, c.ref_sha));
    char sub_dir[4096];
    TPLR_TRY(make_dir(o->work_dir, "sub", sub_dir, sizeof sub_dir));
    tplr_tour_verdict v;
    tplr_err e = tplr_tour_compile(source_path, sub_dir, 300, &v, r->runs[0].detail, sizeof r->runs[0].detail);
    if (!e && v != TPLR_TOUR_PASS) {
        r->n_runs = 1;
        r->runs[0].verdict = v;
    }
    tplr_tour_init in = {.cfg = cfg, .batch = o->batch, .seq = o->seq, .steps = o->steps,
                         .threads = o->threads > 0 ? o->threads : tplr_k_threads(), .hp = tplr_tour_hparams()};
    c.mem = mem_limit(o, &in);
    for (int k = 0; !e && v == TPLR_TOUR_PASS && k < o->evals; k++) {
        in.seed = o->seed ? o->seed + (uint64_t)k : fresh_seed();
        e = one_eval(&c, sub_dir, &in, &r->runs[k]);
        r->n_runs = k + 1;
    }
    summarize(r);
    remove_dir(sub_dir);
    if (c.ref_dir[0])
        remove_dir(c.ref_dir);
    return e;
}
