/* The validator's loop: window w is processed once w+1 has begun. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tplr/fileio.h"
#include "tplr/log.h"
#include "tplr/rng.h"
#include "tplr/scoring_file.h"
#include "tplr/scoring_pick.h"
#include "tplr/signals.h"
#include "tplr/store_keys.h"
#include "tplr/timeutil.h"
#include "tplr/validator.h"
#include "validator_internal.h"


static int is_leader(const tplr_node *n) { return tplr_node_leader(n) == n->uid; }

static tplr_err post_peers(validator *v, int64_t w, int64_t first_effective, int initial)
{
    tplr_node *n = v->n;
    uint16_t cand[TPLR_SCORING_MAX_UIDS];
    double inc[TPLR_SCORING_MAX_UIDS];
    int nc = validator_miner_uids(n, cand, NULL, inc);
    tplr_peer_list *p = calloc(1, sizeof *p);
    if (!p)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    p->window = w;
    p->first_effective_window = first_effective;
    p->initial = initial;
    uint16_t peers[TPLR_SCORING_MAX_UIDS], res[TPLR_SCORING_MAX_UIDS];
    tplr_err e = tplr_scoring_peers(v->s, cand, inc, nc, initial, peers, &p->n_peers, res, &p->n_reserve);
    if (!e) {
        p->n_peers = p->n_peers < TPLR_PEERS_MAX ? p->n_peers : TPLR_PEERS_MAX;
        p->n_reserve = p->n_reserve < TPLR_PEERS_MAX ? p->n_reserve : TPLR_PEERS_MAX;
        memcpy(p->peers, peers, sizeof(uint16_t) * (size_t)p->n_peers);
        memcpy(p->reserve, res, sizeof(uint16_t) * (size_t)p->n_reserve);
    }
    char key[TPLR_KEY_MAX], *text = NULL;
    if (!e)
        e = tplr_key_peers(key, sizeof key, (uint64_t)first_effective, n->cfg->network_version);
    if (!e)
        e = tplr_peer_list_to_json(p, &text);
    if (!e)
        e = tplr_node_put(n, key, text, strlen(text));
    free(text);
    free(p);
    return e;
}

static tplr_err set_weights(validator *v)
{
    uint16_t uids[TPLR_SCORING_MAX_UIDS];
    double w[TPLR_SCORING_MAX_UIDS];
    int k;
    TPLR_TRY(tplr_scoring_weights(v->s, uids, w, &k));
    tplr_extrinsic_id id;
    tplr_err e = tplr_chain_set_weights(v->n->chain, &v->n->hot, uids, w, k, &id);
    if (e) {
        tplr_warn("validator: set_weights refused: %s", tplr_errmsg());
        return TPLR_OK; /* e.g. no permit yet: try again next time */
    }
    v->weights_set = 1;
    return TPLR_OK;
}

static json_t *score_maps(const validator *v, json_t **weights, json_t **penalties)
{
    json_t *final = json_object();
    *weights = json_object();
    *penalties = json_object();
    char key[16];
    for (int u = 0; u < TPLR_SCORING_MAX_UIDS; u++) {
        const tplr_uid_score *s = &v->s->uid[u];
        if (!s->known)
            continue;
        snprintf(key, sizeof key, "%d", u);
        json_object_set_new(final, key, json_real(s->final_score));
        json_object_set_new(*weights, key, json_real(s->weight));
    }
    int ne;
    const tplr_penalty_event *ev = tplr_scoring_events(v->s, &ne);
    for (int i = 0; i < ne && i < TPLR_SCORING_MAX_EVENTS; i++) {
        snprintf(key, sizeof key, "%d", ev[i].uid);
        json_t *a = json_object_get(*penalties, key);
        if (!a) {
            a = json_array();
            json_object_set_new(*penalties, key, a);
        }
        json_array_append_new(a, json_string(tplr_penalty_name(ev[i].reason)));
    }
    return final;
}

