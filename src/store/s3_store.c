/* The S3 backend: path-style requests to ENDPOINT/bucket/prefix/key, signed
 * with SigV4 by libcurl. Large bodies go out as multipart uploads and come
 * back as parallel ranged GETs (s3_bulk.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_bulk.h"
#include "tplr/fileio.h"

#define MIB (1024ull * 1024ull)
#define MAX_LIST_PAGE_BYTES (32ull * MIB)
#define MAX_SMALL_REPLY (1ull * MIB)

static s3_store *as_s3(tplr_store *s) { return (s3_store *)s; }

static tplr_err s3_put(tplr_store *base, const char *key, const void *data, size_t n)
{
    s3_store *s = as_s3(base);
    if (n > s->cfg.multipart_threshold)
        return s3_multipart_put(s, key, data, n);
    s3_req r;
    TPLR_TRY(s3_req_init(&r, s, "PUT", key, NULL, 0, data, n, NULL));
    s3_sink_mem(&r, MAX_SMALL_REPLY);
    tplr_err e = s3_run(s, &r);
    s3_req_free(&r);
    return e;
}

static tplr_err s3_put_file(tplr_store *base, const char *key, const char *path)
{
    tplr_mmap m;
    TPLR_TRY(tplr_mmap_open(path, &m));
    tplr_err e = s3_put(base, key, m.data ? m.data : (const unsigned char *)"", m.size);
    tplr_mmap_close(&m);
    return e;
}

static void info_from_headers(const s3_headers *h, uint64_t size, tplr_obj_info *info)
{
    info->size = size;
    info->last_modified = h->has_last_modified ? h->last_modified : 0;
    memcpy(info->etag, h->etag, sizeof info->etag);
}

/* The first GET of an object: stops after the headers when the object is
 * large enough for parallel ranges, and remembers what it needs for them. */
static tplr_err switch_to_ranges(s3_req *r)
{
    s3_object_meta *m = r->user;
    if (!r->hdr.has_length || r->hdr.content_length <= r->store->cfg.ranged_get_threshold)
        return TPLR_OK;
    m->size = r->hdr.content_length;
    m->ranged = 1;
    info_from_headers(&r->hdr, m->size, &m->info);
    return tplr_fail(TPLR_EINTERRUPTED, "large object: continuing with ranged GETs");
}

/* GETs key into a MEM sink (file == NULL) or a temporary file; *meta says
 * whether the object turned out large enough for ranged GETs. */
static tplr_err first_get(s3_store *s, const char *key, uint64_t max_bytes, store_tmp *file, s3_object_meta *meta,
                          s3_req *r)
{
    memset(meta, 0, sizeof *meta);
    TPLR_TRY(s3_req_init(r, s, "GET", key, NULL, 0, NULL, 0, NULL));
    if (file)
        s3_sink_file(r, file, 0, max_bytes);
    else
        s3_sink_mem(r, max_bytes);
    r->on_headers = switch_to_ranges;
    r->user = meta;
    tplr_err e = s3_run(s, r);
    if (e && meta->ranged)
        e = TPLR_OK;
    else if (!e)
        info_from_headers(&r->hdr, r->sink.len, &meta->info);
    return e;
}

static tplr_err s3_get(tplr_store *base, const char *key, uint64_t max_bytes, unsigned char **data, size_t *n,
                       tplr_obj_info *info)
{
    s3_store *s = as_s3(base);
    if (max_bytes > SIZE_MAX - 1)
        max_bytes = SIZE_MAX - 1;
    s3_req r;
    s3_object_meta meta;
    tplr_err e = first_get(s, key, max_bytes, NULL, &meta, &r);
    if (!e && !meta.ranged) {
        size_t len;
        unsigned char *buf = s3_sink_take(&r, &len);
        if (!buf && !(buf = malloc(1)))
            e = tplr_fail(TPLR_ENOMEM, "%s: out of memory", r.what);
        if (!e) {
            buf[len] = '\0';
            *data = buf;
            *n = len;
        }
    }
    s3_req_free(&r);
    if (e || !meta.ranged) {
        *info = meta.info;
        return e;
    }
    unsigned char *buf = malloc((size_t)meta.size + 1);
    if (!buf)
        return tplr_fail(TPLR_ENOMEM, "%s: no memory for the %llu bytes of '%s'", base->desc,
                         (unsigned long long)meta.size, key);
    e = s3_ranged_get(s, key, &meta, buf, NULL);
    if (e) {
        free(buf);
        return e;
    }
    buf[meta.size] = '\0';
    *data = buf;
    *n = (size_t)meta.size;
    *info = meta.info;
    return TPLR_OK;
}

