/* Gather: one event loop drives every peer. A peer ("slot") is queued until
 * its next attempt is due, then running (an S3 GET on the shared curl multi
 * handle, or a read on the reader threads), then done with an outcome. A
 * missing object is polled again; a failed slot hands its place to the next
 * reserve. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch_pool.h"
#include "s3_http.h"
#include "tplr/gather.h"
#include "tplr/timeutil.h"

#define GIB (1024ull * 1024ull * 1024ull)

typedef enum { SLOT_IDLE, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE } slot_state;

typedef struct gather gather;

typedef struct slot {
    gather *g;
    const tplr_gather_peer *peer;
    tplr_gather_item *item;
    slot_state state;
    double deadline; /* monotonic: this peer's time is up */
    double next_try;
    tplr_peer_outcome rejected; /* EARLY/LATE found in the S3 reply's headers */
    char rejected_why[200];
    s3_req req;                 /* S3 peers */
    fetch_job job;              /* folder peers */
} slot;

struct gather {
    tplr_gather_opts o;
    slot *slots;
    int n_primary, n_slots, next_reserve;
    double t0, end;
    s3_client client; /* S3 transfers, and the loop's wait (woken by the readers) */
    fetch_pool pool;
    int has_pool;
    int closed; /* the cap was reached: no more reserves */
};

void tplr_gather_opts_defaults(tplr_gather_opts *o)
{
    memset(o, 0, sizeof *o);
    o->late_grace_s = 3;
    o->peer_timeout_s = 90;
    o->total_timeout_s = 600;
    o->poll_interval_s = 0.5;
    o->max_bytes = GIB;
    o->max_parallel = 64;
}

const char *tplr_peer_outcome_name(tplr_peer_outcome o)
{
    switch (o) {
    case TPLR_PEER_OK: return "ok";
    case TPLR_PEER_MISSING: return "missing";
    case TPLR_PEER_EARLY: return "too_early";
    case TPLR_PEER_LATE: return "too_late";
    case TPLR_PEER_INVALID: return "invalid";
    case TPLR_PEER_ERROR: return "error";
    }
    return "unknown";
}

/* ---- outcomes ---- */

static void activate(gather *g, slot *sl, double now)
{
    sl->state = SLOT_QUEUED;
    sl->next_try = now;
    sl->deadline = fmin(now + g->o.peer_timeout_s, g->end);
}

static void finish(slot *sl, tplr_peer_outcome outcome, tplr_err err, const char *reason)
{
    gather *g = sl->g;
    double now = tplr_now();
    sl->state = SLOT_DONE;
    sl->item->outcome = outcome;
    sl->item->err = err;
    sl->item->seconds = now - g->t0;
    snprintf(sl->item->reason, sizeof sl->item->reason, "%s", reason ? reason : "");
    if (outcome != TPLR_PEER_OK && !g->closed && g->next_reserve < g->n_slots)
        activate(g, &g->slots[g->next_reserve++], now);
}

/* EARLY or LATE when LastModified (whole seconds, as S3 reports it) lies
 * outside [time_min, time_max]. */
static tplr_peer_outcome time_check(const tplr_gather_opts *o, double last_modified, char *why, size_t cap)
{
    double t = floor(last_modified);
    if (o->time_min > 0 && t < floor(o->time_min)) {
        snprintf(why, cap, "LastModified %.0f is %.0fs before time_min %.3f", t, floor(o->time_min) - t, o->time_min);
        return TPLR_PEER_EARLY;
    }
    if (o->time_max > 0 && t > o->time_max) {
        snprintf(why, cap, "LastModified %.0f is %.0fs after time_max %.3f", t, t - o->time_max, o->time_max);
        return TPLR_PEER_LATE;
    }
    return TPLR_PEER_OK;
}

