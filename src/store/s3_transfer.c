/* One S3 transfer on libcurl: the easy handle's options (SigV4, timeouts,
 * method and body), the callbacks that stream the reply into its sink and
 * stop early on a bad or oversized reply, and the outcome as a tplr error. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_http.h"

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

tplr_err s3_transfer_start(CURLM *multi, s3_req *r, double now)
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
    if (curl_multi_add_handle(multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        return tplr_fail(TPLR_EIO, "%s: cannot start the transfer", r->what);
    }
    r->easy = e;
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

int s3_transfer_outcome(s3_req *r, CURLcode rc)
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
