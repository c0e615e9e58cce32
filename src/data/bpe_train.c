/* Learning a byte-level BPE. The corpus is cut into GPT-2's pieces and each
 * distinct piece ("word") is counted once. Then, repeatedly, the most frequent
 * adjacent pair of tokens over all words (weighted by word counts) becomes a
 * new token. Pair counts are updated incrementally, and each pair keeps the
 * list of words it occurs in, so a merge touches only those words. Ties go to
 * the pair whose left token has the smallest id, then the right one (older
 * tokens first), so the result depends only on the corpus and vocab_size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytemap.h"
#include "gpt2_bytes.h"
#include "pretokenize.h"
#include "tok_internal.h"
#include "tok_write.h"
#include "tplr/fileio.h"
#include "tplr/progress.h"

#define MAX_CORPUS_FILE ((size_t)16 << 30)
#define MAX_TRAIN_VOCAB (1 << 24)
#define EOS_TEXT "<|endoftext|>"
#define MAX_TOKEN_BYTES 1024 /* longer tokens are not learned (readers limit token length) */

typedef struct pair_info {
    int32_t a, b;
    int64_t count;
    int32_t *words; /* words it occurs (or occurred) in */
    int32_t n_words, cap_words;
    int banned; /* its concatenation is already a token: never merged */
} pair_info;

typedef struct heap_item {
    int64_t count;
    int32_t a, b, pair;
} heap_item;

typedef struct trainer {
    /* words */
    tplr_bytemap word_ids;      /* piece bytes → word index */
    int64_t *word_count;
    size_t n_words, cap_words;
    int32_t *sym;               /* all words' symbols, back to back */
    size_t *word_off;           /* [n_words + 1] */
    int32_t *word_len;          /* symbols now in each word */
    int32_t *word_stamp;        /* the merge that last visited each word */
    /* pairs */
    tplr_u64map pair_ids;       /* (a, b) → pair index */
    pair_info *pairs;
    size_t n_pairs, cap_pairs;
    int32_t *pair_stamp;        /* the merge whose step last pushed each pair */
    size_t cap_stamp;
    int32_t *touched;           /* pairs whose count rose in this merge */
    size_t n_touched, cap_touched;
    heap_item *heap;
    size_t heap_len, heap_cap;
    /* tokens */
    tplr_bytemap tok_ids;       /* token bytes → id */
    uint32_t *tok_off;          /* [max tokens + 1] */
    unsigned char *tok_bytes;
    size_t tok_bytes_len, tok_bytes_cap;
    int n_tokens;
    int32_t *left, *right;      /* merges in rank order */
    int n_merges;
    unsigned char *merge_buf; /* the bytes of a candidate token: up to twice the longest token */
    size_t merge_buf_cap;
    int oom;
} trainer;

static void *grow(void *p, size_t *cap, size_t need, size_t elem, int *oom)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * elem);
    if (!q) {
        *oom = 1;
        return NULL;
    }
    *cap = c;
    return q;
}
#define GROW(tr, arr, cap, need)                                                        \
    do {                                                                                \
        void *grown_ = grow((arr), &(cap), (need), sizeof *(arr), &(tr)->oom);          \
        if (!grown_)                                                                    \
            return tplr_fail(TPLR_ENOMEM, "training the tokenizer: out of memory");    \
        (arr) = grown_;                                                                 \
    } while (0)

/* Counts the pieces of one text. */
static tplr_err count_words(trainer *tr, const unsigned char *text, size_t len)
{
    for (size_t pos = 0; pos < len;) {
        size_t end = tplr_pretok_next(text, len, pos);
        uint64_t h = tplr_hash_bytes(text + pos, end - pos);
        uint32_t *w = tplr_bytemap_find(&tr->word_ids, text + pos, end - pos, h);
        if (w) {
            tr->word_count[*w]++;
        } else {
            if (tr->n_words >= INT32_MAX)
                return tplr_fail(TPLR_EINVAL, "training the tokenizer: more than 2^31 distinct words");
            GROW(tr, tr->word_count, tr->cap_words, tr->n_words + 1);
            if (!tplr_bytemap_insert(&tr->word_ids, text + pos, end - pos, h, (uint32_t)tr->n_words))
                return tplr_fail(TPLR_ENOMEM, "training the tokenizer: out of memory");
            tr->word_count[tr->n_words++] = 1;
        }
        pos = end;
    }
    return TPLR_OK;
}

