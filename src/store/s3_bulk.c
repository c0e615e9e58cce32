#include "s3_bulk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTS 10000
#define MAX_SMALL_REPLY (1u << 20)

typedef struct range_want {
    uint64_t first, last, total;
} range_want;

/* A ranged reply must be exactly the bytes asked for, of the object first seen. */
static tplr_err check_range(s3_req *r)
{
    const range_want *w = r->user;
    const s3_headers *h = &r->hdr;
    if (h->status == 206 && h->has_range && h->range_first == w->first && h->range_last == w->last &&
        h->range_total == w->total)
        return TPLR_OK;
    return tplr_fail(TPLR_EBADRESPONSE, "asked for bytes %llu-%llu of %llu, got HTTP %d with %s%llu-%llu/%llu",
                     (unsigned long long)w->first, (unsigned long long)w->last, (unsigned long long)w->total,
                     h->status, h->has_range ? "Content-Range " : "no Content-Range ",
                     (unsigned long long)h->range_first, (unsigned long long)h->range_last,
                     (unsigned long long)h->range_total);
}

/* The first failed request's error, if any. */
static tplr_err first_failure(s3_req *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (reqs[i].err)
            return s3_req_fail(&reqs[i]);
    return TPLR_OK;
}

static void free_all(s3_req *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s3_req_free(&reqs[i]);
    free(reqs);
}

tplr_err s3_ranged_get(s3_store *s, const char *key, const s3_object_meta *meta, unsigned char *buf,
                       store_tmp *file)
{
    uint64_t step = s->cfg.range_size, n = (meta->size + step - 1) / step;
    s3_req *reqs = calloc((size_t)n, sizeof *reqs);
    range_want *want = calloc((size_t)n, sizeof *want);
    tplr_err e = reqs && want ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "ranged GET of '%s': out of memory", key);
    size_t made = 0;
    for (; !e && made < n; made++) {
        s3_req *r = &reqs[made];
        uint64_t first = made * step, last = first + step - 1 < meta->size - 1 ? first + step - 1 : meta->size - 1;
        want[made] = (range_want){first, last, meta->size};
        e = s3_req_init(r, s, "GET", key, NULL, 0, NULL, 0, NULL);
        if (!e)
            e = s3_req_header(r, "Range: bytes=%llu-%llu", (unsigned long long)first, (unsigned long long)last);
        if (!e && meta->info.etag[0])
            e = s3_req_header(r, "If-Match: \"%s\"", meta->info.etag);
        if (e)
            break;
        if (buf)
            s3_sink_region(r, buf + first, last - first + 1);
        else
            s3_sink_file(r, file, first, last - first + 1);
        r->sink.overflow = TPLR_EBADRESPONSE; /* more than the range asked for */
        r->on_headers = check_range;
        r->user = &want[made];
        s3_client_submit(&s->client, r, 0);
    }
    s3_client_run(&s->client); /* also when building failed: the started ones finish */
    if (!e)
        e = first_failure(reqs, made);
    if (reqs)
        free_all(reqs, (size_t)n);
    free(want);
    return e;
}

static tplr_err initiate(s3_store *s, const char *key, char *upload_id, size_t cap)
{
    s3_req r;
    s3_param q = {"uploads", ""};
    TPLR_TRY(s3_req_init(&r, s, "POST", key, &q, 1, NULL, 0, NULL));
    s3_sink_mem(&r, MAX_SMALL_REPLY);
    tplr_err e = s3_run(s, &r);
    if (!e && (e = s3_parse_upload_id((const char *)r.sink.buf, (size_t)r.sink.len, upload_id, cap)))
        tplr_fail_ctx(e, "%s", r.what);
    s3_req_free(&r);
    return e;
}

