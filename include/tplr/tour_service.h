/* The tournament validator (`tplr tournament serve`): the API server
 * (tour_api.h), a worker thread that evaluates pending submissions one at a
 * time (tplr_tour_evaluate) and stores their runs, and every weights_every
 * blocks winner-takes-all weights on the ledger: the winner's uid, or the
 * burn uid when there is no winner or its hotkey is no longer registered. */
#ifndef TPLR_TOUR_SERVICE_H
#define TPLR_TOUR_SERVICE_H

#include "tplr/err.h"
#include "tplr/keys.h"
#include "tplr/tour_api.h"
#include "tplr/tour_eval.h"

typedef struct tplr_tour_serve_opts {
    tplr_tour_api_opts api; /* store is opened by tplr_tour_serve */
    const char *db_path;
    const char *port_file;  /* if set, the bound port is written there once the server listens */
    tplr_keypair hotkey;    /* the validator's hotkey: signs the weights */
    int weights_every;      /* blocks between weight settings; 0: never set weights */
    int burn_uid;           /* where the weight goes without a winner */
    tplr_tour_eval_opts eval;
} tplr_tour_serve_opts;

/* Serves until tplr_stop_requested() (SIGINT, SIGTERM); an evaluation in
 * progress is finished first (a second signal aborts at once). */
tplr_err tplr_tour_serve(const tplr_tour_serve_opts *o);

/* Evaluates submission id (claimed, "evaluating") and records the result. */
tplr_err tplr_tour_evaluate_one(tplr_tour_store *s, int64_t id, const tplr_tour_eval_opts *eval);

/* Sets the weights once: the winner's uid (by its hotkey in the metagraph)
 * or burn_uid; *uid says which. */
tplr_err tplr_tour_set_weights(tplr_chain *c, tplr_tour_store *s, double threshold, const tplr_keypair *hotkey,
                               int burn_uid, int *uid);

#endif
