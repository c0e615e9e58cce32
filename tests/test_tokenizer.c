/* The tokenizer: GPT-2 encodings known from tiktoken, the pre-tokenizer's
 * pieces, decode(encode(x)) == x on random bytes (invalid UTF-8 included), the
 * word cache, training (a hand-checked case, determinism, failures), and every
 * kind of broken tokenizer file refused with a message naming file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/data/gpt2_bytes.h"
#include "../src/data/pretokenize.h"
#include "test_util.h"
#include "tplr/fileio.h"
#include "tplr/rng.h"
#include "tplr/tokenizer.h"

static char dir[4096];
static tplr_tokenizer *gpt2;

static int setup(void **state)
{
    (void)state;
    tu_tmpdir("tokenizer", dir, sizeof dir);
    if (tplr_tokenizer_load("gpt2", &gpt2) != TPLR_OK) {
        fprintf(stderr, "cannot load the GPT-2 tokenizer: %s\n", tplr_errmsg());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tplr_tokenizer_free(gpt2);
    return 0;
}

static const char *path_in(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

static void expect_error(tplr_err got, tplr_err want, const char *needle)
{
    if (got != want)
        fail_msg("expected %s, got %s (%s)", tplr_err_name(want), tplr_err_name(got), tplr_errmsg());
    if (needle && !strstr(tplr_errmsg(), needle))
        fail_msg("message '%s' lacks '%s'", tplr_errmsg(), needle);
}

/* Encodes text with a fresh session into ids (malloc'd); returns the count. */
static size_t encode(const tplr_tokenizer *t, const char *text, size_t len, int32_t **ids)
{
    tplr_tok_session *s;
    ASSERT_OK(tplr_tok_session_create(t, &s));
    size_t n = 0, cap = 0;
    *ids = NULL;
    ASSERT_OK(tplr_tokenizer_encode(s, text, len, ids, &n, &cap));
    tplr_tok_session_free(s);
    return n;
}

static void expect_roundtrip(const tplr_tokenizer *t, const char *text, size_t len)
{
    int32_t *ids;
    size_t n = encode(t, text, len, &ids);
    char *back = NULL;
    size_t blen = 0, bcap = 0;
    ASSERT_OK(tplr_tokenizer_decode(t, ids, n, &back, &blen, &bcap));
    assert_int_equal(blen, len);
    if (len)
        assert_memory_equal(back, text, len);
    free(ids);
    free(back);
}

static void test_gpt2_known(void **state)
{
    (void)state;
    /* ids from tiktoken's "gpt2" encoding (npm tiktoken 1.0.22) */
    static const struct {
        const char *text;
        int n;
        int32_t ids[8];
    } cases[] = {
        {"Hello world", 2, {15496, 995}},
        {"I'm here, aren't you?", 8, {40, 1101, 994, 11, 3588, 470, 345, 30}},
        {"  two spaces\n\nnew", 6, {220, 734, 9029, 198, 198, 3605}},
        {"123456789 3.14", 7, {10163, 2231, 3134, 4531, 513, 13, 1415}},
        {"<|endoftext|>", 7, {27, 91, 437, 1659, 5239, 91, 29}},
        {"h\xc3\xa9llo w\xc3\xb6rld", 6, {71, 2634, 18798, 266, 30570, 335}},
        {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 6, {33768, 98, 17312, 105, 45739, 252}},
        {"\xf0\x9f\x99\x82!", 3, {8582, 25081, 0}},
        {"\xc2\xa0x\xe3\x80\x80y\t\tz", 8, {1849, 87, 5099, 222, 88, 197, 197, 89}},
        {"it'S 's'll", 6, {270, 6, 50, 705, 82, 1183}},
    };
    assert_int_equal(tplr_tokenizer_vocab_size(gpt2), 50257);
    assert_int_equal(tplr_tokenizer_eos(gpt2), 50256);
    assert_int_equal(tplr_tokenizer_n_merges(gpt2), 50000);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int32_t *ids;
        size_t n = encode(gpt2, cases[c].text, strlen(cases[c].text), &ids);
        if (n != (size_t)cases[c].n || memcmp(ids, cases[c].ids, n * sizeof *ids))
            fail_msg("'%s': got %zu tokens (first %d), expected %d (first %d)", cases[c].text, n, n ? ids[0] : -1,
                     cases[c].n, cases[c].ids[0]);
        free(ids);
    }
    size_t len;
    const char *eos = tplr_tokenizer_token_bytes(gpt2, 50256, &len);
    assert_non_null(eos);
    assert_int_equal(len, 13);
    assert_memory_equal(eos, "<|endoftext|>", 13);
    assert_null(tplr_tokenizer_token_bytes(gpt2, 50257, &len));
    assert_null(tplr_tokenizer_token_bytes(gpt2, -1, &len));
}

