/* The S3 client: a queue of requests (not started yet, or waiting to be
 * retried), one curl multi handle that runs them, and the retry policy:
 * exponential backoff with full jitter, within the request's deadline. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "s3_http.h"
#include "tplr/log.h"
#include "tplr/rng.h"
#include "tplr/timeutil.h"

#define MAX_CONNECTIONS_CACHED 256

/* Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]. */
static double backoff(s3_client *c, const tplr_s3_config *cfg, int attempt)
{
    double ceiling = cfg->retry_base_s * ldexp(1.0, attempt - 1 < 30 ? attempt - 1 : 30);
    if (ceiling > cfg->retry_cap_s)
        ceiling = cfg->retry_cap_s;
    return ceiling * tplr_rng_uniform(c->jitter_key, 0, c->jitter_n++);
}

static void reset_reply(s3_req *r)
{
    memset(&r->hdr, 0, sizeof r->hdr);
    r->errbody_len = 0;
    r->errbody[0] = '\0';
    r->sink.len = 0;
    r->err = TPLR_OK;
    r->msg[0] = '\0';
    r->abort_err = TPLR_OK;
}

static void finish(s3_client *c, s3_req *r, CURLcode rc)
{
    tplr_store_stats *st = &r->store->base.stats;
    long connects = 0;
    curl_off_t up = 0, down = 0;
    curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(r->easy, CURLINFO_SIZE_UPLOAD_T, &up);
    curl_easy_getinfo(r->easy, CURLINFO_SIZE_DOWNLOAD_T, &down);
    r->connects += connects;
    st->connections += (uint64_t)connects;
    st->bytes_sent += (uint64_t)up;
    st->bytes_received += (uint64_t)down;
    curl_multi_remove_handle(c->multi, r->easy);
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
    c->n_active--;

    int retryable = s3_transfer_outcome(r, rc);
    const tplr_s3_config *cfg = &r->store->cfg;
    if (r->err && retryable && r->attempts <= cfg->max_retries) {
        double now = tplr_now(), wait = backoff(c, cfg, r->attempts);
        if (r->deadline <= 0 || now + wait < r->deadline) {
            tplr_debug("retrying in %.2fs: %s", wait, r->msg);
            st->retries++;
            reset_reply(r);
            s3_client_submit(c, r, now + wait);
            return;
        }
    }
    if (r->err && r->attempts > 1) {
        size_t n = strlen(r->msg);
        snprintf(r->msg + n, sizeof r->msg - n, " (after %d attempts)", r->attempts);
    }
    r->done = 1;
    if (r->on_done)
        r->on_done(r);
}

/* ---- the client ---- */

tplr_err s3_client_init(s3_client *c, int max_active)
{
    memset(c, 0, sizeof *c);
    /* reference-counted and thread-safe since libcurl 7.84 */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return tplr_fail(TPLR_EIO, "libcurl failed to initialize");
    c->multi = curl_multi_init();
    if (!c->multi) {
        curl_global_cleanup();
        return tplr_fail(TPLR_ENOMEM, "cannot create a libcurl multi handle");
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)MAX_CONNECTIONS_CACHED);
    c->max_active = max_active > 0 ? max_active : 1;
    c->jitter_key = tplr_rng_mix((uint64_t)getpid(), (uint64_t)(tplr_wall_time() * 1e6));
    return TPLR_OK;
}

void s3_client_submit(s3_client *c, s3_req *r, double start_at)
{
    r->done = 0;
    r->start_at = start_at;
    r->next = NULL;
    s3_req **tail = &c->waiting; /* keep submission order: the first queued starts first */
    while (*tail)
        tail = &(*tail)->next;
    *tail = r;
}

void s3_client_cancel(s3_client *c, s3_req *r)
{
    if (r->easy) {
        curl_multi_remove_handle(c->multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        c->n_active--;
    }
    for (s3_req **p = &c->waiting; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    r->done = 1;
}

void s3_client_free(s3_client *c)
{
    while (c->waiting)
        s3_client_cancel(c, c->waiting);
    if (c->multi) {
        curl_multi_cleanup(c->multi);
        curl_global_cleanup();
    }
    c->multi = NULL;
}

/* Starts the due requests while there is room; returns the seconds until the
 * next queued one is due (a large number when none is, or when every slot is
 * busy: a finishing transfer ends the wait then). */
static double start_due(s3_client *c, double now)
{
    double next = 1e9;
    for (s3_req **p = &c->waiting; *p;) {
        s3_req *r = *p;
        if (c->n_active >= c->max_active)
            return 1e9;
        if (r->start_at > now) {
            if (r->start_at - now < next)
                next = r->start_at - now;
            p = &r->next;
            continue;
        }
        *p = r->next;
        if (s3_transfer_start(c->multi, r, now) == TPLR_OK) {
            c->n_active++;
        } else {
            r->err = TPLR_EIO;
            snprintf(r->msg, sizeof r->msg, "%s", tplr_errmsg());
            r->done = 1;
            if (r->on_done)
                r->on_done(r);
        }
    }
    return next;
}

/* Finishes the completed transfers; returns how many there were. */
static int collect(s3_client *c)
{
    CURLMsg *msg;
    int left, n = 0;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        s3_req *r = NULL;
        CURLcode rc = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        finish(c, r, rc);
        n++;
    }
    return n;
}

void s3_client_turn(s3_client *c, double max_wait)
{
    double now = tplr_now();
    double next = start_due(c, now);
    int running = 0;
    curl_multi_perform(c->multi, &running);
    if (collect(c) > 0)
        return; /* the caller may have work to do now */
    next = fmin(next, start_due(c, tplr_now()));
    double wait = fmin(max_wait, next);
    if (wait > 0)
        curl_multi_poll(c->multi, NULL, 0, (int)ceil(wait * 1000), NULL);
}

int s3_client_idle(const s3_client *c) { return c->n_active == 0 && !c->waiting; }

void s3_client_run(s3_client *c)
{
    while (!s3_client_idle(c))
        s3_client_turn(c, 1.0);
}

void s3_client_wakeup(s3_client *c) { curl_multi_wakeup(c->multi); }

tplr_err s3_run(s3_store *s, s3_req *r)
{
    s3_client_submit(&s->client, r, 0);
    s3_client_run(&s->client);
    return s3_req_fail(r);
}
