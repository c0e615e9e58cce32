/* A node's metrics: one JSON object per line appended to a file (flushed
 * per line) and, optionally, the latest values in Prometheus text format on
 * GET /metrics. Every line has "t" (unix seconds), "node" ("miner" or
 * "validator"), "uid", "window" and "event", then the event's own fields
 * (docs/formats.md "metrics.jsonl"). */
#ifndef TPLR_METRICS_H
#define TPLR_METRICS_H

#include <jansson.h>
#include <stdint.h>

#include "tplr/err.h"

typedef struct tplr_metrics tplr_metrics;

/* Opens path for appending; with listen ("HOST:PORT", port 0: any free
 * port) also serves GET /metrics. */
tplr_err tplr_metrics_open(const char *path, const char *node, int uid, const char *listen, tplr_metrics **out);
void tplr_metrics_close(tplr_metrics *m);
/* The port /metrics is served on (0: not serving). */
int tplr_metrics_port(const tplr_metrics *m);
/* The uid is learned after registration: later lines carry it. */
void tplr_metrics_set_uid(tplr_metrics *m, int uid);
/* Writes one line; fields (an object, or NULL) is consumed. Numbers,
 * booleans and {"uid": number} objects also become Prometheus gauges. */
tplr_err tplr_metrics_emit(tplr_metrics *m, int64_t window, const char *event, json_t *fields);

/* One line's text, without the newline (malloc'd; NULL when out of memory):
 * the common keys first, then fields' keys in their order. */
char *tplr_metrics_line(double t, const char *node, int uid, int64_t window, const char *event,
                        const json_t *fields);
/* Prometheus exposition of one event's fields (malloc'd), one gauge per
 * number or boolean ("tplr_<key>{node,uid}") and per entry of a
 * {"uid": number} object ("tplr_<key>{node,uid,peer}"). */
char *tplr_metrics_prometheus(const char *node, int uid, int64_t window, const json_t *fields);

#endif
