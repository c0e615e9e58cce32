/* tplr register */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ledger_cli.h"

int cmd_register(int argc, char **argv)
{
    const char *url = NULL, *wallet = NULL, *hotkey = "default";
    int dry_run = 0;
    cli_opt opts[] = {
        {"wallet", OPT_STR, &wallet, "NAME", "the wallet: its coldkey pays the registration cost", 1, 0},
        {"hotkey", OPT_STR, &hotkey, "NAME", "the wallet's hotkey to register (default 'default')", 0, 0},
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"dry-run", OPT_FLAG, &dry_run, NULL, "print the signed request instead of sending it", 0, 0},
    };
    cli_cmd cmd = {"tplr register", NULL,
                   "Registers a hotkey on the subnet: it gets a uid (the next free one, or when the subnet is full\n"
                   "the lowest-ranked uid past its immunity period). The coldkey pays the registration cost, which\n"
                   "is burned; both keys sign.",
                   NULL, opts, 4, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    tplr_keypair cold, hot;
    tplr_chain *c = NULL;
    if (cli_load_coldkey(wallet, &cold) || cli_load_hotkey(wallet, hotkey, &hot) || cli_connect(url, &c))
        return cli_fail(tplr_errmsg());
    tplr_tx *tx = calloc(1, sizeof *tx);
    if (!tx)
        return cli_fail("out of memory");
    tx->op = TPLR_TX_REGISTER;
    memcpy(tx->key, hot.pk, 32);
    int rc = cli_send_tx(c, tx, &cold, hot.sk, dry_run, "registered");
    tplr_secret_wipe(&cold, sizeof cold);
    tplr_secret_wipe(&hot, sizeof hot);
    free(tx);
    tplr_chain_close(c);
    return rc;
}
