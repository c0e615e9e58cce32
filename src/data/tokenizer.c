/* Encoding and decoding. A session splits text into GPT-2's pieces and turns
 * each piece into tokens by applying the merge rules, lowest rank first (the
 * leftmost of equal ranks), with a heap over the piece's adjacent pairs; a
 * cache of pieces already seen makes repeated words a hash lookup. */
#include <stdlib.h>
#include <string.h>

#include "pretokenize.h"
#include "tok_internal.h"

#define CACHE_WORDS (1u << 16)           /* words before the cache starts over */
#define CACHE_MAX_LEN 128                /* longer pieces are not cached */
#define CACHE_KEY_BYTES (CACHE_WORDS * 16u)
#define CACHE_IDS (CACHE_WORDS * 8u)

struct tplr_tok_session {
    const tplr_tokenizer *t;
    tplr_bytemap cache;     /* piece → offset in cache_ids: [count, ids...] */
    int32_t *cache_ids;
    size_t cache_ids_len;
    /* merge scratch for a piece of up to `cap` bytes */
    size_t cap;
    int32_t *sym, *prev, *next;
    uint64_t *heap;
};

static tplr_err grow_scratch(tplr_tok_session *s, size_t n)
{
    if (n <= s->cap)
        return TPLR_OK;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < n)
        cap *= 2;
    int32_t *sym = realloc(s->sym, cap * sizeof *sym);
    if (sym)
        s->sym = sym;
    int32_t *prev = sym ? realloc(s->prev, cap * sizeof *prev) : NULL;
    if (prev)
        s->prev = prev;
    int32_t *next = prev ? realloc(s->next, cap * sizeof *next) : NULL;
    if (next)
        s->next = next;
    uint64_t *heap = next ? realloc(s->heap, 3 * cap * sizeof *heap) : NULL;
    if (!heap)
        return tplr_fail(TPLR_ENOMEM, "encoding a piece of %zu bytes: out of memory", n);
    s->heap = heap;
    s->cap = cap;
    return TPLR_OK;
}

tplr_err tplr_tok_session_create(const tplr_tokenizer *t, tplr_tok_session **out)
{
    *out = NULL;
    tplr_tok_session *s = calloc(1, sizeof *s);
    if (!s)
        return tplr_fail(TPLR_ENOMEM, "tokenizer session: out of memory");
    s->t = t;
    s->cache_ids = malloc((CACHE_IDS + CACHE_MAX_LEN + 1) * sizeof *s->cache_ids);
    tplr_err e = s->cache_ids ? tplr_bytemap_init(&s->cache, CACHE_WORDS, CACHE_KEY_BYTES + CACHE_MAX_LEN)
                              : tplr_fail(TPLR_ENOMEM, "tokenizer session: out of memory");
    if (!e)
        e = grow_scratch(s, CACHE_MAX_LEN);
    if (e) {
        tplr_tok_session_free(s);
        return e;
    }
    *out = s;
    return TPLR_OK;
}

void tplr_tok_session_free(tplr_tok_session *s)
{
    if (!s)
        return;
    tplr_bytemap_free(&s->cache);
    free(s->cache_ids);
    free(s->sym);
    free(s->prev);
    free(s->next);
    free(s->heap);
    free(s);
}

/* Min-heap of (rank << 32 | position): the lowest rank, then the leftmost. */
static void heap_push(uint64_t *h, size_t *n, uint64_t v)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= v)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], v = h[--*n];
    size_t i = 0, m = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m)
            break;
        if (c + 1 < m && h[c + 1] < h[c])
            c++;
        if (v <= h[c])
            break;
        h[i] = h[c];
        i = c;
    }
    if (m)
        h[i] = v;
    return top;
}

/* The rule for the pair starting at symbol i (which has a right neighbour), or NULL. */
static inline const uint64_t *rule_at(const tplr_tokenizer *t, const tplr_tok_session *s, int32_t i)
{
    return tplr_u64map_find(&t->merges, tplr_pair_key(s->sym[i], s->sym[s->next[i]]));
}

static inline void push_pair(const tplr_tokenizer *t, tplr_tok_session *s, size_t *hn, int32_t i)
{
    if (i < 0 || s->next[i] < 0)
        return;
    const uint64_t *r = rule_at(t, s, i);
    if (r)
        heap_push(s->heap, hn, (*r & 0xFFFFFFFF00000000ull) | (uint32_t)i);
}

