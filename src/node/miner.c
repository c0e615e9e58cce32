/* The miner's loop: train a window, upload once it closes, gather and step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tplr/data_parallel.h"
#include "tplr/hash.h"
#include "tplr/log.h"
#include "tplr/miner.h"
#include "tplr/optim.h"
#include "tplr/rng.h"
#include "tplr/sampler.h"
#include "tplr/signals.h"
#include "tplr/store_keys.h"
#include "tplr/timeutil.h"

static const char *adv_names[] = {"none", "silent", "late", "garbage", "copy", "wrong-data", "ascent"};

tplr_err tplr_adversary_parse(const char *name, tplr_adversary *out)
{
    for (int i = 0; i < (int)(sizeof adv_names / sizeof adv_names[0]); i++)
        if (!strcmp(name, adv_names[i])) {
            *out = (tplr_adversary)i;
            return TPLR_OK;
        }
    return tplr_fail(TPLR_EINVAL, "unknown adversary '%s' (none, silent, late, garbage, copy, wrong-data, ascent)",
                     name);
}

const char *tplr_adversary_name(tplr_adversary a) { return adv_names[a]; }

typedef struct miner {
    tplr_node *n;
    tplr_adversary adv;
    tplr_codec_encoder *enc;
    tplr_adamw *opt;
    tplr_dp *dp;
    int32_t *inputs, *targets;
    float *theta0, *delta;
    int64_t *pool;
    int64_t pool_n;
    /* this window */
    double loss, compute_s;
    int steps;
    const unsigned char *bytes;
    size_t len;
} miner;

static void miner_free(miner *m)
{
    tplr_codec_encoder_free(m->enc);
    tplr_adamw_free(m->opt);
    tplr_dp_free(m->dp);
    free(m->inputs);
    free(m->targets);
    free(m->theta0);
    free(m->delta);
    free(m->pool);
}

static tplr_err miner_init(miner *m)
{
    tplr_node *n = m->n;
    const tplr_node_config *c = n->cfg;
    if (!n->have_data)
        return tplr_fail(TPLR_EINVAL, "a miner needs --data (token samples)");
    tplr_codec_encode_opts eo = tplr_codec_encode_defaults();
    eo.momentum_decay = c->momentum_decay;
    TPLR_TRY(tplr_codec_encoder_create(&n->table, &n->codec, &eo, &m->enc));
    tplr_adamw_hparams hp = tplr_node_config_adamw(c);
    TPLR_TRY(tplr_adamw_create(n->model, &hp, &m->opt));
    TPLR_TRY(tplr_dp_create(n->model, c->batch, c->seq, 0, &m->dp));
    tplr_model_zero_grads(n->model); /* tplr_dp_grad needs them zero; each step leaves them so */
    size_t tok = (size_t)c->batch * (size_t)c->seq, np = n->model->n_params;
    m->pool_n = c->pool_size < n->data.n ? c->pool_size : n->data.n;
    m->inputs = malloc(tok * sizeof(int32_t));
    m->targets = malloc(tok * sizeof(int32_t));
    m->theta0 = malloc(np * sizeof(float));
    m->delta = malloc(np * sizeof(float));
    m->pool = malloc((size_t)m->pool_n * sizeof(int64_t));
    if (!m->inputs || !m->targets || !m->theta0 || !m->delta || !m->pool)
        return tplr_fail(TPLR_ENOMEM, "miner: out of memory");
    return TPLR_OK;
}

#define WRONG_DATA_SHIFT 100000

static int is_null_round(const tplr_node *n, int64_t w) { return w < n->start_window + n->cfg->null_rounds; }

/* H inner steps on this window's samples; delta = θ_start − θ_end, and the
 * model is put back to θ_start (only outer steps move it). */
