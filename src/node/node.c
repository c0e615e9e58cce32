/* A node's setup and its view of the network: keys, ledger, stores, model,
 * data and metrics; windows from blocks; the leader; peers' buckets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tplr/fileio.h"
#include "tplr/log.h"
#include "tplr/node.h"
#include "tplr/signals.h"
#include "tplr/store_keys.h"
#include "tplr/wallet.h"

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

tplr_err tplr_node_refresh(tplr_node *n)
{
    tplr_metagraph mg;
    tplr_commitment *c = NULL;
    int nc = 0;
    TPLR_TRY(tplr_chain_metagraph(n->chain, &mg));
    tplr_err e = tplr_chain_commitments(n->chain, &c, &nc);
    if (e) {
        tplr_metagraph_free(&mg);
        return e;
    }
    tplr_metagraph_free(&n->mg);
    free(n->commits);
    n->mg = mg;
    n->commits = c;
    n->n_commits = nc;
    /* a uid whose bucket changed is reopened on next use */
    for (int i = 0; i < nc; i++) {
        int u = c[i].uid;
        if (u < 0 || u >= TPLR_NODE_MAX_UIDS || !n->peer_url[u])
            continue;
        if (strcmp(n->peer_url[u], c[i].data)) {
            tplr_store_close(n->peer_store[u]);
            free(n->peer_url[u]);
            n->peer_store[u] = NULL;
            n->peer_url[u] = NULL;
        }
    }
    return TPLR_OK;
}

tplr_store *tplr_node_peer_store(tplr_node *n, int uid)
{
    if (uid < 0 || uid >= TPLR_NODE_MAX_UIDS)
        return NULL;
    if (uid == n->uid)
        return n->store;
    if (n->peer_store[uid])
        return n->peer_store[uid];
    for (int i = 0; i < n->n_commits; i++) {
        if (n->commits[i].uid != uid || !n->commits[i].data[0])
            continue;
        tplr_store *s;
        if (tplr_store_open(n->commits[i].data, NULL, &s)) {
            tplr_warn("uid %d committed a bucket tplr cannot open (%s): %s", uid, n->commits[i].data, tplr_errmsg());
            return NULL;
        }
        n->peer_store[uid] = s;
        n->peer_url[uid] = strdup(n->commits[i].data);
        return s;
    }
    return NULL;
}

double tplr_node_stake_tokens(const tplr_node *n, int uid)
{
    return uid >= 0 && uid < n->mg.n ? (double)n->mg.neurons[uid].stake / TPLR_UNITS_PER_TOKEN : 0;
}

int tplr_node_is_validator_uid(const tplr_node *n, int uid)
{
    return tplr_node_stake_tokens(n, uid) > n->cfg->scoring.eval_max_stake;
}

int tplr_node_leader(const tplr_node *n)
{
    int best = -1;
    for (int u = 0; u < n->mg.n; u++)
        if (tplr_node_is_validator_uid(n, u) && (best < 0 || n->mg.neurons[u].stake > n->mg.neurons[best].stake))
            best = u;
    return best;
}

tplr_err tplr_node_window(tplr_node *n, int64_t *window)
{
    uint64_t block, ms;
    TPLR_TRY(tplr_chain_block(n->chain, &block, &ms));
    *window = (int64_t)(block / (uint64_t)n->cfg->blocks_per_window);
    return TPLR_OK;
}

tplr_err tplr_node_wait_window(tplr_node *n, int64_t w)
{
    for (;;) {
        if (tplr_stop_requested())
            return tplr_fail(TPLR_EINTERRUPTED, "stopped by a signal");
        int64_t cur;
        TPLR_TRY(tplr_node_window(n, &cur));
        if (cur >= w)
            return TPLR_OK;
        sleep_s(0.1);
    }
}

tplr_err tplr_node_window_time(tplr_node *n, int64_t w, double *t)
{
    TPLR_TRY(tplr_node_wait_window(n, w));
    uint64_t ms;
    TPLR_TRY(tplr_chain_block_time(n->chain, (uint64_t)w * (uint64_t)n->cfg->blocks_per_window, &ms));
    *t = (double)ms / 1000.0;
    return TPLR_OK;
}

tplr_err tplr_node_upload_bounds(tplr_node *n, int64_t w, double *time_min, double *time_max)
{
    TPLR_TRY(tplr_node_window_time(n, w + 1, time_min));
    *time_max = *time_min + n->cfg->time_window_delta_s;
    return TPLR_OK;
}

tplr_err tplr_node_get_small(tplr_node *n, tplr_store *s, const char *key, char **text, size_t *len,
                             tplr_obj_info *info)
{
    unsigned char *data;
    TPLR_TRY(tplr_store_get(s, key, TPLR_NODE_FILE_MAX, &data, len, info));
    n->bytes_down += *len;
    *text = (char *)data;
    return TPLR_OK;
}

