/* A whole network on one machine (`tplr localnet`): a ledger, miners and
 * validators, each its own process with its own log under one folder, a live
 * table per window, and at the end a summary (summary.json) and a report
 * (report.html). See docs/network.md ("Localnet").
 *
 *   DIR/localnet.json         the manifest: nodes, pids, ledger, store (tplr-localnet v1)
 *   DIR/config.json           the node config every node runs with
 *   DIR/home/wallets/...      one wallet per node (TPLR_HOME of every child)
 *   DIR/ledger/               genesis.json, ledger.db, port, ledger.log
 *   DIR/store/                the object store (unless --store names another)
 *   DIR/nodes/<name>/         each node's folder: metrics.jsonl, node.log, its own files
 *   DIR/summary.json, DIR/report.html */
#ifndef TPLR_LOCALNET_H
#define TPLR_LOCALNET_H

#include <stdio.h>

#include "tplr/err.h"

#define TPLR_LOCALNET_MAX_NODES 64
#define TPLR_LOCALNET_MAX_SETS 64

typedef struct tplr_localnet_opts {
    const char *exe;         /* the tplr binary the children run */
    const char *dir;         /* the run's folder (emptied of an earlier run's state) */
    int miners, validators;  /* 3, 1 */
    const char *preset;      /* "tiny" or "small": model and window sizes */
    int windows;             /* windows each node runs */
    const char *store;       /* NULL: DIR/store; else a store URL (s3://bucket/prefix, file:///...) */
    const char *adversaries[TPLR_LOCALNET_MAX_NODES]; /* the first n_adversaries miners play these */
    int n_adversaries;
    const char *config;      /* NULL or a node config JSON file laid over the preset */
    const char *sets[TPLR_LOCALNET_MAX_SETS]; /* "key=value" over both */
    int n_sets;
    const char *corpus;      /* where the KJV corpus is prepared (NULL: DIR/corpus) */
    const char *data;        /* NULL: the corpus' shards; else a shard folder to use instead */
    double block_time;       /* seconds between ledger blocks (0: the preset's) */
    double timeout_s;        /* 0: a bound from the windows; the run is stopped after it */
    FILE *out;               /* the live table and progress (stdout) */
} tplr_localnet_opts;

void tplr_localnet_defaults(tplr_localnet_opts *o);

/* Runs the network until every node has run its windows (or exited), or a
 * stop is requested (SIGINT/SIGTERM through tplr_signals_install), or the
 * timeout passes; then stops every child, and writes DIR/summary.json and
 * DIR/report.html. Returns TPLR_EINTERRUPTED after a stop request (the
 * summary and report are still written). */
tplr_err tplr_localnet_run(const tplr_localnet_opts *o);

/* The node config the localnet's nodes would run with (the preset's values,
 * then --config, then --set, checked), as JSON; the caller frees *text. */
tplr_err tplr_localnet_config(const tplr_localnet_opts *o, char **text);

/* The KJV corpus (Debian's bible-kjv) under dir: kjv.txt, a 1024-token BPE
 * tokenizer learned on it, and token shards of sample_len tokens (2% held
 * out), each step skipped when its output is there. Runs exe's `tokenizer
 * train` and `data prepare`, the pipeline of scripts/train_demo.sh. */
tplr_err tplr_localnet_corpus(const char *exe, const char *dir, int sample_len, FILE *out);

/* `tplr status`: the nodes of a localnet folder (running or finished), alive
 * or not, their last window, latest losses and weights. */
tplr_err tplr_localnet_status(const char *dir, FILE *out);

#endif
