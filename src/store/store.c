/* The store interface: URL parsing, the key rule shared by every backend,
 * and dispatch to the backend. */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

#define MAX_KEY_BYTES 1024
#define TMP_MARK ".tplr-tmp-"

tplr_err tplr_store_check_key(const char *key)
{
    if (!key || !*key)
        return tplr_fail(TPLR_EINVAL, "empty object key");
    size_t n = strlen(key);
    if (n > MAX_KEY_BYTES)
        return tplr_fail(TPLR_EINVAL, "object key of %zu bytes: at most %d allowed", n, MAX_KEY_BYTES);
    if (key[0] == '/')
        return tplr_fail(TPLR_EINVAL, "object key '%s' is absolute: keys are relative to the store", key);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
            return tplr_fail(TPLR_EINVAL, "object key '%s' holds a control character", key);
    for (const char *seg = key; seg;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 0)
            return tplr_fail(TPLR_EINVAL, "object key '%s' has an empty path segment", key);
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return tplr_fail(TPLR_EINVAL, "object key '%s' has a '.' or '..' segment", key);
        if (memmem(seg, len, TMP_MARK, strlen(TMP_MARK)))
            return tplr_fail(TPLR_EINVAL, "object key '%s' contains '%s', reserved for temporary files", key,
                             TMP_MARK);
        seg = slash ? slash + 1 : NULL;
    }
    return TPLR_OK;
}