tplr_err tplr_node_put(tplr_node *n, const char *key, const void *data, size_t len)
{
    TPLR_TRY(tplr_store_put(n->store, key, data, len));
    n->bytes_up += len;
    return TPLR_OK;
}

tplr_err tplr_node_read_start_window(tplr_node *n, int64_t *w)
{
    tplr_store *s = tplr_node_peer_store(n, tplr_node_leader(n));
    if (!s)
        return tplr_fail(TPLR_ENOTFOUND, "no validator with a bucket yet");
    char key[TPLR_KEY_MAX], *text;
    size_t len;
    TPLR_TRY(tplr_key_start_window(key, sizeof key, n->cfg->network_version));
    TPLR_TRY(tplr_node_get_small(n, s, key, &text, &len, NULL));
    tplr_err e = tplr_start_window_parse(text, len, key, w);
    free(text);
    return e;
}

tplr_err tplr_node_wait_start_window(tplr_node *n)
{
    while (!tplr_stop_requested()) {
        TPLR_TRY(tplr_node_refresh(n));
        if (tplr_node_read_start_window(n, &n->start_window) == TPLR_OK)
            return TPLR_OK;
        sleep_s(0.25);
    }
    return tplr_fail(TPLR_EINTERRUPTED, "stopped by a signal");
}

tplr_err tplr_node_read_peer_list(tplr_node *n, int64_t w, tplr_peer_list *p)
{
    tplr_store *s = tplr_node_peer_store(n, tplr_node_leader(n));
    if (!s)
        return tplr_fail(TPLR_ENOTFOUND, "no validator with a bucket yet");
    tplr_obj_list l = {0};
    TPLR_TRY(tplr_store_list(s, "peers_", &l));
    char suffix[TPLR_NODE_STR_MAX + 16], best[TPLR_KEY_MAX] = "";
    long long best_w = -1;
    snprintf(suffix, sizeof suffix, "_v%s.json", n->cfg->network_version);
    for (size_t i = 0; i < l.n; i++) {
        const char *k = l.items[i].key;
        size_t kl = strlen(k), sl = strlen(suffix);
        char *end;
        if (kl <= 6 + sl || strcmp(k + kl - sl, suffix))
            continue;
        long long fw = strtoll(k + 6, &end, 10);
        if (end != k + kl - sl || fw < 0 || fw > w || fw <= best_w)
            continue;
        best_w = fw;
        snprintf(best, sizeof best, "%s", k);
    }
    tplr_obj_list_free(&l);
    if (best_w < 0)
        return tplr_fail(TPLR_ENOTFOUND, "no peer list for window %lld yet", (long long)w);
    char *text;
    size_t len;
    TPLR_TRY(tplr_node_get_small(n, s, best, &text, &len, NULL));
    tplr_err e = tplr_peer_list_parse(text, len, best, p);
    free(text);
    return e;
}

void tplr_node_emit(tplr_node *n, int64_t w, const char *event, json_t *fields)
{
    if (tplr_metrics_emit(n->metrics, w, event, fields))
        tplr_warn("%s", tplr_errmsg());
}

static tplr_err find_uid(tplr_node *n, int *uid)
{
    *uid = -1;
    for (int u = 0; u < n->mg.n; u++)
        if (!memcmp(n->mg.neurons[u].hotkey, n->hot.pk, 32))
            *uid = u;
    return TPLR_OK;
}

/* Registration and the bucket commitment. */
static tplr_err join_subnet(tplr_node *n)
{
    TPLR_TRY(tplr_node_refresh(n));
    TPLR_TRY(find_uid(n, &n->uid));
    if (n->uid < 0) {
        tplr_keypair cold;
        TPLR_TRY(tplr_wallet_load_coldkey(n->o.wallet, NULL, cold.sk, cold.pk));
        tplr_extrinsic_id id;
        tplr_err e = tplr_chain_register(n->chain, &cold, &n->hot, &id, &n->uid);
        tplr_secret_wipe(&cold, sizeof cold);
        TPLR_TRY(e);
        tplr_info("%s: registered hotkey %s/%s as uid %d", n->o.kind, n->o.wallet, n->o.hotkey, n->uid);
        TPLR_TRY(tplr_node_refresh(n));
    }
    if (n->uid >= TPLR_NODE_MAX_UIDS)
        return tplr_fail(TPLR_EINVAL, "uid %d is beyond the %d uids a node handles", n->uid, TPLR_NODE_MAX_UIDS);
    tplr_commitment c;
    tplr_err e = tplr_chain_commitment(n->chain, n->hot.pk, &c);
    if (e == TPLR_ENOTFOUND || (!e && strcmp(c.data, n->o.store_url))) {
        tplr_extrinsic_id id;
        TPLR_TRY(tplr_chain_commit(n->chain, &n->hot, n->o.store_url, &id));
        TPLR_TRY(tplr_node_refresh(n));
    } else if (e)
        return e;
    return TPLR_OK;
}

