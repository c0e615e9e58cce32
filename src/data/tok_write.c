#include "tok_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2_bytes.h"
#include "tplr/fileio.h"

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static char *sbuf_room(sbuf *b, size_t n)
{
    if (b->oom)
        return NULL;
    if (b->len + n > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 1 << 16;
        while (c < b->len + n)
            c *= 2;
        char *p = realloc(b->p, c);
        if (!p) {
            b->oom = 1;
            return NULL;
        }
        b->p = p;
        b->cap = c;
    }
    return b->p + b->len;
}

static void sbuf_put(sbuf *b, const char *s, size_t n)
{
    char *dst = sbuf_room(b, n);
    if (dst) {
        memcpy(dst, s, n);
        b->len += n;
    }
}

/* A token as a JSON string: its mapped characters, non-ASCII ones as \uXXXX (as GPT-2's file has). */
static void put_json_token(sbuf *b, const tplr_gpt2_chars *gc, const unsigned char *tok, size_t n)
{
    char *dst = sbuf_room(b, n * 6 + 2);
    if (!dst)
        return;
    char *start = dst;
    *dst++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned cp = gc->cp[tok[i]];
        if (cp == '"' || cp == '\\') {
            *dst++ = '\\';
            *dst++ = (char)cp;
        } else if (cp < 0x80) {
            *dst++ = (char)cp;
        } else {
            dst += snprintf(dst, 7, "\\u%04x", cp);
        }
    }
    *dst++ = '"';
    b->len += (size_t)(dst - start);
}

static void put_mapped(sbuf *b, const tplr_gpt2_chars *gc, const unsigned char *tok, size_t n)
{
    char *dst = sbuf_room(b, 2 * n);
    if (dst)
        b->len += tplr_gpt2_encode(gc, tok, n, dst);
}

static tplr_err write_both(const char *enc_path, const sbuf *enc, const char *bpe_path, const sbuf *bpe)
{
    tplr_atomic_file fe, fb;
    TPLR_TRY(tplr_atomic_open(&fe, enc_path));
    tplr_err e = tplr_atomic_write(&fe, enc->p, enc->len);
    if (e)
        return e;
    if ((e = tplr_atomic_open(&fb, bpe_path))) {
        tplr_atomic_abort(&fe);
        return e;
    }
    if ((e = tplr_atomic_write(&fb, bpe->p, bpe->len))) {
        tplr_atomic_abort(&fe);
        return e;
    }
    if ((e = tplr_atomic_commit(&fb))) {
        tplr_atomic_abort(&fe);
        return e;
    }
    return tplr_atomic_commit(&fe);
}

tplr_err tplr_vocab_write(const tplr_vocab_out *v, const char *out_dir)
{
    tplr_gpt2_chars gc;
    tplr_gpt2_chars_init(&gc);
    sbuf enc = {0}, bpe = {0};
    sbuf_put(&enc, "{", 1);
    for (int i = 0; i < v->n_tokens; i++) {
        char num[32];
        if (i)
            sbuf_put(&enc, ", ", 2);
        put_json_token(&enc, &gc, v->bytes + v->off[i], v->off[i + 1] - v->off[i]);
        sbuf_put(&enc, num, (size_t)snprintf(num, sizeof num, ": %d", i));
    }
    sbuf_put(&enc, "}", 1);
    static const char header[] = "#version: 0.2\n";
    sbuf_put(&bpe, header, sizeof header - 1);
    for (int k = 0; k < v->n_merges; k++) {
        int32_t a = v->left[k], b = v->right[k];
        put_mapped(&bpe, &gc, v->bytes + v->off[a], v->off[a + 1] - v->off[a]);
        sbuf_put(&bpe, " ", 1);
        put_mapped(&bpe, &gc, v->bytes + v->off[b], v->off[b + 1] - v->off[b]);
        sbuf_put(&bpe, "\n", 1);
    }
    char enc_path[4200], bpe_path[4200];
    tplr_err e = enc.oom || bpe.oom ? tplr_fail(TPLR_ENOMEM, "writing the tokenizer files: out of memory") : TPLR_OK;
    if (!e)
        e = tplr_mkdirs(out_dir);
    if (!e)
        e = tplr_path_join(enc_path, sizeof enc_path, out_dir, "encoder.json");
    if (!e)
        e = tplr_path_join(bpe_path, sizeof bpe_path, out_dir, "vocab.bpe");
    if (!e)
        e = write_both(enc_path, &enc, bpe_path, &bpe);
    free(enc.p);
    free(bpe.p);
    return e;
}
