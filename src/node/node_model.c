/* The model every node keeps in step: gathers of window gradients, the
 * aggregate and outer step, aggregate files, fingerprints, checkpoints and
 * catching up from them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/checkpoint.h"
#include "tplr/codec_file.h"
#include "tplr/fileio.h"
#include "tplr/hash.h"
#include "tplr/log.h"
#include "tplr/node.h"
#include "tplr/store_keys.h"

tplr_err tplr_node_validate(tplr_node *n, const unsigned char *bytes, size_t len, int64_t w, int uid,
                            tplr_codec_view *view, tplr_codec_reason *reason)
{
    if (uid < 0 || uid >= n->mg.n)
        return tplr_fail(TPLR_ENOTFOUND, "uid %d is not registered", uid);
    tplr_codec_expect x = {.table = &n->table, .params = &n->codec, .signer = n->mg.neurons[uid].hotkey,
                           .window = w, .uid = uid, .max_bytes = 0};
    return tplr_codec_validate(bytes, len, &x, view, reason);
}

typedef struct vctx {
    tplr_node *n;
    int64_t w;
} vctx;

static tplr_err validate_cb(const unsigned char *data, size_t len, uint64_t uid, void *ctx)
{
    vctx *c = ctx;
    tplr_codec_view v;
    tplr_codec_reason why;
    TPLR_TRY(tplr_node_validate(c->n, data, len, c->w, (int)uid, &v, &why));
    tplr_codec_view_free(&v);
    return TPLR_OK;
}

static tplr_err gather_keys(tplr_node *n, int64_t w, const uint16_t *u, int k, tplr_gather_peer *p, char (*keys)[TPLR_KEY_MAX],
                            int *np)
{
    *np = 0;
    for (int i = 0; i < k; i++) {
        tplr_store *s = tplr_node_peer_store(n, u[i]);
        if (!s)
            continue; /* no bucket: it cannot have uploaded */
        TPLR_TRY(tplr_key_gradient(keys[*np], TPLR_KEY_MAX, (uint64_t)w, u[i], n->cfg->network_version));
        p[*np] = (tplr_gather_peer){u[i], s, keys[*np]};
        (*np)++;
    }
    return TPLR_OK;
}

tplr_err tplr_node_gather(tplr_node *n, int64_t w, const uint16_t *primary, int n_primary, const uint16_t *reserve,
                          int n_reserve, tplr_node_gathered *g)
{
    memset(g, 0, sizeof *g);
    int total = n_primary + n_reserve;
    tplr_gather_peer *p = calloc((size_t)total + 1, sizeof *p);
    char(*keys)[TPLR_KEY_MAX] = calloc((size_t)total + 1, TPLR_KEY_MAX);
    tplr_err e = p && keys ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "gather: out of memory");
    int np = 0, nr = 0;
    if (!e)
        e = gather_keys(n, w, primary, n_primary, p, keys, &np);
    if (!e)
        e = gather_keys(n, w, reserve, n_reserve, p + np, keys + np, &nr);
    tplr_gather_opts o;
    tplr_gather_opts_defaults(&o);
    if (!e)
        e = tplr_node_upload_bounds(n, w, &o.time_min, &o.time_max);
    o.late_grace_s = n->cfg->late_grace_s;
    o.peer_timeout_s = n->cfg->peer_timeout_s;
    o.total_timeout_s = n->cfg->gather_timeout_s;
    o.poll_interval_s = n->cfg->poll_interval_s;
    vctx c = {n, w};
    o.validate = validate_cb;
    o.validate_ctx = &c;
    if (!e)
        e = tplr_gather_with_reserve(p, np, p + np, nr, &o, &g->r);
    free(p);
    free(keys);
    if (e)
        return e;
    g->views = calloc((size_t)g->r.n_items + 1, sizeof *g->views);
    g->uids = calloc((size_t)g->r.n_items + 1, sizeof *g->uids);
    g->times = calloc((size_t)g->r.n_items + 1, sizeof *g->times);
    if (!g->views || !g->uids || !g->times) {
        tplr_node_gathered_free(g);
        return tplr_fail(TPLR_ENOMEM, "gather: out of memory");
    }
    for (int i = 0; i < g->r.n_items; i++) {
        tplr_gather_item *it = &g->r.items[i];
        n->bytes_down += it->len;
        if (it->outcome != TPLR_PEER_OK)
            continue;
        tplr_codec_reason why;
        if (tplr_node_validate(n, it->data, it->len, w, (int)it->uid, &g->views[g->n], &why)) {
            it->outcome = TPLR_PEER_INVALID; /* cannot happen: the callback passed it */
            continue;
        }
        g->uids[g->n] = (uint16_t)it->uid;
        g->times[g->n] = it->last_modified;
        g->n++;
    }
    return TPLR_OK;
}