static int heap_before(const heap_item *x, const heap_item *y)
{
    if (x->count != y->count)
        return x->count > y->count;
    if (x->a != y->a)
        return x->a < y->a;
    return x->b < y->b;
}

static tplr_err heap_push(trainer *tr, int32_t p)
{
    GROW(tr, tr->heap, tr->heap_cap, tr->heap_len + 1);
    heap_item v = {tr->pairs[p].count, tr->pairs[p].a, tr->pairs[p].b, p};
    size_t i = tr->heap_len++;
    while (i > 0 && heap_before(&v, &tr->heap[(i - 1) / 2])) {
        tr->heap[i] = tr->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    tr->heap[i] = v;
    return TPLR_OK;
}

static heap_item heap_pop(trainer *tr)
{
    heap_item top = tr->heap[0], v = tr->heap[--tr->heap_len];
    size_t i = 0, n = tr->heap_len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_before(&tr->heap[c + 1], &tr->heap[c]))
            c++;
        if (!heap_before(&tr->heap[c], &v))
            break;
        tr->heap[i] = tr->heap[c];
        i = c;
    }
    if (n)
        tr->heap[i] = v;
    return top;
}

/* Adds delta (weight of word w) to pair (a, b); a rise records w and marks the pair touched. */
static tplr_err add_pair(trainer *tr, int32_t a, int32_t b, int64_t delta, int32_t w, int32_t step)
{
    uint64_t *slot = tplr_u64map_upsert(&tr->pair_ids, tplr_pair_key(a, b), UINT64_MAX);
    if (!slot)
        return tplr_fail(TPLR_ENOMEM, "training the tokenizer: out of memory");
    if (*slot == UINT64_MAX) {
        GROW(tr, tr->pairs, tr->cap_pairs, tr->n_pairs + 1);
        GROW(tr, tr->pair_stamp, tr->cap_stamp, tr->n_pairs + 1);
        tr->pair_stamp[tr->n_pairs] = -1;
        tr->pairs[tr->n_pairs] = (pair_info){a, b, 0, NULL, 0, 0, 0};
        *slot = tr->n_pairs++;
    }
    int32_t p = (int32_t)*slot;
    pair_info *pi = &tr->pairs[p];
    pi->count += delta;
    if (delta <= 0)
        return TPLR_OK;
    if (!pi->n_words || pi->words[pi->n_words - 1] != w) {
        size_t cap = (size_t)pi->cap_words;
        GROW(tr, pi->words, cap, (size_t)pi->n_words + 1);
        pi->cap_words = (int32_t)cap;
        pi->words[pi->n_words++] = w;
    }
    if (tr->pair_stamp[p] != step) {
        tr->pair_stamp[p] = step;
        GROW(tr, tr->touched, tr->cap_touched, tr->n_touched + 1);
        tr->touched[tr->n_touched++] = p;
    }
    return TPLR_OK;
}

/* The token with bytes b[0, n), creating it if new; its id in *id. */
static tplr_err token_for(trainer *tr, const unsigned char *b, size_t n, int32_t *id)
{
    uint64_t h = tplr_hash_bytes(b, n);
    const uint32_t *v = tplr_bytemap_find(&tr->tok_ids, b, n, h);
    if (v) {
        *id = (int32_t)*v;
        return TPLR_OK;
    }
    GROW(tr, tr->tok_bytes, tr->tok_bytes_cap, tr->tok_bytes_len + n);
    memcpy(tr->tok_bytes + tr->tok_bytes_len, b, n);
    tr->tok_bytes_len += n;
    *id = tr->n_tokens++;
    tr->tok_off[tr->n_tokens] = (uint32_t)tr->tok_bytes_len;
    if (!tplr_bytemap_insert(&tr->tok_ids, b, n, h, (uint32_t)*id))
        return tplr_fail(TPLR_ENOMEM, "training the tokenizer: out of memory");
    return TPLR_OK;
}

