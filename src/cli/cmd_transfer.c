/* tplr transfer send | show */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ledger_cli.h"
#include "tplr/address.h"

static int transfer_send(int argc, char **argv)
{
    const char *url = NULL, *wallet = NULL, *to = NULL;
    uint64_t amount = 0;
    int dry_run = 0;
    cli_opt opts[] = {
        {"wallet", OPT_STR, &wallet, "NAME", "the paying wallet (its coldkey signs)", 1, 0},
        {"to", OPT_STR, &to, "KEY", "the recipient: an address or a local wallet's name", 1, 0},
        {"amount", OPT_U64, &amount, "UNITS", "whole base units (10^9 per token)", 1, 0},
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"dry-run", OPT_FLAG, &dry_run, NULL, "print the signed request instead of sending it", 0, 0},
    };
    cli_cmd cmd = {"tplr transfer send", NULL,
                   "Sends base units from the wallet's coldkey. The printed id (BLOCK-INDEX) finds the transfer\n"
                   "again with `tplr transfer show`, e.g. to prove a payment.",
                   NULL, opts, 5, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (amount < 1 || amount > TPLR_AMOUNT_MAX)
        return cli_fail("--amount must be from 1 to 2^63-1 base units");
    tplr_keypair cold;
    unsigned char dst[32];
    tplr_chain *c = NULL;
    if (cli_resolve_key(to, NULL, dst) || cli_load_coldkey(wallet, &cold) || cli_connect(url, &c))
        return cli_fail(tplr_errmsg());
    tplr_tx *tx = calloc(1, sizeof *tx);
    if (!tx)
        return cli_fail("out of memory");
    tx->op = TPLR_TX_TRANSFER;
    memcpy(tx->key, dst, 32);
    tx->amount = amount;
    int rc = cli_send_tx(c, tx, &cold, NULL, dry_run, "transferred");
    tplr_secret_wipe(&cold, sizeof cold);
    free(tx);
    tplr_chain_close(c);
    return rc;
}

static int transfer_show(int argc, char **argv)
{
    const char *url = NULL;
    int json = 0;
    cli_opt opts[] = {
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print the ledger's JSON", 0, 0},
    };
    cli_cmd cmd = {"tplr transfer show", "BLOCK-INDEX", "Looks a transfer up by its id.", NULL, opts, 2, 1, 1};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    unsigned long long block;
    unsigned index;
    char tail;
    if (sscanf(pos[0], "%llu-%u%c", &block, &index, &tail) != 2 &&
        sscanf(pos[0], "%llu:%u%c", &block, &index, &tail) != 2)
        return cli_fail("a transfer id is BLOCK-INDEX, e.g. 1234-0");
    tplr_chain *c;
    if (cli_connect(url, &c))
        return cli_fail(tplr_errmsg());
    char path[96], *body = NULL;
    snprintf(path, sizeof path, "/v1/transfers/%llu/%u", block, index);
    tplr_transfer t;
    tplr_err e = json ? tplr_chain_get(c, path, &body) : tplr_chain_transfer_get(c, block, index, &t);
    tplr_chain_close(c);
    if (e)
        return cli_fail(tplr_errmsg());
    if (json) {
        printf("%s\n", body);
        free(body);
        return 0;
    }
    char from[TPLR_ADDRESS_MAX], dst[TPLR_ADDRESS_MAX], tokens[48];
    tplr_address_encode(t.from, from);
    tplr_address_encode(t.to, dst);
    cli_format_tokens(t.amount, tokens, sizeof tokens);
    printf("transfer %llu-%u\n  from    %s\n  to      %s\n  amount  %lld base units (%s)\n", block, index, from, dst,
           (long long)t.amount, tokens);
    return 0;
}

int cmd_transfer(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "send"))
        return transfer_send(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "show"))
        return transfer_show(argc - 1, argv + 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr transfer <send|show> [options]\n\n"
                 "  send  send base units from a wallet's coldkey\n"
                 "  show  look a transfer up by its id (BLOCK-INDEX)\n");
    return out == stdout ? 0 : 2;
}