static tplr_err train_window(miner *m, int64_t w)
{
    tplr_node *n = m->n;
    const tplr_node_config *c = n->cfg;
    int null_round = is_null_round(n, w);
    /* wrong-data: the pool of a uid nobody holds (a real one's would be that miner's exact gradient) */
    uint64_t data_uid = (uint64_t)n->uid + (m->adv == TPLR_ADV_WRONG_DATA ? WRONG_DATA_SHIFT : 0);
    tplr_pool_spec spec = {data_uid, (uint64_t)w, (uint64_t)c->network_seed, m->pool_n};
    TPLR_TRY(tplr_sample_pool(&spec, n->data.n, m->pool));
    memcpy(m->theta0, n->model->params, n->model->n_params * sizeof(float));
    double t0 = tplr_now(), sum = 0;
    m->steps = 0;
    for (int k = 0; k < c->inner_steps && !tplr_stop_requested(); k++) {
        int64_t cur;
        TPLR_TRY(tplr_node_window(n, &cur));
        if (cur != w)
            break; /* the window ended */
        tplr_pool_batch(&n->data, m->pool, m->pool_n, k, c->batch, m->inputs, m->targets);
        double norm;
        float loss = tplr_dp_grad(m->dp, m->inputs, m->targets, &norm);
        if (!isfinite(loss) || !isfinite(norm))
            return tplr_fail(TPLR_ENUMERIC, "window %lld: the inner loss became %g; lower inner_lr", (long long)w,
                             (double)loss);
        if (null_round) /* no update to clear the gradients */
            tplr_model_zero_grads(n->model);
        else /* clipped as the update reads the gradients, which it then clears */
            tplr_adamw_step_clear(m->opt, n->model, tplr_lr_at(&m->opt->hp, m->opt->step),
                                  tplr_clip_factor(norm, c->inner_clip));
        sum += loss;
        m->steps++;
    }
    m->compute_s = tplr_now() - t0;
    m->loss = m->steps ? sum / m->steps : NAN;
    float sign = m->adv == TPLR_ADV_ASCENT ? -1.0f : 1.0f;
    for (size_t i = 0; i < n->model->n_params; i++) {
        m->delta[i] = sign * (m->theta0[i] - n->model->params[i]);
        n->model->params[i] = m->theta0[i];
    }
    tplr_codec_origin who = {(uint64_t)w, (uint32_t)n->uid, n->hot.sk};
    return tplr_codec_encode(m->enc, m->delta, null_round || m->steps == 0, &who, &m->bytes, &m->len);
}

