/* Object storage: one interface over a local folder and any S3-compatible
 * endpoint (AWS S3, Cloudflare R2, MinIO, Garage, moto_server).
 *
 * A store is opened from a URL:
 *   s3://bucket            the whole bucket
 *   s3://bucket/prefix     keys live under "prefix/" in the bucket
 *   file:///dir or /dir    keys are files under the folder (nested keys are subfolders)
 * Keys are relative to that root, use '/' as separator and are checked by
 * tplr_store_check_key. Every call returns a typed error (TPLR_ENOTFOUND,
 * TPLR_EFORBIDDEN, TPLR_ETOOLARGE, TPLR_ETIMEOUT, TPLR_ESERVER,
 * TPLR_EBADRESPONSE, TPLR_EUNREACHABLE, ...) with a message naming the
 * endpoint, bucket and key. See docs/storage.md. */
#ifndef TPLR_STORE_H
#define TPLR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"

/* A store handle serves one thread at a time (gather reads folder stores
 * from several threads, which they allow). */
typedef struct tplr_store tplr_store;

/* What HEAD, GET and LIST report about an object. */
typedef struct tplr_obj_info {
    uint64_t size;         /* bytes */
    double last_modified;  /* seconds since the Unix epoch (S3 reports whole seconds) */
    char etag[72];         /* the server's ETag without quotes; "" when there is none */
} tplr_obj_info;

typedef struct tplr_obj_entry {
    char *key;             /* relative to the store's root */
    tplr_obj_info info;
} tplr_obj_entry;

/* LIST output: every object under a prefix, sorted by key (bytewise). */
typedef struct tplr_obj_list {
    tplr_obj_entry *items;
    size_t n, cap;
} tplr_obj_list;

/* Counters since the store was opened. */
typedef struct tplr_store_stats {
    uint64_t requests;     /* HTTP requests sent (retries included); 0 for folders */
    uint64_t connections;  /* new connections opened (CURLINFO_NUM_CONNECTS summed) */
    uint64_t retries;      /* requests repeated after a timeout, 5xx/429 or dropped connection */
    uint64_t bytes_sent, bytes_received;
} tplr_store_stats;

/* S3 settings. tplr_s3_config_defaults fills the defaults below; the
 * environment or the node config overrides them. */
typedef struct tplr_s3_config {
    char endpoint[512];       /* "http://127.0.0.1:9000"; "" → https://s3.REGION.amazonaws.com */
    char region[64];          /* "us-east-1"; Cloudflare R2: "auto" */
    char access_key[256];
    char secret_key[256];
    char session_token[4096]; /* optional (temporary credentials) */
    double connect_timeout_s; /* TCP + TLS handshake (default 10) */
    double request_timeout_s; /* one whole request; 0 = none (default 0: low-speed limit catches hangs) */
    double low_speed_time_s;  /* abort when slower than low_speed_bytes/s for this long (default 20) */
    long low_speed_bytes;     /* (default 1024) */
    int max_retries;          /* extra attempts after a retryable failure (default 5) */
    double retry_base_s;      /* backoff: uniform in [0, min(cap, base * 2^attempt)] (default 0.2) */
    double retry_cap_s;       /* (default 10) */
    uint64_t multipart_threshold; /* PUT bodies above this go as multipart (default 100 MiB) */
    uint64_t part_size;           /* multipart part size, at least 5 MiB on S3 (default 32 MiB) */
    uint64_t ranged_get_threshold;/* GETs above this use parallel ranges (default 64 MiB) */
    uint64_t range_size;          /* bytes per ranged GET (default 16 MiB) */
    int parallel;                 /* concurrent parts or ranges per call (default 8) */
    int list_page_size;           /* max-keys per LIST page, 1..1000 (default 1000) */
} tplr_s3_config;

void tplr_s3_config_defaults(tplr_s3_config *c);
/* Defaults, then AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION or
 * AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN. Fails when the key pair is missing. */
tplr_err tplr_s3_config_from_env(tplr_s3_config *c);

/* Opens a store. s3 may be NULL: S3 URLs then read the environment. The
 * folder of a file URL need not exist yet (put creates it). */
tplr_err tplr_store_open(const char *url, const tplr_s3_config *s3, tplr_store **out);
void tplr_store_close(tplr_store *s);
/* "s3://bucket/prefix at http://host:port" or "file:///dir", for messages. */
const char *tplr_store_describe(const tplr_store *s);
int tplr_store_is_s3(const tplr_store *s);
void tplr_store_get_stats(const tplr_store *s, tplr_store_stats *out);

/* Stores an object; readers see the old or the new bytes, never a mix. */
tplr_err tplr_store_put(tplr_store *s, const char *key, const void *data, size_t n);
tplr_err tplr_store_put_file(tplr_store *s, const char *key, const char *path);
/* Reads an object into a malloc'd buffer (*data, *n; free it), followed by a
 * NUL byte not counted in *n (handy for JSON). Fails with
 * TPLR_ETOOLARGE, without downloading it, when it is larger than max_bytes.
 * info may be NULL. */
tplr_err tplr_store_get(tplr_store *s, const char *key, uint64_t max_bytes, unsigned char **data, size_t *n,
                        tplr_obj_info *info);
/* Downloads an object to path through a temporary file renamed at the end:
 * on any failure nothing is left at path (an older file there is untouched). */
tplr_err tplr_store_get_file(tplr_store *s, const char *key, const char *path, uint64_t max_bytes,
                             tplr_obj_info *info);
tplr_err tplr_store_head(tplr_store *s, const char *key, tplr_obj_info *info);
/* Every object whose key starts with prefix ("" for all), all pages. */
tplr_err tplr_store_list(tplr_store *s, const char *prefix, tplr_obj_list *out);
void tplr_obj_list_free(tplr_obj_list *l);
/* Deletes an object; deleting one that does not exist succeeds (as on S3). */
tplr_err tplr_store_delete(tplr_store *s, const char *key);

/* A valid key: 1..1024 bytes, no leading '/', no empty, "." or ".." segment,
 * no control characters and no segment containing ".tplr-tmp-" (reserved for
 * temporary files). The same rule holds for every backend. */
tplr_err tplr_store_check_key(const char *key);

/* Splits a URL naming one object (or a prefix) into the store root and the key:
 * "s3://b/a/k" → "s3://b" + "a/k"; "/d/e/k" or "file:///d/e/k" → "/d/e" + "k";
 * a trailing '/' keeps the whole path as root and gives an empty key. */
tplr_err tplr_store_split_url(const char *url, char *root, size_t root_cap, char *key, size_t key_cap);

#endif