/* Byte tokens in GPT-2's order, each word's bytes as symbols, and the initial pair counts. */
static tplr_err init_words(trainer *tr, const tplr_gpt2_chars *gc)
{
    int32_t byte_tok[256];
    for (int i = 0; i < 256; i++)
        TPLR_TRY(token_for(tr, &gc->order[i], 1, &byte_tok[gc->order[i]]));
    tr->word_off = malloc((tr->n_words + 1) * sizeof *tr->word_off);
    tr->word_len = malloc((tr->n_words + 1) * sizeof *tr->word_len);
    tr->word_stamp = malloc((tr->n_words + 1) * sizeof *tr->word_stamp);
    if (!tr->word_off || !tr->word_len || !tr->word_stamp)
        return tplr_fail(TPLR_ENOMEM, "training the tokenizer: out of memory");
    size_t total = 0;
    for (size_t i = 0; i <= tr->word_ids.mask; i++) {
        const tplr_bytemap_slot *sl = &tr->word_ids.slots[i];
        if (sl->used) {
            tr->word_len[sl->value] = (int32_t)sl->len;
            total += sl->len;
        }
    }
    tr->sym = malloc((total ? total : 1) * sizeof *tr->sym);
    if (!tr->sym)
        return tplr_fail(TPLR_ENOMEM, "training the tokenizer: out of memory");
    tr->word_off[0] = 0;
    for (size_t w = 0; w < tr->n_words; w++) {
        tr->word_off[w + 1] = tr->word_off[w] + (size_t)tr->word_len[w];
        tr->word_stamp[w] = -1;
    }
    for (size_t i = 0; i <= tr->word_ids.mask; i++) {
        const tplr_bytemap_slot *sl = &tr->word_ids.slots[i];
        if (!sl->used)
            continue;
        const unsigned char *bytes = tplr_bytemap_key(&tr->word_ids, sl);
        int32_t *s = tr->sym + tr->word_off[sl->value];
        for (uint32_t k = 0; k < sl->len; k++)
            s[k] = byte_tok[bytes[k]];
    }
    for (size_t w = 0; w < tr->n_words; w++) {
        const int32_t *s = tr->sym + tr->word_off[w];
        for (int32_t k = 0; k + 1 < tr->word_len[w]; k++)
            TPLR_TRY(add_pair(tr, s[k], s[k + 1], tr->word_count[w], (int32_t)w, 0));
    }
    for (size_t p = 0; p < tr->n_pairs; p++)
        TPLR_TRY(heap_push(tr, (int32_t)p));
    tr->n_touched = 0;
    return TPLR_OK;
}

/* Replaces every (a, b) in word w by t, left to right, updating the pair counts. */
static tplr_err merge_in_word(trainer *tr, int32_t w, int32_t a, int32_t b, int32_t t, int32_t step)
{
    int32_t *s = tr->sym + tr->word_off[w];
    int32_t n = tr->word_len[w], out = 0;
    int64_t c = tr->word_count[w];
    for (int32_t r = 0; r < n;) {
        if (r + 1 < n && s[r] == a && s[r + 1] == b) {
            TPLR_TRY(add_pair(tr, a, b, -c, w, step));
            if (out > 0) {
                TPLR_TRY(add_pair(tr, s[out - 1], a, -c, w, step));
                TPLR_TRY(add_pair(tr, s[out - 1], t, c, w, step));
            }
            if (r + 2 < n) {
                TPLR_TRY(add_pair(tr, b, s[r + 2], -c, w, step));
                TPLR_TRY(add_pair(tr, t, s[r + 2], c, w, step));
            }
            s[out++] = t;
            r += 2;
        } else {
            s[out++] = s[r++];
        }
    }
    tr->word_len[w] = out;
    return TPLR_OK;
}

