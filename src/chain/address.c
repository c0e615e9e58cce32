#include "tplr/address.h"

#include <stdint.h>
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

/* Base58 with wide limbs: the number is held as little-endian limbs in base
 * 58^5 (encoding) or 2^32 (decoding), so that each step moves 32 bits or
 * five digits at once. Leading zero bytes are leading '1's. */
#define B5 656356768u /* 58^5 */

static void base58_encode(const unsigned char *in, size_t n, char *out)
{
    uint32_t limbs[16]; /* base 58^5, least significant first: room for 80 digits */
    size_t nl = 0, zeros = 0;
    while (zeros < n && in[zeros] == 0)
        zeros++;
    for (size_t i = zeros; i < n;) {
        size_t take = (n - i) % 4 ? (n - i) % 4 : 4; /* a partial word first, then whole words */
        uint64_t word = 0;
        for (size_t k = 0; k < take; k++)
            word = word << 8 | in[i + k];
        i += take;
        uint64_t carry = word;
        for (size_t k = 0; k < nl; k++) {
            carry += (uint64_t)limbs[k] << (8 * take);
            limbs[k] = (uint32_t)(carry % B5);
            carry /= B5;
        }
        while (carry) {
            limbs[nl++] = (uint32_t)(carry % B5);
            carry /= B5;
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < zeros; i++)
        out[o++] = '1';
    for (size_t k = nl; k-- > 0;) {
        char d[5];
        uint32_t v = limbs[k];
        for (int j = 4; j >= 0; j--, v /= 58)
            d[j] = alphabet[v % 58];
        int first = 0; /* the top limb without its leading zero digits */
        while (k == nl - 1 && first < 4 && d[first] == '1')
            first++;
        memcpy(out + o, d + first, (size_t)(5 - first));
        o += (size_t)(5 - first);
    }
    out[o] = '\0';
}

static int digit_of(char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

/* Decodes into exactly n bytes; -1 on a character outside the alphabet or a
 * value that does not fit n bytes, -2 when it fits in fewer. */
static int base58_decode(const char *s, size_t len, unsigned char *out, size_t n)
{
    uint32_t limbs[PAYLOAD / 4 + 2]; /* base 2^32, least significant first */
    size_t nl = 0, zeros = 0;
    while (zeros < len && s[zeros] == '1')
        zeros++;
    for (size_t i = zeros; i < len;) {
        uint64_t group = 0, mult = 1;
        for (size_t k = 0; k < 5 && i < len; k++, i++) {
            int d = digit_of(s[i]);
            if (d < 0)
                return -1;
            group = group * 58 + (uint64_t)d;
            mult *= 58;
        }
        uint64_t carry = group;
        for (size_t k = 0; k < nl; k++) {
            carry += (uint64_t)limbs[k] * mult;
            limbs[k] = (uint32_t)carry;
            carry >>= 32;
        }
        if (carry) {
            if (nl == sizeof limbs / sizeof limbs[0])
                return -1;
            limbs[nl++] = (uint32_t)carry;
        }
    }
    size_t nb = 4 * nl; /* significant bytes, without leading zeros */
    while (nb && !(limbs[(nb - 1) / 4] >> (8 * ((nb - 1) % 4)) & 0xff))
        nb--;
    if (zeros + nb > n)
        return -1;
    if (zeros + nb < n)
        return -2;
    memset(out, 0, zeros);
    for (size_t k = 0; k < nb; k++) /* byte k from the least significant end */
        out[n - 1 - k] = (unsigned char)(limbs[k / 4] >> (8 * (k % 4)));
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
        if (digit_of(s[i]) < 0)
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
