#include "gpt2_bytes.h"

#include <string.h>

static int printable(int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

void tplr_gpt2_chars_init(tplr_gpt2_chars *c)
{
    memset(c->byte, 0xFF, sizeof c->byte);
    int next_cp = 256, id = 0;
    for (int b = 0; b < 256; b++)
        if (printable(b)) {
            c->cp[b] = (uint16_t)b;
            c->order[id++] = (uint8_t)b;
        }
    for (int b = 0; b < 256; b++)
        if (!printable(b)) {
            c->cp[b] = (uint16_t)next_cp++;
            c->order[id++] = (uint8_t)b;
        }
    for (int b = 0; b < 256; b++)
        c->byte[c->cp[b]] = (int16_t)b;
}

long tplr_gpt2_decode(const tplr_gpt2_chars *c, const char *s, size_t n, unsigned char *out, uint32_t *bad_cp)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k = 0;
    while (i < n) {
        uint32_t cp;
        if (p[i] < 0x80) {
            cp = p[i++];
        } else if ((p[i] & 0xE0) == 0xC0 && i + 1 < n && (p[i + 1] & 0xC0) == 0x80 && p[i] >= 0xC2) {
            cp = ((uint32_t)(p[i] & 0x1F) << 6) | (p[i + 1] & 0x3F);
            i += 2;
        } else {
            /* a longer sequence: only its code point matters for the message */
            cp = 0xFFFFFFFFu;
            if ((p[i] & 0xF0) == 0xE0 && i + 2 < n)
                cp = ((uint32_t)(p[i] & 0x0F) << 12) | ((uint32_t)(p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
            else if ((p[i] & 0xF8) == 0xF0 && i + 3 < n)
                cp = ((uint32_t)(p[i] & 0x07) << 18) | ((uint32_t)(p[i + 1] & 0x3F) << 12) |
                     ((uint32_t)(p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
            *bad_cp = cp;
            return -1;
        }
        if (cp > TPLR_GPT2_MAX_CP || c->byte[cp] < 0) {
            *bad_cp = cp;
            return -1;
        }
        out[k++] = (unsigned char)c->byte[cp];
    }
    return (long)k;
}

size_t tplr_gpt2_encode(const tplr_gpt2_chars *c, const unsigned char *b, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = c->cp[b[i]];
        if (cp < 0x80) {
            out[k++] = (char)cp;
        } else {
            out[k++] = (char)(0xC0 | (cp >> 6));
            out[k++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    return k;
}