/* The pieces of text, joined by '|'. */
static void pieces(const char *text, char *out)
{
    size_t n = strlen(text), k = 0;
    for (size_t pos = 0; pos < n;) {
        size_t end = tplr_pretok_next((const unsigned char *)text, n, pos);
        assert_true(end > pos && end <= n);
        if (pos)
            out[k++] = '|';
        memcpy(out + k, text + pos, end - pos);
        k += end - pos;
        pos = end;
    }
    out[k] = '\0';
}

static void test_pretokenize(void **state)
{
    (void)state;
    static const char *cases[][2] = {
        {"Hello world", "Hello| world"},
        {"don't 're'", "don|'t| '|re|'"},
        {"'s'S'll'llama", "'s|'|S|'ll|'ll|ama"},
        {"a  b", "a| | b"},
        {"a \n b", "a| \n| b"},
        {"a\n\nb", "a|\n|\n|b"},
        {"x   ", "x|   "},
        {"abc123def 456", "abc|123|def| 456"},
        {"?!'s .,;", "?!'|s| .,;"},
        {" \xc2\xa0x", " |\xc2\xa0|x"},                 /* NBSP is white space but not " ?" */
        {"a\xe3\x80\x80\xe3\x80\x80" "b", "a|\xe3\x80\x80|\xe3\x80\x80" "|b"}, /* ideographic spaces */
        {"caf\xc3\xa9 \xc2\xbd", "caf\xc3\xa9| \xc2\xbd"},  /* é a letter, ½ a number */
        {"a\xff\xfe b", "a|\xff\xfe| b"},                /* invalid bytes: "other" */
        {"\xe2\x82 x", "\xe2\x82| x"},                   /* truncated sequence */
        {"\xed\xa0\x80z", "\xed\xa0\x80|z"},              /* an encoded surrogate is invalid */
        {"\xc0\xaf" "A", "\xc0\xaf|A"},                   /* overlong */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char got[256];
        pieces(cases[c][0], got);
        if (strcmp(got, cases[c][1]))
            fail_msg("pieces of '%s': got '%s', expected '%s'", cases[c][0], got, cases[c][1]);
    }
}

/* Draws from the counter-based generator: value *i of stream 0. */
typedef struct tplr_test_rng {
    uint64_t key, i;
} tplr_test_rng;
static uint32_t rnd(tplr_test_rng *r, uint32_t n) { return (uint32_t)tplr_rng_below(r->key, 0, r->i++, n); }

/* Random byte strings: raw bytes, ASCII, spaces and well-formed multi-byte characters, mixed. */
static size_t random_text(tplr_test_rng *r, char *buf, size_t max)
{
    static const char *pool[] = {" ", "  ", "\n", "\t", "'", "'s", "a", "Z", "7", "!", "\xc3\xa9", "\xc2\xa0",
                                 "\xe3\x80\x80", "\xe6\x97\xa5", "\xf0\x9f\x99\x82", "\xcc\x81", "\xe2\x80\x99"};
    size_t n = 0, want = rnd(r, (uint32_t)max);
    while (n + 4 < want) {
        uint32_t k = rnd(r, 4);
        if (k == 0) {
            buf[n++] = (char)rnd(r, 256); /* any byte: often invalid UTF-8 */
        } else {
            const char *p = pool[rnd(r, sizeof pool / sizeof pool[0])];
            size_t l = strlen(p);
            memcpy(buf + n, p, l);
            n += l;
        }
    }
    return n;
}