tplr_err tplr_node_gather_step(tplr_node *n, int64_t w, int *applied)
{
    *applied = 0;
    tplr_peer_list pl;
    if (w < n->start_window + n->cfg->null_rounds || tplr_node_read_peer_list(n, w, &pl) != TPLR_OK)
        return tplr_node_outer_step(n, w, NULL, 0);
    tplr_node_gathered g;
    TPLR_TRY(tplr_node_gather(n, w, pl.peers, pl.n_peers, pl.reserve, pl.n_reserve, &g));
    tplr_err e = tplr_node_outer_step(n, w, g.views, g.n);
    *applied = g.n;
    tplr_node_gathered_free(&g);
    return e;
}

void tplr_node_gathered_free(tplr_node_gathered *g)
{
    for (int i = 0; g->views && i < g->n; i++)
        tplr_codec_view_free(&g->views[i]);
    free(g->views);
    free(g->uids);
    free(g->times);
    tplr_gather_result_free(&g->r);
    memset(g, 0, sizeof *g);
}

tplr_err tplr_node_outer_step(tplr_node *n, int64_t w, const tplr_codec_view *views, int n_views)
{
    if (n_views > 0) {
        const tplr_codec_view **pv = malloc(sizeof *pv * (size_t)n_views);
        if (!pv)
            return tplr_fail(TPLR_ENOMEM, "outer step: out of memory");
        for (int i = 0; i < n_views; i++)
            pv[i] = &views[i];
        tplr_err e = tplr_codec_aggregate(n->agg, pv, n_views, n->agg_buf, n->skip, NULL);
        free(pv);
        TPLR_TRY(e);
        tplr_outer_step(n->outer, n->model->params, n->agg_buf, n->model->tensors, n->model->n_tensors, n->skip);
        n->global_step++;
    }
    n->model_window = w;
    return TPLR_OK;
}

tplr_err tplr_node_write_aggregate_file(tplr_node *n, int64_t w, const char *path)
{
    char win[32], step[32], skip[TPLR_NODE_MAX_UIDS + 1];
    snprintf(win, sizeof win, "%lld", (long long)w);
    snprintf(step, sizeof step, "%lld", (long long)n->global_step);
    int k = n->model->n_tensors < TPLR_NODE_MAX_UIDS ? n->model->n_tensors : TPLR_NODE_MAX_UIDS;
    for (int i = 0; i < k; i++)
        skip[i] = n->skip[i] ? '1' : '0';
    skip[k] = '\0';
    tplr_st_meta meta[4] = {{"format", "tplr-aggregate"}, {"window", win}, {"global_step", step}, {"skipped", skip}};
    return tplr_codec_st_write(path, &n->table, n->agg_buf, meta, 4);
}

tplr_err tplr_node_apply_aggregate_file(tplr_node *n, int64_t w, const char *path)
{
    tplr_safetensors st;
    TPLR_TRY(tplr_st_open(path, &st));
    const char *f = tplr_st_meta_get(&st, "format"), *win = tplr_st_meta_get(&st, "window"),
               *skip = tplr_st_meta_get(&st, "skipped");
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)w);
    tplr_err e = TPLR_OK;
    if (!f || strcmp(f, "tplr-aggregate") || !win || strcmp(win, want))
        e = tplr_fail(TPLR_EFORMAT, "%s: not the aggregate of window %lld", path, (long long)w);
    else if (!skip || strlen(skip) != (size_t)n->model->n_tensors || strspn(skip, "01") != strlen(skip))
        e = tplr_fail(TPLR_EFORMAT, "%s: \"skipped\" must hold one 0 or 1 per tensor", path);
    if (!e)
        e = tplr_codec_st_read(&st, &n->table, n->agg_buf);
    if (!e)
        for (int i = 0; i < n->model->n_tensors; i++)
            n->skip[i] = skip[i] == '1';
    tplr_st_close(&st);
    TPLR_TRY(e);
    for (size_t i = 0; i < n->model->n_params; i++)
        if (!(n->agg_buf[i] == n->agg_buf[i]) || n->agg_buf[i] > 3e38f || n->agg_buf[i] < -3e38f)
            return tplr_fail(TPLR_ENUMERIC, "%s: a non-finite value in the aggregate", path);
    tplr_outer_step(n->outer, n->model->params, n->agg_buf, n->model->tensors, n->model->n_tensors, n->skip);
    n->global_step++;
    n->model_window = w;
    return TPLR_OK;
}

void tplr_node_fingerprint(const tplr_node *n, int64_t w, tplr_fingerprint *f)
{
    memset(f, 0, sizeof *f);
    f->window = w;
    f->uid = n->uid;
    f->global_step = n->global_step;
    unsigned char d[16];
    tplr_blake2b(d, sizeof d, n->model->params, n->model->n_params * sizeof(float));
    tplr_hex(f->digest, d, sizeof d);
    for (int t = 0; t < n->model->n_tensors; t++) {
        const tplr_tensor_info *ti = &n->model->tensors[t];
        for (size_t i = 10; i < 12 && i < ti->numel && f->n_slice < TPLR_FINGERPRINT_SLICE_MAX; i++)
            f->slice[f->n_slice++] = n->model->params[ti->offset + i];
    }
}

static tplr_err fetch_to_dir(tplr_node *n, tplr_store *s, const char *key, const char *name, char *path, size_t cap)
{
    TPLR_TRY(tplr_path_join(path, cap, n->o.dir, name));
    tplr_obj_info info;
    TPLR_TRY(tplr_store_get_file(s, key, path, (uint64_t)1 << 34, &info));
    n->bytes_down += info.size;
    return TPLR_OK;
}