static tplr_err open_model(tplr_node *n)
{
    tplr_model_config mc;
    TPLR_TRY(tplr_node_config_model(n->cfg, &mc));
    TPLR_TRY(tplr_model_create(&mc, &n->model));
    if (n->cfg->init_model[0])
        TPLR_TRY(tplr_node_load_init_model(n));
    else
        tplr_model_init_weights(n->model, (uint64_t)n->cfg->init_seed);
    n->table = tplr_codec_table_of_model(n->model);
    n->codec = tplr_node_config_codec(n->cfg);
    TPLR_TRY(tplr_codec_aggregator_create(&n->table, &n->codec, TPLR_PEERS_MAX, &n->agg));
    tplr_outer_hparams oh;
    TPLR_TRY(tplr_node_config_outer(n->cfg, &oh));
    TPLR_TRY(tplr_outer_create(&oh, n->model->n_params, &n->outer));
    n->agg_buf = calloc(n->model->n_params, sizeof(float));
    n->skip = calloc((size_t)n->model->n_tensors, 1);
    if (!n->agg_buf || !n->skip)
        return tplr_fail(TPLR_ENOMEM, "allocating the aggregate buffer");
    if (n->o.data_path) {
        tplr_samples_opts so = {.vocab = mc.vocab, .split = "train", .sample_len = n->cfg->seq, .mask_eos = 1,
                                .eos = -1};
        TPLR_TRY(tplr_samples_open(n->o.data_path, &so, &n->data));
        n->have_data = 1;
        if (n->data.T != n->cfg->seq)
            return tplr_fail(TPLR_EMISMATCH, "%s has samples of %d tokens but seq is %d: set seq=%d in the config",
                             n->o.data_path, n->data.T, n->cfg->seq, n->data.T);
    }
    return TPLR_OK;
}

tplr_err tplr_node_open(const tplr_node_opts *o, tplr_node **out)
{
    tplr_node *n = calloc(1, sizeof *n);
    if (!n)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    n->o = *o;
    n->cfg = &n->o.cfg;
    n->uid = -1;
    n->start_window = -1;
    n->model_window = -1;
    tplr_err e = tplr_node_config_check(n->cfg);
    char path[4096];
    if (!e)
        e = tplr_mkdirs(o->dir);
    if (!e)
        e = tplr_path_join(path, sizeof path, o->dir, "metrics.jsonl");
    if (!e)
        e = tplr_metrics_open(path, o->kind, -1, o->metrics_listen, &n->metrics);
    if (!e)
        e = tplr_wallet_load_hotkey(o->wallet, o->hotkey, n->hot.sk, n->hot.pk);
    if (!e && strlen(o->store_url) > TPLR_COMMIT_MAX)
        e = tplr_fail(TPLR_EINVAL, "--store URL is longer than the %d bytes a commitment holds", TPLR_COMMIT_MAX);
    if (!e)
        e = tplr_store_open(o->store_url, NULL, &n->store);
    if (!e)
        e = tplr_chain_connect(o->chain_url, NULL, &n->chain);
    if (!e)
        e = open_model(n);
    if (!e)
        e = join_subnet(n);
    if (e) {
        tplr_node_close(n);
        return e;
    }
    tplr_metrics_set_uid(n->metrics, n->uid);
    int64_t w = 0;
    tplr_node_window(n, &w);
    json_t *f = json_pack("{s:s,s:I,s:s,s:i}", "store", o->store_url, "params", (json_int_t)n->model->n_params,
                          "ledger", tplr_chain_url(n->chain), "metrics_port", tplr_metrics_port(n->metrics));
    tplr_node_emit(n, w, "start", f);
    *out = n;
    return TPLR_OK;
}

void tplr_node_close(tplr_node *n)
{
    if (!n)
        return;
    if (n->metrics && n->chain && n->uid >= 0) {
        int64_t w = n->model_window;
        json_t *f = json_pack("{s:I,s:b}", "global_step", (json_int_t)n->global_step, "interrupted",
                              tplr_stop_requested());
        tplr_node_emit(n, w, "stop", f);
    }
    for (int u = 0; u < TPLR_NODE_MAX_UIDS; u++) {
        tplr_store_close(n->peer_store[u]);
        free(n->peer_url[u]);
    }
    if (n->have_data)
        tplr_samples_close(&n->data);
    tplr_metagraph_free(&n->mg);
    free(n->commits);
    tplr_codec_aggregator_free(n->agg);
    tplr_outer_free(n->outer);
    free(n->agg_buf);
    free(n->skip);
    tplr_model_free(n->model);
    tplr_store_close(n->store);
    tplr_chain_close(n->chain);
    tplr_metrics_close(n->metrics);
    tplr_secret_wipe(&n->hot, sizeof n->hot);
    free(n);
}
