#include "tplr/ledger_server.h"

#include <civetweb.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tplr/fileio.h"
#include "tplr/http_reply.h"
#include "tplr/log.h"
#include "tplr/signals.h"
#include "tplr/timeutil.h"

#define TX_PREFIX "/v1/tx/"

static int handle_tx(struct mg_connection *conn, tplr_ledger *l, const char *path, long long declared)
{
    tplr_tx_op op;
    if (tplr_tx_op_parse(path + strlen(TX_PREFIX), &op))
        return tplr_http_send_error(conn, 404, "not_found", "no such transaction: use /v1/tx/register, stake, unstake, "
                          "commit, set_weights or transfer", 0);
    long n;
    int status;
    char *body = tplr_http_take_body(conn, declared, TPLR_TX_JSON_MAX, &n, &status);
    if (!body)
        return status;
    tplr_ledger_reply r;
    tplr_ledger_submit(l, op, body, (size_t)n, &r);
    free(body);
    status = r.body ? tplr_http_send_json(conn, r.status, r.body, r.body_len, 0)
                        : tplr_http_send_error(conn, 500, "internal", "out of memory", 1);
    tplr_ledger_reply_free(&r);
    return status;
}

static int handle(struct mg_connection *conn, void *data)
{
    tplr_ledger *l = data;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *path = ri->local_uri ? ri->local_uri : "/";
    int is_post = !strcmp(ri->request_method, "POST"), is_get = !strcmp(ri->request_method, "GET");
    int is_tx = !strncmp(path, TX_PREFIX, strlen(TX_PREFIX));
    if (is_tx && is_post)
        return handle_tx(conn, l, path, ri->content_length);
    if (is_tx || !is_get)
        return tplr_http_send_error(conn, 405, "method_not_allowed",
                          is_tx ? "transactions are POSTed" : "reads use GET; transactions POST to /v1/tx/<op>",
                          ri->content_length > 0);
    tplr_ledger_reply r;
    tplr_ledger_get(l, path, ri->query_string, &r);
    int status = r.body ? tplr_http_send_json(conn, r.status, r.body, r.body_len, 0)
                        : tplr_http_send_error(conn, 500, "internal", "out of memory", 1);
    tplr_ledger_reply_free(&r);
    return status;
}

typedef struct producer {
    tplr_ledger *l;
    double block_time;
    atomic_int stop;
} producer;

static void sleep_until(double deadline)
{
    double wait = deadline - tplr_now();
    if (wait <= 0)
        return;
    struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* A block every block_time seconds on the monotonic clock; after a stall it
 * goes on from now rather than catching up in a burst. */
static void *produce_blocks(void *arg)
{
    producer *p = arg;
    double next = tplr_now() + p->block_time;
    while (!atomic_load(&p->stop)) {
        double tick = next < tplr_now() + 0.05 ? next : tplr_now() + 0.05;
        sleep_until(tick);
        if (tplr_now() < next)
            continue;
        if (tplr_ledger_produce_block(p->l, (uint64_t)(tplr_wall_time() * 1000)))
            tplr_error("ledger: block %llu failed: %s", (unsigned long long)tplr_ledger_head(p->l) + 1,
                       tplr_errmsg());
        next += p->block_time;
        if (next < tplr_now())
            next = tplr_now() + p->block_time;
    }
    return NULL;
}

tplr_err tplr_ledger_serve(tplr_ledger *l, const tplr_serve_opts *o)
{
    if (!(o->block_time >= 0.01 && o->block_time <= 3600))
        return tplr_fail(TPLR_EINVAL, "--block-time must be between 0.01 and 3600 seconds, not %g", o->block_time);
    struct mg_context *ctx = NULL;
    int port = 0;
    TPLR_TRY(tplr_http_start(o->listen, o->threads > 0 ? o->threads : 32, 10000, handle, l, &ctx, &port));
    tplr_err e = TPLR_OK;
    if (o->port_file) {
        char text[16];
        int n = snprintf(text, sizeof text, "%d\n", port);
        e = tplr_write_file_atomic(o->port_file, text, (size_t)n);
    }
    producer p = {l, o->block_time, 0};
    pthread_t timer;
    if (!e && pthread_create(&timer, NULL, produce_blocks, &p) != 0)
        e = tplr_fail(TPLR_EIO, "cannot start the block timer");
    if (e) {
        mg_stop(ctx);
        return e;
    }
    tplr_info("ledger: subnet %u at http://%.*s:%d, block %llu, a block every %g s", tplr_ledger_params(l)->netuid,
              (int)(strrchr(o->listen, ':') ? strrchr(o->listen, ':') - o->listen : 0), o->listen, port,
              (unsigned long long)tplr_ledger_head(l), o->block_time);
    while (!tplr_stop_requested()) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&p.stop, 1);
    pthread_join(timer, NULL);
    mg_stop(ctx);
    tplr_info("ledger: stopped at block %llu", (unsigned long long)tplr_ledger_head(l));
    return TPLR_OK;
}
