#include "tplr/sign.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/fileio.h"

_Static_assert(crypto_sign_SEEDBYTES == TPLR_ED25519_SEED && crypto_sign_PUBLICKEYBYTES == TPLR_ED25519_PK &&
                   crypto_sign_SECRETKEYBYTES == TPLR_ED25519_SK && crypto_sign_BYTES == TPLR_ED25519_SIG,
               "libsodium's Ed25519 sizes changed");

static tplr_err ensure_sodium(void)
{
    if (sodium_init() < 0)
        return tplr_fail(TPLR_EIO, "libsodium failed to initialize");
    return TPLR_OK;
}

tplr_err tplr_ed25519_from_seed(const unsigned char seed[TPLR_ED25519_SEED], unsigned char pk[TPLR_ED25519_PK],
                                unsigned char sk[TPLR_ED25519_SK])
{
    TPLR_TRY(ensure_sodium());
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0)
        return tplr_fail(TPLR_EINVAL, "deriving an Ed25519 key pair from the seed failed");
    return TPLR_OK;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tplr_unhex(unsigned char *bytes, size_t n, const char *hex, size_t hex_len)
{
    if (hex_len != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        bytes[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

tplr_err tplr_ed25519_seed_file(const char *path, unsigned char seed[TPLR_ED25519_SEED])
{
    char *buf;
    size_t n;
    TPLR_TRY(tplr_read_file(path, 4096, &buf, &n));
    size_t len = n;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    int bad = tplr_unhex(seed, TPLR_ED25519_SEED, buf, len);
    sodium_memzero(buf, n);
    free(buf);
    if (bad)
        return tplr_fail(TPLR_EFORMAT, "%s: a key file holds a 32-byte Ed25519 seed as 64 hexadecimal digits "
                         "(make one with `head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > FILE`)", path);
    return TPLR_OK;
}

tplr_err tplr_ed25519_sign(unsigned char sig[TPLR_ED25519_SIG], const void *msg, size_t n,
                           const unsigned char sk[TPLR_ED25519_SK])
{
    TPLR_TRY(ensure_sodium());
    if (crypto_sign_detached(sig, NULL, msg, n, sk) != 0)
        return tplr_fail(TPLR_EINVAL, "Ed25519 signing failed");
    return TPLR_OK;
}

int tplr_ed25519_verify(const unsigned char sig[TPLR_ED25519_SIG], const void *msg, size_t n,
                        const unsigned char pk[TPLR_ED25519_PK])
{
    if (ensure_sodium() != TPLR_OK)
        return 0;
    return crypto_sign_verify_detached(sig, msg, n, pk) == 0;
}
