/* The ledger client's transport: one libcurl handle kept alive, timeouts,
 * retries with exponential backoff, and the ledger's errors as tplr errors. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_internal.h"
#include "tplr/address.h"

#define ANSWER_MAX ((size_t)256 << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_setup(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct sink {
    char *buf;
    size_t len, cap;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
    sink *s = userdata;
    size_t add = size * n;
    if (s->len + add + 1 > ANSWER_MAX)
        return 0; /* aborts the transfer */
    if (s->len + add + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + add + 1)
            cap *= 2;
        char *grown = realloc(s->buf, cap);
        if (!grown)
            return 0;
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, add);
    s->len += add;
    s->buf[s->len] = '\0';
    return add;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void http_answer_free(http_answer *a)
{
    free(a->body);
    a->body = NULL;
    a->len = 0;
}

tplr_err client_http(tplr_chain *c, const char *path, const char *body, http_answer *a, int *attempts)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", c->url, path);
    memset(a, 0, sizeof *a);
    long wait = c->opts.backoff_ms;
    char curl_msg[CURL_ERROR_SIZE] = "";
    for (int attempt = 1;; attempt++) {
        *attempts = attempt;
        sink s = {0};
        curl_easy_setopt(c->curl, CURLOPT_URL, url);
        curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, curl_msg);
        if (body) {
            curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        } else
            curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
        CURLcode rc = curl_easy_perform(c->curl);
        long status = 0;
        if (rc == CURLE_OK)
            curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OK && status < 500) {
            a->status = status;
            a->body = s.buf ? s.buf : strdup("");
            a->len = s.len;
            return a->body ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "out of memory");
        }
        free(s.buf);
        if (attempt > c->opts.retries) {
            c->last_status = (int)status;
            c->last_code[0] = '\0';
            if (rc != CURLE_OK)
                return tplr_fail(TPLR_EIO, "cannot reach the ledger at %s: %s (after %d attempts; is `tplr chain "
                                 "serve` running there? set --ledger or %s)", c->url,
                                 curl_msg[0] ? curl_msg : curl_easy_strerror(rc), attempt, TPLR_LEDGER_URL_ENV);
            return tplr_fail(TPLR_EIO, "the ledger at %s failed with HTTP %ld (after %d attempts)", c->url, status,
                             attempt);
        }
        sleep_ms(wait);
        wait *= 2;
    }
}

tplr_err client_refusal(tplr_chain *c, const http_answer *a, const char *what)
{
    json_t *j = json_loadb(a->body, a->len, 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "error"));
    const char *code = json_string_value(json_object_get(j, "code"));
    c->last_status = (int)a->status;
    snprintf(c->last_code, sizeof c->last_code, "%s", code ? code : "");
    tplr_err e = tplr_fail(a->status == 404 ? TPLR_ENOTFOUND : TPLR_EREFUSED, "%s: the ledger answered %ld%s%s: %s",
                           what, a->status, code ? " " : "", code ? code : "",
                           msg ? msg : "(no message)");
    json_decref(j);
    return e;
}

tplr_err client_get_json(tplr_chain *c, const char *path, json_t **out)
{
    http_answer a;
    int attempts;
    TPLR_TRY(client_http(c, path, NULL, &a, &attempts));
    tplr_err e = TPLR_OK;
    if (a.status != 200)
        e = client_refusal(c, &a, path);
    else if (!(*out = json_loadb(a.body, a.len, 0, NULL)))
        e = tplr_fail(TPLR_EFORMAT, "%s: the ledger's answer is not JSON", path);
    http_answer_free(&a);
    return e;
}

tplr_err json_u64(json_t *o, const char *key, uint64_t *v)
{
    json_t *x = json_object_get(o, key);
    if (!json_is_integer(x) || json_integer_value(x) < 0)
        return tplr_fail(TPLR_EFORMAT, "the ledger's answer lacks a non-negative integer '%s'", key);
    *v = (uint64_t)json_integer_value(x);
    return TPLR_OK;
}

tplr_err json_i64(json_t *o, const char *key, int64_t *v)
{
    json_t *x = json_object_get(o, key);
    if (!json_is_integer(x))
        return tplr_fail(TPLR_EFORMAT, "the ledger's answer lacks an integer '%s'", key);
    *v = json_integer_value(x);
    return TPLR_OK;
}

tplr_err json_key(json_t *o, const char *key, unsigned char pk[32])
{
    json_t *x = json_object_get(o, key);
    if (!json_is_string(x) || tplr_address_decode(json_string_value(x), json_string_length(x), pk))
        return tplr_fail(TPLR_EFORMAT, "the ledger's answer lacks an address '%s'", key);
    return TPLR_OK;
}

static tplr_err read_info(tplr_chain *c)
{
    json_t *j;
    TPLR_TRY(client_get_json(c, "/v1/info", &j));
    uint64_t netuid = 0;
    json_t *id = json_object_get(j, "chain_id");
    tplr_err e = json_u64(j, "netuid", &netuid);
    if (!e && (!json_is_string(id) || tplr_hex_decode(c->chain_id, 32, json_string_value(id), json_string_length(id))))
        e = tplr_fail(TPLR_EFORMAT, "%s/v1/info has no chain_id: is this a tplr ledger?", c->url);
    c->netuid = (uint16_t)netuid;
    json_decref(j);
    return e;
}

tplr_err tplr_chain_connect(const char *url, const tplr_chain_opts *o, tplr_chain **out)
{
    *out = NULL;
    if (!url || !*url)
        url = getenv(TPLR_LEDGER_URL_ENV);
    if (!url || !*url)
        url = TPLR_LEDGER_URL_DEFAULT;
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof((tplr_chain *)0)->url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
        return tplr_fail(TPLR_EINVAL, "bad ledger URL '%s': use http://HOST:PORT", url);
    pthread_once(&curl_once, curl_setup);
    tplr_chain *c = calloc(1, sizeof *c);
    if (!c || !(c->curl = curl_easy_init())) {
        free(c);
        return tplr_fail(TPLR_ENOMEM, "ledger client: out of memory");
    }
    memcpy(c->url, url, n);
    c->opts = (tplr_chain_opts){5000, 3, 200};
    if (o) {
        if (o->timeout_ms > 0)
            c->opts.timeout_ms = o->timeout_ms;
        if (o->retries >= 0)
            c->opts.retries = o->retries;
        if (o->backoff_ms > 0)
            c->opts.backoff_ms = o->backoff_ms;
    }
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->opts.timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    tplr_err e = read_info(c);
    if (e) {
        tplr_chain_close(c);
        return e;
    }
    *out = c;
    return TPLR_OK;
}

void tplr_chain_close(tplr_chain *c)
{
    if (!c)
        return;
    curl_slist_free_all(c->headers);
    curl_easy_cleanup(c->curl);
    free(c);
}

uint16_t tplr_chain_netuid(const tplr_chain *c) { return c->netuid; }
const unsigned char *tplr_chain_id(const tplr_chain *c) { return c->chain_id; }
const char *tplr_chain_url(const tplr_chain *c) { return c->url; }
int tplr_chain_last_status(const tplr_chain *c) { return c->last_status; }
const char *tplr_chain_last_code(const tplr_chain *c) { return c->last_code; }

tplr_err tplr_chain_get(tplr_chain *c, const char *path, char **body)
{
    http_answer a;
    int attempts;
    TPLR_TRY(client_http(c, path, NULL, &a, &attempts));
    if (a.status != 200) {
        tplr_err e = client_refusal(c, &a, path);
        http_answer_free(&a);
        return e;
    }
    *body = a.body;
    return TPLR_OK;
}