/* Takes the fetched bytes: time bounds, then the caller's validation. */
static void take_object(slot *sl, unsigned char *data, size_t len, double last_modified)
{
    const tplr_gather_opts *o = &sl->g->o;
    char why[200];
    sl->item->last_modified = last_modified;
    tplr_peer_outcome t = time_check(o, last_modified, why, sizeof why);
    if (t != TPLR_PEER_OK) {
        free(data);
        finish(sl, t, TPLR_OK, why);
        return;
    }
    if (o->validate) {
        tplr_err_clear();
        tplr_err v = o->validate(data, len, sl->peer->uid, o->validate_ctx);
        if (v) {
            free(data);
            finish(sl, TPLR_PEER_INVALID, v, tplr_errmsg()[0] ? tplr_errmsg() : tplr_err_name(v));
            return;
        }
    }
    sl->item->data = data;
    sl->item->len = len;
    finish(sl, TPLR_PEER_OK, TPLR_OK, NULL);
}

/* The object does not exist (yet): poll again, unless the peer's time is up
 * or time_max (plus the grace) has passed. */
static void not_yet(slot *sl, const char *msg)
{
    gather *g = sl->g;
    double now = tplr_now();
    int past_window = g->o.time_max > 0 && tplr_wall_time() > g->o.time_max + g->o.late_grace_s;
    if (past_window || now + g->o.poll_interval_s >= sl->deadline) {
        const char *cause = past_window             ? "time_max passed"
                            : sl->deadline >= g->end ? "the gather's overall time cap reached"
                                                     : "peer timeout reached";
        char why[700];
        snprintf(why, sizeof why, "%s (%d requests in %.1fs; %s)", msg, sl->item->requests, now - g->t0, cause);
        finish(sl, TPLR_PEER_MISSING, TPLR_ENOTFOUND, why);
        return;
    }
    sl->state = SLOT_QUEUED;
    sl->next_try = now + g->o.poll_interval_s;
}

/* ---- S3 peers ---- */

static tplr_err check_time_header(s3_req *r)
{
    slot *sl = r->user;
    const tplr_gather_opts *o = &sl->g->o;
    if (o->time_min <= 0 && o->time_max <= 0)
        return TPLR_OK;
    if (!r->hdr.has_last_modified)
        return tplr_fail(TPLR_EBADRESPONSE, "no valid Last-Modified header to check the time window against");
    sl->rejected = time_check(o, r->hdr.last_modified, sl->rejected_why, sizeof sl->rejected_why);
    sl->item->last_modified = r->hdr.last_modified;
    return sl->rejected == TPLR_PEER_OK ? TPLR_OK : tplr_fail(TPLR_EINTERRUPTED, "%s", sl->rejected_why);
}

static void s3_done(s3_req *r)
{
    slot *sl = r->user;
    sl->item->requests += r->attempts;
    sl->item->connections += r->connects;
    s3_error xe;
    if (sl->rejected != TPLR_PEER_OK) {
        finish(sl, sl->rejected, TPLR_OK, sl->rejected_why);
    } else if (!r->err) {
        size_t len;
        unsigned char *data = s3_sink_take(r, &len);
        if (!data)
            data = malloc(1);
        double lm = r->hdr.has_last_modified ? r->hdr.last_modified : 0;
        if (data)
            take_object(sl, data, len, lm);
        else
            finish(sl, TPLR_PEER_ERROR, TPLR_ENOMEM, "out of memory");
    } else if (r->err == TPLR_ENOTFOUND && !(s3_parse_error(r->errbody, r->errbody_len, &xe) &&
                                             !strcmp(xe.code, "NoSuchBucket"))) {
        not_yet(sl, r->msg); /* the object may still come; a missing bucket will not */
    } else {
        finish(sl, TPLR_PEER_ERROR, r->err, r->msg);
    }
    s3_req_free(r);
}

static tplr_err start_s3(slot *sl)
{
    s3_req *r = &sl->req;
    s3_store *s = (s3_store *)sl->peer->store;
    TPLR_TRY(s3_req_init(r, s, "GET", sl->peer->key, NULL, 0, NULL, 0, NULL));
    s3_sink_mem(r, sl->g->o.max_bytes);
    r->on_headers = check_time_header;
    r->on_done = s3_done;
    r->user = sl;
    r->deadline = sl->deadline;
    sl->rejected = TPLR_PEER_OK;
    s3_client_submit(&sl->g->client, r, 0);
    return TPLR_OK;
}

/* ---- folder peers ---- */

static void fs_done(slot *sl)
{
    fetch_job *j = &sl->job;
    sl->item->requests++;
    if (!j->err)
        take_object(sl, j->data, j->len, j->info.last_modified);
    else if (j->err == TPLR_ENOTFOUND)
        not_yet(sl, j->msg);
    else
        finish(sl, TPLR_PEER_ERROR, j->err, j->msg);
}