static void sleep_until(double wall)
{
    while (!tplr_stop_requested()) {
        double left = wall - tplr_wall_time();
        if (left <= 0)
            return;
        struct timespec ts = {0, (long)(fmin(left, 0.1) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* The container header's size: uid at offset 32 (u32), hotkey at 36 (docs/formats.md). */
#define COPY_HEADER 68

/* Another miner's valid gradient of window w (for the copy adversary): polls
 * every other miner's bucket in turn, so the first valid gradient to appear
 * is taken whichever uid it has (waiting on one uid at a time, a silent or
 * late miner with a lower uid would make the copy itself late). */
static tplr_err fetch_other(miner *m, int64_t w, unsigned char **bytes, size_t *len)
{
    tplr_node *n = m->n;
    char key[TPLR_KEY_MAX];
    unsigned char invalid[TPLR_NODE_MAX_UIDS] = {0};
    int n_uids = n->mg.n < TPLR_NODE_MAX_UIDS ? n->mg.n : TPLR_NODE_MAX_UIDS;
    for (int tries = 0; tries < 20 && !tplr_stop_requested(); tries++) {
        for (int u = 0; u < n_uids; u++) {
            tplr_store *s = invalid[u] || u == n->uid || tplr_node_is_validator_uid(n, u) ? NULL : tplr_node_peer_store(n, u);
            if (!s || tplr_key_gradient(key, sizeof key, (uint64_t)w, (uint64_t)u, n->cfg->network_version) ||
                tplr_store_get(s, key, (uint64_t)1 << 30, bytes, len, NULL) != TPLR_OK)
                continue; /* no bucket, or not there yet */
            tplr_codec_view v;
            tplr_codec_reason why;
            if (tplr_node_validate(n, *bytes, *len, w, u, &v, &why) == TPLR_OK) {
                tplr_codec_view_free(&v);
                return TPLR_OK;
            }
            free(*bytes); /* not worth copying */
            invalid[u] = 1;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return tplr_fail(TPLR_ENOTFOUND, "no other miner's valid gradient of window %lld to copy", (long long)w);
}

/* Uploads window w's gradient (honestly or not); *uploaded tells. */
static tplr_err upload(miner *m, int64_t w, int *uploaded)
{
    tplr_node *n = m->n;
    char key[TPLR_KEY_MAX];
    TPLR_TRY(tplr_key_gradient(key, sizeof key, (uint64_t)w, (uint64_t)n->uid, n->cfg->network_version));
    *uploaded = 0;
    unsigned char *own = NULL;
    const unsigned char *bytes = m->bytes;
    size_t len = m->len;
    switch (m->adv) {
    case TPLR_ADV_SILENT:
        return TPLR_OK;
    case TPLR_ADV_LATE: {
        double tmin, tmax;
        TPLR_TRY(tplr_node_upload_bounds(n, w, &tmin, &tmax));
        sleep_until(tmax + 1.5);
        break;
    }
    case TPLR_ADV_GARBAGE:
        own = malloc(len);
        if (!own)
            return tplr_fail(TPLR_ENOMEM, "out of memory");
        for (size_t i = 0; i < len; i++)
            own[i] = (unsigned char)tplr_rng_below((uint64_t)n->uid, (uint64_t)w, i, 256);
        bytes = own;
        break;
    case TPLR_ADV_COPY:
        if (fetch_other(m, w, &own, &len))
            return TPLR_OK; /* nothing to copy: stays silent */
        /* Upload times have a resolution of one second (S3's Last-Modified)
         * and the validator blames the later upload of an overlapping pair,
         * both when they tie: a copier is later than its source by nature,
         * so it uploads in a later second than the copy it took. */
        sleep_until(tplr_wall_time() + 1.05);
        if (len > COPY_HEADER + 96) { /* claim it: own uid and hotkey in the header, own signature */
            for (int i = 0; i < 4; i++)
                own[32 + i] = (unsigned char)((uint32_t)n->uid >> (8 * i));
            memcpy(own + 36, n->hot.pk, 32);
            tplr_codec_sign(own, len, n->hot.sk);
        }
        bytes = own;
        break;
    default:
        break;
    }
    tplr_err e = tplr_node_put(n, key, bytes, len);
    free(own);
    *uploaded = e == TPLR_OK;
    return e;
}

/* Brings the model to window w-1 before training window w. */
static tplr_err prepare_window(tplr_node *n, int64_t w)
{
    if (n->model_window < w - 2)
        TPLR_TRY(tplr_node_catch_up(n, w - 2));
    if (n->model_window < w - 1) {
        int applied;
        TPLR_TRY(tplr_node_gather_step(n, w - 1, &applied));
    }
    return TPLR_OK;
}

static tplr_err upload_debug(tplr_node *n, int64_t w, tplr_fingerprint *fp)
{
    char key[TPLR_KEY_MAX], *text;
    tplr_node_fingerprint(n, w, fp);
    TPLR_TRY(tplr_key_debug(key, sizeof key, (uint64_t)w, (uint64_t)n->uid, n->cfg->network_version));
    TPLR_TRY(tplr_fingerprint_to_json(fp, &text));
    tplr_err e = tplr_node_put(n, key, text, strlen(text));
    free(text);
    return e;
}

/* Templar's dummy gradient: a null-round container of the current window,
 * so that the validators count the miner as active from the start. */
static tplr_err post_activity(miner *m, int64_t w)
{
    tplr_node *n = m->n;
    tplr_codec_origin who = {(uint64_t)w, (uint32_t)n->uid, n->hot.sk};
    const unsigned char *bytes;
    size_t len;
    TPLR_TRY(tplr_codec_encode(m->enc, m->delta, 1, &who, &bytes, &len));
    char key[TPLR_KEY_MAX];
    TPLR_TRY(tplr_key_gradient(key, sizeof key, (uint64_t)w, (uint64_t)n->uid, n->cfg->network_version));
    return tplr_node_put(n, key, bytes, len);
}

static tplr_err one_window(miner *m, int64_t w)
{
    tplr_node *n = m->n;
    double t0 = tplr_now();
    n->bytes_up = n->bytes_down = 0;
    TPLR_TRY(tplr_node_refresh(n));
    TPLR_TRY(train_window(m, w));
    TPLR_TRY(tplr_node_wait_window(n, w + 1));
    int uploaded, applied;
    TPLR_TRY(upload(m, w, &uploaded));
    TPLR_TRY(tplr_node_gather_step(n, w, &applied));
    tplr_fingerprint *fp = malloc(sizeof *fp);
    if (!fp)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    tplr_err e = upload_debug(n, w, fp);
    if (!e) {
        int deleted;
        if (tplr_store_prune_own(n->store, (uint64_t)n->uid, n->cfg->network_version, (uint64_t)w,
                                 (uint64_t)n->cfg->retention_windows, &deleted))
            tplr_warn("miner: pruning old uploads: %s", tplr_errmsg());
        json_t *f = json_pack("{s:f,s:i,s:I,s:f,s:f,s:I,s:I,s:b,s:i,s:s,s:I,s:b,s:s}", "loss",
                              isfinite(m->loss) ? m->loss : 0.0, "inner_steps", m->steps, "tokens",
                              (json_int_t)m->steps * n->cfg->batch * n->cfg->seq, "compute_s", m->compute_s,
                              "window_s", tplr_now() - t0, "bytes_up", (json_int_t)n->bytes_up, "bytes_down",
                              (json_int_t)n->bytes_down, "uploaded", uploaded, "peers_applied", applied,
                              "fingerprint", fp->digest, "global_step", (json_int_t)n->global_step, "null_round",
                              is_null_round(n, w), "adversary", tplr_adversary_name(m->adv));
        tplr_node_emit(n, w, "window", f);
        tplr_info("miner uid %d: window %lld loss %.4f, %d steps, %d peers applied, model %s", n->uid, (long long)w,
                  m->loss, m->steps, applied, fp->digest);
    }
    free(fp);
    return e;
}

tplr_err tplr_miner_run(const tplr_node_opts *o, tplr_adversary adv)
{
    tplr_node *n;
    TPLR_TRY(tplr_node_open(o, &n));
    miner m = {.n = n, .adv = adv};
    tplr_err e = miner_init(&m);
    if (!e)
        e = tplr_node_wait_start_window(n);
    int64_t w = 0;
    if (!e)
        e = tplr_node_window(n, &w);
    if (!e)
        e = post_activity(&m, w);
    if (!e && w < n->start_window)
        w = n->start_window;
    for (int64_t done = 0; !e && (o->windows <= 0 || done < o->windows); done++) {
        int64_t cur;
        e = tplr_node_wait_window(n, w);
        if (!e)
            e = tplr_node_window(n, &cur);
        if (!e && cur > w) {
            tplr_warn("miner: window %lld is over, joining window %lld", (long long)w, (long long)cur);
            w = cur;
        }
        if (!e)
            e = prepare_window(n, w);
        if (!e)
            e = one_window(&m, w);
        w++;
    }
    if (e == TPLR_EINTERRUPTED || tplr_stop_requested())
        e = TPLR_OK;
    tplr_err saved = e;
    char msg[TPLR_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s", e ? tplr_errmsg() : "");
    miner_free(&m);
    tplr_node_close(n);
    return saved ? tplr_fail(saved, "%s", msg) : TPLR_OK;
}
