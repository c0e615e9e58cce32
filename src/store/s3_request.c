/* Building S3 requests so that libcurl 7.88's SigV4 signs them the way S3
 * checks them: the payload hash sent as x-amz-content-sha256 (curl does not
 * add it), query parameters sorted by name with values RFC 3986-encoded
 * ('/' as %2F; "uploads=" with its '='), path-style URLs, and always a
 * Content-Type (without one curl may send a form type, and moto then stores
 * an empty object). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_http.h"
#include "tplr/hash.h"

#define MAX_PARAMS 8
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

/* Appends s percent-encoded (keeping '/' when keep_slash); out has room
 * (callers size it for 3 bytes per input byte). */
static size_t encode(char *out, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p) || (keep_slash && *p == '/')) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return o;
}

static int by_name(const void *a, const void *b)
{
    const s3_param *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

tplr_err s3_req_header(s3_req *r, const char *fmt, ...)
{
    char line[4300];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof line)
        return tplr_fail(TPLR_EINVAL, "%s: header too long", r->what);
    struct curl_slist *l = curl_slist_append(r->headers, line);
    if (!l)
        return tplr_fail(TPLR_ENOMEM, "%s: out of memory", r->what);
    r->headers = l;
    return TPLR_OK;
}

static tplr_err build_url(s3_req *r, const char *object, const s3_param *query, int nq)
{
    const s3_store *s = r->store;
    s3_param sorted[MAX_PARAMS];
    if (nq > MAX_PARAMS)
        return tplr_fail(TPLR_EINVAL, "%s: too many query parameters", r->what);
    size_t need = strlen(s->endpoint) + 3 * (strlen(s->bucket) + strlen(object)) + 8;
    for (int i = 0; i < nq; i++) {
        sorted[i] = query[i];
        need += 3 * (strlen(query[i].name) + strlen(query[i].value)) + 2;
    }
    qsort(sorted, (size_t)nq, sizeof *sorted, by_name);
    char *url = malloc(need);
    if (!url)
        return tplr_fail(TPLR_ENOMEM, "%s: out of memory", r->what);
    size_t o = (size_t)sprintf(url, "%s/", s->endpoint);
    o += encode(url + o, s->bucket, 0);
    if (*object) {
        url[o++] = '/';
        o += encode(url + o, object, 1);
    }
    for (int i = 0; i < nq; i++) {
        url[o++] = i ? '&' : '?';
        o += encode(url + o, sorted[i].name, 0);
        url[o++] = '=';
        o += encode(url + o, sorted[i].value, 0);
    }
    url[o] = '\0';
    r->url = url;
    return TPLR_OK;
}

tplr_err s3_req_init(s3_req *r, s3_store *s, const char *method, const char *key, const s3_param *query, int nq,
                     const void *body, size_t body_len, const char *content_type)
{
    memset(r, 0, sizeof *r);
    r->store = s;
    r->method = method;
    r->body = body;
    r->body_len = body_len;
    char object[2100];
    snprintf(object, sizeof object, "%s%s%s", key ? s->prefix : "", key && *s->prefix ? "/" : "", key ? key : "");
    snprintf(r->what, sizeof r->what, "%s s3://%s/%s at %s", method, s->bucket, object, s->endpoint);
    TPLR_TRY(build_url(r, object, query, nq));
    char hash[65] = EMPTY_SHA256;
    if (body_len) {
        unsigned char digest[32];
        TPLR_TRY(tplr_sha256(digest, body, body_len));
        tplr_hex(hash, digest, 32);
    }
    tplr_err e = s3_req_header(r, "x-amz-content-sha256: %s", hash);
    if (!e)
        e = s3_req_header(r, "Content-Type: %s", content_type ? content_type : "application/octet-stream");
    if (!e && s->cfg.session_token[0])
        e = s3_req_header(r, "x-amz-security-token: %s", s->cfg.session_token);
    if (e)
        s3_req_free(r);
    return e;
}

void s3_sink_mem(s3_req *r, uint64_t max)
{
    r->sink = (s3_sink){.kind = SINK_MEM, .max = max, .overflow = TPLR_ETOOLARGE};
}

void s3_sink_region(s3_req *r, unsigned char *buf, uint64_t n)
{
    r->sink = (s3_sink){.kind = SINK_REGION, .buf = buf, .cap = (size_t)n, .max = n, .overflow = TPLR_EBADRESPONSE};
}

void s3_sink_file(s3_req *r, store_tmp *file, uint64_t offset, uint64_t max)
{
    r->sink = (s3_sink){.kind = SINK_FILE, .file = file, .offset = offset, .max = max, .overflow = TPLR_ETOOLARGE};
}

unsigned char *s3_sink_take(s3_req *r, size_t *len)
{
    unsigned char *b = r->sink.kind == SINK_MEM ? r->sink.buf : NULL;
    *len = b ? (size_t)r->sink.len : 0;
    if (b) {
        r->sink.buf = NULL;
        r->sink.cap = 0;
    }
    return b;
}

void s3_req_free(s3_req *r)
{
    free(r->url);
    r->url = NULL;
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    if (r->sink.kind == SINK_MEM) {
        free(r->sink.buf);
        r->sink.buf = NULL;
    }
}

tplr_err s3_req_fail(const s3_req *r)
{
    return r->err ? tplr_fail(r->err, "%s", r->msg) : TPLR_OK;
}