/* BPE on one piece of n bytes (n <= s->cap): writes its tokens to out, returns their count. */
static size_t bpe_piece(tplr_tok_session *s, const unsigned char *w, size_t n, int32_t *out)
{
    const tplr_tokenizer *t = s->t;
    for (size_t i = 0; i < n; i++) {
        s->sym[i] = t->byte_id[w[i]];
        s->prev[i] = (int32_t)i - 1;
        s->next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    size_t hn = 0;
    for (size_t i = 0; i + 1 < n; i++)
        push_pair(t, s, &hn, (int32_t)i);
    while (hn) {
        uint64_t top = heap_pop(s->heap, &hn);
        int32_t i = (int32_t)(uint32_t)top;
        if (s->sym[i] < 0 || s->next[i] < 0)
            continue; /* merged away */
        const uint64_t *r = rule_at(t, s, i);
        if (!r || (*r >> 32) != (top >> 32))
            continue; /* the pair changed since it was pushed */
        int32_t j = s->next[i];
        s->sym[i] = (int32_t)(uint32_t)*r;
        s->sym[j] = -1;
        s->next[i] = s->next[j];
        if (s->next[j] >= 0)
            s->prev[s->next[j]] = i;
        push_pair(t, s, &hn, s->prev[i]);
        push_pair(t, s, &hn, i);
    }
    size_t k = 0;
    for (int32_t i = 0; i >= 0; i = s->next[i])
        out[k++] = s->sym[i];
    return k;
}

static tplr_err reserve_ids(int32_t **ids, size_t *n, size_t *cap, size_t more)
{
    if (*n + more <= *cap)
        return TPLR_OK;
    size_t c = *cap ? *cap * 2 : 4096;
    while (c < *n + more)
        c *= 2;
    int32_t *p = realloc(*ids, c * sizeof *p);
    if (!p)
        return tplr_fail(TPLR_ENOMEM, "encoding: out of memory for %zu tokens", c);
    *ids = p;
    *cap = c;
    return TPLR_OK;
}

/* Tokens of a cacheable piece (2..CACHE_MAX_LEN bytes) into out; returns their count. */
static size_t cached_piece(tplr_tok_session *s, const unsigned char *w, size_t n, int32_t *out)
{
    uint64_t h = tplr_hash_bytes(w, n);
    const uint32_t *off = tplr_bytemap_find(&s->cache, w, n, h);
    if (off) {
        size_t k = (size_t)s->cache_ids[*off];
        memcpy(out, s->cache_ids + *off + 1, k * sizeof *out);
        return k;
    }
    size_t k = bpe_piece(s, w, n, out);
    if (s->cache.count >= CACHE_WORDS || s->cache.arena_len + n > CACHE_KEY_BYTES ||
        s->cache_ids_len + k + 1 > CACHE_IDS) {
        tplr_bytemap_clear(&s->cache); /* start over: memory stays bounded and allocated once */
        s->cache_ids_len = 0;
    }
    if (tplr_bytemap_insert(&s->cache, w, n, h, (uint32_t)s->cache_ids_len)) {
        s->cache_ids[s->cache_ids_len] = (int32_t)k;
        memcpy(s->cache_ids + s->cache_ids_len + 1, out, k * sizeof *out);
        s->cache_ids_len += k + 1;
    }
    return k;
}

tplr_err tplr_tokenizer_encode(tplr_tok_session *s, const char *text, size_t len, int32_t **ids, size_t *n,
                               size_t *cap)
{
    const unsigned char *p = (const unsigned char *)text;
    const tplr_tokenizer *t = s->t;
    for (size_t pos = 0; pos < len;) {
        size_t end = tplr_pretok_next(p, len, pos), wn = end - pos;
        TPLR_TRY(reserve_ids(ids, n, cap, wn));
        int32_t *out = *ids + *n;
        if (wn == 1) {
            out[0] = t->byte_id[p[pos]];
            *n += 1;
        } else if (wn <= CACHE_MAX_LEN) {
            *n += cached_piece(s, p + pos, wn, out);
        } else {
            if (wn > INT32_MAX)
                return tplr_fail(TPLR_EINVAL, "encoding: a piece of %zu bytes (no break for 2 GiB) is too long", wn);
            TPLR_TRY(grow_scratch(s, wn));
            *n += bpe_piece(s, p + pos, wn, out);
        }
        pos = end;
    }
    return TPLR_OK;
}

tplr_err tplr_tokenizer_decode(const tplr_tokenizer *t, const int32_t *ids, size_t n, char **buf, size_t *len,
                               size_t *cap)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->vocab_size)
            return tplr_fail(TPLR_EINVAL, "token %zu is %d, outside the vocabulary (0..%d)", i, ids[i],
                             t->vocab_size - 1);
        total += t->tok_off[ids[i] + 1] - t->tok_off[ids[i]];
    }
    if (*len + total + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + total + 1)
            c *= 2;
        char *p = realloc(*buf, c);
        if (!p)
            return tplr_fail(TPLR_ENOMEM, "decoding %zu bytes: out of memory", total);
        *buf = p;
        *cap = c;
    }
    char *dst = *buf + *len;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = t->tok_off[ids[i]], b = t->tok_off[ids[i] + 1];
        memcpy(dst, t->tok_bytes + a, b - a);
        dst += b - a;
    }
    *len += total;
    (*buf)[*len] = '\0';
    return TPLR_OK;
}
