/* The S3 transfer engine: requests (URL, signed headers, body, where the
 * reply goes) run on a client that owns one curl multi handle, so that
 * connections are reused across requests and many transfers run at once on
 * one thread. The client retries timeouts, dropped connections, 5xx and 429
 * with exponential backoff and full jitter, and never other 4xx. */
#ifndef TPLR_S3_HTTP_H
#define TPLR_S3_HTTP_H

#include <curl/curl.h>
#include <stdint.h>

#include "s3_parse.h"
#include "store_impl.h"
#include "store_tmp.h"

/* Runs requests: one curl multi handle (its connection cache is what makes
 * connections reused), a queue of requests not started yet or waiting for a
 * retry, and the state of the jitter's random numbers. */
typedef struct s3_client {
    CURLM *multi;
    struct s3_req *waiting; /* not started yet, or waiting to be retried */
    int n_active, max_active;
    uint64_t jitter_key, jitter_n;
} s3_client;

/* An S3 store: the bucket, the key prefix, the settings, and the client that
 * runs its blocking calls. */
typedef struct s3_store {
    struct tplr_store base;
    tplr_s3_config cfg;
    char bucket[256];
    char prefix[1025];   /* "" or "a/b" (keys become "a/b/key") */
    char endpoint[512];  /* without a trailing '/' */
    char sigv4[128];     /* "aws:amz:REGION:s3" */
    s3_client client;
} s3_store;

typedef enum { SINK_DISCARD, SINK_MEM, SINK_REGION, SINK_FILE } s3_sink_kind;

/* Where a successful reply's body goes; at most max bytes are accepted. */
typedef struct s3_sink {
    s3_sink_kind kind;
    unsigned char *buf; /* MEM: owned, grows up to max; REGION: the caller's, max bytes */
    size_t cap;
    store_tmp *file;    /* FILE: written at offset + len */
    uint64_t offset;
    uint64_t max;
    uint64_t len;       /* bytes received in this attempt */
    tplr_err overflow;  /* the error for a body longer than max */
} s3_sink;

typedef struct s3_req s3_req;
/* Called at the end of a 2xx header block: TPLR_OK goes on; an error (set
 * with tplr_fail) stops the transfer with that error, not retried. */
typedef tplr_err (*s3_headers_fn)(s3_req *r);
/* Called once a request is final (success or failure). */
typedef void (*s3_done_fn)(s3_req *r);

struct s3_req {
    /* the request */
    s3_store *store;
    const char *method;
    char *url;
    struct curl_slist *headers;
    const unsigned char *body;
    size_t body_len;
    double deadline;       /* monotonic seconds; 0: none. Caps timeouts and retries */
    char what[3000];       /* "GET s3://bucket/key at ENDPOINT", for messages */
    /* the reply */
    s3_sink sink;
    s3_headers hdr;
    char errbody[4096];    /* the body of a non-2xx reply (truncated) */
    size_t errbody_len;
    s3_headers_fn on_headers;
    s3_done_fn on_done;
    void *user;
    /* the outcome */
    tplr_err err;
    char msg[900];
    int attempts;
    long connects;         /* new connections over all attempts */
    int done;
    /* engine state */
    CURL *easy;
    double start_at;
    s3_req *next;
    size_t up_off;
    tplr_err abort_err;    /* set by our callbacks when they stop a transfer */
    char abort_msg[600];
    char curl_err[CURL_ERROR_SIZE];
};

/* Builds a request for key (relative to the store's prefix; NULL for the
 * bucket itself). query holds name/value pairs (values not yet encoded);
 * they are sorted and RFC 3986-encoded as SigV4 needs. The body is borrowed. */
typedef struct s3_param {
    const char *name, *value;
} s3_param;
tplr_err s3_req_init(s3_req *r, s3_store *s, const char *method, const char *key, const s3_param *query, int nq,
                     const void *body, size_t body_len, const char *content_type);
/* Adds one more header (signed, like the others). */
tplr_err s3_req_header(s3_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void s3_sink_mem(s3_req *r, uint64_t max);
void s3_sink_region(s3_req *r, unsigned char *buf, uint64_t n);
void s3_sink_file(s3_req *r, store_tmp *file, uint64_t offset, uint64_t max);
/* Hands over a MEM sink's buffer (the caller frees it) and its length. */
unsigned char *s3_sink_take(s3_req *r, size_t *len);
void s3_req_free(s3_req *r);
/* Sets the thread's error message to the request's and returns its code. */
tplr_err s3_req_fail(const s3_req *r);

/* Starts r's next attempt on multi (s3_transfer.c). */
tplr_err s3_transfer_start(CURLM *multi, s3_req *r, double now);
/* After curl finished r with rc: sets r->err and r->msg; returns 1 when
 * another attempt may succeed (timeouts, connection failures, a reply cut
 * short, 5xx, 429), 0 otherwise. */
int s3_transfer_outcome(s3_req *r, CURLcode rc);

tplr_err s3_client_init(s3_client *c, int max_active);
void s3_client_free(s3_client *c);
/* Queues r to start at start_at (monotonic seconds; 0 = now). */
void s3_client_submit(s3_client *c, s3_req *r, double start_at);
/* Stops r if running or queued, without calling on_done. */
void s3_client_cancel(s3_client *c, s3_req *r);
/* One turn: starts due requests, moves data, finishes completed requests,
 * and waits at most max_wait seconds for the next event. */
void s3_client_turn(s3_client *c, double max_wait);
/* Turns until nothing is queued or running. */
void s3_client_run(s3_client *c);
int s3_client_idle(const s3_client *c);
/* Makes a waiting s3_client_turn return (from any thread). */
void s3_client_wakeup(s3_client *c);

/* Runs one request on the store's client; returns its error (message set). */
tplr_err s3_run(s3_store *s, s3_req *r);

#endif
