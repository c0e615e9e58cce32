/* Wallet key files (format "tplr-key", version 1): JSON holding one Ed25519
 * seed, plain or encrypted with a passphrase. Private to src/chain. */
#ifndef TPLR_CHAIN_KEYFILE_H
#define TPLR_CHAIN_KEYFILE_H

#include "tplr/err.h"
#include "tplr/keys.h"

#define KEYFILE_FORMAT "tplr-key"
#define KEYFILE_VERSION 1
/* Argon2id cost written to new files (readers accept any cost in range). */
#define KEYFILE_OPSLIMIT 3
#define KEYFILE_MEMLIMIT (64u << 20)

/* The JSON text (malloc'd, NUL-terminated) of a key file of the given kind
 * ("coldkey" or "hotkey") for seed; passphrase NULL or "" stores the seed in
 * the clear. */
tplr_err keyfile_render(const char *kind, const unsigned char seed[TPLR_KEY_SEED], const char *passphrase,
                        char **json);

typedef struct keyfile_info {
    unsigned char pk[TPLR_KEY_PUBLIC];
    int encrypted;
} keyfile_info;

/* Parses and checks a key file's text (path names it in messages). With seed
 * non-NULL also recovers the seed (decrypting with passphrase, which must
 * then be given for an encrypted file) and checks that it gives the stored
 * public key. */
tplr_err keyfile_parse(const char *path, const char *text, const char *kind, const char *passphrase,
                       keyfile_info *info, unsigned char seed[TPLR_KEY_SEED]);

#endif
