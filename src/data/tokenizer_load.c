/* Loading and validating encoder.json + vocab.bpe. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2_bytes.h"
#include "tok_internal.h"
#include "tplr/fileio.h"

#ifndef TPLR_DATA_DIR
#error "TPLR_DATA_DIR must be defined (the repository's data/ folder)"
#endif

#define MAX_FILE_BYTES ((size_t)256 << 20)
#define MAX_VOCAB (1 << 24)
#define EOS_TEXT "<|endoftext|>"

/* Printable form of a (mapped) string for messages: at most 40 bytes. */
static const char *shorten(const char *s, size_t n, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*s%s", (int)(n > 40 ? 40 : n), s, n > 40 ? "..." : "");
    return buf;
}

static tplr_err bad_char(const char *where, const char *s, size_t n, uint32_t cp)
{
    char b[64];
    if (cp == 0xFFFFFFFFu)
        return tplr_fail(TPLR_EFORMAT, "%s: '%s' is not valid UTF-8", where, shorten(s, n, b, sizeof b));
    return tplr_fail(TPLR_EFORMAT, "%s: '%s' has the character U+%04X, which is not one of GPT-2's 256 byte characters",
                     where, shorten(s, n, b, sizeof b), (unsigned)cp);
}

/* encoder.json: a JSON object from mapped strings to dense ids 0..n-1. Fills the token table and
 * map (token bytes → id). */
static tplr_err load_encoder(tplr_tokenizer *t, const tplr_gpt2_chars *gc, const char *text, size_t len,
                             const char *name, tplr_bytemap *ids)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return tplr_fail(TPLR_EFORMAT, "%s line %d: %s", name, je.line, je.text);
    tplr_err e = TPLR_OK;
    size_t n = json_is_object(root) ? json_object_size(root) : 0;
    if (!json_is_object(root) || n < 256 || n > MAX_VOCAB) {
        e = tplr_fail(TPLR_EFORMAT, "%s: expected a JSON object of between 256 and %d tokens, found %s of %zu",
                      name, MAX_VOCAB, json_is_object(root) ? "one" : "another JSON value", n);
        goto done;
    }
    t->vocab_size = (int)n;
    t->tok_off = calloc(n + 1, sizeof *t->tok_off);
    size_t total = 0;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) total += strlen(key);
    t->tok_bytes = malloc(total + 1);
    if (!t->tok_off || !t->tok_bytes || tplr_bytemap_init(ids, n, total)) {
        e = tplr_fail(TPLR_ENOMEM, "%s: out of memory for %zu tokens", name, n);
        goto done;
    }
    /* Pass 1: every id in range and used once; each token's byte count. */
    unsigned char scratch[4096];
    json_object_foreach(root, key, val)
    {
        char b[64];
        size_t klen = strlen(key);
        json_int_t id = json_is_integer(val) ? json_integer_value(val) : -1;
        if (!json_is_integer(val) || id < 0 || id >= (json_int_t)n) {
            e = tplr_fail(TPLR_EFORMAT,
                          "%s: token '%s' has an id that is %s; ids must be the integers 0..%zu, one per token", name,
                          shorten(key, klen, b, sizeof b), json_is_integer(val) ? "out of range" : "not an integer",
                          n - 1);
            goto done;
        }
        if (klen == 0 || klen > sizeof scratch) {
            e = tplr_fail(TPLR_EFORMAT, "%s: token '%s' is %zu bytes long; tokens must have 1 to %zu", name,
                          shorten(key, klen, b, sizeof b), klen, sizeof scratch);
            goto done;
        }
        if (t->tok_off[id + 1]) {
            e = tplr_fail(TPLR_EFORMAT, "%s: id %lld is used twice (again for '%s'); ids must be 0..%zu, one per token",
                          name, (long long)id, shorten(key, klen, b, sizeof b), n - 1);
            goto done;
        }
        uint32_t cp;
        long got = tplr_gpt2_decode(gc, key, klen, scratch, &cp);
        if (got < 0) {
            e = bad_char(name, key, klen, cp);
            goto done;
        }
        t->tok_off[id + 1] = (uint32_t)got; /* lengths for now; prefix sums below */
    }
    for (size_t i = 0; i < n; i++)
        t->tok_off[i + 1] += t->tok_off[i];
    /* Pass 2: each token's bytes into its place, and into the map. */
    json_object_foreach(root, key, val)
    {
        size_t id = (size_t)json_integer_value(val);
        unsigned char *dst = t->tok_bytes + t->tok_off[id];
        uint32_t cp;
        long got = tplr_gpt2_decode(gc, key, strlen(key), dst, &cp);
        if (!tplr_bytemap_insert(ids, dst, (size_t)got, tplr_hash_bytes(dst, (size_t)got), (uint32_t)id)) {
            e = tplr_fail(TPLR_ENOMEM, "%s: out of memory", name);
            goto done;
        }
    }
