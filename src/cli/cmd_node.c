/* tplr miner | validator | config */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ledger_cli.h"
#include "tplr/kernels.h"
#include "tplr/miner.h"
#include "tplr/signals.h"
#include "tplr/validator.h"

/* --config then every --set, in order. */
static tplr_err build_config(const char *path, const cli_list *sets, tplr_node_config *c)
{
    tplr_node_config_defaults(c);
    if (path)
        TPLR_TRY(tplr_node_config_load(c, path));
    for (int i = 0; i < sets->n; i++)
        TPLR_TRY(tplr_node_config_set(c, sets->items[i]));
    return tplr_node_config_check(c);
}

static int run_node(int argc, char **argv, int is_miner)
{
    const char *wallet = NULL, *hotkey = "default", *chain = NULL, *store = NULL, *config = NULL, *dir = NULL,
               *data = NULL, *listen = NULL, *adversary = "none";
    int64_t windows = 0;
    int threads = cli_default_threads();
    cli_list sets = {0};
    cli_opt opts[] = {
        {"wallet", OPT_STR, &wallet, "NAME", "the wallet (its coldkey pays the registration if one is needed; an "
         "encrypted coldkey reads $TPLR_WALLET_PASSPHRASE)", 1, 0},
        {"hotkey", OPT_STR, &hotkey, "NAME", "the wallet's hotkey this node runs as (default 'default')", 0, 0},
        {"chain", OPT_STR, &chain, "URL", LEDGER_OPT_HELP, 0, 0},
        {"store", OPT_STR, &store, "URL", "this node's bucket: s3://bucket[/prefix] or a folder (committed on the "
         "ledger so that peers read it; S3 credentials from the AWS_* environment)", 1, 0},
        {"config", OPT_STR, &config, "FILE", "node config (JSON; `tplr config docs` lists the fields)", 0, 0},
        {"set", OPT_LIST, &sets, "NAME=VALUE", "override one config field (repeatable, after --config)", 0, 0},
        {"dir", OPT_STR, &dir, "NODEDIR", "the node's folder: metrics.jsonl, scores.json, temporary files", 1, 0},
        {"data", OPT_STR, &data, "PATH", "token samples (shard folder or .npy) for training and evaluation", 0, 0},
        {"windows", OPT_I64, &windows, "N", "stop after N windows (default: run until Ctrl-C or SIGTERM)", 0, 0},
        {"metrics-listen", OPT_STR, &listen, "HOST:PORT", "serve Prometheus metrics on GET /metrics", 0, 0},
        {"threads", OPT_INT, &threads, "N", "CPU threads (default: all)", 0, 0},
        {"adversary", OPT_STR, &adversary, "KIND", "misbehave for tests: silent, late, garbage, copy, wrong-data, "
         "ascent (default none)", 0, 0},
    };
    cli_cmd cmd = {is_miner ? "tplr miner" : "tplr validator", NULL,
                   is_miner ? "Runs a miner: each window it trains H inner steps on its own samples, uploads the\n"
                              "compressed pseudo-gradient once the window closes, gathers its peers' gradients,\n"
                              "applies the outer step and uploads a fingerprint of its model (docs/network.md)."
                            : "Runs a validator one window behind the miners: it posts peer lists, gathers, uploads\n"
                              "the aggregate when it leads, evaluates and scores miners, sets weights, applies the\n"
                              "same outer step and checkpoints (docs/network.md).",
                   "Registers the hotkey if needed and commits --store on the ledger. Stops cleanly on\n"
                   "Ctrl-C or SIGTERM; a restarted node catches up from the leader's checkpoint.",
                   opts, (int)(sizeof opts / sizeof opts[0]) - (is_miner ? 0 : 1), 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (threads < 1)
        return cli_fail("--threads must be at least 1");
    if (windows < 0)
        return cli_fail("--windows must be 0 (no limit) or more");
    tplr_k_set_threads(threads);
    tplr_adversary adv = TPLR_ADV_NONE;
    if (is_miner && tplr_adversary_parse(adversary, &adv))
        return cli_fail(tplr_errmsg());
    tplr_node_opts o = {.kind = is_miner ? "miner" : "validator", .wallet = wallet, .hotkey = hotkey,
                        .chain_url = chain, .store_url = store, .dir = dir, .data_path = data,
                        .metrics_listen = listen, .windows = windows};
    if (build_config(config, &sets, &o.cfg))
        return cli_fail(tplr_errmsg());
    tplr_signals_install();
    tplr_err e = is_miner ? tplr_miner_run(&o, adv) : tplr_validator_run(&o);
    return e ? cli_fail(tplr_errmsg()) : 0;
}

int cmd_miner(int argc, char **argv) { return run_node(argc, argv, 1); }
int cmd_validator(int argc, char **argv) { return run_node(argc, argv, 0); }

static int config_show(int argc, char **argv)
{
    const char *config = NULL;
    cli_list sets = {0};
    cli_opt opts[] = {
        {"config", OPT_STR, &config, "FILE", "node config (JSON) to apply over the defaults", 0, 0},
        {"set", OPT_LIST, &sets, "NAME=VALUE", "override one field (repeatable, after --config)", 0, 0},
    };
    cli_cmd cmd = {"tplr config show", NULL, "Prints the effective node config (every field) as JSON.", NULL, opts, 2,
                   0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    tplr_node_config c;
    char *text;
    if (build_config(config, &sets, &c) || tplr_node_config_to_json(&c, &text))
        return cli_fail(tplr_errmsg());
    printf("%s\n", text);
    free(text);
    return 0;
}

static int config_docs(int argc, char **argv)
{
    cli_cmd cmd = {"tplr config docs", NULL, "Prints docs/config.md: every node config field, its default and "
                   "meaning.", NULL, NULL, 0, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    char *text;
    if (tplr_node_config_docs(&text))
        return cli_fail(tplr_errmsg());
    fputs(text, stdout);
    free(text);
    return 0;
}

int cmd_config(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "show"))
        return config_show(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "docs"))
        return config_docs(argc - 1, argv + 1);
    FILE *out = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout : stderr;
    fprintf(out, "usage: tplr config <show|docs> [options]\n\n"
                 "  show   the effective node config as JSON (--config FILE, --set NAME=VALUE)\n"
                 "  docs   every field, its default and meaning (docs/config.md)\n");
    return out == stdout ? 0 : 2;
}