static void wake_loop(void *ctx) { s3_client_wakeup(ctx); }

static void drain_readers(gather *g)
{
    if (!g->has_pool)
        return;
    for (fetch_job *j = fetch_pool_take_done(&g->pool), *next; j; j = next) {
        next = j->next;
        fs_done(j->owner);
    }
}

/* ---- the loop ---- */

static void launch(slot *sl)
{
    sl->state = SLOT_RUNNING;
    if (sl->peer->store->kind == STORE_S3) {
        if (start_s3(sl) != TPLR_OK)
            finish(sl, TPLR_PEER_ERROR, TPLR_ENOMEM, tplr_errmsg());
        return;
    }
    sl->job = (fetch_job){.store = sl->peer->store, .key = sl->peer->key, .max_bytes = sl->g->o.max_bytes,
                          .owner = sl};
    fetch_pool_push(&sl->g->pool, &sl->job);
}

/* Starts due slots, times out S3 slots past their deadline; returns the
 * seconds until the next slot event, or -1 when every slot is done. */
static double step(gather *g, double now)
{
    double next = g->end - now;
    int live = 0;
    for (int i = 0; i < g->n_slots; i++) {
        slot *sl = &g->slots[i];
        if (sl->state == SLOT_QUEUED && sl->next_try <= now)
            launch(sl);
        if (sl->state == SLOT_RUNNING && sl->peer->store->kind == STORE_S3 && now >= sl->deadline) {
            sl->item->requests += sl->req.attempts;
            sl->item->connections += sl->req.connects;
            s3_client_cancel(&g->client, &sl->req);
            tplr_fail(TPLR_ETIMEOUT, "%s: no complete reply within the peer timeout", sl->req.what);
            s3_req_free(&sl->req);
            finish(sl, TPLR_PEER_ERROR, TPLR_ETIMEOUT, tplr_errmsg());
        }
        if (sl->state == SLOT_QUEUED)
            next = fmin(next, sl->next_try - now);
        if (sl->state == SLOT_RUNNING && sl->peer->store->kind == STORE_S3)
            next = fmin(next, sl->deadline - now); /* folder reads end by themselves */
        live += sl->state == SLOT_QUEUED || sl->state == SLOT_RUNNING;
    }
    return live ? fmax(next, 0) : -1;
}

/* The overall cap: whatever is not done ends now. */
static void cut(gather *g)
{
    g->closed = 1;
    if (g->has_pool) {
        fetch_pool_stop(&g->pool);
        drain_readers(g);
    }
    for (int i = 0; i < g->n_slots; i++) {
        slot *sl = &g->slots[i];
        if (sl->state == SLOT_RUNNING && sl->peer->store->kind == STORE_S3) {
            sl->item->requests += sl->req.attempts;
            sl->item->connections += sl->req.connects;
            s3_client_cancel(&g->client, &sl->req);
            s3_req_free(&sl->req);
            finish(sl, TPLR_PEER_ERROR, TPLR_ETIMEOUT, "the gather's overall time cap was reached during the transfer");
        } else if (sl->state == SLOT_QUEUED || sl->state == SLOT_RUNNING) {
            finish(sl, TPLR_PEER_MISSING, TPLR_ENOTFOUND, "not found before the gather's overall time cap");
        }
    }
}

static void run(gather *g)
{
    for (;;) {
        double now = tplr_now();
        if (now >= g->end) {
            cut(g);
            return;
        }
        double wait = step(g, now);
        if (wait < 0)
            return;
        s3_client_turn(&g->client, wait);
        drain_readers(g);
    }
}

static void summarize(gather *g, tplr_gather_result *out)
{
    out->n_primary = g->n_primary;
    out->n_items = g->next_reserve;
    out->seconds = tplr_now() - g->t0;
    for (int i = 0; i < out->n_items; i++) {
        const tplr_gather_item *it = &out->items[i];
        out->n_ok += it->outcome == TPLR_PEER_OK;
        out->bytes += it->outcome == TPLR_PEER_OK ? it->len : 0;
        out->connections += it->connections;
    }
    out->success_rate = g->n_primary ? (double)out->n_ok / g->n_primary : 0;
}

