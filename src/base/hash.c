#include "tplr/hash.h"

#include <sodium.h>

#include "tplr/fileio.h"

static tplr_err ensure_sodium(void)
{
    if (sodium_init() < 0)
        return tplr_fail(TPLR_EIO, "libsodium failed to initialize");
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