static tplr_err s3_get_file(tplr_store *base, const char *key, const char *path, uint64_t max_bytes,
                            tplr_obj_info *info)
{
    s3_store *s = as_s3(base);
    store_tmp t;
    TPLR_TRY(store_tmp_open(&t, path, 0));
    s3_req r;
    s3_object_meta meta;
    tplr_err e = first_get(s, key, max_bytes, &t, &meta, &r);
    s3_req_free(&r);
    if (!e && meta.ranged)
        e = s3_ranged_get(s, key, &meta, NULL, &t);
    if (!e)
        e = store_tmp_commit(&t, meta.info.size);
    else
        store_tmp_abort(&t);
    if (!e)
        *info = meta.info;
    return e;
}

static tplr_err s3_head(tplr_store *base, const char *key, tplr_obj_info *info)
{
    s3_store *s = as_s3(base);
    s3_req r;
    TPLR_TRY(s3_req_init(&r, s, "HEAD", key, NULL, 0, NULL, 0, NULL));
    tplr_err e = s3_run(s, &r);
    if (!e && !r.hdr.has_length)
        e = tplr_fail(TPLR_EBADRESPONSE, "%s: the reply has no Content-Length", r.what);
    if (!e)
        info_from_headers(&r.hdr, r.hdr.content_length, info);
    s3_req_free(&r);
    return e;
}

typedef struct list_ctx {
    tplr_obj_list *out;
    const char *strip; /* the store's prefix and '/', removed from every key */
    const char *want;  /* the asked prefix */
} list_ctx;

static tplr_err add_listed(const s3_list_entry *e, void *ud)
{
    list_ctx *lc = ud;
    size_t n = strlen(lc->strip);
    if (strncmp(e->key, lc->strip, n) != 0 || strncmp(e->key + n, lc->want, strlen(lc->want)) != 0 ||
        tplr_store_check_key(e->key + n) != TPLR_OK) {
        tplr_err_clear();
        return TPLR_OK; /* not under the asked prefix, or not a key tplr could name: skipped */
    }
    tplr_obj_info info = {.size = e->size, .last_modified = e->last_modified};
    memcpy(info.etag, e->etag, sizeof info.etag);
    return store_list_add(lc->out, e->key + n, &info);
}

static tplr_err s3_list(tplr_store *base, const char *prefix, tplr_obj_list *out)
{
    s3_store *s = as_s3(base);
    char strip[1100], full[2200], page_size[16];
    snprintf(strip, sizeof strip, "%s%s", s->prefix, s->prefix[0] ? "/" : "");
    snprintf(full, sizeof full, "%s%s", strip, prefix);
    snprintf(page_size, sizeof page_size, "%d", s->cfg.list_page_size);
    list_ctx lc = {out, strip, prefix};
    s3_list_page *page = malloc(sizeof *page);
    char *token = malloc(sizeof page->next_token);
    tplr_err e = page && token ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "listing: out of memory");
    if (token)
        token[0] = '\0';
    for (int more = 1; !e && more;) {
        s3_param q[4] = {{"list-type", "2"}, {"max-keys", page_size}, {"prefix", full}, {"continuation-token", token}};
        int nq = 2 + (full[0] != '\0');
        if (token[0])
            q[nq++] = q[3];
        s3_req r;
        e = s3_req_init(&r, s, "GET", NULL, q, nq, NULL, 0, NULL);
        if (e)
            break;
        snprintf(r.what, sizeof r.what, "LIST s3://%s/%s* at %s", s->bucket, full, s->endpoint);
        s3_sink_mem(&r, MAX_LIST_PAGE_BYTES);
        e = s3_run(s, &r);
        if (!e && (e = s3_parse_list((const char *)r.sink.buf, (size_t)r.sink.len, page, add_listed, &lc)))
            tplr_fail_ctx(e, "%s", r.what);
        if (!e && page->truncated && !strcmp(page->next_token, token))
            e = tplr_fail(TPLR_EBADRESPONSE, "%s: the server repeated a continuation token", r.what);
        s3_req_free(&r);
        more = !e && page->truncated;
        if (more)
            strcpy(token, page->next_token);
    }
    free(page);
    free(token);
    if (!e)
        store_list_sort(out);
    return e;
}