static void test_roundtrip_random(void **state)
{
    (void)state;
    tplr_test_rng r = {1234, 0};
    char buf[1024];
    for (int i = 0; i < 3000; i++) {
        size_t n = random_text(&r, buf, sizeof buf);
        expect_roundtrip(gpt2, buf, n);
    }
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        expect_roundtrip(gpt2, &c, 1);
    }
    expect_roundtrip(gpt2, "", 0);
}

/* One call over many words (the cache fills and starts over) equals word-by-word calls. */
static void test_cache(void **state)
{
    (void)state;
    size_t cap = 3 << 20;
    char *text = malloc(cap);
    size_t len = 0;
    for (int i = 0; i < 150000; i++)
        len += (size_t)snprintf(text + len, cap - len, " w%dq%c", i * 7919 % 1000003, 'a' + i % 26);
    int32_t *all;
    size_t n_all = encode(gpt2, text, len, &all);
    tplr_tok_session *s;
    ASSERT_OK(tplr_tok_session_create(gpt2, &s));
    int32_t *ids = NULL;
    size_t n = 0, icap = 0;
    for (int pass = 0; pass < 2; pass++) { /* the second pass hits the cache */
        n = 0;
        for (size_t pos = 0; pos < len;) {
            size_t end = pos + 1;
            while (end < len && text[end] != ' ')
                end++;
            ASSERT_OK(tplr_tokenizer_encode(s, text + pos, end - pos, &ids, &n, &icap));
            pos = end;
        }
        assert_int_equal(n, n_all);
        assert_memory_equal(ids, all, n * sizeof *ids);
    }
    tplr_tok_session_free(s);
    expect_roundtrip(gpt2, text, len);
    free(ids);
    free(all);
    free(text);
}

static void test_long_piece(void **state)
{
    (void)state;
    size_t n = 200000;
    char *text = malloc(n);
    for (size_t i = 0; i < n; i++)
        text[i] = "abcab"[i % 5];
    expect_roundtrip(gpt2, text, n); /* one piece of 200 kB: the heap keeps it n log n */
    memset(text, ' ', n);
    expect_roundtrip(gpt2, text, n);
    free(text);
}

static void test_decode_errors(void **state)
{
    (void)state;
    int32_t ids[] = {15496, 50257};
    char *buf = NULL;
    size_t len = 0, cap = 0;
    expect_error(tplr_tokenizer_decode(gpt2, ids, 2, &buf, &len, &cap), TPLR_EINVAL, "50257");
    ids[1] = -3;
    expect_error(tplr_tokenizer_decode(gpt2, ids, 2, &buf, &len, &cap), TPLR_EINVAL, "-3");
    ASSERT_OK(tplr_tokenizer_decode(gpt2, ids, 1, &buf, &len, &cap));
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "Hello", 5);
    free(buf);
}

/* --- training --- */

static char *slurp(const char *path)
{
    char *buf;
    size_t len;
    ASSERT_OK(tplr_read_file(path, 1 << 26, &buf, &len));
    return buf;
}

static void train_text(const char *text, int vocab, const char *out)
{
    size_t len = strlen(text);
    ASSERT_OK(tplr_tokenizer_train_mem(&text, &len, 1, vocab, out, 0));
}

static void test_train_hand_checked(void **state)
{
    (void)state;
    char out[4200], p[4300];
    path_in("hand", out, sizeof out);
    /* words "ab" and " cd", each once: all pairs tie at 1; the pair of older tokens wins
     * ('a'=64,'b'=65 before 'c'=66,'d'=67 before 'Ġ'=220), then " cd" joins */
    train_text("ab cd", 260, out);
    char *bpe = slurp(path_in("hand/vocab.bpe", p, sizeof p));
    assert_string_equal(bpe, "#version: 0.2\na b\nc d\n\xc4\xa0 cd\n");
    free(bpe);
    char *enc = slurp(path_in("hand/encoder.json", p, sizeof p));
    assert_non_null(strstr(enc, "{\"!\": 0, \"\\\"\": 1, "));
    assert_non_null(strstr(enc, ", \"\\u0120\": 220, "));
    const char *tail = "\"ab\": 256, \"cd\": 257, \"\\u0120cd\": 258, \"<|endoftext|>\": 259}";
    assert_string_equal(enc + strlen(enc) - strlen(tail), tail);
    free(enc);
    tplr_tokenizer *t;
    ASSERT_OK(tplr_tokenizer_load(out, &t));
    assert_int_equal(tplr_tokenizer_vocab_size(t), 260);
    assert_int_equal(tplr_tokenizer_eos(t), 259);
    int32_t *ids;
    size_t n = encode(t, "ab cd abcd", 10, &ids);
    int32_t want[] = {256, 258, 220, 256, 257}; /* "ab", " cd", " ", "ab", "cd" */
    assert_int_equal(n, 5);
    assert_memory_equal(ids, want, sizeof want);
    free(ids);
    tplr_tokenizer_free(t);
}

