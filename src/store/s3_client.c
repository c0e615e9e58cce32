/* The S3 transfer engine: starts requests on one curl multi handle, streams
 * replies into their sinks, classifies the outcome into tplr errors, and
 * retries what may succeed on a second try. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s3_http.h"
#include "tplr/log.h"
#include "tplr/rng.h"
#include "tplr/timeutil.h"

#define MAX_CONNECTIONS_CACHED 256

/* ---- callbacks: the reply's headers and body, the request body ---- */

/* Stops the transfer from inside a callback with err (not retried). */
static size_t stop(s3_req *r, tplr_err err, const char *reason)
{
    r->abort_err = err;
    snprintf(r->abort_msg, sizeof r->abort_msg, "%s", reason);
    return 0;
}

static int is_2xx(const s3_req *r) { return r->hdr.status >= 200 && r->hdr.status < 300; }

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    s3_req *r = ud;
    size_t len = size * n;
    int end = s3_header_line(p, len, &r->hdr);
    if (end < 0)
        return stop(r, TPLR_EBADRESPONSE, "malformed status line, Content-Length or Content-Range");
    if (end == 0 || r->hdr.status < 200 || !is_2xx(r))
        return len;
    int has_body = strcmp(r->method, "HEAD") != 0;
    if (has_body && r->hdr.has_length && r->hdr.content_length > r->sink.max) {
        char why[160];
        snprintf(why, sizeof why, "the %s is %llu bytes, more than the %llu %s",
                 r->sink.overflow == TPLR_ETOOLARGE ? "object" : "reply", (unsigned long long)r->hdr.content_length,
                 (unsigned long long)r->sink.max, r->sink.overflow == TPLR_ETOOLARGE ? "allowed" : "asked for");
        return stop(r, r->sink.overflow, why);
    }
    tplr_err hook = r->on_headers ? r->on_headers(r) : TPLR_OK;
    if (hook)
        return stop(r, hook, tplr_errmsg());
    if (has_body && r->sink.kind == SINK_MEM && r->hdr.has_length && r->hdr.content_length + 1 > r->sink.cap) {
        unsigned char *b = realloc(r->sink.buf, (size_t)r->hdr.content_length + 1);
        if (!b)
            return stop(r, TPLR_ENOMEM, "out of memory for the reply");
        r->sink.buf = b;
        r->sink.cap = (size_t)r->hdr.content_length + 1;
    }
    return len;
}

static size_t sink_write(s3_req *r, const char *p, size_t n)
{
    s3_sink *k = &r->sink;
    if (n > k->max - k->len) {
        char why[160];
        snprintf(why, sizeof why, "the reply is longer than the %llu bytes %s", (unsigned long long)k->max,
                 k->overflow == TPLR_ETOOLARGE ? "allowed" : "asked for");
        return stop(r, k->overflow, why);
    }
    switch (k->kind) {
    case SINK_DISCARD:
        break;
    case SINK_MEM:
        if (k->len + n + 1 > k->cap) { /* double, up to the cap and its NUL */
            uint64_t want = (k->len + n + 1) * 2, limit = k->max < SIZE_MAX - 1 ? k->max + 1 : SIZE_MAX;
            size_t cap = (size_t)(want > limit ? limit : want);
            unsigned char *b = realloc(k->buf, cap);
            if (!b)
                return stop(r, TPLR_ENOMEM, "out of memory for the reply");
            k->buf = b;
            k->cap = cap;
        }
        memcpy(k->buf + k->len, p, n);
        k->buf[k->len + n] = '\0';
        break;
    case SINK_REGION:
        memcpy(k->buf + k->len, p, n);
        break;
    case SINK_FILE:
        if (store_tmp_pwrite(k->file, p, n, k->offset + k->len))
            return stop(r, TPLR_EIO, tplr_errmsg());
        break;
    }
    k->len += n;
    return n;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    s3_req *r = ud;
    size_t len = size * n;
    if (is_2xx(r))
        return sink_write(r, p, len);
    size_t room = sizeof r->errbody - 1 - r->errbody_len;
    size_t take = len < room ? len : room;
    memcpy(r->errbody + r->errbody_len, p, take);
    r->errbody_len += take;
    r->errbody[r->errbody_len] = '\0';
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    s3_req *r = ud;
    size_t left = r->body_len - r->up_off, take = size * n < left ? size * n : left;
    memcpy(buf, r->body + r->up_off, take);
    r->up_off += take;
    return take;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
    s3_req *r = ud;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    r->up_off = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* ---- starting a transfer ---- */

static long ms(double seconds) { return seconds > 0 ? (long)ceil(seconds * 1000) : 0; }

static tplr_err start(s3_client *c, s3_req *r, double now)
{
    const tplr_s3_config *cfg = &r->store->cfg;
    CURL *e = curl_easy_init();
    if (!e)
        return tplr_fail(TPLR_ENOMEM, "%s: cannot create a transfer", r->what);
    r->attempts++;
    r->up_off = 0;
    r->curl_err[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (getenv("TPLR_CURL_VERBOSE")) /* a debugging aid: libcurl's trace on stderr */
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_err);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, r->store->sigv4);
    curl_easy_setopt(e, CURLOPT_USERNAME, cfg->access_key);
    curl_easy_setopt(e, CURLOPT_PASSWORD, cfg->secret_key);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms(cfg->connect_timeout_s));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, cfg->low_speed_bytes);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)ceil(cfg->low_speed_time_s));
    double total = cfg->request_timeout_s;
    if (r->deadline > 0 && (total <= 0 || r->deadline - now < total))
        total = r->deadline - now > 0.001 ? r->deadline - now : 0.001;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms(total));
    if (!strcmp(r->method, "HEAD")) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(r->method, "PUT")) {
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, r);
        curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(e, CURLOPT_SEEKDATA, r);
    } else if (!strcmp(r->method, "POST")) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body_len ? (const char *)r->body : "");
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        return tplr_fail(TPLR_EIO, "%s: cannot start the transfer", r->what);
    }
    r->easy = e;
    c->n_active++;
    r->store->base.stats.requests++;
    return TPLR_OK;
}