done:
    json_decref(root);
    return e;
}

/* Looks up the token with the given bytes; -1 if none. */
static int32_t token_id(const tplr_bytemap *ids, const unsigned char *b, size_t n)
{
    const uint32_t *v = tplr_bytemap_find(ids, b, n, tplr_hash_bytes(b, n));
    return v ? (int32_t)*v : -1;
}

/* "#version: 0.2", alone or followed by white space and a comment. */
static int version_ok(const char *line, size_t n)
{
    static const char hdr[] = "#version: 0.2";
    size_t h = sizeof hdr - 1;
    return n >= h && !memcmp(line, hdr, h) && (n == h || line[h] == ' ' || line[h] == '\t');
}

/* One merge line "A B" (mapped strings): checks it and adds the rule of the given rank. */
static tplr_err add_merge(tplr_tokenizer *t, const tplr_gpt2_chars *gc, const tplr_bytemap *ids, const char *line,
                          size_t n, const char *where, int rank, unsigned char *buf)
{
    char b[64];
    const char *sp = memchr(line, ' ', n);
    if (!sp || sp == line || sp == line + n - 1 || memchr(sp + 1, ' ', (size_t)(line + n - sp - 1)))
        return tplr_fail(TPLR_EFORMAT, "%s: '%s' is not two symbols separated by one space", where,
                         shorten(line, n, b, sizeof b));
    size_t na = (size_t)(sp - line), nb = n - na - 1;
    uint32_t cp;
    long la = tplr_gpt2_decode(gc, line, na, buf, &cp);
    if (la < 0)
        return bad_char(where, line, na, cp);
    long lb = tplr_gpt2_decode(gc, sp + 1, nb, buf + la, &cp);
    if (lb < 0)
        return bad_char(where, sp + 1, nb, cp);
    int32_t a = token_id(ids, buf, (size_t)la), r = token_id(ids, buf + la, (size_t)lb);
    if (a < 0 || r < 0)
        return tplr_fail(TPLR_EFORMAT, "%s: unknown symbol '%s' (not in encoder.json)", where,
                         a < 0 ? shorten(line, na, b, sizeof b) : shorten(sp + 1, nb, b, sizeof b));
    int32_t merged = token_id(ids, buf, (size_t)(la + lb));
    if (merged < 0)
        return tplr_fail(TPLR_EFORMAT, "%s: the merge of '%s' has no token in encoder.json", where,
                         shorten(line, n, b, sizeof b));
    uint64_t *v = tplr_u64map_upsert(&t->merges, tplr_pair_key(a, r), UINT64_MAX);
    if (!v)
        return tplr_fail(TPLR_ENOMEM, "%s: out of memory", where);
    if (*v != UINT64_MAX)
        return tplr_fail(TPLR_EFORMAT, "%s: duplicate merge '%s' (first on line %d)", where,
                         shorten(line, n, b, sizeof b), (int)(*v >> 32) + 2);
    *v = (uint64_t)rank << 32 | (uint32_t)merged;
    return TPLR_OK;
}

/* vocab.bpe: the version line, then one merge per line in rank order; a final newline is optional. */
static tplr_err load_merges(tplr_tokenizer *t, const tplr_gpt2_chars *gc, const tplr_bytemap *ids, const char *text,
                            size_t len, const char *name)
{
    size_t max_line = 0, n_lines = 0;
    for (size_t i = 0, start = 0; i <= len; i++)
        if (i == len || text[i] == '\n') {
            max_line = i - start > max_line ? i - start : max_line;
            n_lines++;
            start = i + 1;
        }
    unsigned char *buf = malloc(max_line + 1);
    if (!buf || tplr_u64map_init(&t->merges, n_lines)) {
        free(buf);
        return tplr_fail(TPLR_ENOMEM, "%s: out of memory", name);
    }
    tplr_err e = TPLR_OK;
    int line_no = 0;
    for (size_t pos = 0; pos < len || line_no == 0;) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        line_no++;
        if (n && line[n - 1] == '\r')
            n--;
        char where[4200];
        snprintf(where, sizeof where, "%s line %d", name, line_no);
        if (line_no == 1) {
            if (!version_ok(line, n)) {
                char b[64];
                e = tplr_fail(TPLR_EFORMAT, "%s: expected the header '#version: 0.2', found '%s'", where,
                              shorten(line, n, b, sizeof b));
                break;
            }
            continue;
        }
        if (line_no - 2 >= t->vocab_size) {
            e = tplr_fail(TPLR_EFORMAT, "%s: more merges than the %d tokens of encoder.json", where, t->vocab_size);
            break;
        }
        if ((e = add_merge(t, gc, ids, line, n, where, line_no - 2, buf)))
            break;
        t->n_merges++;
    }
    free(buf);
    return e;
}

