/* The ledger client's HTTP layer, shared by its modules. Private to src/chain. */
#ifndef TPLR_CHAIN_CLIENT_INTERNAL_H
#define TPLR_CHAIN_CLIENT_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>

#include "tplr/chain.h"

struct tplr_chain {
    CURL *curl;
    struct curl_slist *headers;
    char url[512];
    tplr_chain_opts opts;
    uint16_t netuid;
    unsigned char chain_id[32];
    int last_status;
    char last_code[48];
};

typedef struct http_answer {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
} http_answer;

/* GET (body NULL) or POST body to url+path. Network failures and 5xx answers
 * are retried with backoff; *attempts says how many were made. TPLR_OK with
 * the answer for any final HTTP answer, TPLR_EIO when none came. */
tplr_err client_http(tplr_chain *c, const char *path, const char *body, http_answer *a, int *attempts);
void http_answer_free(http_answer *a);
/* The error for a non-200 answer: the ledger's message and code. */
tplr_err client_refusal(tplr_chain *c, const http_answer *a, const char *what);
/* GET path and parse it as JSON (a 200 answer), else the error. */
tplr_err client_get_json(tplr_chain *c, const char *path, json_t **out);

/* JSON field readers that fail with a message naming the field. */
tplr_err json_u64(json_t *o, const char *key, uint64_t *v);
tplr_err json_i64(json_t *o, const char *key, int64_t *v);
tplr_err json_key(json_t *o, const char *key, unsigned char pk[32]);

#endif
