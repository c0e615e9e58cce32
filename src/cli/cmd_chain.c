/* tplr chain serve | genesis */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ledger_cli.h"
#include "tplr/fileio.h"
#include "tplr/ledger_server.h"
#include "tplr/signals.h"

static int chain_serve(int argc, char **argv)
{
    const char *db = NULL, *listen = "127.0.0.1:9944", *genesis = NULL, *sync = "normal", *port_file = NULL;
    double block_time = 12;
    int threads = 32;
    cli_opt opts[] = {
        {"db", OPT_STR, &db, "FILE", "the ledger's SQLite database (created from the genesis if absent)", 1, 0},
        {"listen", OPT_STR, &listen, "HOST:PORT", "where to serve (default 127.0.0.1:9944; port 0: any free port)",
         0, 0},
        {"block-time", OPT_DOUBLE, &block_time, "SECONDS", "time between blocks (default 12; fractions for local "
                                                          "networks)", 0, 0},
        {"genesis", OPT_STR, &genesis, "FILE", "parameters and balances for a new database (default: built in)", 0,
         0},
        {"threads", OPT_INT, &threads, "N", "HTTP worker threads; each open connection holds one (default 32)", 0,
         0},
        {"sync", OPT_STR, &sync, "normal|full", "SQLite synchronous level (default normal; see docs/ledger.md)", 0,
         0},
        {"port-file", OPT_STR, &port_file, "FILE", "write the port listened on to FILE once serving", 0, 0},
    };
    cli_cmd cmd = {"tplr chain serve", NULL,
                   "Runs the ledger: serves its HTTP API (docs/ledger.md) and produces a block every --block-time\n"
                   "seconds, paying emissions every tempo blocks. Stops cleanly on Ctrl-C or SIGTERM.",
                   NULL, opts, 7, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (strcmp(sync, "normal") && strcmp(sync, "full"))
        return cli_fail("--sync is normal or full");
    if (threads < 2 || threads > 1024)
        return cli_fail("--threads must be between 2 and 1024");
    tplr_ledger_opts lo = {db, genesis, !strcmp(sync, "full")};
    tplr_ledger *l;
    if (tplr_ledger_open(&lo, &l))
        return cli_fail(tplr_errmsg());
    tplr_signals_install();
    tplr_serve_opts so = {listen, block_time, threads, port_file};
    tplr_err e = tplr_ledger_serve(l, &so);
    tplr_ledger_close(l);
    return e ? cli_fail(tplr_errmsg()) : 0;
}

/* "KEY=AMOUNT": an address or local wallet, and whole base units. */
static tplr_err add_fund(tplr_genesis *g, const char *spec)
{
    const char *eq = strrchr(spec, '=');
    char key[128], *end;
    if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof key || eq[1] == '-')
        return tplr_fail(TPLR_EINVAL, "--fund takes ADDRESS=AMOUNT or WALLET=AMOUNT, not '%s'", spec);
    memcpy(key, spec, (size_t)(eq - spec));
    key[eq - spec] = '\0';
    unsigned long long amount = strtoull(eq + 1, &end, 10);
    if (end == eq + 1 || *end)
        return tplr_fail(TPLR_EINVAL, "--fund %s: the amount is a whole number of base units", spec);
    unsigned char pk[32];
    TPLR_TRY(cli_resolve_key(key, NULL, pk));
    return tplr_genesis_add_balance(g, pk, amount);
}

static int chain_genesis(int argc, char **argv)
{
    const char *out = NULL, *network = NULL;
    cli_list funds = {0}, sets = {0};
    cli_opt opts[] = {
        {"out", OPT_STR, &out, "FILE", "the genesis file to write", 1, 0},
        {"network", OPT_STR, &network, "NAME", "the network's name (default local)", 0, 0},
        {"fund", OPT_LIST, &funds, "KEY=AMOUNT", "an initial balance: address or wallet, base units (repeatable)", 0,
         0},
        {"set", OPT_LIST, &sets, "PARAM=VALUE", "a subnet parameter, e.g. tempo=10 (repeatable)", 0, 0},
    };
    cli_cmd cmd = {"tplr chain genesis", NULL,
                   "Writes a genesis file: the subnet's parameters (defaults as Bittensor's; see docs/formats.md)\n"
                   "and initial balances, for `tplr chain serve --genesis`.",
                   NULL, opts, 4, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    tplr_genesis g;
    tplr_genesis_default(&g);
    tplr_err e = TPLR_OK;
    if (network) {
        if (strlen(network) >= sizeof g.network)
            e = tplr_fail(TPLR_EINVAL, "--network is at most 64 characters");
        else
            strcpy(g.network, network);
    }
    for (int i = 0; !e && i < sets.n; i++) {
        char name[64];
        const char *eq = strchr(sets.items[i], '=');
        if (!eq || (size_t)(eq - sets.items[i]) >= sizeof name)
            e = tplr_fail(TPLR_EINVAL, "--set takes PARAM=VALUE, not '%s'", sets.items[i]);
        else {
            memcpy(name, sets.items[i], (size_t)(eq - sets.items[i]));
            name[eq - sets.items[i]] = '\0';
            e = tplr_genesis_set_param(&g, name, eq + 1);
        }
    }
    for (int i = 0; !e && i < funds.n; i++)
        e = add_fund(&g, funds.items[i]);
    char *json = e ? NULL : tplr_genesis_to_json(&g);
    if (!e) {
        /* parse back: the file is checked exactly as serve will read it */
        tplr_genesis back;
        e = json ? tplr_genesis_parse(json, strlen(json), out, &back) : tplr_fail(TPLR_ENOMEM, "out of memory");
        if (!e)
            tplr_genesis_free(&back);
    }
    if (!e)
        e = tplr_write_file_atomic(out, json, strlen(json));
    free(json);
    tplr_genesis_free(&g);
    if (e)
        return cli_fail(tplr_errmsg());
    printf("wrote %s: subnet %u, %d initial balances\n", out, g.params.netuid, funds.n);
    return 0;
}

int cmd_chain(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "serve"))
        return chain_serve(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "genesis"))
        return chain_genesis(argc - 1, argv + 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr chain <serve|genesis> [options]\n\n"
                 "  serve    run the ledger: HTTP API, blocks, emissions\n"
                 "  genesis  write a genesis file: subnet parameters and initial balances\n");
    return out == stdout ? 0 : 2;
}
