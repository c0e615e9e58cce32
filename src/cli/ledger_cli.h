/* What the ledger commands share: the --ledger option, keys from wallets
 * (asking for a coldkey's passphrase at the terminal), sending or printing a
 * signed transaction, and printing amounts. */
#ifndef TPLR_CLI_LEDGER_CLI_H
#define TPLR_CLI_LEDGER_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/chain.h"
#include "tplr/keys.h"

#define LEDGER_OPT_HELP "the ledger's URL (default $TPLR_LEDGER, else " TPLR_LEDGER_URL_DEFAULT ")"

/* Reads a passphrase from the terminal without echo; fails without a terminal. */
tplr_err cli_read_passphrase(const char *prompt, char *buf, size_t cap);
/* The coldkey of wallet, asking for its passphrase when it is encrypted and
 * $TPLR_WALLET_PASSPHRASE is not set. */
tplr_err cli_load_coldkey(const char *wallet, tplr_keypair *kp);
tplr_err cli_load_hotkey(const char *wallet, const char *hotkey, tplr_keypair *kp);
/* An address, or the name of a local wallet (its coldkey) or, with wallet
 * given, of one of its hotkeys. */
tplr_err cli_resolve_key(const char *text, const char *wallet, unsigned char pk[32]);

tplr_err cli_connect(const char *url, tplr_chain **c);

/* Signs tx (prepared against the ledger) and sends it, printing the
 * extrinsic id; or with dry_run prints the signed JSON body on stdout (the
 * endpoint on stderr) without sending it. Returns the exit code. */
int cli_send_tx(tplr_chain *c, tplr_tx *tx, const tplr_keypair *signer, const unsigned char *hotkey_sk,
                int dry_run, const char *what);

/* "1234567890" base units as "1.234567890" tokens (9 decimals). */
void cli_format_tokens(int64_t units, char *buf, size_t cap);

#endif