tplr_err tplr_tokenizer_load_mem(const char *encoder_json, size_t encoder_len, const char *encoder_name,
                                 const char *vocab_bpe, size_t vocab_len, const char *vocab_name,
                                 tplr_tokenizer **out)
{
    *out = NULL;
    tplr_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return tplr_fail(TPLR_ENOMEM, "loading a tokenizer: out of memory");
    tplr_gpt2_chars gc;
    tplr_gpt2_chars_init(&gc);
    tplr_bytemap ids = {0};
    tplr_err e = load_encoder(t, &gc, encoder_json, encoder_len, encoder_name, &ids);
    for (int b = 0; b < 256 && !e; b++) {
        unsigned char byte = (unsigned char)b;
        t->byte_id[b] = token_id(&ids, &byte, 1);
        if (t->byte_id[b] < 0) {
            char ch[4];
            size_t k = tplr_gpt2_encode(&gc, &byte, 1, ch);
            e = tplr_fail(TPLR_EFORMAT, "%s: no token for the byte 0x%02X (the character '%.*s')", encoder_name, b,
                          (int)k, ch);
        }
    }
    if (!e)
        e = load_merges(t, &gc, &ids, vocab_bpe, vocab_len, vocab_name);
    if (!e)
        t->eos = token_id(&ids, (const unsigned char *)EOS_TEXT, sizeof EOS_TEXT - 1);
    tplr_bytemap_free(&ids);
    if (e) {
        tplr_tokenizer_free(t);
        return e;
    }
    *out = t;
    return TPLR_OK;
}

tplr_err tplr_tokenizer_load(const char *spec, tplr_tokenizer **out)
{
    *out = NULL;
    const char *dir = spec;
    if (!strcmp(spec, "gpt2")) {
        const char *env = getenv("TPLR_GPT2_DIR");
        dir = env && *env ? env : TPLR_DATA_DIR "/cache/gpt2";
    }
    char enc_path[4200], bpe_path[4200];
    TPLR_TRY(tplr_path_join(enc_path, sizeof enc_path, dir, "encoder.json"));
    TPLR_TRY(tplr_path_join(bpe_path, sizeof bpe_path, dir, "vocab.bpe"));
    char *enc = NULL, *bpe = NULL;
    size_t enc_len, bpe_len;
    tplr_err e = tplr_read_file(enc_path, MAX_FILE_BYTES, &enc, &enc_len);
    if (!e)
        e = tplr_read_file(bpe_path, MAX_FILE_BYTES, &bpe, &bpe_len);
    if (e == TPLR_ENOTFOUND)
        e = !strcmp(spec, "gpt2")
                ? tplr_fail_ctx(e, "the GPT-2 tokenizer files are missing (run scripts/fetch_gpt2.sh, or set "
                                   "TPLR_GPT2_DIR to a folder with encoder.json and vocab.bpe)")
                : tplr_fail_ctx(e, "tokenizer '%s' needs encoder.json and vocab.bpe", spec);
    if (!e)
        e = tplr_tokenizer_load_mem(enc, enc_len, enc_path, bpe, bpe_len, bpe_path, out);
    free(enc);
    free(bpe);
    return e;
}

void tplr_tokenizer_free(tplr_tokenizer *t)
{
    if (!t)
        return;
    free(t->tok_off);
    free(t->tok_bytes);
    tplr_u64map_free(&t->merges);
    free(t);
}

int tplr_tokenizer_vocab_size(const tplr_tokenizer *t) { return t->vocab_size; }
int32_t tplr_tokenizer_eos(const tplr_tokenizer *t) { return t->eos; }
int tplr_tokenizer_n_merges(const tplr_tokenizer *t) { return t->n_merges; }

const char *tplr_tokenizer_token_bytes(const tplr_tokenizer *t, int32_t id, size_t *len)
{
    if (id < 0 || id >= t->vocab_size)
        return NULL;
    *len = t->tok_off[id + 1] - t->tok_off[id];
    return (const char *)t->tok_bytes + t->tok_off[id];
}
