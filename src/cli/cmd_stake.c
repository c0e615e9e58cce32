/* tplr stake add | remove */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ledger_cli.h"

static int stake_move(int argc, char **argv, int remove)
{
    const char *url = NULL, *wallet = NULL, *hotkey = "default";
    uint64_t amount = 0;
    int dry_run = 0;
    cli_opt opts[] = {
        {"wallet", OPT_STR, &wallet, "NAME", "the wallet whose coldkey stakes", 1, 0},
        {"hotkey", OPT_STR, &hotkey, "KEY", "a hotkey of the wallet, or any hotkey's address (default 'default')", 0,
         0},
        {"amount", OPT_U64, &amount, "UNITS", "whole base units (10^9 per token)", 1, 0},
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"dry-run", OPT_FLAG, &dry_run, NULL, "print the signed request instead of sending it", 0, 0},
    };
    cli_cmd cmd = {remove ? "tplr stake remove" : "tplr stake add", NULL,
                   remove ? "Moves stake from a hotkey back to the coldkey's free balance."
                          : "Moves base units from the coldkey's free balance to stake on a registered hotkey. Stake\n"
                            "decides validator permits and weighs validators' votes; emissions add to it.",
                   NULL, opts, 5, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (amount < 1 || amount > TPLR_AMOUNT_MAX)
        return cli_fail("--amount must be from 1 to 2^63-1 base units");
    tplr_keypair cold;
    unsigned char hk[32];
    tplr_chain *c = NULL;
    if (cli_load_coldkey(wallet, &cold) || cli_resolve_key(hotkey, wallet, hk) || cli_connect(url, &c))
        return cli_fail(tplr_errmsg());
    tplr_tx *tx = calloc(1, sizeof *tx);
    if (!tx)
        return cli_fail("out of memory");
    tx->op = remove ? TPLR_TX_UNSTAKE : TPLR_TX_STAKE;
    memcpy(tx->key, hk, 32);
    tx->amount = amount;
    int rc = cli_send_tx(c, tx, &cold, NULL, dry_run, remove ? "unstaked" : "staked");
    tplr_secret_wipe(&cold, sizeof cold);
    free(tx);
    tplr_chain_close(c);
    return rc;
}

int cmd_stake(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "add"))
        return stake_move(argc - 1, argv + 1, 0);
    if (argc >= 2 && !strcmp(argv[1], "remove"))
        return stake_move(argc - 1, argv + 1, 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr stake <add|remove> [options]\n\n"
                 "  add     stake free balance on a hotkey\n"
                 "  remove  take stake back to the free balance\n");
    return out == stdout ? 0 : 2;
}