/* A plain reference trainer: recounts every pair at every step. */
static int naive_train(const char *text, int vocab, unsigned char tok[][64], int *tok_len)
{
    int32_t words[4096][64], wlen[4096], wcount[4096], nw = 0;
    size_t n = strlen(text);
    tplr_gpt2_chars gc;
    tplr_gpt2_chars_init(&gc);
    int n_tok = 0;
    int32_t byte_tok[256];
    for (int i = 0; i < 256; i++) {
        tok[n_tok][0] = gc.order[i];
        tok_len[n_tok] = 1;
        byte_tok[gc.order[i]] = n_tok++;
    }
    for (size_t pos = 0; pos < n;) {
        size_t end = tplr_pretok_next((const unsigned char *)text, n, pos);
        int found = -1;
        for (int w = 0; w < nw && found < 0; w++) {
            int same = wlen[w] == (int)(end - pos);
            for (int k = 0; same && k < wlen[w]; k++)
                same = words[w][k] == byte_tok[(unsigned char)text[pos + k]];
            if (same)
                found = w;
        }
        if (found >= 0) {
            wcount[found]++;
        } else {
            assert_true(nw < 4096 && end - pos < 64);
            wlen[nw] = (int)(end - pos);
            wcount[nw] = 1;
            for (int k = 0; k < wlen[nw]; k++)
                words[nw][k] = byte_tok[(unsigned char)text[pos + k]];
            nw++;
        }
        pos = end;
    }
    static int64_t count[512][512];
    while (n_tok < vocab - 1) {
        memset(count, 0, sizeof count);
        for (int w = 0; w < nw; w++)
            for (int k = 0; k + 1 < wlen[w]; k++)
                count[words[w][k]][words[w][k + 1]] += wcount[w];
        int ba = -1, bb = -1;
        for (int a = 0; a < n_tok; a++)
            for (int b = 0; b < n_tok; b++) {
                if (!count[a][b] || (ba >= 0 && count[a][b] <= count[ba][bb]))
                    continue;
                int l = tok_len[a] + tok_len[b], exists = 0;
                for (int t = 0; t < n_tok && !exists; t++)
                    exists = tok_len[t] == l && !memcmp(tok[t], tok[a], (size_t)tok_len[a]) &&
                             !memcmp(tok[t] + tok_len[a], tok[b], (size_t)tok_len[b]);
                if (!exists) {
                    ba = a;
                    bb = b;
                }
            }
        if (ba < 0)
            break;
        memcpy(tok[n_tok], tok[ba], (size_t)tok_len[ba]);
        memcpy(tok[n_tok] + tok_len[ba], tok[bb], (size_t)tok_len[bb]);
        tok_len[n_tok] = tok_len[ba] + tok_len[bb];
        for (int w = 0; w < nw; w++) {
            int o = 0;
            for (int k = 0; k < wlen[w]; k++) {
                if (k + 1 < wlen[w] && words[w][k] == ba && words[w][k + 1] == bb) {
                    words[w][o++] = n_tok;
                    k++;
                } else {
                    words[w][o++] = words[w][k];
                }
            }
            wlen[w] = o;
        }
        n_tok++;
    }
    return n_tok;
}

