/* The training-state file: a safetensors file with the parameters (Hugging
 * Face names), the AdamW moments ("optimizer.exp_avg." and
 * "optimizer.exp_avg_sq." + name) and, in its metadata, the step and every
 * setting that the rest of the run depends on. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/checkpoint.h"
#include "tplr/trainer.h"

#define STATE_FORMAT "tplr-train-state"
#define STATE_VERSION "1"
#define PREFIX_M "optimizer.exp_avg."
#define PREFIX_V "optimizer.exp_avg_sq."

static char *run_json(const tplr_train_state_info *i)
{
    json_t *o = json_object();
    json_object_set_new(o, "step", json_integer(i->step));
    json_object_set_new(o, "steps", json_integer(i->steps));
    json_object_set_new(o, "batch", json_integer(i->batch));
    json_object_set_new(o, "seq", json_integer(i->seq));
    json_object_set_new(o, "threads", json_integer(i->threads));
    json_object_set_new(o, "workers", json_integer(i->workers));
    json_object_set_new(o, "rows", json_integer(i->rows));
    json_object_set_new(o, "order", json_string(tplr_order_name(i->order)));
    json_object_set_new(o, "seed", json_integer((json_int_t)i->seed));
    json_object_set_new(o, "lr", json_real(i->hp.lr));
    json_object_set_new(o, "beta1", json_real(i->hp.beta1));
    json_object_set_new(o, "beta2", json_real(i->hp.beta2));
    json_object_set_new(o, "eps", json_real(i->hp.eps));
    json_object_set_new(o, "weight_decay", json_real(i->hp.weight_decay));
    json_object_set_new(o, "clip", json_real(i->hp.clip));
    json_object_set_new(o, "warmup", json_integer(i->hp.warmup_steps));
    json_object_set_new(o, "t_max", json_integer(i->hp.t_max));
    json_object_set_new(o, "eta_min_factor", json_real(i->hp.eta_min_factor));
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(o);
    return s;
}

static tplr_err parse_run(const char *path, const char *s, tplr_train_state_info *i)
{
    json_error_t jerr;
    json_t *o = json_loads(s, 0, &jerr);
    json_int_t step, steps, batch, seq, threads, workers = 1, rows, seed, warmup, t_max;
    const char *order;
    if (!o || json_unpack_ex(o, &jerr, JSON_STRICT,
                             "{s:I, s:I, s:I, s:I, s:I, s?I, s:I, s:s, s:I, s:F, s:F, s:F, s:F, s:F, s:F, s:I, s:I, s:F}",
                             "step", &step, "steps", &steps, "batch", &batch, "seq", &seq, "threads", &threads,
                             "workers", &workers,
                             "rows", &rows, "order", &order, "seed", &seed, "lr", &i->hp.lr, "beta1",
                             &i->hp.beta1, "beta2", &i->hp.beta2, "eps", &i->hp.eps, "weight_decay",
                             &i->hp.weight_decay, "clip", &i->hp.clip, "warmup", &warmup, "t_max", &t_max,
                             "eta_min_factor", &i->hp.eta_min_factor) != 0) {
        json_decref(o);
        return tplr_fail(TPLR_EFORMAT, "%s: bad run metadata (%s)", path, jerr.text);
    }
    tplr_err e = tplr_order_parse(order, &i->order);
    json_decref(o);
    if (e)
        return tplr_fail_ctx(e, "%s", path);
    if (step < 0 || steps < 0 || batch < 1 || batch > 1 << 20 || seq < 1 || seq > 1 << 24 || threads < 1 ||
        workers < 1 || workers > batch || rows < 1 || warmup < 0 || t_max < 0)
        return tplr_fail(TPLR_EFORMAT, "%s: run metadata out of range", path);
    i->step = step;
    i->steps = steps;
    i->batch = (int)batch;
    i->seq = (int)seq;
    i->threads = (int)threads;
    i->workers = (int)workers;
    i->rows = rows;
    i->seed = (uint64_t)seed;
    i->hp.warmup_steps = warmup;
    i->hp.t_max = t_max;
    return TPLR_OK;
}

static tplr_err peek_open(const char *path, tplr_safetensors *st, tplr_train_state_info *info)
{
    TPLR_TRY(tplr_st_open(path, st));
    const char *fmt = tplr_st_meta_get(st, "format"), *ver = tplr_st_meta_get(st, "version");
    const char *cfg = tplr_st_meta_get(st, "config"), *run = tplr_st_meta_get(st, "run");
    tplr_err e = TPLR_OK;
    if (!fmt || strcmp(fmt, STATE_FORMAT))
        e = tplr_fail(TPLR_EFORMAT, "%s is not a tplr training-state file (pass the %s written by `tplr "
                      "train --out`)", path, TPLR_TRAIN_STATE_FILE);
    else if (!ver || strcmp(ver, STATE_VERSION))
        e = tplr_fail(TPLR_EFORMAT, "%s: training-state version %s is not supported (this build reads %s)",
                      path, ver ? ver : "(none)", STATE_VERSION);
    else if (!cfg || !run)
        e = tplr_fail(TPLR_EFORMAT, "%s: training-state metadata lacks config or run", path);
    if (!e)
        e = tplr_config_from_json(&info->cfg, cfg, path);
    if (!e)
        e = parse_run(path, run, info);
    if (e)
        tplr_st_close(st);
    return e;
}

tplr_err tplr_train_state_peek(const char *path, tplr_train_state_info *info)
{
    tplr_safetensors st;
    TPLR_TRY(peek_open(path, &st, info));
    tplr_st_close(&st);
    return TPLR_OK;
}

tplr_err tplr_train_state_save(const char *path, const tplr_model *m, const tplr_adamw *opt,
                               const tplr_train_state_info *info)
{
    int n = m->n_tensors;
    char(*names)[128] = malloc(sizeof *names * 3 * (size_t)n);
    tplr_st_entry *entries = malloc(sizeof *entries * 3 * (size_t)n);
    char *cfg = NULL, *run = run_json(info);
    tplr_err e = names && entries && run ? tplr_config_to_json(&m->cfg, &cfg)
                                         : tplr_fail(TPLR_ENOMEM, "out of memory");
    if (!e) {
        tplr_model_st_entries(m, m->params, "", names, entries);
        tplr_model_st_entries(m, opt->m, PREFIX_M, names + n, entries + n);
        tplr_model_st_entries(m, opt->v, PREFIX_V, names + 2 * n, entries + 2 * n);
        char step[32];
        snprintf(step, sizeof step, "%lld", (long long)info->step);
        tplr_st_meta meta[] = {{"format", STATE_FORMAT}, {"version", STATE_VERSION}, {"step", step},
                               {"config", cfg}, {"run", run}};
        e = tplr_st_write(path, entries, 3 * n, meta, 5);
    }
    free(names);
    free(entries);
    free(cfg);
    free(run);
    return e;
}

tplr_err tplr_train_state_load(const char *path, tplr_model *m, tplr_adamw *opt)
{
    tplr_safetensors st;
    tplr_train_state_info info;
    TPLR_TRY(peek_open(path, &st, &info));
    tplr_err e = TPLR_OK;
    if (!tplr_config_equal(&info.cfg, &m->cfg))
        e = tplr_fail(TPLR_EMISMATCH, "%s was saved for a different model config", path);
    if (!e)
        e = tplr_model_st_load(m, &st, "", m->params, 1);
    if (!e)
        e = tplr_model_st_load(m, &st, PREFIX_M, opt->m, 1);
    if (!e)
        e = tplr_model_st_load(m, &st, PREFIX_V, opt->v, 1);
    if (!e)
        opt->step = info.step;
    tplr_st_close(&st);
    return e;
}
