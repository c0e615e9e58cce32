/* tplr metagraph, tplr block, tplr balance: reads of the ledger */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ledger_cli.h"
#include "tplr/address.h"

/* Parses the options of a read command (the --ledger and --json ones plus
 * extra) and connects. Returns -1 to go on, else the exit code. */
static int read_command(cli_cmd *cmd, int argc, char **argv, const char **pos, tplr_chain **c, const char **url)
{
    int n_pos, r = cli_parse(cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (cli_connect(*url, c))
        return cli_fail(tplr_errmsg());
    return -1;
}

static int print_raw(tplr_chain *c, const char *path)
{
    char *body;
    tplr_err e = tplr_chain_get(c, path, &body);
    tplr_chain_close(c);
    if (e)
        return cli_fail(tplr_errmsg());
    printf("%s\n", body);
    free(body);
    return 0;
}

int cmd_metagraph(int argc, char **argv)
{
    const char *url = NULL;
    int json = 0;
    cli_opt opts[] = {
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print the ledger's JSON (every field, full keys)", 0, 0},
    };
    cli_cmd cmd = {"tplr metagraph", NULL,
                   "The subnet's uids: hotkey, owner coldkey, stake, validator permit, consensus, incentive,\n"
                   "dividends, last emission, registration block and last update. Amounts in tokens (10^9 base\n"
                   "units); keys shortened in the table (use --json for full addresses).",
                   NULL, opts, 2, 0, 0};
    const char *pos[1];
    tplr_chain *c;
    int rc = read_command(&cmd, argc, argv, pos, &c, &url);
    if (rc >= 0)
        return rc;
    if (json)
        return print_raw(c, "/v1/metagraph");
    tplr_metagraph m;
    tplr_err e = tplr_chain_metagraph(c, &m);
    tplr_chain_close(c);
    if (e)
        return cli_fail(tplr_errmsg());
    printf("subnet %u at block %llu: %d uids\n", m.netuid, (unsigned long long)m.block, m.n);
    printf("%4s  %-12s  %-12s  %18s  %1s  %8s  %8s  %8s  %14s  %8s  %8s\n", "uid", "hotkey", "coldkey", "stake", "V",
           "consens", "incent", "divid", "emission", "reg", "updated");
    for (int i = 0; i < m.n; i++) {
        const tplr_neuron *nr = &m.neurons[i];
        char hk[TPLR_ADDRESS_MAX], ck[TPLR_ADDRESS_MAX], stake[40], em[40];
        tplr_address_encode(nr->hotkey, hk);
        tplr_address_encode(nr->coldkey, ck);
        cli_format_tokens(nr->stake, stake, sizeof stake);
        cli_format_tokens(nr->emission, em, sizeof em);
        printf("%4d  %.10s..  %.10s..  %18s  %1s  %8.5f  %8.5f  %8.5f  %14s  %8llu  %8llu\n", nr->uid, hk, ck, stake,
               nr->validator_permit ? "*" : "", nr->consensus, nr->incentive, nr->dividends, em,
               (unsigned long long)nr->registered_at, (unsigned long long)nr->last_update);
    }
    tplr_metagraph_free(&m);
    return 0;
}

int cmd_block(int argc, char **argv)
{
    const char *url = NULL;
    int json = 0;
    cli_opt opts[] = {
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print the ledger's JSON", 0, 0},
    };
    cli_cmd cmd = {"tplr block", NULL, "The ledger's current block height (windows are block / blocks_per_window).",
                   NULL, opts, 2, 0, 0};
    const char *pos[1];
    tplr_chain *c;
    int rc = read_command(&cmd, argc, argv, pos, &c, &url);
    if (rc >= 0)
        return rc;
    if (json)
        return print_raw(c, "/v1/block");
    uint64_t block;
    tplr_err e = tplr_chain_block(c, &block, NULL);
    tplr_chain_close(c);
    if (e)
        return cli_fail(tplr_errmsg());
    printf("%llu\n", (unsigned long long)block);
    return 0;
}

int cmd_balance(int argc, char **argv)
{
    const char *url = NULL, *wallet = NULL;
    int json = 0;
    cli_opt opts[] = {
        {"wallet", OPT_STR, &wallet, "NAME", "a local wallet's coldkey (instead of an address)", 0, 0},
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print the ledger's JSON (with each stake)", 0, 0},
    };
    cli_cmd cmd = {"tplr balance", "[ADDRESS]", "A coldkey's free balance and total stake.", NULL, opts, 3, 0, 1};
    const char *pos[1] = {NULL};
    unsigned char pk[32];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (!pos[0] == !wallet)
        return cli_fail("give either an ADDRESS or --wallet NAME");
    tplr_chain *c;
    if (cli_resolve_key(pos[0] ? pos[0] : wallet, NULL, pk) || cli_connect(url, &c))
        return cli_fail(tplr_errmsg());
    char addr[TPLR_ADDRESS_MAX], path[128];
    tplr_address_encode(pk, addr);
    snprintf(path, sizeof path, "/v1/balance/%s", addr);
    if (json)
        return print_raw(c, path);
    int64_t balance, staked;
    tplr_err e = tplr_chain_balance(c, pk, &balance, &staked);
    tplr_chain_close(c);
    if (e)
        return cli_fail(tplr_errmsg());
    char b[40], s[40];
    cli_format_tokens(balance, b, sizeof b);
    cli_format_tokens(staked, s, sizeof s);
    printf("%s\n  free    %lld base units (%s)\n  staked  %lld base units (%s)\n", addr, (long long)balance, b,
           (long long)staked, s);
    return 0;
}