static void test_train_matches_reference(void **state)
{
    (void)state;
    static const char alphabet[] = "aabbcd  .'\n";
    tplr_test_rng r = {99, 0};
    char text[6000];
    size_t n = 0;
    while (n < sizeof text - 1)
        text[n++] = alphabet[rnd(&r, sizeof alphabet - 1)];
    text[n] = '\0';
    int vocab = 256 + 120 + 1;
    static unsigned char tok[512][64];
    static int tok_len[512];
    int n_tok = naive_train(text, vocab, tok, tok_len);
    assert_int_equal(n_tok, vocab - 1);
    char out[4200], out2[4200], p[4300], p2[4300];
    path_in("ref", out, sizeof out);
    path_in("ref2", out2, sizeof out2);
    train_text(text, vocab, out);
    tplr_tokenizer *t;
    ASSERT_OK(tplr_tokenizer_load(out, &t));
    assert_int_equal(tplr_tokenizer_vocab_size(t), vocab);
    for (int i = 0; i < n_tok; i++) {
        size_t len;
        const char *b = tplr_tokenizer_token_bytes(t, i, &len);
        if (len != (size_t)tok_len[i] || memcmp(b, tok[i], len))
            fail_msg("token %d: '%.*s' but the reference trainer made '%.*s'", i, (int)len, b, tok_len[i], tok[i]);
    }
    expect_roundtrip(t, text, n);
    tplr_tokenizer_free(t);
    /* determinism: the same corpus gives the same bytes */
    train_text(text, vocab, out2);
    char *a = slurp(path_in("ref/vocab.bpe", p, sizeof p)), *b = slurp(path_in("ref2/vocab.bpe", p2, sizeof p2));
    assert_string_equal(a, b);
    free(a);
    free(b);
    a = slurp(path_in("ref/encoder.json", p, sizeof p));
    b = slurp(path_in("ref2/encoder.json", p2, sizeof p2));
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void expect_nothing_written(const char *out)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/encoder.json", out);
    assert_false(tplr_path_exists(p));
    snprintf(p, sizeof p, "%s/vocab.bpe", out);
    assert_false(tplr_path_exists(p));
}

static void test_train_errors(void **state)
{
    (void)state;
    char out[4200], f[4300];
    path_in("fail", out, sizeof out);
    const char *empty = "";
    size_t zero = 0;
    expect_error(tplr_tokenizer_train_mem(&empty, &zero, 1, 300, out, 0), TPLR_EINVAL, "the corpus is empty");
    expect_nothing_written(out);
    const char *small = "ab ab";
    size_t len = 5;
    expect_error(tplr_tokenizer_train_mem(&small, &len, 1, 1000, out, 0), TPLR_EINVAL, "--vocab-size 259 or less");
    expect_nothing_written(out);
    expect_error(tplr_tokenizer_train_mem(&small, &len, 1, 256, out, 0), TPLR_EINVAL, "between 257");
    const char *files[] = {path_in("no-such-corpus.txt", f, sizeof f)};
    expect_error(tplr_tokenizer_train(files, 1, 300, out, 0), TPLR_ENOTFOUND, "no-such-corpus.txt");
    expect_nothing_written(out);
}

/* --- broken tokenizer files --- */

static char *base_enc, *base_bpe; /* a valid pair: merges "a b" and "Ġ ab", 259 tokens */

static void make_base(void)
{
    if (base_enc)
        return;
    char out[4200], p[4300];
    train_text("ab ab ab", 259, path_in("base", out, sizeof out));
    base_enc = slurp(path_in("base/encoder.json", p, sizeof p));
    base_bpe = slurp(path_in("base/vocab.bpe", p, sizeof p));
    assert_string_equal(base_bpe, "#version: 0.2\na b\n\xc4\xa0 ab\n");
}

/* base with the first `from` replaced by `to` (must be present). */
static char *edit(const char *base, const char *from, const char *to)
{
    const char *at = strstr(base, from);
    if (!at)
        fail_msg("'%s' not in the base file", from);
    size_t a = (size_t)(at - base), nf = strlen(from), nt = strlen(to), nb = strlen(base);
    char *out = malloc(nb - nf + nt + 1);
    memcpy(out, base, a);
    memcpy(out + a, to, nt);
    memcpy(out + a + nt, at + nf, nb - a - nf + 1);
    return out;
}

