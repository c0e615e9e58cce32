#include "unicode.h"

tplr_uc_class tplr_uc_class_of(uint32_t cp)
{
    int lo = 0, hi = tplr_uc_n_ranges - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (cp < tplr_uc_ranges[mid].lo)
            hi = mid - 1;
        else if (cp > tplr_uc_ranges[mid].hi)
            lo = mid + 1;
        else
            return (tplr_uc_class)tplr_uc_ranges[mid].cls;
    }
    return TPLR_UC_OTHER;
}

static int is_cont(unsigned char b) { return (b & 0xC0) == 0x80; }

size_t tplr_uc_next(const unsigned char *s, size_t n, tplr_uc_class *cls)
{
    unsigned char b = s[0];
    uint32_t cp;
    size_t len;
    *cls = TPLR_UC_OTHER;
    if (b < 0x80) {
        *cls = (tplr_uc_class)tplr_uc_latin1[b];
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
        cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        cp = b & 0x07;
    } else {
        return 1; /* C0, C1, F5..FF, or a stray continuation byte */
    }
    if (n < len)
        return 1;
    for (size_t i = 1; i < len; i++) {
        if (!is_cont(s[i]))
            return 1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* overlong 3- and 4-byte forms, UTF-16 surrogates, beyond U+10FFFF */
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 1;
    *cls = cp < 256 ? (tplr_uc_class)tplr_uc_latin1[cp] : tplr_uc_class_of(cp);
    return len;
}
