#include "pretokenize.h"

#include "unicode.h"

/* One character at s[i]: its class and length. ASCII without a call. */
static inline size_t char_at(const unsigned char *s, size_t n, size_t i, tplr_uc_class *cls)
{
    if (s[i] < 0x80) {
        *cls = (tplr_uc_class)tplr_uc_latin1[s[i]];
        return 1;
    }
    return tplr_uc_next(s + i, n - i, cls);
}

/* The end of the run of characters of class cls starting at i. */
static inline size_t run_end(const unsigned char *s, size_t n, size_t i, tplr_uc_class cls)
{
    while (i < n) {
        tplr_uc_class c;
        size_t len = char_at(s, n, i, &c);
        if (c != cls)
            break;
        i += len;
    }
    return i;
}

/* 's 't 'm 'd 're 've 'll at s[i] == '\'': the length matched, or 0. */
static size_t contraction(const unsigned char *s, size_t n, size_t i)
{
    if (i + 1 >= n)
        return 0;
    unsigned char a = s[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
    if (i + 2 >= n)
        return 0;
    unsigned char b = s[i + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return 3;
    return 0;
}

size_t tplr_pretok_next(const unsigned char *s, size_t n, size_t pos)
{
    if (s[pos] == '\'') {
        size_t c = contraction(s, n, pos);
        if (c)
            return pos + c;
    }
    tplr_uc_class c0;
    size_t len0 = char_at(s, n, pos, &c0);
    if (c0 != TPLR_UC_SPACE)
        return run_end(s, n, pos + len0, c0); /* \p{L}+, \p{N}+ or [^\s\p{L}\p{N}]+ */
    if (s[pos] == ' ' && pos + 1 < n) {
        /* " ?X+": a space and a run of letters, numbers or others */
        tplr_uc_class c1;
        size_t len1 = char_at(s, n, pos + 1, &c1);
        if (c1 != TPLR_UC_SPACE)
            return run_end(s, n, pos + 1 + len1, c1);
    }
    /* White space: \s+(?!\S) takes the run but its last character when a
     * non-space follows; a run of one character is \s+ on its own. */
    size_t i = pos + len0, last = pos;
    while (i < n) {
        tplr_uc_class c;
        size_t len = char_at(s, n, i, &c);
        if (c != TPLR_UC_SPACE)
            return last > pos ? last : i;
        last = i;
        i += len;
    }
    return n;
}