static tplr_err send_parts(s3_store *s, const char *key, const char *upload_id, const unsigned char *data,
                           size_t n, size_t n_parts, char (*etags)[72])
{
    s3_req *reqs = calloc(n_parts, sizeof *reqs);
    if (!reqs)
        return tplr_fail(TPLR_ENOMEM, "multipart upload of '%s': out of memory", key);
    tplr_err e = TPLR_OK;
    size_t made = 0;
    for (; made < n_parts; made++) {
        char number[16];
        snprintf(number, sizeof number, "%zu", made + 1);
        s3_param q[2] = {{"partNumber", number}, {"uploadId", upload_id}};
        size_t off = made * (size_t)s->cfg.part_size, len = n - off < s->cfg.part_size ? n - off : s->cfg.part_size;
        if ((e = s3_req_init(&reqs[made], s, "PUT", key, q, 2, data + off, len, NULL)))
            break;
        s3_sink_mem(&reqs[made], MAX_SMALL_REPLY);
        s3_client_submit(&s->client, &reqs[made], 0);
    }
    s3_client_run(&s->client);
    if (!e)
        e = first_failure(reqs, made);
    for (size_t i = 0; !e && i < made; i++) {
        if (!reqs[i].hdr.etag[0])
            e = tplr_fail(TPLR_EBADRESPONSE, "%s: no ETag for part %zu", reqs[i].what, i + 1);
        memcpy(etags[i], reqs[i].hdr.etag, 72);
    }
    free_all(reqs, n_parts);
    return e;
}

/* Appends s with <, > and & escaped. */
static size_t xml_escape(char *out, const char *s)
{
    size_t o = 0;
    for (; *s; s++) {
        const char *rep = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" : NULL;
        if (rep) {
            memcpy(out + o, rep, strlen(rep));
            o += strlen(rep);
        } else {
            out[o++] = *s;
        }
    }
    return o;
}

static tplr_err complete(s3_store *s, const char *key, const char *upload_id, size_t n_parts, char (*etags)[72])
{
    /* each part: fixed markup (< 70 bytes), a number, an escaped ETag (<= 5 x 71) */
    char *xml = malloc(n_parts * 512 + 128);
    if (!xml)
        return tplr_fail(TPLR_ENOMEM, "multipart upload of '%s': out of memory", key);
    size_t o = (size_t)sprintf(xml, "<CompleteMultipartUpload>");
    for (size_t i = 0; i < n_parts; i++) {
        o += (size_t)sprintf(xml + o, "<Part><PartNumber>%zu</PartNumber><ETag>\"", i + 1);
        o += xml_escape(xml + o, etags[i]);
        o += (size_t)sprintf(xml + o, "\"</ETag></Part>");
    }
    o += (size_t)sprintf(xml + o, "</CompleteMultipartUpload>");
    s3_req r;
    s3_param q = {"uploadId", upload_id};
    tplr_err e = s3_req_init(&r, s, "POST", key, &q, 1, xml, o, "application/xml");
    if (!e) {
        s3_sink_mem(&r, MAX_SMALL_REPLY);
        e = s3_run(s, &r);
        s3_error xe;
        if (!e && (e = s3_parse_complete((const char *)r.sink.buf, (size_t)r.sink.len, &xe)))
            tplr_fail_ctx(e, "%s", r.what);
        s3_req_free(&r);
    }
    free(xml);
    return e;
}

/* Best effort: the parts of a failed upload would otherwise be billed. */
static void abort_upload(s3_store *s, const char *key, const char *upload_id)
{
    char saved[TPLR_ERRMSG_MAX];
    snprintf(saved, sizeof saved, "%s", tplr_errmsg());
    s3_req r;
    s3_param q = {"uploadId", upload_id};
    if (s3_req_init(&r, s, "DELETE", key, &q, 1, NULL, 0, NULL) == TPLR_OK) {
        s3_run(s, &r);
        s3_req_free(&r);
    }
    tplr_fail(TPLR_OK, "%s", saved);
}

tplr_err s3_multipart_put(s3_store *s, const char *key, const unsigned char *data, size_t n)
{
    size_t n_parts = (size_t)((n + s->cfg.part_size - 1) / s->cfg.part_size);
    if (n_parts > MAX_PARTS)
        return tplr_fail(TPLR_EINVAL, "%s: '%s' (%zu bytes) needs more than %d parts of %llu bytes: raise the part size",
                         s->base.desc, key, n, MAX_PARTS, (unsigned long long)s->cfg.part_size);
    char upload_id[1024];
    TPLR_TRY(initiate(s, key, upload_id, sizeof upload_id));
    char(*etags)[72] = calloc(n_parts, sizeof *etags);
    tplr_err e = etags ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "multipart upload of '%s': out of memory", key);
    if (!e)
        e = send_parts(s, key, upload_id, data, n, n_parts, etags);
    if (!e)
        e = complete(s, key, upload_id, n_parts, etags);
    free(etags);
    if (e)
        abort_upload(s, key, upload_id);
    return e;
}
