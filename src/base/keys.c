#include "tplr/keys.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/fileio.h"

_Static_assert(crypto_sign_SEEDBYTES == TPLR_KEY_SEED && crypto_sign_PUBLICKEYBYTES == TPLR_KEY_PUBLIC &&
                   crypto_sign_SECRETKEYBYTES == TPLR_KEY_SECRET && crypto_sign_BYTES == TPLR_KEY_SIGNATURE,
               "libsodium's Ed25519 sizes changed");

static tplr_err sodium_ready(void)
{
    if (sodium_init() < 0)
        return tplr_fail(TPLR_EIO, "libsodium failed to initialize");
    return TPLR_OK;
}

tplr_err tplr_keypair_from_seed(const unsigned char seed[TPLR_KEY_SEED], tplr_keypair *kp)
{
    TPLR_TRY(sodium_ready());
    if (crypto_sign_seed_keypair(kp->pk, kp->sk, seed) != 0)
        return tplr_fail(TPLR_EINVAL, "deriving an Ed25519 key pair from a seed failed");
    return TPLR_OK;
}

tplr_err tplr_keypair_random(tplr_keypair *kp, unsigned char seed_out[TPLR_KEY_SEED])
{
    TPLR_TRY(sodium_ready());
    unsigned char seed[TPLR_KEY_SEED];
    randombytes_buf(seed, sizeof seed);
    tplr_err e = tplr_keypair_from_seed(seed, kp);
    if (!e && seed_out)
        memcpy(seed_out, seed, sizeof seed);
    sodium_memzero(seed, sizeof seed);
    return e;
}

void tplr_secret_wipe(void *p, size_t n) { sodium_memzero(p, n); }

tplr_err tplr_key_sign(unsigned char sig[TPLR_KEY_SIGNATURE], const void *msg, size_t n,
                       const unsigned char sk[TPLR_KEY_SECRET])
{
    TPLR_TRY(sodium_ready());
    if (crypto_sign_detached(sig, NULL, msg, n, sk) != 0)
        return tplr_fail(TPLR_EINVAL, "Ed25519 signing failed");
    return TPLR_OK;
}

int tplr_key_verify(const unsigned char sig[TPLR_KEY_SIGNATURE], const void *msg, size_t n,
                    const unsigned char pk[TPLR_KEY_PUBLIC])
{
    if (sodium_ready() != TPLR_OK)
        return 0;
    return crypto_sign_verify_detached(sig, msg, n, pk) == 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tplr_hex_decode(unsigned char *out, size_t n, const char *hex, size_t hex_len)
{
    if (hex_len != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

tplr_err tplr_key_seed_file(const char *path, unsigned char seed[TPLR_KEY_SEED])
{
    char *buf;
    size_t n;
    TPLR_TRY(tplr_read_file(path, 4096, &buf, &n));
    size_t len = n;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    int bad = tplr_hex_decode(seed, TPLR_KEY_SEED, buf, len);
    sodium_memzero(buf, n);
    free(buf);
    if (bad)
        return tplr_fail(TPLR_EFORMAT, "%s: a seed file holds a 32-byte Ed25519 seed as 64 hexadecimal digits "
                         "(make one with `head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > FILE`)", path);
    return TPLR_OK;
}
