/* Ed25519 signatures (libsodium): key pairs from 32-byte seeds, seed files,
 * signing and verification. Secret keys are libsodium's 64-byte form (seed
 * followed by the public key). */
#ifndef TPLR_SIGN_H
#define TPLR_SIGN_H

#include <stddef.h>

#include "tplr/err.h"

#define TPLR_ED25519_SEED 32
#define TPLR_ED25519_PK 32
#define TPLR_ED25519_SK 64
#define TPLR_ED25519_SIG 64

/* The key pair of a 32-byte seed. */
tplr_err tplr_ed25519_from_seed(const unsigned char seed[TPLR_ED25519_SEED], unsigned char pk[TPLR_ED25519_PK],
                                unsigned char sk[TPLR_ED25519_SK]);
/* Reads a seed file: 64 hexadecimal digits (either case), optionally followed
 * by a newline; anything else is refused. */
tplr_err tplr_ed25519_seed_file(const char *path, unsigned char seed[TPLR_ED25519_SEED]);
/* Detached signature of msg. */
tplr_err tplr_ed25519_sign(unsigned char sig[TPLR_ED25519_SIG], const void *msg, size_t n,
                           const unsigned char sk[TPLR_ED25519_SK]);
/* 1 when sig is pk's signature of msg, else 0. */
int tplr_ed25519_verify(const unsigned char sig[TPLR_ED25519_SIG], const void *msg, size_t n,
                        const unsigned char pk[TPLR_ED25519_PK]);

/* Parses exactly 2·n hexadecimal digits into n bytes; returns 0 on success,
 * -1 if hex has another length or a non-hex character. */
int tplr_unhex(unsigned char *bytes, size_t n, const char *hex, size_t hex_len);

#endif