/* "s3://bucket/prefix/" → bucket, prefix (without the slashes at its ends). */
static tplr_err parse_s3_url(const char *url, char *bucket, size_t bcap, char *prefix, size_t pcap)
{
    const char *rest = url + strlen("s3://");
    const char *slash = strchr(rest, '/');
    size_t blen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (blen == 0 || blen >= bcap)
        return tplr_fail(TPLR_EINVAL, "%s: the bucket name must be 1 to %zu characters", url, bcap - 1);
    for (size_t i = 0; i < blen; i++) {
        char c = rest[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_'))
            return tplr_fail(TPLR_EINVAL, "%s: bucket names hold letters, digits, '.', '-' and '_' only", url);
    }
    memcpy(bucket, rest, blen);
    bucket[blen] = '\0';
    const char *p = slash ? slash + 1 : "";
    size_t plen = strlen(p);
    while (plen && p[plen - 1] == '/')
        plen--;
    if (plen >= pcap)
        return tplr_fail(TPLR_EINVAL, "%s: prefix too long", url);
    memcpy(prefix, p, plen);
    prefix[plen] = '\0';
    if (plen)
        TPLR_TRY(tplr_store_check_key(prefix));
    return TPLR_OK;
}

/* "file:///dir" or a plain path → the folder path. */
static tplr_err parse_file_url(const char *url, const char **path)
{
    if (strncmp(url, "file://", 7) != 0) {
        if (strstr(url, "://"))
            return tplr_fail(TPLR_EINVAL, "%s: unsupported URL scheme (use s3://bucket/prefix, file:///dir or a path)",
                             url);
        *path = url;
        return TPLR_OK;
    }
    if (url[7] != '/')
        return tplr_fail(TPLR_EINVAL, "%s: file URLs name a local absolute path (file:///dir)", url);
    *path = url + 7;
    return TPLR_OK;
}

tplr_err tplr_store_open(const char *url, const tplr_s3_config *s3, tplr_store **out)
{
    *out = NULL;
    if (!url || !*url)
        return tplr_fail(TPLR_EINVAL, "empty store URL");
    if (strncmp(url, "s3://", 5) == 0) {
        char bucket[256], prefix[MAX_KEY_BYTES + 1];
        TPLR_TRY(parse_s3_url(url, bucket, sizeof bucket, prefix, sizeof prefix));
        tplr_s3_config env;
        if (!s3) {
            TPLR_TRY(tplr_s3_config_from_env(&env));
            s3 = &env;
        }
        return store_s3_open(bucket, prefix, s3, out);
    }
    const char *path = NULL;
    TPLR_TRY(parse_file_url(url, &path));
    return store_fs_open(path, out);
}

static tplr_err copy_part(char *dst, size_t cap, const char *src, size_t len, const char *url)
{
    if (len >= cap)
        return tplr_fail(TPLR_EINVAL, "%s: too long", url);
    memcpy(dst, src, len);
    dst[len] = '\0';
    return TPLR_OK;
}

tplr_err tplr_store_split_url(const char *url, char *root, size_t root_cap, char *key, size_t key_cap)
{
    const char *cut, *key_start;
    size_t root_len;
    if (strncmp(url, "s3://", 5) == 0) {
        cut = strchr(url + 5, '/');
        root_len = cut ? (size_t)(cut - url) : strlen(url);
        key_start = cut ? cut + 1 : url + root_len;
    } else {
        const char *path = NULL;
        TPLR_TRY(parse_file_url(url, &path));
        cut = strrchr(path, '/');
        if (!cut) /* a bare name: in the current folder */
            return copy_part(root, root_cap, ".", 1, url) ? TPLR_EINVAL
                                                          : copy_part(key, key_cap, url, strlen(url), url);
        /* the folder keeps its '/' when it is the filesystem root */
        root_len = (size_t)(cut - url) + (cut == path);
        key_start = cut + 1;
    }
    TPLR_TRY(copy_part(root, root_cap, url, root_len, url));
    return copy_part(key, key_cap, key_start, strlen(key_start), url);
}

void tplr_store_close(tplr_store *s)
{
    if (s)
        s->ops->close(s);
}

const char *tplr_store_describe(const tplr_store *s) { return s->desc; }

int tplr_store_is_s3(const tplr_store *s) { return s->kind == STORE_S3; }

void tplr_store_get_stats(const tplr_store *s, tplr_store_stats *out) { *out = s->stats; }

tplr_err tplr_store_put(tplr_store *s, const char *key, const void *data, size_t n)
{
    TPLR_TRY(tplr_store_check_key(key));
    return s->ops->put(s, key, data, n);
}

tplr_err tplr_store_put_file(tplr_store *s, const char *key, const char *path)
{
    TPLR_TRY(tplr_store_check_key(key));
    return s->ops->put_file(s, key, path);
}

tplr_err tplr_store_get(tplr_store *s, const char *key, uint64_t max_bytes, unsigned char **data, size_t *n,
                        tplr_obj_info *info)
{
    *data = NULL;
    *n = 0;
    tplr_obj_info ignored;
    TPLR_TRY(tplr_store_check_key(key));
    return s->ops->get(s, key, max_bytes, data, n, info ? info : &ignored);
}

tplr_err tplr_store_get_file(tplr_store *s, const char *key, const char *path, uint64_t max_bytes,
                             tplr_obj_info *info)
{
    tplr_obj_info ignored;
    TPLR_TRY(tplr_store_check_key(key));
    return s->ops->get_file(s, key, path, max_bytes, info ? info : &ignored);
}

tplr_err tplr_store_head(tplr_store *s, const char *key, tplr_obj_info *info)
{
    TPLR_TRY(tplr_store_check_key(key));
    return s->ops->head(s, key, info);
}

tplr_err tplr_store_list(tplr_store *s, const char *prefix, tplr_obj_list *out)
{
    memset(out, 0, sizeof *out);
    if (!prefix)
        prefix = "";
    if (strlen(prefix) > MAX_KEY_BYTES)
        return tplr_fail(TPLR_EINVAL, "list prefix longer than %d bytes", MAX_KEY_BYTES);
    tplr_err e = s->ops->list(s, prefix, out);
    if (e)
        tplr_obj_list_free(out);
    return e;
}

tplr_err tplr_store_delete(tplr_store *s, const char *key)
{
    TPLR_TRY(tplr_store_check_key(key));
    return s->ops->del(s, key);
}

tplr_err store_list_add(tplr_obj_list *l, const char *key, const tplr_obj_info *info)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        tplr_obj_entry *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown)
            return tplr_fail(TPLR_ENOMEM, "listing: out of memory");
        l->items = grown;
        l->cap = cap;
    }
    char *copy = strdup(key);
    if (!copy)
        return tplr_fail(TPLR_ENOMEM, "listing: out of memory");
    l->items[l->n].key = copy;
    l->items[l->n].info = *info;
    l->n++;
    return TPLR_OK;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const tplr_obj_entry *)a)->key, ((const tplr_obj_entry *)b)->key);
}

void store_list_sort(tplr_obj_list *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof *l->items, by_key);
}

void tplr_obj_list_free(tplr_obj_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].key);
    free(l->items);
    memset(l, 0, sizeof *l);
}