static tplr_err one_window(validator *v, int64_t w)
{
    tplr_node *n = v->n;
    const tplr_node_config *c = n->cfg;
    double t0 = tplr_now();
    n->bytes_up = n->bytes_down = 0;
    v->weights_set = 0;
    v->evaluated = json_array();
    v->gscore = json_object();
    TPLR_TRY(tplr_node_wait_window(n, w + 1));
    TPLR_TRY(tplr_node_refresh(n));
    /* The initial list holds the miners that had committed when the network
     * started. Miners that committed during the first window are put in a
     * list for the next window (whose gathers start when it ends), not left
     * out until the regular list two windows ahead. */
    if (w == n->start_window && is_leader(n))
        TPLR_TRY(post_peers(v, w, w + 1, 1));
    int null_round = w < n->start_window + c->null_rounds;
    tplr_peer_list pl;
    int have_list = !null_round && tplr_node_read_peer_list(n, w, &pl) == TPLR_OK;
    tplr_node_gathered g;
    memset(&g, 0, sizeof g);
    tplr_err e = tplr_evaluator_begin(&v->ev, w);
    if (!e && have_list)
        e = tplr_node_gather(n, w, pl.peers, pl.n_peers, pl.reserve, pl.n_reserve, &g);
    int scored = !e && !null_round && w > v->s->window;
    if (scored)
        e = tplr_scoring_begin_window(v->s, w);
    if (!e && scored && have_list)
        e = validator_score_gather(v, &g);
    if (!e && scored)
        e = validator_evaluate(v, w, &g);
    if (!e && scored)
        e = tplr_scoring_end_window(v->s);
    if (!e && scored && (w - n->start_window) % c->windows_per_weights == 0)
        e = set_weights(v);
    memcpy(v->before, n->model->params, n->model->n_params * sizeof(float));
    if (!e)
        e = tplr_node_outer_step(n, w, g.views, g.n);
    if (!e && g.n > 0) {
        double sum = 0;
        for (size_t i = 0; i < n->model->n_params; i++)
            sum += fabs((double)n->model->params[i] - (double)v->before[i]);
        tplr_scoring_observe_delta(v->s, sum / (double)n->model->n_params);
    }
    if (!e && g.n > 0 && is_leader(n)) {
        char path[4096], key[TPLR_KEY_MAX];
        e = tplr_path_join(path, sizeof path, n->o.dir, "aggregate.safetensors");
        if (!e)
            e = tplr_node_write_aggregate_file(n, w, path);
        if (!e)
            e = tplr_key_aggregator(key, sizeof key, (uint64_t)w, c->network_version);
        if (!e)
            e = tplr_store_put_file(n->store, key, path);
        n->bytes_up += n->model->n_params * sizeof(float);
    }
    if (!e && is_leader(n) && (w - n->start_window) % c->peer_list_every == 0)
        e = post_peers(v, w, w + 2, 0);
    if (!e && g.n > 0 && n->global_step % c->checkpoint_frequency == 0 && is_leader(n))
        e = tplr_node_write_checkpoint(n, w);
    if (!e)
        e = tplr_scoring_save(v->s, v->scores_path);
    int n_ok = g.n;
    tplr_node_gathered_free(&g);
    if (e) {
        json_decref(v->evaluated);
        json_decref(v->gscore);
        return e;
    }
    tplr_fingerprint *fp = malloc(sizeof *fp);
    if (!fp)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    tplr_node_fingerprint(n, w, fp);
    json_t *weights, *pen, *final = score_maps(v, &weights, &pen);
    double eval_loss = tplr_evaluator_loss_now(&v->ev);
    json_t *f = json_pack("{s:f,s:s,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:b,s:I,s:i,s:f,s:b,s:b}", "eval_loss", eval_loss,
                          "fingerprint", fp->digest, "bytes_up", (json_int_t)n->bytes_up, "bytes_down",
                          (json_int_t)n->bytes_down, "evaluated", v->evaluated, "gradient_score", v->gscore,
                          "final_score", final, "weight", weights, "penalties", pen, "weights_set", v->weights_set,
                          "global_step", (json_int_t)n->global_step, "peers_applied", n_ok, "window_s",
                          tplr_now() - t0, "leader", is_leader(n), "null_round", null_round);
    tplr_node_emit(n, w, "window", f);
    tplr_info("validator uid %d: window %lld, %d peers applied, global step %lld, model %s", n->uid, (long long)w,
              n_ok, (long long)n->global_step, fp->digest);
    free(fp);
    return TPLR_OK;
}

/* The start window (the leader writes it) and the first peer list. */
static tplr_err start_network(validator *v, int64_t cur)
{
    tplr_node *n = v->n;
    if (tplr_node_read_start_window(n, &n->start_window) == TPLR_OK)
        return TPLR_OK;
    if (!is_leader(n))
        return tplr_node_wait_start_window(n);
    n->start_window = cur + 1;
    TPLR_TRY(post_peers(v, cur, n->start_window, 1));
    char key[TPLR_KEY_MAX], *text;
    TPLR_TRY(tplr_key_start_window(key, sizeof key, n->cfg->network_version));
    TPLR_TRY(tplr_start_window_to_json(n->start_window, &text));
    tplr_err e = tplr_node_put(n, key, text, strlen(text));
    free(text);
    tplr_info("validator: the network starts at window %lld", (long long)n->start_window);
    return e;
}

static tplr_err validator_init(validator *v)
{
    tplr_node *n = v->n;
    TPLR_TRY(tplr_scoring_create(&n->cfg->scoring, &v->s));
    TPLR_TRY(tplr_path_join(v->scores_path, sizeof v->scores_path, n->o.dir, TPLR_VALIDATOR_SCORES_FILE));
    if (tplr_path_exists(v->scores_path)) {
        TPLR_TRY(tplr_scoring_load(v->s, v->scores_path));
        tplr_info("validator: scores of %lld windows loaded from %s", (long long)v->s->windows_scored, v->scores_path);
    }
    v->before = malloc(n->model->n_params * sizeof(float));
    if (!v->before)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    return tplr_evaluator_init(&v->ev, n);
}

tplr_err tplr_validator_run(const tplr_node_opts *o)
{
    tplr_node *n;
    TPLR_TRY(tplr_node_open(o, &n));
    validator v = {.n = n};
    tplr_err e = validator_init(&v);
    int64_t cur = 0, w = 0;
    if (!e)
        e = tplr_node_window(n, &cur);
    if (!e)
        e = start_network(&v, cur);
    if (!e) {
        w = cur - 1 > n->start_window ? cur - 1 : n->start_window;
        if (v.s->window >= w)
            w = v.s->window + 1;
        e = tplr_node_catch_up(n, w - 1);
    }
    for (int64_t done = 0; !e && (o->windows <= 0 || done < o->windows); done++) {
        e = one_window(&v, w);
        if (!e)
            e = tplr_node_window(n, &cur);
        w++;
        if (!e && cur > w + 1) { /* fell behind: catch up to the window before the newest complete one */
            tplr_warn("validator: window %lld is over, jumping to window %lld", (long long)w, (long long)(cur - 1));
            e = tplr_node_catch_up(n, cur - 2);
            w = cur - 1;
        }
    }
    if (e == TPLR_EINTERRUPTED || tplr_stop_requested())
        e = TPLR_OK;
    char msg[TPLR_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s", e ? tplr_errmsg() : "");
    tplr_evaluator_free(&v.ev);
    tplr_scoring_free(v.s);
    free(v.before);
    tplr_node_close(n);
    return e ? tplr_fail(e, "%s", msg) : TPLR_OK;
}
