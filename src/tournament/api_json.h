/* JSON views of the store's rows for the API. Private to src/tournament. */
#ifndef TPLR_TOURNAMENT_API_JSON_H
#define TPLR_TOURNAMENT_API_JSON_H

#include <jansson.h>

#include "tplr/tour_store.h"

json_t *tour_submission_json(const tplr_tour_submission *s, int64_t winner);
json_t *tour_run_json(const tplr_tour_eval_row *r);

#endif
