#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "tplr/checkpoint.h"
#include "tplr/data_parallel.h"
#include "tplr/fileio.h"
#include "tplr/kernels.h"
#include "tplr/log.h"
#include "tplr/profile.h"
#include "tplr/progress.h"
#include "tplr/signals.h"
#include "tplr/timeutil.h"
#include "tplr/trainer.h"
#include "train_backend.h"

static long peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static tplr_train_state_info state_info(const tplr_model *m, const tplr_train_opts *o,
                                        const tplr_samples *data, int64_t step)
{
    tplr_train_state_info i = {
        .cfg = m->cfg, .step = step, .batch = o->batch, .seq = o->seq, .threads = tplr_k_threads(),
        .workers = o->workers,
        .steps = o->steps, .rows = data->n, .order = o->order, .seed = o->seed, .hp = o->hp,
    };
    return i;
}

static tplr_err save_all(train_backend *be, const tplr_train_opts *o, const tplr_samples *rows, int64_t step)
{
    if (!o->out_dir)
        return TPLR_OK;
    TPLR_TRY(tb_to_host(be));
    const tplr_model *m = be->m;
    const tplr_adamw *opt = be->opt;
    TPLR_TRY(tplr_checkpoint_save(m, o->out_dir));
    char path[4096];
    TPLR_TRY(tplr_path_join(path, sizeof path, o->out_dir, TPLR_TRAIN_STATE_FILE));
    tplr_train_state_info info = state_info(m, o, rows, step);
    return tplr_train_state_save(path, m, opt, &info);
}

static int hp_equal(const tplr_adamw_hparams *a, const tplr_adamw_hparams *b)
{
    return a->lr == b->lr && a->beta1 == b->beta1 && a->beta2 == b->beta2 && a->eps == b->eps &&
           a->weight_decay == b->weight_decay && a->clip == b->clip && a->warmup_steps == b->warmup_steps &&
           a->t_max == b->t_max && a->eta_min_factor == b->eta_min_factor;
}

/* A resumed run must continue the same run: same data, batches and optimizer. */
static tplr_err check_resume(const tplr_train_opts *o, const tplr_samples *data, tplr_model *m,
                             int64_t *start)
{
    tplr_train_state_info s;
    TPLR_TRY(tplr_train_state_peek(o->resume_path, &s));
    const char *what = NULL;
    if (!tplr_config_equal(&s.cfg, &m->cfg)) what = "model config";
    else if (s.batch != o->batch) what = "--batch";
    else if (s.seq != o->seq) what = "--seq";
    else if (s.order != o->order) what = "--order";
    else if (s.seed != o->seed) what = "--seed";
    else if (s.rows != data->n) what = "data (number of samples)";
    else if (!hp_equal(&s.hp, &o->hp)) what = "optimizer settings (--lr, --warmup, ...)";
    if (what)
        return tplr_fail(TPLR_EMISMATCH, "%s: the %s differs from the saved run; resume with the same "
                         "settings", o->resume_path, what);
    if (s.step > o->steps)
        return tplr_fail(TPLR_EINVAL, "%s is at step %lld, past --steps %lld", o->resume_path,
                         (long long)s.step, (long long)o->steps);
    if (s.workers != o->workers)
        tplr_warn("the saved run split its batches over %d workers and this one over %d: losses may differ in "
                  "the last bits", s.workers, o->workers);
    else if (o->workers == 1 && s.threads != tplr_k_threads()) /* more workers: each runs on one thread */
        tplr_warn("the saved run used %d threads and this one %d: losses may differ in the last bits",
                  s.threads, tplr_k_threads());
    *start = s.step;
    return TPLR_OK;
}

typedef struct run_buffers {
    train_backend be;
    int32_t *inputs, *targets;
    FILE *log;
} run_buffers;

static void free_buffers(run_buffers *b)
{
    tb_close(&b->be);
    free(b->inputs);
    free(b->targets);
    if (b->log)
        fclose(b->log);
}

static tplr_err open_buffers(tplr_model *m, const tplr_train_opts *o, run_buffers *b)
{
    memset(b, 0, sizeof *b);
    size_t n = (size_t)o->batch * (size_t)o->seq;
    TPLR_TRY(tb_open(&b->be, m, o));
    b->inputs = malloc(sizeof(int32_t) * n);
    b->targets = malloc(sizeof(int32_t) * n);
    if (!b->inputs || !b->targets)
        return tplr_fail(TPLR_ENOMEM, "allocating batch buffers");
    if (o->log_path) {
        b->log = fopen(o->log_path, o->resume_path ? "a" : "w");
        if (!b->log)
            return tplr_fail_errno("cannot open log %s", o->log_path);
    }
    return TPLR_OK;
}

