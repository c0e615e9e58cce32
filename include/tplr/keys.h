/* Ed25519 key pairs (libsodium) for wallets, the ledger and signed codec containers: a pair from a
 * 32-byte seed, detached signatures, and hexadecimal decoding of key
 * material. Secret keys are libsodium's 64-byte form (seed, public key). */
#ifndef TPLR_KEYS_H
#define TPLR_KEYS_H

#include <stddef.h>

#include "tplr/err.h"

#define TPLR_KEY_SEED 32
#define TPLR_KEY_PUBLIC 32
#define TPLR_KEY_SECRET 64
#define TPLR_KEY_SIGNATURE 64

typedef struct tplr_keypair {
    unsigned char pk[TPLR_KEY_PUBLIC];
    unsigned char sk[TPLR_KEY_SECRET];
} tplr_keypair;

/* The pair of a seed. */
tplr_err tplr_keypair_from_seed(const unsigned char seed[TPLR_KEY_SEED], tplr_keypair *kp);
/* A pair from a fresh random seed (the seed is written to seed_out if not NULL). */
tplr_err tplr_keypair_random(tplr_keypair *kp, unsigned char seed_out[TPLR_KEY_SEED]);
/* Zeroes a key pair (or any secret) in a way the compiler keeps. */
void tplr_secret_wipe(void *p, size_t n);

tplr_err tplr_key_sign(unsigned char sig[TPLR_KEY_SIGNATURE], const void *msg, size_t n,
                       const unsigned char sk[TPLR_KEY_SECRET]);
/* 1 when sig is pk's signature of msg, else 0. */
int tplr_key_verify(const unsigned char sig[TPLR_KEY_SIGNATURE], const void *msg, size_t n,
                    const unsigned char pk[TPLR_KEY_PUBLIC]);

/* Decodes exactly 2*n hexadecimal digits (either case) from hex (hex_len
 * characters) into n bytes; 0 on success, -1 on another length or a non-hex
 * character. */
int tplr_hex_decode(unsigned char *out, size_t n, const char *hex, size_t hex_len);

/* Reads a seed file: 64 hexadecimal digits (either case), optionally followed
 * by a newline; anything else is refused. */
tplr_err tplr_key_seed_file(const char *path, unsigned char seed[TPLR_KEY_SEED]);

#endif
