/* Wallets: a coldkey (holds balances, pays, stakes) and any number of named
 * hotkeys (registered on the subnet, sign weights, commitments and gradients),
 * all Ed25519, in JSON key files under $TPLR_HOME/wallets (default
 * ~/.tplr/wallets), mode 0600 in folders of mode 0700:
 *
 *   wallets/<wallet>/coldkey.json
 *   wallets/<wallet>/hotkeys/<hotkey>.json
 *
 * A coldkey may be encrypted with a passphrase (Argon2id + XSalsa20-Poly1305);
 * its public key stays readable without it. The file format is in
 * docs/formats.md ("Wallet key files"). */
#ifndef TPLR_WALLET_H
#define TPLR_WALLET_H

#include <stddef.h>

#include "tplr/err.h"
#include "tplr/keys.h"

#define TPLR_WALLET_NAME_MAX 64
/* The environment variable a coldkey's passphrase is read from when none is given. */
#define TPLR_PASSPHRASE_ENV "TPLR_WALLET_PASSPHRASE"

/* The folder that holds the wallets: $TPLR_HOME/wallets, else $HOME/.tplr/wallets. */
tplr_err tplr_wallets_dir(char *out, size_t cap);
/* Wallet and hotkey names: 1 to 64 of A-Z a-z 0-9 _ . - , not starting with '.'.
 * what ("wallet", "hotkey") names the thing in the message. */
tplr_err tplr_wallet_check_name(const char *what, const char *name);

/* Creates the wallet's coldkey from a fresh random seed; refuses to replace
 * an existing one. passphrase NULL or "" stores it unencrypted. */
tplr_err tplr_wallet_create_coldkey(const char *wallet, const char *passphrase, unsigned char pk[TPLR_KEY_PUBLIC]);
/* Creates a hotkey of the wallet (the wallet need not have a coldkey yet). */
tplr_err tplr_wallet_create_hotkey(const char *wallet, const char *hotkey, unsigned char pk[TPLR_KEY_PUBLIC]);

/* The key pair of a hotkey, for signing. */
tplr_err tplr_wallet_load_hotkey(const char *wallet, const char *hotkey, unsigned char sk[TPLR_KEY_SECRET],
                                 unsigned char pk[TPLR_KEY_PUBLIC]);
/* The key pair of the coldkey. An encrypted coldkey needs passphrase; when it
 * is NULL, $TPLR_WALLET_PASSPHRASE is used, and without it the call fails
 * saying so (the command line asks at the terminal instead). */
tplr_err tplr_wallet_load_coldkey(const char *wallet, const char *passphrase, unsigned char sk[TPLR_KEY_SECRET],
                                  unsigned char pk[TPLR_KEY_PUBLIC]);

/* Public keys only: no passphrase needed. encrypted may be NULL. */
tplr_err tplr_wallet_coldkey_public(const char *wallet, unsigned char pk[TPLR_KEY_PUBLIC], int *encrypted);
tplr_err tplr_wallet_hotkey_public(const char *wallet, const char *hotkey, unsigned char pk[TPLR_KEY_PUBLIC]);

/* Sorted names (wallets in the wallets folder, or one wallet's hotkeys). */
typedef struct tplr_names {
    int n;
    char (*names)[TPLR_WALLET_NAME_MAX + 1];
} tplr_names;
tplr_err tplr_wallet_list(tplr_names *wallets);
tplr_err tplr_wallet_hotkeys(const char *wallet, tplr_names *hotkeys);
void tplr_names_free(tplr_names *names);

#endif
