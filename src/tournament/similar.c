/* Fingerprints of C source for the anti-copying check: normalized tokens,
 * hashed n-grams, Jaccard similarity. */
#include "tplr/tour_similar.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Static_assert", "_Thread_local"};

/* Operators of three and two characters, longest first; anything else is one character. */
static const char *const ops[] = {"<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&",
                                  "||", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "##"};

#define TOK_IDENT 0x6964656e74ULL
#define TOK_NUMBER 0x6e756d626572ULL
#define TOK_LITERAL 0x6c69746572ULL

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static int is_ident(int c, int first) { return c == '_' || isalpha(c) || (!first && isdigit(c)); }

static uint64_t word_token(const char *s, size_t n)
{
    for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
        if (strlen(keywords[k]) == n && !memcmp(keywords[k], s, n))
            return fnv(s, n);
    return TOK_IDENT;
}

/* Skips a quoted literal starting at s[i] (the quote); returns the index after it. */
static size_t skip_literal(const char *s, size_t len, size_t i)
{
    char q = s[i++];
    while (i < len && s[i] != q && s[i] != '\n')
        i += s[i] == '\\' && i + 1 < len ? 2 : 1;
    return i < len ? i + 1 : len;
}

/* The next token at s[*i] (0 when the source is used up). */
static int next_token(const char *s, size_t len, size_t *i, uint64_t *tok)
{
    size_t p = *i;
    for (;;) {
        while (p < len && isspace((unsigned char)s[p]))
            p++;
        if (p + 1 < len && s[p] == '/' && s[p + 1] == '/') {
            while (p < len && s[p] != '\n')
                p++;
        } else if (p + 1 < len && s[p] == '/' && s[p + 1] == '*') {
            p += 2;
            while (p + 1 < len && !(s[p] == '*' && s[p + 1] == '/'))
                p++;
            p = p + 2 < len ? p + 2 : len;
        } else {
            break;
        }
    }
    if (p >= len) {
        *i = len;
        return 0;
    }
    unsigned char c = (unsigned char)s[p];
    size_t start = p;
    if (is_ident(c, 1)) {
        while (p < len && is_ident((unsigned char)s[p], 0))
            p++;
        *tok = word_token(s + start, p - start);
    } else if (isdigit(c) || (c == '.' && p + 1 < len && isdigit((unsigned char)s[p + 1]))) {
        while (p < len && (isalnum((unsigned char)s[p]) || s[p] == '.' || s[p] == '_' ||
                           ((s[p] == '+' || s[p] == '-') && strchr("eEpP", s[p - 1]))))
            p++;
        *tok = TOK_NUMBER;
    } else if (c == '"' || c == '\'') {
        p = skip_literal(s, len, p);
        *tok = TOK_LITERAL;
    } else {
        size_t n = 1;
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            size_t m = strlen(ops[k]);
            if (p + m <= len && !memcmp(s + p, ops[k], m)) {
                n = m;
                break;
            }
        }
        p += n;
        *tok = fnv(s + start, n);
    }
    *i = p;
    return 1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

tplr_err tplr_tour_fingerprint(const char *src, size_t len, tplr_tour_fp *fp)
{
    memset(fp, 0, sizeof *fp);
    size_t cap = 0, n = 0, i = 0;
    uint64_t *h = NULL, window[TPLR_TOUR_NGRAM], tok;
    size_t seen = 0;
    while (next_token(src, len, &i, &tok)) {
        window[seen % TPLR_TOUR_NGRAM] = tok;
        seen++;
        if (seen < TPLR_TOUR_NGRAM)
            continue;
        uint64_t g = 0;
        for (size_t k = 0; k < TPLR_TOUR_NGRAM; k++)
            g = mix(g ^ window[(seen + k) % TPLR_TOUR_NGRAM]) + k;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            uint64_t *grown = realloc(h, cap * sizeof *h);
            if (!grown) {
                free(h);
                return tplr_fail(TPLR_ENOMEM, "out of memory fingerprinting %zu bytes of source", len);
            }
            h = grown;
        }
        h[n++] = g;
    }
    if (seen > 0 && seen < TPLR_TOUR_NGRAM) { /* shorter than one n-gram: the whole stream is one */
        uint64_t g = 0;
        for (size_t k = 0; k < seen; k++)
            g = mix(g ^ window[k]) + k;
        h = malloc(sizeof *h);
        if (!h)
            return tplr_fail(TPLR_ENOMEM, "out of memory");
        h[n++] = g;
    }
    if (n > 1)
        qsort(h, n, sizeof *h, cmp_u64);
    size_t u = 0;
    for (size_t k = 0; k < n; k++)
        if (u == 0 || h[u - 1] != h[k])
            h[u++] = h[k];
    fp->h = h;
    fp->n = u;
    return TPLR_OK;
}

double tplr_tour_similarity(const tplr_tour_fp *a, const tplr_tour_fp *b)
{
    if (a->n == 0 && b->n == 0)
        return 1.0;
    size_t i = 0, j = 0, common = 0;
    while (i < a->n && j < b->n) {
        if (a->h[i] == b->h[j])
            common++, i++, j++;
        else if (a->h[i] < b->h[j])
            i++;
        else
            j++;
    }
    return (double)common / (double)(a->n + b->n - common);
}

void tplr_tour_fp_subtract(tplr_tour_fp *fp, const tplr_tour_fp *base)
{
    size_t j = 0, u = 0;
    for (size_t i = 0; i < fp->n; i++) {
        while (j < base->n && base->h[j] < fp->h[i])
            j++;
        if (j == base->n || base->h[j] != fp->h[i])
            fp->h[u++] = fp->h[i];
    }
    fp->n = u;
}

tplr_err tplr_tour_fp_from_bytes(const void *bytes, size_t len, tplr_tour_fp *fp)
{
    memset(fp, 0, sizeof *fp);
    if (len % 8)
        return tplr_fail(TPLR_EFORMAT, "a stored fingerprint of %zu bytes is not a whole number of 8-byte hashes", len);
    size_t n = len / 8;
    uint64_t *h = malloc(n ? n * sizeof *h : 1);
    if (!h)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    const unsigned char *p = bytes;
    for (size_t k = 0; k < n; k++) {
        uint64_t v = 0;
        for (int b = 7; b >= 0; b--)
            v = v << 8 | p[8 * k + (size_t)b];
        if (k > 0 && v <= h[k - 1]) {
            free(h);
            return tplr_fail(TPLR_EFORMAT, "a stored fingerprint is not in ascending order at hash %zu", k);
        }
        h[k] = v;
    }
    fp->h = h;
    fp->n = n;
    return TPLR_OK;
}

tplr_err tplr_tour_fp_to_bytes(const tplr_tour_fp *fp, unsigned char **out, size_t *len)
{
    unsigned char *p = malloc(fp->n ? 8 * fp->n : 1);
    if (!p)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    for (size_t k = 0; k < fp->n; k++)
        for (int b = 0; b < 8; b++)
            p[8 * k + (size_t)b] = (unsigned char)(fp->h[k] >> (8 * b));
    *out = p;
    *len = 8 * fp->n;
    return TPLR_OK;
}

void tplr_tour_fp_free(tplr_tour_fp *fp)
{
    free(fp->h);
    fp->h = NULL;
    fp->n = 0;
}