/* The model's weights from a safetensors file (names and shapes checked). */
static tplr_err read_weights(tplr_node *n, const char *path)
{
    tplr_safetensors st;
    TPLR_TRY(tplr_st_open(path, &st));
    tplr_err e = tplr_model_st_load(n->model, &st, "", n->model->params, 0);
    tplr_st_close(&st);
    return e;
}

tplr_err tplr_node_load_init_model(tplr_node *n)
{
    char path[4096];
    TPLR_TRY(tplr_path_join(path, sizeof path, n->cfg->init_model, TPLR_CKPT_WEIGHTS));
    tplr_err e = read_weights(n, path);
    if (e)
        return tplr_fail_ctx(e, "init_model %s (a checkpoint folder of the shape of model_preset and model_overrides)",
                             n->cfg->init_model);
    return TPLR_OK;
}

static tplr_err load_checkpoint(tplr_node *n, tplr_store *s, const tplr_ckpt_pointer *p)
{
    char key[TPLR_KEY_MAX], path[4096];
    TPLR_TRY(tplr_key_checkpoint(key, sizeof key, n->cfg->network_version, (uint64_t)p->latest_window,
                                 TPLR_CKPT_WEIGHTS));
    TPLR_TRY(fetch_to_dir(n, s, key, "catchup.safetensors", path, sizeof path));
    tplr_err e = read_weights(n, path);
    remove(path);
    TPLR_TRY(e);
    n->model_window = p->latest_window;
    n->global_step = p->global_step;
    tplr_info("%s: loaded the checkpoint of window %lld (global step %lld)", n->o.kind, (long long)p->latest_window,
              (long long)p->global_step);
    return TPLR_OK;
}

tplr_err tplr_node_catch_up(tplr_node *n, int64_t upto)
{
    tplr_store *s = tplr_node_peer_store(n, tplr_node_leader(n));
    if (!s)
        return tplr_fail(TPLR_ENOTFOUND, "no validator bucket to catch up from");
    char key[TPLR_KEY_MAX], *text, path[4096];
    size_t len;
    TPLR_TRY(tplr_key_checkpoint_latest(key, sizeof key, n->cfg->network_version));
    tplr_err e = tplr_node_get_small(n, s, key, &text, &len, NULL);
    if (!e) {
        tplr_ckpt_pointer p;
        e = tplr_ckpt_pointer_parse(text, len, key, &p);
        free(text);
        TPLR_TRY(e);
        if (p.latest_window > n->model_window && p.latest_window <= upto)
            TPLR_TRY(load_checkpoint(n, s, &p));
    } else if (e != TPLR_ENOTFOUND)
        return e;
    int applied = 0;
    for (int64_t w = n->model_window + 1; w <= upto; w++) {
        if (w < n->start_window) {
            n->model_window = w;
            continue;
        }
        TPLR_TRY(tplr_key_aggregator(key, sizeof key, (uint64_t)w, n->cfg->network_version));
        e = fetch_to_dir(n, s, key, "catchup.aggregate", path, sizeof path);
        if (e == TPLR_ENOTFOUND) { /* no aggregate (the leader was down or skipped it): gather it */
            int got;
            TPLR_TRY(tplr_node_gather_step(n, w, &got));
            continue;
        }
        TPLR_TRY(e);
        e = tplr_node_apply_aggregate_file(n, w, path);
        remove(path);
        TPLR_TRY(e);
        applied++;
    }
    n->model_window = upto > n->model_window ? upto : n->model_window;
    if (applied)
        tplr_info("%s: caught up to window %lld with %d aggregate files (global step %lld)", n->o.kind,
                  (long long)upto, applied, (long long)n->global_step);
    return TPLR_OK;
}

tplr_err tplr_node_write_checkpoint(tplr_node *n, int64_t w)
{
    char dir[4096], key[TPLR_KEY_MAX], path[4096];
    TPLR_TRY(tplr_path_join(dir, sizeof dir, n->o.dir, "checkpoint"));
    TPLR_TRY(tplr_checkpoint_save(n->model, dir));
    const char *files[] = {TPLR_CKPT_WEIGHTS, TPLR_CKPT_CONFIG};
    for (int i = 0; i < 2; i++) {
        TPLR_TRY(tplr_key_checkpoint(key, sizeof key, n->cfg->network_version, (uint64_t)w, files[i]));
        TPLR_TRY(tplr_path_join(path, sizeof path, dir, files[i]));
        TPLR_TRY(tplr_store_put_file(n->store, key, path));
    }
    n->bytes_up += n->model->n_params * sizeof(float);
    tplr_ckpt_pointer p = {w, n->global_step};
    char *text;
    TPLR_TRY(tplr_ckpt_pointer_to_json(&p, &text));
    tplr_err e = tplr_key_checkpoint_latest(key, sizeof key, n->cfg->network_version);
    if (!e)
        e = tplr_node_put(n, key, text, strlen(text));
    free(text);
    return e;
}
