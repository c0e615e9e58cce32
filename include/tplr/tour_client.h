/* A client of the tournament validator's API (tplr tournament submit,
 * leaderboard): one request over libcurl, and the API's JSON errors as tplr
 * errors. */
#ifndef TPLR_TOUR_CLIENT_H
#define TPLR_TOUR_CLIENT_H

#include "tplr/err.h"

#define TPLR_TOUR_API_DEFAULT "http://127.0.0.1:8000"
#define TPLR_TOUR_ANSWER_MAX (64L << 20)

/* GET base+path (body NULL) or POST body as JSON. TPLR_OK with the HTTP
 * status and the answer (malloc'd, NUL-terminated) for any answer; TPLR_EIO
 * when the validator cannot be reached. */
tplr_err tplr_tour_http(const char *base, const char *path, const char *body, long *status, char **answer);
/* The error for a non-2xx answer: "what: the validator answered 409 near_copy: <its message>";
 * TPLR_ENOTFOUND for 404, else TPLR_EREFUSED. */
tplr_err tplr_tour_http_refusal(long status, const char *answer, const char *what);

#endif
