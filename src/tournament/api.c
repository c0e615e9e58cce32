/* The tournament's HTTP API on civetweb: routes, reads from the store, and
 * the submission endpoint (signature, clock, fee, copies). */
#include "tplr/tour_api.h"

#include <civetweb.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "tplr/address.h"
#include "tplr/http_reply.h"
#include "tplr/log.h"
#include "tplr/timeutil.h"
#include "tplr/tour_payment.h"
#include "tplr/tour_request.h"

struct tplr_tour_api {
    tplr_tour_api_opts o;
    struct mg_context *ctx;
    pthread_mutex_t chain_mu; /* one ledger client, for one request at a time */
    tplr_chain *chain;
    char ledger_url[512];
};

/* An answer built away from the connection (on a thread with a full stack:
 * civetweb's workers have 100 KiB, too little for libcurl, SQLite and
 * sanitizers together), then sent by the connection's thread. */
typedef struct reply {
    int status;
    char *body; /* JSON, malloc'd; NULL: out of memory */
    const char *type;
    int close;
} reply;

static int set_json(reply *r, int status, json_t *j)
{
    r->status = status;
    r->body = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(j);
    return status;
}

static int set_error(reply *r, int status, const char *code, const char *msg)
{
    return set_json(r, status, json_pack("{s:s, s:s}", "error", msg, "code", code));
}

static int set_internal(reply *r) { return set_error(r, 500, "internal", tplr_errmsg()); }

/* A path segment of digits as an id in 1..2^62. */
static int parse_id(const char *s, size_t n, int64_t *id)
{
    if (n == 0 || n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1)
        return -1;
    *id = v;
    return 0;
}

static int get_health(reply *r, tplr_tour_api *a)
{
    int pending = 0;
    int64_t winner = 0;
    if (tplr_tour_store_pending(a->o.store, &pending) || tplr_tour_store_winner(a->o.store, a->o.win_threshold, &winner))
        return set_internal(r);
    char payee[TPLR_ADDRESS_MAX], hotkey[TPLR_ADDRESS_MAX];
    tplr_address_encode(a->o.payee, payee);
    tplr_address_encode(a->o.hotkey, hotkey);
    json_t *j = json_pack("{s:s, s:i, s:s, s:s, s:I, s:i, s:o, s:s, s:i, s:f, s:f}", "status", "ok", "version",
                          TPLR_TOUR_REQUEST_VERSION, "hotkey", hotkey, "payee", payee, "fee", (json_int_t)a->o.fee,
                          "pending", pending, "winner", winner ? json_integer(winner) : json_null(), "preset",
                          a->o.preset ? a->o.preset : "", "evals", a->o.evals, "copy_threshold", a->o.copy_threshold,
                          "win_threshold", a->o.win_threshold);
    return set_json(r, 200, j);
}

static int get_leaderboard(reply *r, tplr_tour_api *a, const char *query)
{
    int limit = TPLR_TOUR_LIST_DEFAULT;
    if (query && *query) {
        char v[16];
        int n = mg_get_var(query, strlen(query), "limit", v, sizeof v);
        if (n == -1 && strstr(query, "limit"))
            n = -2;
        if (n != -1) {
            char *end;
            long x = n > 0 ? strtol(v, &end, 10) : 0;
            if (n <= 0 || *end || x < 1 || x > TPLR_TOUR_LIST_MAX)
                return set_error(r, 400, "bad_request", "limit must be an integer from 1 to 1000");
            limit = (int)x;
        }
    }
    tplr_tour_submission *subs;
    int n;
    int64_t winner;
    if (tplr_tour_store_winner(a->o.store, a->o.win_threshold, &winner) ||
        tplr_tour_store_list(a->o.store, limit, &subs, &n))
        return set_internal(r);
    json_t *rows = json_array();
    for (int i = 0; i < n; i++) {
        json_t *s = tour_submission_json(&subs[i], winner);
        json_object_set_new(s, "rank", subs[i].has_score ? json_integer(i + 1) : json_null());
        json_array_append_new(rows, s);
    }
    free(subs);
    json_t *j = json_pack("{s:o, s:f, s:o}", "winner", winner ? json_integer(winner) : json_null(), "win_threshold",
                          a->o.win_threshold, "entries", rows);
    return set_json(r, 200, j);
}

