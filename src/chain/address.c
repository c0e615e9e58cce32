#include "tplr/address.h"

#include <string.h>

#include "tplr/hash.h"

#define PAYLOAD 37 /* version, key, checksum */

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static void checksum(unsigned char version, const unsigned char pk[32], unsigned char out[4])
{
    static const char tag[] = "tplr-address";
    unsigned char buf[sizeof tag - 1 + 33], digest[32];
    memcpy(buf, tag, sizeof tag - 1);
    buf[sizeof tag - 1] = version;
    memcpy(buf + sizeof tag, pk, 32);
    tplr_blake2b(digest, sizeof digest, buf, sizeof buf);
    memcpy(out, digest, 4);
}

/* Base58 of n bytes (n <= PAYLOAD) by repeated division; leading zero bytes
 * become '1's. */
static void base58_encode(const unsigned char *in, size_t n, char *out)
{
    unsigned char digits[64]; /* base-58 digits, least significant first */
    size_t nd = 0, zeros = 0;
    while (zeros < n && in[zeros] == 0)
        zeros++;
    for (size_t i = zeros; i < n; i++) {
        unsigned carry = in[i];
        for (size_t k = 0; k < nd; k++) {
            carry += (unsigned)digits[k] << 8;
            digits[k] = (unsigned char)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            digits[nd++] = (unsigned char)(carry % 58);
            carry /= 58;
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < zeros; i++)
        out[o++] = '1';
    while (nd)
        out[o++] = alphabet[digits[--nd]];
    out[o] = '\0';
}

/* Decodes into exactly n bytes; -1 on a character outside the alphabet or a
 * value that does not fit n bytes, -2 when it fits in fewer. */
static int base58_decode(const char *s, size_t len, unsigned char *out, size_t n)
{
    unsigned char bytes[PAYLOAD + 1]; /* least significant first */
    size_t nb = 0, zeros = 0;
    while (zeros < len && s[zeros] == '1')
        zeros++;
    for (size_t i = zeros; i < len; i++) {
        const char *p = s[i] ? strchr(alphabet, s[i]) : NULL;
        if (!p)
            return -1;
        unsigned carry = (unsigned)(p - alphabet);
        for (size_t k = 0; k < nb; k++) {
            carry += (unsigned)bytes[k] * 58;
            bytes[k] = (unsigned char)(carry & 0xff);
            carry >>= 8;
        }
        while (carry) {
            if (nb == sizeof bytes)
                return -1;
            bytes[nb++] = (unsigned char)(carry & 0xff);
            carry >>= 8;
        }
    }
    if (zeros + nb > n)
        return -1;
    if (zeros + nb < n)
        return -2;
    memset(out, 0, zeros);
    for (size_t k = 0; k < nb; k++)
        out[zeros + k] = bytes[nb - 1 - k];
    return 0;
}

void tplr_address_encode(const unsigned char pk[32], char out[TPLR_ADDRESS_MAX])
{
    unsigned char payload[PAYLOAD];
    payload[0] = TPLR_ADDRESS_VERSION;
    memcpy(payload + 1, pk, 32);
    checksum(TPLR_ADDRESS_VERSION, pk, payload + 33);
    base58_encode(payload, sizeof payload, out);
}

tplr_err tplr_address_decode(const char *s, size_t len, unsigned char pk[32])
{
    if (len == 0)
        return tplr_fail(TPLR_EFORMAT, "empty address");
    if (len >= TPLR_ADDRESS_MAX)
        return tplr_fail(TPLR_EFORMAT, "not an address: %zu characters, addresses have 51", len);
    unsigned char payload[PAYLOAD];
    int r = base58_decode(s, len, payload, sizeof payload);
    for (size_t i = 0; r == -1 && i < len; i++)
        if (!s[i] || !strchr(alphabet, s[i]))
            return tplr_fail(TPLR_EFORMAT, "not an address: character %zu is not base58 (0, O, I and l never occur)",
                             i + 1);
    if (r)
        return tplr_fail(TPLR_EFORMAT, "not an address: '%.*s' has the wrong length", (int)len, s);
    if (payload[0] != TPLR_ADDRESS_VERSION)
        return tplr_fail(TPLR_EFORMAT, "not a tplr address: version byte %u, expected %u", payload[0],
                         TPLR_ADDRESS_VERSION);
    unsigned char sum[4];
    checksum(payload[0], payload + 1, sum);
    if (memcmp(sum, payload + 33, 4) != 0)
        return tplr_fail(TPLR_EFORMAT, "address '%.*s' has a bad checksum: a character is mistyped", (int)len, s);
    memcpy(pk, payload + 1, 32);
    return TPLR_OK;
}