/* The most frequent pair now (count >= 1) whose concatenation is not a token yet (so that every
 * merge adds a token, numbered 256 + its rank as GPT-2's files expect) and not longer than
 * MAX_TOKEN_BYTES; -1 when none is left, -2 when out of memory. */
static int32_t best_pair(trainer *tr)
{
    while (tr->heap_len) {
        heap_item top = heap_pop(tr);
        pair_info *pi = &tr->pairs[top.pair];
        if (pi->banned)
            continue;
        if (pi->count > 0 && pi->count < top.count && heap_push(tr, top.pair))
            return -2;
        if (pi->count != top.count || pi->count <= 0)
            continue; /* stale; a higher count has its own entry */
        size_t la = tr->tok_off[pi->a + 1] - tr->tok_off[pi->a], lb = tr->tok_off[pi->b + 1] - tr->tok_off[pi->b];
        unsigned char *buf = tr->merge_buf;
        if (la + lb > MAX_TOKEN_BYTES) {
            pi->banned = 1;
            continue;
        }
        memcpy(buf, tr->tok_bytes + tr->tok_off[pi->a], la);
        memcpy(buf + la, tr->tok_bytes + tr->tok_off[pi->b], lb);
        if (tplr_bytemap_find(&tr->tok_ids, buf, la + lb, tplr_hash_bytes(buf, la + lb))) {
            pi->banned = 1;
            continue;
        }
        return top.pair;
    }
    return -1;
}

static tplr_err merge_once(trainer *tr, int32_t p, int32_t step)
{
    int32_t a = tr->pairs[p].a, b = tr->pairs[p].b, t;
    size_t la = tr->tok_off[a + 1] - tr->tok_off[a], lb = tr->tok_off[b + 1] - tr->tok_off[b];
    memcpy(tr->merge_buf, tr->tok_bytes + tr->tok_off[a], la);
    memcpy(tr->merge_buf + la, tr->tok_bytes + tr->tok_off[b], lb);
    TPLR_TRY(token_for(tr, tr->merge_buf, la + lb, &t));
    tr->left[tr->n_merges] = a;
    tr->right[tr->n_merges++] = b;
    /* (a, b) itself only loses counts here, so its word list stays as it is; tr->pairs may move */
    int32_t n = tr->pairs[p].n_words;
    for (int32_t i = 0; i < n; i++) {
        int32_t w = tr->pairs[p].words[i];
        if (tr->word_stamp[w] == step)
            continue;
        tr->word_stamp[w] = step;
        TPLR_TRY(merge_in_word(tr, w, a, b, t, step));
    }
    free(tr->pairs[p].words);
    tr->pairs[p].words = NULL;
    tr->pairs[p].n_words = tr->pairs[p].cap_words = 0;
    for (size_t i = 0; i < tr->n_touched; i++)
        TPLR_TRY(heap_push(tr, tr->touched[i]));
    tr->n_touched = 0;
    return TPLR_OK;
}

static void trainer_free(trainer *tr)
{
    tplr_bytemap_free(&tr->word_ids);
    tplr_bytemap_free(&tr->tok_ids);
    tplr_u64map_free(&tr->pair_ids);
    for (size_t p = 0; p < tr->n_pairs; p++)
        free(tr->pairs[p].words);
    free(tr->pairs);
    free(tr->pair_stamp);
    free(tr->touched);
    free(tr->heap);
    free(tr->word_count);
    free(tr->sym);
    free(tr->word_off);
    free(tr->word_len);
    free(tr->word_stamp);
    free(tr->tok_off);
    free(tr->tok_bytes);
    free(tr->left);
    free(tr->right);
    free(tr->merge_buf);
}