static tplr_err check_args(const tplr_gather_peer *peers, int n, const char *what)
{
    if (n < 0 || (n > 0 && !peers))
        return tplr_fail(TPLR_EINVAL, "gather: bad %s peer list", what);
    for (int i = 0; i < n; i++) {
        if (!peers[i].store || !peers[i].key)
            return tplr_fail(TPLR_EINVAL, "gather: %s peer %d (uid %llu) has no store or key", what, i,
                             (unsigned long long)peers[i].uid);
        if (tplr_store_check_key(peers[i].key))
            return tplr_fail_ctx(TPLR_EINVAL, "gather: uid %llu", (unsigned long long)peers[i].uid);
    }
    return TPLR_OK;
}

static tplr_err setup(gather *g, const tplr_gather_peer *primary, int n_primary, const tplr_gather_peer *reserve,
                      int n_reserve, tplr_gather_result *out)
{
    g->n_primary = n_primary;
    g->n_slots = n_primary + n_reserve;
    g->next_reserve = n_primary;
    g->t0 = tplr_now();
    g->end = g->t0 + g->o.total_timeout_s;
    g->slots = calloc((size_t)g->n_slots + 1, sizeof *g->slots);
    out->items = calloc((size_t)g->n_slots + 1, sizeof *out->items);
    if (!g->slots || !out->items)
        return tplr_fail(TPLR_ENOMEM, "gather: out of memory");
    int n_folder = 0;
    for (int i = 0; i < g->n_slots; i++) {
        slot *sl = &g->slots[i];
        sl->g = g;
        sl->peer = i < n_primary ? &primary[i] : &reserve[i - n_primary];
        sl->item = &out->items[i];
        sl->item->uid = sl->peer->uid;
        sl->item->is_reserve = i >= n_primary;
        n_folder += sl->peer->store->kind != STORE_S3;
        if (i < n_primary)
            activate(g, sl, g->t0);
    }
    TPLR_TRY(s3_client_init(&g->client, g->o.max_parallel));
    if (n_folder) {
        int threads = n_folder < FETCH_POOL_MAX_THREADS ? n_folder : FETCH_POOL_MAX_THREADS;
        TPLR_TRY(fetch_pool_start(&g->pool, threads, wake_loop, &g->client));
        g->has_pool = 1;
    }
    return TPLR_OK;
}

static void teardown(gather *g)
{
    if (g->has_pool) {
        fetch_pool_stop(&g->pool);
        fetch_pool_free(&g->pool);
    }
    if (g->client.multi)
        s3_client_free(&g->client);
    free(g->slots);
}

tplr_err tplr_gather_with_reserve(const tplr_gather_peer *primary, int n_primary, const tplr_gather_peer *reserve,
                                  int n_reserve, const tplr_gather_opts *opts, tplr_gather_result *out)
{
    memset(out, 0, sizeof *out);
    TPLR_TRY(check_args(primary, n_primary, "primary"));
    TPLR_TRY(check_args(reserve, n_reserve, "reserve"));
    gather g = {0};
    if (opts)
        g.o = *opts;
    else
        tplr_gather_opts_defaults(&g.o);
    if (g.o.max_parallel < 1 || g.o.poll_interval_s <= 0 || g.o.peer_timeout_s <= 0 || g.o.total_timeout_s <= 0)
        return tplr_fail(TPLR_EINVAL, "gather: timeouts, poll interval and max_parallel must be positive");
    tplr_err e = setup(&g, primary, n_primary, reserve, n_reserve, out);
    if (!e) {
        run(&g);
        summarize(&g, out);
    }
    teardown(&g);
    if (e)
        tplr_gather_result_free(out);
    return e;
}

tplr_err tplr_gather(const tplr_gather_peer *peers, int n, const tplr_gather_opts *opts, tplr_gather_result *out)
{
    return tplr_gather_with_reserve(peers, n, NULL, 0, opts, out);
}

void tplr_gather_result_free(tplr_gather_result *r)
{
    if (r->items)
        for (int i = 0; i < r->n_items; i++)
            free(r->items[i].data);
    free(r->items);
    memset(r, 0, sizeof *r);
}