static tplr_err s3_del(tplr_store *base, const char *key)
{
    s3_store *s = as_s3(base);
    s3_req r;
    TPLR_TRY(s3_req_init(&r, s, "DELETE", key, NULL, 0, NULL, 0, NULL));
    tplr_err e = s3_run(s, &r);
    s3_error xe;
    if (e == TPLR_ENOTFOUND && s3_parse_error(r.errbody, r.errbody_len, &xe) && !strcmp(xe.code, "NoSuchKey"))
        e = TPLR_OK; /* some servers say 404 where S3 says 204 */
    s3_req_free(&r);
    return e;
}

static void s3_close(tplr_store *base)
{
    s3_store *s = as_s3(base);
    s3_client_free(&s->client);
    free(s);
}

static const store_ops s3_ops = {s3_put, s3_put_file, s3_get, s3_get_file, s3_head, s3_list, s3_del, s3_close};

static tplr_err check_config(const tplr_s3_config *c)
{
    if (!c->access_key[0] || !c->secret_key[0])
        return tplr_fail(TPLR_EINVAL, "S3 credentials missing (access key id and secret key)");
    if (!c->region[0] || strspn(c->region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(c->region))
        return tplr_fail(TPLR_EINVAL, "S3 region '%s': lowercase letters, digits and '-' only", c->region);
    if (c->endpoint[0] && strncmp(c->endpoint, "http://", 7) && strncmp(c->endpoint, "https://", 8))
        return tplr_fail(TPLR_EINVAL, "S3 endpoint '%s' must start with http:// or https://", c->endpoint);
    if (c->part_size < 5 * MIB || c->part_size > 5120 * MIB)
        return tplr_fail(TPLR_EINVAL, "S3 part size must be between 5 MiB and 5 GiB");
    if (c->range_size < 64 * 1024)
        return tplr_fail(TPLR_EINVAL, "S3 range size must be at least 64 KiB");
    if (c->parallel < 1 || c->parallel > 64)
        return tplr_fail(TPLR_EINVAL, "S3 parallel transfers must be between 1 and 64");
    if (c->list_page_size < 1 || c->list_page_size > 1000)
        return tplr_fail(TPLR_EINVAL, "S3 list page size must be between 1 and 1000");
    if (c->max_retries < 0 || c->max_retries > 20 || c->retry_base_s < 0 || c->retry_cap_s < 0 ||
        c->connect_timeout_s < 0 || c->request_timeout_s < 0 || c->low_speed_time_s < 0 || c->low_speed_bytes < 0)
        return tplr_fail(TPLR_EINVAL, "S3 retries (0..20) and timeouts must not be negative");
    return TPLR_OK;
}

tplr_err store_s3_open(const char *bucket, const char *prefix, const tplr_s3_config *cfg, tplr_store **out)
{
    TPLR_TRY(check_config(cfg));
    s3_store *s = calloc(1, sizeof *s);
    if (!s)
        return tplr_fail(TPLR_ENOMEM, "opening a store: out of memory");
    s->cfg = *cfg;
    snprintf(s->bucket, sizeof s->bucket, "%s", bucket);
    snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
    if (cfg->endpoint[0])
        snprintf(s->endpoint, sizeof s->endpoint, "%s", cfg->endpoint);
    else
        snprintf(s->endpoint, sizeof s->endpoint, "https://s3.%s.amazonaws.com", cfg->region);
    size_t n = strlen(s->endpoint);
    while (n > 8 && s->endpoint[n - 1] == '/')
        s->endpoint[--n] = '\0';
    snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", cfg->region);
    tplr_err e = s3_client_init(&s->client, cfg->parallel);
    if (e) {
        free(s);
        return e;
    }
    s->base.ops = &s3_ops;
    s->base.kind = STORE_S3;
    snprintf(s->base.desc, sizeof s->base.desc, "s3://%s%s%s at %s", bucket, prefix[0] ? "/" : "", prefix,
             s->endpoint);
    *out = &s->base;
    return TPLR_OK;
}
