/* The ledger over HTTP (civetweb): GET /v1/... reads, POST /v1/tx/<op>
 * signed transactions (docs/ledger.md, "API"), and a timer that produces a
 * block every block_time seconds. */
#ifndef TPLR_LEDGER_SERVER_H
#define TPLR_LEDGER_SERVER_H

#include "tplr/err.h"
#include "tplr/ledger.h"

typedef struct tplr_serve_opts {
    const char *listen;    /* HOST:PORT, e.g. 127.0.0.1:9944 (port 0: any free port) */
    double block_time;     /* seconds between blocks (fractions allowed) */
    int threads;           /* HTTP worker threads: each keep-alive connection holds one */
    const char *port_file; /* if set, the bound port is written there once the server listens */
} tplr_serve_opts;

/* Serves l until tplr_stop_requested() (SIGINT or SIGTERM). */
tplr_err tplr_ledger_serve(tplr_ledger *l, const tplr_serve_opts *o);

#endif
