/* What a network of nodes did, from their metrics files (NODEDIR/metrics.jsonl,
 * one JSON object per line, written by `tplr miner` and `tplr validator`; see
 * docs/formats.md, "Node metrics lines"): collected line by line (each field
 * checked, unknown fields dropped), then turned into the live table of
 * `tplr localnet`, the `tplr-localnet-summary` JSON file and the report page
 * (one self-contained HTML file with inline SVG plots). */
#ifndef TPLR_NETREPORT_H
#define TPLR_NETREPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tplr/err.h"

#define TPLR_METRICS_LINE_MAX (1u << 20) /* longer lines are refused */

typedef struct tplr_netmetrics tplr_netmetrics;

tplr_err tplr_netmetrics_create(tplr_netmetrics **out);
void tplr_netmetrics_free(tplr_netmetrics *m);

/* What the caller knows of a node that the lines do not say: its role
 * ("miner" or "validator"), uid, a name (its folder) and the adversary it
 * plays ("" or NULL for an honest node). */
tplr_err tplr_netmetrics_add_node(tplr_netmetrics *m, const char *role, int uid, const char *name,
                                  const char *adversary);

/* One metrics line (no newline needed). A line that is not a JSON object of
 * the documented fields and types is refused with TPLR_EFORMAT and changes
 * nothing; origin names it in the message. A later "window" line for the same
 * node and window replaces the earlier one. */
tplr_err tplr_netmetrics_add_line(tplr_netmetrics *m, const char *line, size_t len, const char *origin);

/* Follows a metrics file that is still being written: each call reads the
 * complete lines added since the last call (a line without its newline waits
 * for the next call). Bad lines are counted in *bad (may be NULL) and
 * skipped. A file that does not exist yet reads as empty. */
typedef struct tplr_metrics_tail {
    char path[4096];
    long offset;
} tplr_metrics_tail;
tplr_err tplr_metrics_tail_read(tplr_metrics_tail *t, tplr_netmetrics *m, int *bad);

/* The windows some node reported, ascending (malloc'd; *n may be 0). */
tplr_err tplr_netmetrics_windows(const tplr_netmetrics *m, int64_t **windows, int *n);
/* How many miners and validators reported window w. */
void tplr_netmetrics_window_count(const tplr_netmetrics *m, int64_t w, int *miners, int *validators);
/* The highest window a node reported (-1 if none), and whether it said "stop". */
void tplr_netmetrics_node_progress(const tplr_netmetrics *m, const char *role, int uid, int64_t *last_window,
                                   int *stopped);

/* A number field of a node's line for window w (NAN if none). */
double tplr_netmetrics_value(const tplr_netmetrics *m, const char *role, int uid, int64_t w, const char *key);
/* The weight the first validator gave uid in the latest window it reported
 * weights for (NAN if none). */
double tplr_netmetrics_latest_weight(const tplr_netmetrics *m, int uid);

/* The live table: a header naming the columns, then one row per window. */
void tplr_netmetrics_print_header(const tplr_netmetrics *m, FILE *out);
void tplr_netmetrics_print_window(const tplr_netmetrics *m, int64_t w, FILE *out);

/* The summary (docs/formats.md, "Localnet summary"): per window and per uid
 * the losses, scores, weights, bytes, timings and penalties, and totals.
 * extra_json (NULL or a JSON object's text) is merged in at the top level
 * (e.g. what the ledger said at the end). malloc'd text. */
tplr_err tplr_netmetrics_summary(const tplr_netmetrics *m, const char *extra_json, char **out);

/* The report page, from a summary's text: loss curves, scores and weights
 * over windows as inline SVG, a penalty table and a traffic table; no
 * external resources. malloc'd text. */
tplr_err tplr_netreport_html(const char *summary_json, char **out);

#endif
