/* The tournament validator's REST API and leaderboard page over civetweb
 * (docs/tournament_service.md, "API"): GET /, /health, /leaderboard,
 * /submissions/{id}, /submissions/{id}/evaluations; POST /submissions
 * (a signed tplr_tour_request, its fee checked on the ledger). */
#ifndef TPLR_TOUR_API_H
#define TPLR_TOUR_API_H

#include <stdint.h>

#include "tplr/chain.h"
#include "tplr/err.h"
#include "tplr/tour_similar.h"
#include "tplr/tour_store.h"

#define TPLR_TOUR_COPY_THRESHOLD_DEFAULT 0.9
#define TPLR_TOUR_CLOCK_SKEW_S 300 /* how far a request's timestamp may be from the server's clock */
#define TPLR_TOUR_LIST_DEFAULT 50
#define TPLR_TOUR_LIST_MAX 1000

typedef struct tplr_tour_api_opts {
    const char *listen;    /* HOST:PORT (port 0: any free port) */
    int threads;           /* HTTP worker threads (default 8) */
    tplr_tour_store *store;
    const char *ledger_url; /* the ledger, for fees and uids; NULL only with fee 0 */
    unsigned char payee[32];  /* the validator's coldkey: fees go there */
    unsigned char hotkey[32]; /* the validator's hotkey (shown by /health) */
    int64_t fee;              /* base units; 0 takes submissions without payment */
    double copy_threshold;    /* refuse code at least this similar to another miner's earlier code */
    const tplr_tour_fp *base; /* the reference's fingerprint, left out of every submission's (NULL: none) */
    double win_threshold;     /* the incumbency margin (tour_winner.h) */
    const char *preset;       /* what the evaluation runs, for /health */
    int evals;
} tplr_tour_api_opts;

typedef struct tplr_tour_api tplr_tour_api;

/* Starts serving (the options are copied; store must outlive the server);
 * *port is the bound port. */
tplr_err tplr_tour_api_start(const tplr_tour_api_opts *o, tplr_tour_api **out, int *port);
void tplr_tour_api_stop(tplr_tour_api *a);

/* The leaderboard page (self-contained HTML, CSS and JS). */
extern const char tplr_tour_page_html[];

#endif
