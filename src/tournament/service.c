/* The tournament validator's loop: API server, evaluation worker, weights. */
#include "tplr/tour_service.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tplr/address.h"
#include "tplr/fileio.h"
#include "tplr/log.h"
#include "tplr/signals.h"
#include "tplr/timeutil.h"

static void nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static void row_of_run(int64_t id, int i, const tplr_tour_run *run, tplr_tour_eval_row *row)
{
    memset(row, 0, sizeof *row);
    row->submission_id = id;
    row->run = i;
    snprintf(row->verdict, sizeof row->verdict, "%s", tplr_tour_verdict_name(run->verdict));
    row->seed = run->seed;
    row->tokens = run->tokens;
    row->seconds = run->seconds;
    row->tps = run->tps;
    row->loss = run->loss;
    row->ref_loss = run->ref_loss;
    row->logits_diff = run->logits_diff;
    row->weights_rel_l2 = run->weights_rel_l2;
    snprintf(row->detail, sizeof row->detail, "%s", run->detail);
    row->created_ms = (int64_t)(tplr_wall_time() * 1000);
}

tplr_err tplr_tour_evaluate_one(tplr_tour_store *s, int64_t id, const tplr_tour_eval_opts *eval)
{
    char *code;
    size_t len;
    TPLR_TRY(tplr_tour_store_code(s, id, &code, &len));
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/submissions", eval->work_dir ? eval->work_dir : ".");
    snprintf(path, sizeof path, "%s/%lld.c", dir, (long long)id);
    tplr_err e = tplr_mkdirs(dir);
    if (!e)
        e = tplr_write_file_atomic(path, code, len);
    free(code);
    tplr_tour_report *rep = calloc(1, sizeof *rep);
    tplr_tour_eval_row *rows = calloc(TPLR_TOUR_MAX_EVALS, sizeof *rows);
    if (!e && (!rep || !rows))
        e = tplr_fail(TPLR_ENOMEM, "out of memory");
    double t0 = tplr_now();
    if (!e)
        e = tplr_tour_evaluate(path, eval, rep);
    if (e) { /* the validator's own failure: not the miner's verdict */
        char msg[TPLR_ERRMSG_MAX];
        snprintf(msg, sizeof msg, "the validator could not evaluate it: %s", tplr_errmsg());
        tplr_error("tournament: submission %lld: %s", (long long)id, msg);
        e = tplr_tour_store_finish(s, id, TPLR_TOUR_ERROR, "", 0, 0, NULL, 0, msg);
    } else {
        int n = rep->n_runs < 0 ? 0 : rep->n_runs > TPLR_TOUR_MAX_EVALS ? TPLR_TOUR_MAX_EVALS : rep->n_runs;
        for (int i = 0; i < n; i++)
            row_of_run(id, i, &rep->runs[i], &rows[i]);
        int pass = rep->verdict == TPLR_TOUR_PASS && n > 0 && rep->median_tps > 0;
        const char *detail = "";
        for (int i = 0; i < n && !pass; i++)
            if (rep->runs[i].verdict != TPLR_TOUR_PASS) {
                detail = rep->runs[i].detail;
                break;
            }
        e = tplr_tour_store_finish(s, id, pass ? TPLR_TOUR_FINISHED : TPLR_TOUR_FAILED,
                                   tplr_tour_verdict_name(rep->verdict), pass, rep->median_tps, rows, n, detail);
        tplr_info("tournament: submission %lld: %s, median %.1f tokens/s over %d runs (%.1f s)", (long long)id,
                  tplr_tour_verdict_name(rep->verdict), rep->median_tps, n, tplr_now() - t0);
    }
    free(rep);
    free(rows);
    return e;
}

tplr_err tplr_tour_set_weights(tplr_chain *c, tplr_tour_store *s, double threshold, const tplr_keypair *hotkey,
                               int burn_uid, int *uid)
{
    int64_t winner;
    TPLR_TRY(tplr_tour_store_winner(s, threshold, &winner));
    *uid = burn_uid;
    if (winner) {
        tplr_tour_submission sub;
        unsigned char pk[32];
        TPLR_TRY(tplr_tour_store_get(s, winner, &sub));
        TPLR_TRY(tplr_address_decode(sub.hotkey, strlen(sub.hotkey), pk));
        tplr_metagraph m;
        TPLR_TRY(tplr_chain_metagraph(c, &m));
        for (int i = 0; i < m.n; i++)
            if (!memcmp(m.neurons[i].hotkey, pk, 32))
                *uid = m.neurons[i].uid;
        tplr_metagraph_free(&m);
    }
    uint16_t uids[1] = {(uint16_t)*uid};
    double w[1] = {1.0};
    tplr_extrinsic_id id;
    return tplr_chain_set_weights(c, hotkey, uids, w, 1, &id);
}