/* ---- outcome ---- */

/* Sets the request's message (long keys are cut at the message's size). */
static void say(s3_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(s3_req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

/* Sets r->err and r->msg; returns 1 if another attempt may succeed. */
static int classify(s3_req *r, CURLcode rc)
{
    if (r->abort_err) {
        r->err = r->abort_err;
        say(r, "%s: %s", r->what, r->abort_msg);
        return 0;
    }
    const char *detail = r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_OK:
        break;
    case CURLE_OPERATION_TIMEDOUT:
        r->err = TPLR_ETIMEOUT;
        say(r, "%s: timed out (%s)", r->what, detail);
        return 1;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        r->err = TPLR_EUNREACHABLE;
        say(r, "%s: cannot connect to the endpoint (%s)", r->what, detail);
        return 1;
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        r->err = TPLR_EBADRESPONSE;
        say(r, "%s: the connection broke before the reply was complete (%s)", r->what, detail);
        return 1;
    default:
        r->err = TPLR_EIO;
        say(r, "%s: transfer failed (%s)", r->what, detail);
        return 0;
    }
    long status = r->hdr.status;
    if (status >= 200 && status < 300) {
        if (r->hdr.has_length && strcmp(r->method, "HEAD") != 0 && r->sink.len != r->hdr.content_length) {
            r->err = TPLR_EBADRESPONSE;
            say(r, "%s: the reply was cut short (%llu of %llu bytes)", r->what, (unsigned long long)r->sink.len,
                (unsigned long long)r->hdr.content_length);
            return 1;
        }
        return 0;
    }
    s3_error xe;
    int has_xml = s3_parse_error(r->errbody, r->errbody_len, &xe);
    char server[400];
    snprintf(server, sizeof server, "HTTP %ld%s%s%s%s", status, has_xml && xe.code[0] ? " " : "",
             has_xml ? xe.code : "", has_xml && xe.message[0] ? ": " : "", has_xml ? xe.message : "");
    int retry = 0;
    if (status == 412) {
        r->err = TPLR_EMISMATCH;
        say(r, "%s: the object changed while it was being read (%s)", r->what, server);
    } else if (status == 404) {
        r->err = TPLR_ENOTFOUND;
        say(r, "%s: not found (%s)", r->what, server);
    } else if (status == 401 || status == 403) {
        r->err = TPLR_EFORBIDDEN;
        say(r, "%s: access refused (%s); check the key pair, the region and the bucket's permissions", r->what,
            server);
    } else if (status == 429 || status >= 500) {
        r->err = TPLR_ESERVER;
        say(r, "%s: server error (%s)", r->what, server);
        retry = 1;
    } else if (status == 0) {
        r->err = TPLR_EBADRESPONSE;
        say(r, "%s: no HTTP status in the reply", r->what);
        retry = 1;
    } else {
        r->err = TPLR_EINVAL;
        say(r, "%s: the server refused the request (%s)", r->what, server);
    }
    return retry;
}

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

    int retryable = classify(r, rc);
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
        if (start(c, r, now) != TPLR_OK) {
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
