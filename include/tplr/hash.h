/* Hashes: BLAKE2b with any digest length 1..64 (our own, RFC 7693), SHA-256
 * (libsodium), and hex output. */
#ifndef TPLR_HASH_H
#define TPLR_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"

typedef struct tplr_blake2b_state {
    uint64_t h[8], t[2];
    unsigned char buf[128];
    size_t buf_len, out_len;
} tplr_blake2b_state;

/* out_len between 1 and 64 bytes. */
tplr_err tplr_blake2b_init(tplr_blake2b_state *h, size_t out_len);
void tplr_blake2b_update(tplr_blake2b_state *h, const void *data, size_t n);
void tplr_blake2b_final(tplr_blake2b_state *h, unsigned char *out);
/* One-shot BLAKE2b of data into out (out_len bytes). */
tplr_err tplr_blake2b(unsigned char *out, size_t out_len, const void *data, size_t n);

/* SHA-256 of data into out[32]. */
tplr_err tplr_sha256(unsigned char out[32], const void *data, size_t n);
/* SHA-256 of a whole file, as 64 hex digits and a NUL. */
tplr_err tplr_sha256_file(const char *path, char hex[65]);

/* Writes 2*n lowercase hex digits and a NUL into hex. */
void tplr_hex(char *hex, const unsigned char *bytes, size_t n);

#endif