static int get_submission(reply *r, tplr_tour_api *a, int64_t id, int evaluations)
{
    tplr_tour_submission s;
    tplr_err e = tplr_tour_store_get(a->o.store, id, &s);
    if (e == TPLR_ENOTFOUND)
        return set_error(r, 404, "not_found", tplr_errmsg());
    int64_t winner;
    if (e || tplr_tour_store_winner(a->o.store, a->o.win_threshold, &winner))
        return set_internal(r);
    if (evaluations) {
        tplr_tour_eval_row *rows;
        int n;
        if (tplr_tour_store_evaluations(a->o.store, id, &rows, &n))
            return set_internal(r);
        json_t *arr = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(arr, tour_run_json(&rows[i]));
        free(rows);
        return set_json(r, 200, json_pack("{s:I, s:s, s:o}", "submission_id", (json_int_t)id, "status",
                                              tplr_tour_status_name(s.status), "evaluations", arr));
    }
    json_t *j = tour_submission_json(&s, winner);
    if (tplr_tour_status_public(s.status)) { /* the source is hidden until evaluated */
        char *code;
        size_t len;
        if (tplr_tour_store_code(a->o.store, id, &code, &len)) {
            json_decref(j);
            return set_internal(r);
        }
        json_object_set_new(j, "code", json_stringn(code, len));
        free(code);
    } else {
        json_object_set_new(j, "code", json_null());
    }
    return set_json(r, 200, j);
}

/* The ledger client, (re)connected on demand; call with chain_mu held. */
static tplr_err chain_locked(tplr_tour_api *a, tplr_chain **c)
{
    if (!a->chain) {
        tplr_chain_opts co = {5000, 2, 200};
        TPLR_TRY(tplr_chain_connect(a->ledger_url, &co, &a->chain));
    }
    *c = a->chain;
    return TPLR_OK;
}

/* The fee and the hotkey's uid. 0 to go on, else the answer is set in r. */
static int check_fee(reply *r, tplr_tour_api *a, const tplr_tour_request *q, tplr_tour_payment *p)
{
    memset(p, 0, sizeof *p);
    p->uid = -1;
    if (a->o.fee > 0 && !q->has_payment)
        return set_error(r, 402, "payment_required", "this validator charges a fee: transfer it to the payee of "
                         "GET /health and send the transfer id");
    if (a->o.fee > 0 && tplr_tour_store_payment_used(a->o.store, q->pay_block, q->pay_index))
        return set_error(r, 409, "payment_used", "this transfer already paid for a submission: pay the fee again "
                         "with a new transfer");
    if (!a->ledger_url[0])
        return 0;
    pthread_mutex_lock(&a->chain_mu);
    tplr_chain *c;
    tplr_err e = chain_locked(a, &c);
    if (!e)
        e = a->o.fee > 0 ? tplr_tour_payment_check(c, q->hotkey, q->pay_block, q->pay_index, a->o.payee, a->o.fee, p)
                         : tplr_tour_hotkey_owner(c, q->hotkey, p);
    if (e && e != TPLR_EREFUSED) { /* the connection may be broken: start afresh next time */
        tplr_chain_close(a->chain);
        a->chain = NULL;
    }
    pthread_mutex_unlock(&a->chain_mu);
    if (e == TPLR_EREFUSED)
        return set_error(r, strcmp(p->reason, "not_registered") ? 402 : 403, p->reason, tplr_errmsg());
    if (e)
        return set_error(r, 503, "ledger_unavailable", tplr_errmsg());
    return 0;
}

static int submit_parsed(reply *r, tplr_tour_api *a, tplr_tour_request *q)
{
    if (!tplr_tour_request_verify(q))
        return set_error(r, 401, "bad_signature", "the signature is not the hotkey's over the canonical submission "
                         "text (docs/formats.md, \"Tournament submission request\")");
    double skew = (double)q->timestamp_ms / 1000 - tplr_wall_time();
    if (skew > TPLR_TOUR_CLOCK_SKEW_S || skew < -TPLR_TOUR_CLOCK_SKEW_S)
        return set_error(r, 400, "stale_request", "timestamp_ms is more than 300 s away from the server's clock: "
                         "sign a fresh request (and check your clock)");
    tplr_tour_payment p;
    if (check_fee(r, a, q, &p))
        return r->status;
    tplr_tour_fp fp;
    if (tplr_tour_fingerprint(q->code, q->code_len, &fp))
        return set_internal(r);
    if (a->o.base)
        tplr_tour_fp_subtract(&fp, a->o.base);
    tplr_tour_new n = {q->hotkey, p.uid, q->code, q->code_len, q->code_sha256, &fp, a->o.fee > 0, q->pay_block,
                       q->pay_index, p.coldkey, p.paid};
    int64_t id = 0;
    tplr_tour_refusal why;
    tplr_err e = tplr_tour_store_add(a->o.store, &n, a->o.copy_threshold, &id, &why);
    tplr_tour_fp_free(&fp);
    if (e == TPLR_EREFUSED)
        return set_error(r, 409, why.code, tplr_errmsg());
    if (e)
        return set_internal(r);
    char hk[TPLR_ADDRESS_MAX];
    tplr_address_encode(q->hotkey, hk);
    tplr_info("tournament: submission %lld from %s (uid %d, %zu bytes)", (long long)id, hk, p.uid, q->code_len);
    return set_json(r, 201, json_pack("{s:I, s:s}", "submission_id", (json_int_t)id, "status", "pending"));
}

static int post_submission(reply *r, tplr_tour_api *a, const char *body, long n)
{
    tplr_tour_request q;
    if (tplr_tour_request_parse(body, (size_t)n, &q))
        return set_error(r, 400, "bad_request", tplr_errmsg());
    submit_parsed(r, a, &q);
    tplr_tour_request_free(&q);
    return r->status;
}