static tplr_err run_steps(const tplr_train_opts *o, tplr_samples *rows,
                          tplr_row_order *order, run_buffers *b, int64_t start, tplr_train_summary *s)
{
    size_t tokens = (size_t)o->batch * (size_t)o->seq;
    tplr_progress prog;
    if (!o->quiet)
        tplr_progress_start(&prog, stderr, o->steps);
    double t_run = tplr_now(), t_after_first = 0;
    for (int64_t step = start; step < o->steps; step++) {
        double t0 = tplr_now();
        TPLR_PROF(TPLR_PH_DATA, tplr_batch_fill(rows, order, step, o->batch, b->inputs, b->targets));
        float loss;
        double norm;
        TPLR_TRY(tb_grad(&b->be, b->inputs, b->targets, o->hp.clip, &loss, &norm));
        if (!isfinite(loss) || !isfinite(norm)) {
            if (!o->quiet)
                tplr_progress_finish(&prog);
            const char *what = isfinite(loss) ? "gradient norm" : "loss";
            double bad = isfinite(loss) ? norm : loss;
            return tplr_fail(TPLR_ENUMERIC, "step %lld: the %s became %s; lower --lr or check the data (the weights "
                             "of this step were not saved%s%s)", (long long)step + 1, what,
                             isnan(bad) ? "NaN" : "infinite", o->out_dir ? "; the last good state is in " : "",
                             o->out_dir ? o->out_dir : "");
        }
        double lr = tplr_lr_at(&o->hp, step);
        TPLR_TRY(tb_update(&b->be, lr));
        double dt = tplr_now() - t0;
        if (step == start) {
            t_after_first = tplr_now();
            tplr_prof_reset(); /* the first step pays for page faults and warm-up */
        }
        s->steps_done = step + 1;
        s->final_loss = loss;
        if (b->log) {
            fprintf(b->log, "{\"step\":%lld,\"loss\":%.6f,\"lr\":%.6e,\"grad_norm\":%.6f,\"tok_s\":%.1f}\n",
                    (long long)step + 1, loss, lr, norm, (double)tokens / dt);
            fflush(b->log);
        }
        if (!o->quiet) {
            char detail[128];
            snprintf(detail, sizeof detail, "loss %.4f | lr %.2e | %.0f tok/s", loss, lr, (double)tokens / dt);
            tplr_progress_update(&prog, step + 1, detail, 0);
        }
        int stop = tplr_stop_requested();
        if (stop || (o->save_every > 0 && (step + 1) % o->save_every == 0 && step + 1 < o->steps))
            TPLR_TRY(save_all(&b->be, o, rows, step + 1));
        if (stop) {
            s->interrupted = 1;
            break;
        }
    }
    if (!o->quiet)
        tplr_progress_finish(&prog);
    double t_end = tplr_now();
    int64_t done = s->steps_done - start;
    s->seconds = t_end - t_run;
    s->tok_s = done > 1 ? (double)tokens * (double)(done - 1) / (t_end - t_after_first)
                        : (done == 1 ? (double)tokens / s->seconds : 0);
    return TPLR_OK;
}

tplr_err tplr_train(tplr_model *m, const tplr_train_opts *o, tplr_train_summary *s)
{
    memset(s, 0, sizeof *s);
    if (o->batch < 1 || o->steps < 0)
        return tplr_fail(TPLR_EINVAL, "--batch must be ≥ 1 and --steps ≥ 0");
    TPLR_TRY(tplr_adamw_validate(&o->hp));
    tplr_samples rows;
    tplr_samples_opts so = {.vocab = m->cfg.vocab, .split = o->split, .sample_len = o->seq,
                            .mask_eos = o->mask_eos, .eos = o->eos};
    TPLR_TRY(tplr_samples_open(o->data_path, &so, &rows));
    tplr_train_opts opts = *o;
    opts.seq = rows.T;
    opts.workers = o->device == TPLR_DEVICE_CPU ? tplr_dp_count(o->workers, o->batch) : 1;
    tplr_err e = TPLR_OK;
    if (opts.seq > m->cfg.max_seq)
        e = tplr_fail(TPLR_EINVAL, "sequence length %d exceeds the model's max_seq %d", opts.seq,
                      m->cfg.max_seq);
    int64_t start = 0;
    run_buffers b;
    tplr_row_order order = {0};
    memset(&b, 0, sizeof b);
    if (!e && opts.resume_path)
        e = check_resume(&opts, &rows, m, &start);
    if (!e)
        e = open_buffers(m, &opts, &b);
    if (!e && opts.resume_path)
        e = tplr_train_state_load(opts.resume_path, m, b.be.opt);
    if (!e && opts.resume_path)
        e = tb_state_loaded(&b.be);
    if (!e)
        e = tplr_row_order_init(&order, opts.order, opts.seed, rows.n);
    if (!e) {
        s->first_step = start;
        s->steps_done = start;
        s->flops_per_token = tplr_model_train_flops_per_token(m, opts.seq);
        s->bytes_params = sizeof(float) * m->n_params;
        s->bytes_grads = s->bytes_params + (b.be.dp ? b.be.dp->bytes_grads : 0); /* and the other workers' */
        s->workers = opts.workers;
        s->bytes_moments = 2 * sizeof(float) * m->n_params;
        s->bytes_acts = b.be.bytes_acts;
        tplr_signals_install();
        e = run_steps(&opts, &rows, &order, &b, start, s);
    }
    if (!e && s->steps_done > start && !s->interrupted)
        e = save_all(&b.be, &opts, &rows, s->steps_done);
    s->peak_rss_kb = peak_rss_kb();
    if (b.be.opt)
        tb_describe(&b.be, s);
    tplr_row_order_free(&order);
    free_buffers(&b);
    tplr_samples_close(&rows);
    return e;
}