typedef struct worker {
    tplr_tour_store *store;
    const tplr_tour_eval_opts *eval;
    atomic_int stop;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    while (!atomic_load(&w->stop)) {
        int64_t id;
        tplr_err e = tplr_tour_store_claim(w->store, &id);
        if (e == TPLR_ENOTFOUND) {
            nap(0.2);
            continue;
        }
        if (e || tplr_tour_evaluate_one(w->store, id, w->eval)) {
            tplr_error("tournament: %s", tplr_errmsg());
            nap(1.0);
        }
    }
    return NULL;
}

/* Weights every weights_every blocks (checked about once a second). */
static void weights_tick(const tplr_tour_serve_opts *o, tplr_tour_store *s, tplr_chain **c, uint64_t *last,
                         double *next_check)
{
    if (o->weights_every <= 0 || tplr_now() < *next_check)
        return;
    *next_check = tplr_now() + 1.0;
    uint64_t block;
    if (!*c && tplr_chain_connect(o->api.ledger_url, NULL, c)) {
        tplr_warn("tournament: cannot reach the ledger to set weights: %s", tplr_errmsg());
        return;
    }
    if (tplr_chain_block(*c, &block, NULL)) {
        tplr_warn("tournament: %s", tplr_errmsg());
        return;
    }
    if (*last != UINT64_MAX && block < *last + (uint64_t)o->weights_every)
        return;
    int uid;
    if (tplr_tour_set_weights(*c, s, o->api.win_threshold, &o->hotkey, o->burn_uid, &uid))
        tplr_warn("tournament: setting weights failed (trying again in %d blocks): %s", o->weights_every,
                  tplr_errmsg());
    else
        tplr_info("tournament: weights set at block %llu: uid %d%s", (unsigned long long)block, uid,
                  uid == o->burn_uid ? " (burn: no winner registered)" : " (the winner)");
    *last = block;
}

static tplr_err write_port(const char *path, int port)
{
    char text[16];
    int n = snprintf(text, sizeof text, "%d\n", port);
    return tplr_write_file_atomic(path, text, (size_t)n);
}

/* The fingerprint of the reference submission: what every miner may start from. */
static tplr_err reference_fp(const tplr_tour_eval_opts *eval, tplr_tour_fp *fp)
{
    const char *path = eval->reference_path ? eval->reference_path : TPLR_TOUR_REFERENCE;
    char *text;
    size_t len;
    TPLR_TRY(tplr_read_file(path, 1 << 24, &text, &len));
    tplr_err e = tplr_tour_fingerprint(text, len, fp);
    free(text);
    return e;
}

tplr_err tplr_tour_serve(const tplr_tour_serve_opts *o)
{
    if (o->weights_every > 0 && !(o->api.ledger_url && *o->api.ledger_url))
        return tplr_fail(TPLR_EINVAL, "setting weights needs the ledger's URL");
    if (o->burn_uid < 0 || o->burn_uid > 65535)
        return tplr_fail(TPLR_EINVAL, "the burn uid must be from 0 to 65535");
    tplr_tour_fp base;
    TPLR_TRY(reference_fp(&o->eval, &base));
    tplr_tour_store *store;
    tplr_err e = tplr_tour_store_open(o->db_path, &store);
    if (e) {
        tplr_tour_fp_free(&base);
        return e;
    }
    tplr_tour_api_opts ao = o->api;
    ao.store = store;
    ao.base = &base;
    tplr_tour_api *api = NULL;
    int port = 0;
    e = tplr_tour_api_start(&ao, &api, &port);
    if (!e && o->port_file)
        e = write_port(o->port_file, port);
    worker w = {store, &o->eval, 0};
    pthread_t th;
    if (!e && pthread_create(&th, NULL, work, &w) != 0)
        e = tplr_fail(TPLR_EIO, "cannot start the evaluation thread");
    if (e) {
        tplr_tour_api_stop(api);
        tplr_tour_store_close(store);
        tplr_tour_fp_free(&base);
        return e;
    }
    tplr_info("tournament: serving on port %d (leaderboard at /), fee %lld base units, %d runs per submission",
              port, (long long)o->api.fee, o->eval.evals);
    tplr_chain *c = NULL;
    uint64_t last = UINT64_MAX;
    double next_check = 0;
    while (!tplr_stop_requested()) {
        weights_tick(o, store, &c, &last, &next_check);
        nap(0.05);
    }
    tplr_info("tournament: stopping (after the evaluation in progress, if any)");
    atomic_store(&w.stop, 1);
    pthread_join(th, NULL);
    tplr_tour_api_stop(api);
    tplr_chain_close(c);
    tplr_tour_store_close(store);
    tplr_tour_fp_free(&base);
    tplr_info("tournament: stopped");
    return TPLR_OK;
}
