/* tplr commit set | show */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ledger_cli.h"
#include "tplr/address.h"

static int commit_set(int argc, char **argv)
{
    const char *url = NULL, *wallet = NULL, *hotkey = "default", *data = NULL;
    int dry_run = 0;
    cli_opt opts[] = {
        {"wallet", OPT_STR, &wallet, "NAME", "the wallet", 1, 0},
        {"hotkey", OPT_STR, &hotkey, "NAME", "the registered hotkey that commits (default 'default')", 0, 0},
        {"data", OPT_STR, &data, "TEXT", "up to 128 bytes of printable ASCII (e.g. bucket read credentials)", 1, 0},
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"dry-run", OPT_FLAG, &dry_run, NULL, "print the signed request instead of sending it", 0, 0},
    };
    cli_cmd cmd = {"tplr commit set", NULL,
                   "Publishes the hotkey's commitment, replacing its last one; Templar nodes publish their bucket's\n"
                   "read credentials this way (account id, key id and secret: 128 characters).",
                   NULL, opts, 5, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    size_t n = strlen(data);
    if (n > TPLR_COMMIT_MAX)
        return cli_fail("--data is longer than the 128 bytes a commitment holds");
    tplr_keypair hot;
    tplr_chain *c = NULL;
    if (cli_load_hotkey(wallet, hotkey, &hot) || cli_connect(url, &c))
        return cli_fail(tplr_errmsg());
    tplr_tx *tx = calloc(1, sizeof *tx);
    if (!tx)
        return cli_fail("out of memory");
    tx->op = TPLR_TX_COMMIT;
    memcpy(tx->data, data, n + 1);
    tx->data_len = n;
    int rc = cli_send_tx(c, tx, &hot, NULL, dry_run, "committed");
    tplr_secret_wipe(&hot, sizeof hot);
    free(tx);
    tplr_chain_close(c);
    return rc;
}

static int commit_show(int argc, char **argv)
{
    const char *url = NULL, *hotkey = NULL;
    int json = 0;
    cli_opt opts[] = {
        {"hotkey", OPT_STR, &hotkey, "ADDRESS", "only this hotkey's commitment", 0, 0},
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print the ledger's JSON", 0, 0},
    };
    cli_cmd cmd = {"tplr commit show", NULL, "Shows the registered hotkeys' commitments.", NULL, opts, 3, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    unsigned char pk[32];
    tplr_chain *c;
    if ((hotkey && cli_resolve_key(hotkey, NULL, pk)) || cli_connect(url, &c))
        return cli_fail(tplr_errmsg());
    char path[128], addr[TPLR_ADDRESS_MAX], *body = NULL;
    tplr_commitment one, *all = NULL;
    int n = 0;
    tplr_err e;
    if (hotkey)
        tplr_address_encode(pk, addr);
    snprintf(path, sizeof path, hotkey ? "/v1/commitments/%s" : "/v1/commitments", hotkey ? addr : "");
    if (json)
        e = tplr_chain_get(c, path, &body);
    else if (hotkey)
        e = tplr_chain_commitment(c, pk, &one);
    else
        e = tplr_chain_commitments(c, &all, &n);
    tplr_chain_close(c);
    if (e)
        return cli_fail(tplr_errmsg());
    if (json) {
        printf("%s\n", body);
        free(body);
        return 0;
    }
    if (hotkey) {
        all = &one;
        n = 1;
    }
    printf("%5s  %-51s  %7s  %s\n", "uid", "hotkey", "block", "data");
    for (int i = 0; i < n; i++) {
        tplr_address_encode(all[i].hotkey, addr);
        char uid[16] = "-";
        if (all[i].uid >= 0)
            snprintf(uid, sizeof uid, "%d", all[i].uid);
        printf("%5s  %-51s  %7llu  %s\n", uid, addr, (unsigned long long)all[i].block, all[i].data);
    }
    if (!hotkey)
        free(all);
    return 0;
}

int cmd_commit(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "set"))
        return commit_set(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "show"))
        return commit_show(argc - 1, argv + 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr commit <set|show> [options]\n\n"
                 "  set   publish a hotkey's commitment (up to 128 bytes)\n"
                 "  show  list the commitments\n");
    return out == stdout ? 0 : 2;
}