/* One request, as the handler's thread hands it over. */
typedef struct request {
    tplr_tour_api *a;
    const char *method, *path, *query, *body;
    long body_len;
    reply r;
} request;

static int route(request *q)
{
    tplr_tour_api *a = q->a;
    reply *r = &q->r;
    const char *path = q->path;
    int get = !strcmp(q->method, "GET"), post = !strcmp(q->method, "POST");
    static const char sub[] = "/submissions";
    size_t ns = sizeof sub - 1;
    if (!strcmp(path, sub) || !strcmp(path, "/submissions/")) {
        if (post)
            return post_submission(r, a, q->body, q->body_len);
        return set_error(r, 405, "method_not_allowed", "submissions are POSTed to /submissions");
    }
    if (!get)
        return set_error(r, 405, "method_not_allowed", "only POST /submissions changes anything; everything else is GET");
    if (!strcmp(path, "/") || !strcmp(path, "/index.html")) {
        r->status = 200;
        r->type = "text/html; charset=utf-8";
        r->body = strdup(tplr_tour_page_html);
        return 200;
    }
    if (!strcmp(path, "/health"))
        return get_health(r, a);
    if (!strcmp(path, "/leaderboard"))
        return get_leaderboard(r, a, q->query);
    if (!strncmp(path, sub, ns) && path[ns] == '/') {
        const char *idp = path + ns + 1, *slash = strchr(idp, '/');
        int64_t id;
        size_t idn = slash ? (size_t)(slash - idp) : strlen(idp);
        int evals = slash && !strcmp(slash, "/evaluations");
        if ((slash && !evals) || parse_id(idp, idn, &id))
            return set_error(r, 404, "not_found", "use /submissions/{id} or /submissions/{id}/evaluations with a "
                             "numeric id");
        return get_submission(r, a, id, evals);
    }
    return set_error(r, 404, "not_found", "no such endpoint: GET /, /health, /leaderboard, /submissions/{id}, "
                     "/submissions/{id}/evaluations; POST /submissions");
}

static void *route_thread(void *arg)
{
    route(arg);
    return NULL;
}

static int handle(struct mg_connection *conn, void *data)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    request q = {data, ri->request_method, ri->local_uri ? ri->local_uri : "/", ri->query_string, NULL, 0,
                 {0, NULL, "application/json", 0}};
    char *body = NULL;
    int status;
    if (!strcmp(q.method, "POST") &&
        !(body = tplr_http_take_body(conn, ri->content_length, TPLR_TOUR_BODY_MAX, &q.body_len, &status)))
        return status;
    q.body = body;
    q.r.close = strcmp(q.method, "POST") && strcmp(q.method, "GET") && ri->content_length > 0;
    /* the work runs on a thread with the default (large) stack; this one waits */
    pthread_t th;
    if (pthread_create(&th, NULL, route_thread, &q) == 0)
        pthread_join(th, NULL);
    else
        set_error(&q.r, 503, "busy", "the server cannot start a thread for the request: try again");
    free(body);
    if (!q.r.body)
        return tplr_http_send_error(conn, 500, "internal", "out of memory", 1);
    if (q.r.close)
        mg_disable_connection_keep_alive(conn);
    status = tplr_http_send(conn, q.r.status, q.r.type, q.r.body, strlen(q.r.body), q.r.close);
    free(q.r.body);
    return status;
}

tplr_err tplr_tour_api_start(const tplr_tour_api_opts *o, tplr_tour_api **out, int *port)
{
    if (o->fee < 0)
        return tplr_fail(TPLR_EINVAL, "the fee cannot be negative");
    if (o->fee > 0 && !(o->ledger_url && *o->ledger_url))
        return tplr_fail(TPLR_EINVAL, "a fee needs a ledger to check payments on: give its URL");
    if (!(o->copy_threshold > 0 && o->copy_threshold <= 1))
        return tplr_fail(TPLR_EINVAL, "the copy threshold must be in (0, 1], not %g", o->copy_threshold);
    tplr_tour_api *a = calloc(1, sizeof *a);
    if (!a)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    a->o = *o;
    if (o->ledger_url)
        snprintf(a->ledger_url, sizeof a->ledger_url, "%s", o->ledger_url);
    pthread_mutex_init(&a->chain_mu, NULL);
    tplr_err e = tplr_http_start(o->listen, o->threads > 0 ? o->threads : 8, 30000, handle, a, &a->ctx, port);
    if (e) {
        pthread_mutex_destroy(&a->chain_mu);
        free(a);
        return e;
    }
    *out = a;
    return TPLR_OK;
}

void tplr_tour_api_stop(tplr_tour_api *a)
{
    if (!a)
        return;
    mg_stop(a->ctx);
    tplr_chain_close(a->chain);
    pthread_mutex_destroy(&a->chain_mu);
    free(a);
}
