#include "tplr/hash.h"

#include <sodium.h>

#include "tplr/fileio.h"

_Static_assert(sizeof(crypto_generichash_state) <= sizeof(((tplr_blake2b_state *)0)->state),
               "tplr_blake2b.state is too small for libsodium's state");

static tplr_err ensure_sodium(void)
{
    if (sodium_init() < 0)
        return tplr_fail(TPLR_EIO, "libsodium failed to initialize");
    return TPLR_OK;
}

tplr_err tplr_blake2b_init(tplr_blake2b_state *h, size_t out_len)
{
    TPLR_TRY(ensure_sodium());
    if (out_len < crypto_generichash_BYTES_MIN || out_len > crypto_generichash_BYTES_MAX)
        return tplr_fail(TPLR_EINVAL, "BLAKE2b digest length %zu outside [16, 64]", out_len);
    h->out_len = out_len;
    crypto_generichash_init((crypto_generichash_state *)h->state, NULL, 0, out_len);
    return TPLR_OK;
}

void tplr_blake2b_update(tplr_blake2b_state *h, const void *data, size_t n)
{
    crypto_generichash_update((crypto_generichash_state *)h->state, data, n);
}

void tplr_blake2b_final(tplr_blake2b_state *h, unsigned char *out)
{
    crypto_generichash_final((crypto_generichash_state *)h->state, out, h->out_len);
}

tplr_err tplr_blake2b(unsigned char *out, size_t out_len, const void *data, size_t n)
{
    tplr_blake2b_state h;
    TPLR_TRY(tplr_blake2b_init(&h, out_len));
    tplr_blake2b_update(&h, data, n);
    tplr_blake2b_final(&h, out);
    return TPLR_OK;
}

tplr_err tplr_sha256(unsigned char out[32], const void *data, size_t n)
{
    TPLR_TRY(ensure_sodium());
    crypto_hash_sha256(out, data, n);
    return TPLR_OK;
}

tplr_err tplr_sha256_file(const char *path, char hex[65])
{
    TPLR_TRY(ensure_sodium());
    tplr_mmap map;
    TPLR_TRY(tplr_mmap_open(path, &map));
    unsigned char d[32];
    crypto_hash_sha256(d, map.data ? map.data : (const unsigned char *)"", map.size);
    tplr_mmap_close(&map);
    tplr_hex(hex, d, 32);
    return TPLR_OK;
}

void tplr_hex(char *hex, const unsigned char *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * n] = '\0';
}
