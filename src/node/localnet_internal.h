/* Shared by src/node/localnet*.c. */
#ifndef TPLR_LOCALNET_INTERNAL_H
#define TPLR_LOCALNET_INTERNAL_H

#include "localnet_proc.h"
#include "tplr/localnet.h"

#define LN_HOTKEY "default"
#define LN_PATH 4096

typedef struct ln_node {
    ln_child proc;
    const char *role;      /* "miner" or "validator" */
    int index;             /* among its role */
    int uid;               /* on the ledger */
    const char *adversary; /* "" for an honest node */
    char wallet[64];
    char dir[LN_PATH];
    char store[LN_PATH];   /* its own bucket: the base store URL + "/" + its name */
} ln_node;

typedef struct ln_net {
    const tplr_localnet_opts *o;
    char dir[LN_PATH];
    char store[LN_PATH];    /* the base store URL: each node publishes under <store>/<name> */
    char data[LN_PATH];     /* the shard folder */
    char config[LN_PATH];   /* DIR/config.json */
    char ledger_url[128];
    char ledger_db[LN_PATH];
    double block_time;
    int blocks_per_window;
    int seq;                /* tokens per sample (the corpus' sample length) */
    ln_child ledger;
    pid_t pgid;
    int n;
    ln_node nodes[TPLR_LOCALNET_MAX_NODES];
} ln_net;

/* The run's folder: an earlier localnet's state removed (its corpus kept),
 * a folder that is not a localnet's refused unless empty. */
tplr_err ln_prepare_dir(ln_net *net);
/* DIR/config.json from the preset, --config and --set (checked as the nodes
 * will check it); sets net->block_time and net->blocks_per_window. */
tplr_err ln_write_config(ln_net *net);
/* One wallet per node, the genesis that funds them, the ledger started and
 * serving, every hotkey registered and the validators staked. */
tplr_err ln_start_ledger(ln_net *net);
/* What the ledger says at the end, as a JSON object's text for the summary
 * ("ledger": block, each validator's weights, incentive per uid); malloc'd. */
char *ln_ledger_state(const ln_net *net);
/* DIR/localnet.json (tplr-localnet v1); finished marks the run over. */
tplr_err ln_write_manifest(const ln_net *net, int finished);

#endif
