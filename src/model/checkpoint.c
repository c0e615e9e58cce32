#include "tplr/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/fileio.h"

int tplr_model_st_entries(const tplr_model *m, const float *buf, const char *prefix, char (*names)[128],
                          tplr_st_entry *entries)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const tplr_tensor_info *t = &m->tensors[i];
        snprintf(names[i], 128, "%s%s", prefix, t->name);
        entries[i].name = names[i];
        entries[i].data = buf + t->offset;
        entries[i].ndim = t->ndim;
        entries[i].shape[0] = t->shape[0];
        entries[i].shape[1] = t->shape[1];
    }
    return m->n_tensors;
}

static int shape_matches(const tplr_tensor_info *t, const tplr_st_tensor *s)
{
    if (s->ndim != t->ndim)
        return 0;
    for (int d = 0; d < t->ndim; d++)
        if (s->shape[d] != t->shape[d])
            return 0;
    return 1;
}

static int has_prefix(const char *s, const char *prefix) { return !strncmp(s, prefix, strlen(prefix)); }

tplr_err tplr_model_st_load(const tplr_model *m, const tplr_safetensors *st, const char *prefix,
                            float *buf, int allow_extra)
{
    char name[256];
    for (int i = 0; i < m->n_tensors; i++) {
        const tplr_tensor_info *t = &m->tensors[i];
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        const tplr_st_tensor *s = tplr_st_find(st, name);
        if (!s)
            return tplr_fail(TPLR_EMISMATCH, "%s: tensor '%s' is missing (does config.json match these "
                             "weights?)", st->path, name);
        if (!shape_matches(t, s))
            return tplr_fail(TPLR_EMISMATCH, "%s: tensor '%s' has shape [%lld, %lld], the config needs "
                             "[%lld, %lld]", st->path, name, (long long)s->shape[0],
                             (long long)(s->ndim > 1 ? s->shape[1] : 0), (long long)t->shape[0],
                             (long long)t->shape[1]);
        TPLR_TRY(tplr_st_read_f32(st, s, buf + t->offset, t->numel));
    }
    if (allow_extra)
        return TPLR_OK;
    for (int i = 0; i < st->n_tensors; i++) {
        const char *n = st->tensors[i].name;
        if (!has_prefix(n, prefix))
            continue;
        if (tplr_model_find_tensor(m, n + strlen(prefix)))
            continue;
        /* Harmless extras that some Hugging Face exports carry. */
        if (strstr(n, "rotary_emb.inv_freq") || (m->cfg.tie_embeddings && !strcmp(n + strlen(prefix), "lm_head.weight")))
            continue;
        return tplr_fail(TPLR_EMISMATCH, "%s: unexpected tensor '%s' (does config.json match these weights?)",
                         st->path, n);
    }
    return TPLR_OK;
}

tplr_err tplr_checkpoint_save(const tplr_model *m, const char *dir)
{
    TPLR_TRY(tplr_mkdirs(dir));
    char path[4096];
    char(*names)[128] = malloc(sizeof *names * (size_t)m->n_tensors);
    tplr_st_entry *entries = malloc(sizeof *entries * (size_t)m->n_tensors);
    if (!names || !entries) {
        free(names);
        free(entries);
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    }
    int n = tplr_model_st_entries(m, m->params, "", names, entries);
    tplr_st_meta meta[] = {{"format", "pt"}};
    tplr_err e = tplr_path_join(path, sizeof path, dir, TPLR_CKPT_WEIGHTS);
    if (!e)
        e = tplr_st_write(path, entries, n, meta, 1);
    free(names);
    free(entries);
    if (!e)
        e = tplr_path_join(path, sizeof path, dir, TPLR_CKPT_CONFIG);
    if (!e)
        e = tplr_config_save(&m->cfg, path);
    return e;
}

tplr_err tplr_checkpoint_load(const char *dir, tplr_model **out)
{
    *out = NULL;
    char path[4096];
    tplr_model_config cfg;
    TPLR_TRY(tplr_path_join(path, sizeof path, dir, TPLR_CKPT_CONFIG));
    if (!tplr_path_exists(dir))
        return tplr_fail(TPLR_ENOTFOUND, "model folder %s does not exist (create one with `tplr model "
                         "init`)", dir);
    TPLR_TRY(tplr_config_load(&cfg, path));
    tplr_model *m;
    TPLR_TRY(tplr_model_create(&cfg, &m));
    tplr_safetensors st;
    tplr_err e = tplr_path_join(path, sizeof path, dir, TPLR_CKPT_WEIGHTS);
    if (!e)
        e = tplr_st_open(path, &st);
    if (e) {
        tplr_model_free(m);
        return e;
    }
    e = tplr_model_st_load(m, &st, "", m->params, 0);
    tplr_st_close(&st);
    if (e) {
        tplr_model_free(m);
        return e;
    }
    *out = m;
    return TPLR_OK;
}