/* Writes the pair into a folder and expects loading it to fail with a message holding needle. */
static void expect_load_error(const char *enc, const char *bpe, const char *needle)
{
    char d[4200], p[4300];
    static int k;
    char name[32];
    snprintf(name, sizeof name, "bad%d", k++);
    path_in(name, d, sizeof d);
    ASSERT_OK(tplr_mkdirs(d));
    snprintf(p, sizeof p, "%s/encoder.json", d);
    ASSERT_OK(tplr_write_file_atomic(p, enc, strlen(enc)));
    snprintf(p, sizeof p, "%s/vocab.bpe", d);
    ASSERT_OK(tplr_write_file_atomic(p, bpe, strlen(bpe)));
    tplr_tokenizer *t = (tplr_tokenizer *)&t;
    expect_error(tplr_tokenizer_load(d, &t), TPLR_EFORMAT, needle);
    assert_null(t);
    assert_non_null(strstr(tplr_errmsg(), name)); /* the message names the file */
}

static void test_broken_merges(void **state)
{
    (void)state;
    make_base();
    static const char *cases[][2] = {
        {"#version: 0.3\na b\n", "vocab.bpe line 1: expected the header '#version: 0.2'"},
        {"a b\n\xc4\xa0 ab\n", "vocab.bpe line 1: expected the header"},
        {"", "vocab.bpe line 1: expected the header"},
        {"#version: 0.2\na b\n\xc4\xa0 zz\n", "vocab.bpe line 3: unknown symbol 'zz'"},
        {"#version: 0.2\na b\nab\n", "vocab.bpe line 3: 'ab' is not two symbols separated by one space"},
        {"#version: 0.2\na  b\n", "vocab.bpe line 2: 'a  b' is not two symbols"},
        {"#version: 0.2\na b c\n", "vocab.bpe line 2: 'a b c' is not two symbols"},
        {"#version: 0.2\n\na b\n", "vocab.bpe line 2: '' is not two symbols"},
        {"#version: 0.2\na b\na b\n", "vocab.bpe line 3: duplicate merge 'a b' (first on line 2)"},
        {"#version: 0.2\na b\nb a\n", "vocab.bpe line 3: the merge of 'b a' has no token in encoder.json"},
        {"#version: 0.2\na b\n\xe4\xb8\xad b\n", "vocab.bpe line 3: '\xe4\xb8\xad' has the character U+4E2D"},
        {"#version: 0.2\na b\n\xff b\n", "vocab.bpe line 3: '\xff' is not valid UTF-8"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        expect_load_error(base_enc, cases[c][0], cases[c][1]);
    /* accepted variants: no final newline, CRLF line ends, a comment after the version */
    char d[4200], p[4300];
    const char *ok[] = {"#version: 0.2\na b\n\xc4\xa0 ab", "#version: 0.2\r\na b\r\n\xc4\xa0 ab\r\n",
                        "#version: 0.2 - trained elsewhere\na b\n"};
    for (size_t c = 0; c < sizeof ok / sizeof ok[0]; c++) {
        ASSERT_OK(tplr_mkdirs(path_in("okvar", d, sizeof d)));
        ASSERT_OK(tplr_write_file_atomic(path_in("okvar/encoder.json", p, sizeof p), base_enc, strlen(base_enc)));
        ASSERT_OK(tplr_write_file_atomic(path_in("okvar/vocab.bpe", p, sizeof p), ok[c], strlen(ok[c])));
        tplr_tokenizer *t;
        ASSERT_OK(tplr_tokenizer_load(d, &t));
        assert_int_equal(tplr_tokenizer_n_merges(t), c == 2 ? 1 : 2);
        tplr_tokenizer_free(t);
    }
}

static void test_broken_encoder(void **state)
{
    (void)state;
    make_base();
    static const char *cases[][3] = {
        {"\"<|endoftext|>\": 258", "\"<|endoftext|>\": 259", "token '<|endoftext|>' has an id that is out of range"},
        {"\"<|endoftext|>\": 258", "\"<|endoftext|>\": -1", "out of range"},
        {"\"<|endoftext|>\": 258", "\"<|endoftext|>\": 257", "id 257 is used twice"},
        {"\"<|endoftext|>\": 258", "\"<|endoftext|>\": \"x\"", "has an id that is not an integer"},
        {"\"<|endoftext|>\": 258", "\"<|endoftext|>\": 2.5", "not an integer"},
        {"\"<|endoftext|>\": 258", "\"\\u4e2d\": 258", "has the character U+4E2D"},
        {"\"<|endoftext|>\": 258", "\"\": 258", "is 0 bytes long"},
        {"\"<|endoftext|>\": 258", "\"ab\": 258", "duplicate object key"},
        {"\"<|endoftext|>\": 258}", "\"<|endoftext|>\": 258", "encoder.json line 1:"},
        {"{\"!\": 0", "[\"!\", 0", "encoder.json line 1:"},
        {"\"!\": 0", "\"<|pad|>\": 0", "no token for the byte 0x21 (the character '!')"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *enc = edit(base_enc, cases[c][0], cases[c][1]);
        expect_load_error(enc, base_bpe, cases[c][2]);
        free(enc);
    }
    expect_load_error("[1, 2]", base_bpe, "expected a JSON object");
    expect_load_error("{\"a\": 0}", base_bpe, "between 256 and");
    /* the merge's result is missing: drop "Ġab" and renumber <|endoftext|> */
    char *enc = edit(base_enc, ", \"\\u0120ab\": 257", "");
    char *enc2 = edit(enc, "\"<|endoftext|>\": 258", "\"<|endoftext|>\": 257");
    expect_load_error(enc2, base_bpe, "vocab.bpe line 3: the merge of '\xc4\xa0 ab' has no token in encoder.json");
    free(enc);
    free(enc2);
}

static void test_missing_files(void **state)
{
    (void)state;
    char d[4200];
    tplr_tokenizer *t;
    expect_error(tplr_tokenizer_load(path_in("nowhere", d, sizeof d), &t), TPLR_ENOTFOUND, "nowhere/encoder.json");
    setenv("TPLR_GPT2_DIR", d, 1);
    expect_error(tplr_tokenizer_load("gpt2", &t), TPLR_ENOTFOUND, "run scripts/fetch_gpt2.sh");
    unsetenv("TPLR_GPT2_DIR");
}

static void test_token_id_files(void **state)
{
    (void)state;
    char p[4300];
    int32_t ids[] = {0, 50256, 15496, 995};
    ASSERT_OK(tplr_token_ids_write_npy(path_in("ids.npy", p, sizeof p), ids, 4, 50257));
    int32_t *back;
    size_t n;
    ASSERT_OK(tplr_token_ids_read(p, &back, &n));
    assert_int_equal(n, 4);
    assert_memory_equal(back, ids, sizeof ids);
    free(back);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    ASSERT_OK(tplr_token_ids_format(ids, 4, &buf, &len, &cap));
    assert_string_equal(buf, "0 50256 15496 995\n");
    ASSERT_OK(tplr_write_file_atomic(path_in("ids.txt", p, sizeof p), buf, len));
    ASSERT_OK(tplr_token_ids_read(p, &back, &n));
    assert_int_equal(n, 4);
    assert_memory_equal(back, ids, sizeof ids);
    free(back);
    free(buf);
    ASSERT_OK(tplr_write_file_atomic(path_in("bad.txt", p, sizeof p), "1 2\n3 x4\n", 9));
    expect_error(tplr_token_ids_read(p, &back, &n), TPLR_EFORMAT, "bad.txt line 2: 'x4");
    ASSERT_OK(tplr_write_file_atomic(path_in("neg.txt", p, sizeof p), "1 -2", 4));
    expect_error(tplr_token_ids_read(p, &back, &n), TPLR_EFORMAT, "is not a token id");
    ASSERT_OK(tplr_write_file_atomic(path_in("big.txt", p, sizeof p), "99999999999", 11));
    expect_error(tplr_token_ids_read(p, &back, &n), TPLR_EFORMAT, "is not a token id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpt2_known),
        cmocka_unit_test(test_pretokenize),
        cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_long_piece),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_train_hand_checked),
        cmocka_unit_test(test_train_matches_reference),
        cmocka_unit_test(test_train_errors),
        cmocka_unit_test(test_broken_merges),
        cmocka_unit_test(test_broken_encoder),
        cmocka_unit_test(test_missing_files),
        cmocka_unit_test(test_token_id_files),
    };
    int r = cmocka_run_group_tests(tests, setup, teardown);
    free(base_enc);
    free(base_bpe);
    return r;
}
