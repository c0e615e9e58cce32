/* One HTTP request to the tournament API (libcurl). */
#include "tplr/tour_client.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

tplr_err tplr_tour_http(const char *base, const char *path, const char *body, long *status, char **answer)
{
    pthread_once(&curl_once, curl_init);
    char url[2048];
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    if (snprintf(url, sizeof url, "%.*s%s", (int)blen, base, path) >= (int)sizeof url)
        return tplr_fail(TPLR_EINVAL, "the API URL is too long");
    char *buf = NULL;
    size_t len = 0;
    FILE *sink = open_memstream(&buf, &len);
    CURL *h = sink ? curl_easy_init() : NULL;
    if (!h) {
        if (sink)
            fclose(sink);
        free(buf);
        return tplr_fail(TPLR_ENOMEM, "cannot start an HTTP request");
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)TPLR_TOUR_ANSWER_MAX);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    CURLcode rc = curl_easy_perform(h);
    *status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    fclose(sink);
    if (rc != CURLE_OK || len > (size_t)TPLR_TOUR_ANSWER_MAX) {
        free(buf);
        return tplr_fail(TPLR_EIO, "cannot reach the tournament API at %s: %s (is `tplr tournament serve` running "
                         "there? check --api)", url, err[0] ? err : curl_easy_strerror(rc));
    }
    *answer = buf;
    return TPLR_OK;
}

tplr_err tplr_tour_http_refusal(long status, const char *answer, const char *what)
{
    json_t *j = json_loads(answer ? answer : "", 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "error"));
    const char *code = json_string_value(json_object_get(j, "code"));
    tplr_err e = tplr_fail(status == 404 ? TPLR_ENOTFOUND : TPLR_EREFUSED, "%s: the validator answered %ld%s%s: %s",
                           what, status, code ? " " : "", code ? code : "", msg ? msg : "(no message)");
    json_decref(j);
    return e;
}