static tplr_err learn(trainer *tr, const char *const *texts, const size_t *lens, int n_texts, int vocab_size,
                      int verbose)
{
    for (int i = 0; i < n_texts; i++)
        TPLR_TRY(count_words(tr, (const unsigned char *)texts[i], lens[i]));
    if (tr->n_words == 0)
        return tplr_fail(TPLR_EINVAL, "training the tokenizer: the corpus is empty");
    int target = vocab_size - 1; /* ids before <|endoftext|> */
    tr->tok_off = calloc((size_t)vocab_size + 1, sizeof *tr->tok_off);
    tr->left = malloc((size_t)vocab_size * sizeof *tr->left);
    tr->right = malloc((size_t)vocab_size * sizeof *tr->right);
    if (!tr->tok_off || !tr->left || !tr->right || tplr_bytemap_init(&tr->tok_ids, (size_t)vocab_size, 1 << 16) ||
        tplr_u64map_init(&tr->pair_ids, 1 << 16))
        return tplr_fail(TPLR_ENOMEM, "training the tokenizer: out of memory");
    tplr_gpt2_chars gc;
    tplr_gpt2_chars_init(&gc);
    GROW(tr, tr->merge_buf, tr->merge_buf_cap, 2 * MAX_TOKEN_BYTES);
    TPLR_TRY(init_words(tr, &gc));
    tplr_progress prog;
    if (verbose)
        tplr_progress_start(&prog, stderr, target - 256);
    for (int32_t step = 1; tr->n_tokens < target; step++) {
        int32_t p = best_pair(tr);
        if (p == -2)
            return tplr_fail(TPLR_ENOMEM, "training the tokenizer: out of memory");
        if (p < 0)
            return tplr_fail(TPLR_EINVAL,
                             "the corpus has %zu distinct words and yields only %d tokens before nothing is left to "
                             "merge; ask for --vocab-size %d or less, or give more text",
                             tr->n_words, tr->n_tokens + 1, tr->n_tokens + 1);
        TPLR_TRY(merge_once(tr, p, step));
        if (verbose) {
            char detail[64];
            snprintf(detail, sizeof detail, "%d merges, %zu words", tr->n_merges, tr->n_words);
            tplr_progress_update(&prog, tr->n_tokens - 256, detail, tr->n_tokens == target);
        }
    }
    if (verbose)
        tplr_progress_finish(&prog);
    int32_t eos;
    return token_for(tr, (const unsigned char *)EOS_TEXT, sizeof EOS_TEXT - 1, &eos);
}

tplr_err tplr_tokenizer_train_mem(const char *const *texts, const size_t *lens, int n_texts, int vocab_size,
                                  const char *out_dir, int verbose)
{
    if (vocab_size < 257 || vocab_size > MAX_TRAIN_VOCAB)
        return tplr_fail(TPLR_EINVAL, "vocabulary size %d: it must be between 257 (256 bytes and <|endoftext|>) and %d",
                         vocab_size, MAX_TRAIN_VOCAB);
    trainer tr;
    memset(&tr, 0, sizeof tr);
    tplr_err e = tplr_bytemap_init(&tr.word_ids, 1 << 16, 1 << 20);
    if (!e)
        e = learn(&tr, texts, lens, n_texts, vocab_size, verbose);
    if (!e) {
        tplr_vocab_out v = {tr.n_tokens, tr.tok_off, tr.tok_bytes, tr.n_merges, tr.left, tr.right};
        e = tplr_vocab_write(&v, out_dir);
    }
    trainer_free(&tr);
    return e;
}

tplr_err tplr_tokenizer_train(const char *const *files, int n_files, int vocab_size, const char *out_dir, int verbose)
{
    if (n_files < 1)
        return tplr_fail(TPLR_EINVAL, "training the tokenizer: no input files");
    char **texts = calloc((size_t)n_files, sizeof *texts);
    size_t *lens = calloc((size_t)n_files, sizeof *lens);
    tplr_err e = texts && lens ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "training the tokenizer: out of memory");
    for (int i = 0; i < n_files && !e; i++)
        e = tplr_read_file(files[i], MAX_CORPUS_FILE, &texts[i], &lens[i]);
    if (!e)
        e = tplr_tokenizer_train_mem((const char *const *)texts, lens, n_files, vocab_size, out_dir, verbose);
    for (int i = 0; texts && i < n_files; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    return e;
}
