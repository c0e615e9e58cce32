/* libFuzzer target: loading tokenizer files. The input is encoder.json, a NUL
 * byte, then vocab.bpe. A pair that loads must encode any text (here: a fixed
 * sample and the merge list's own bytes) to ids that decode back to it. */
#include <stdlib.h>
#include <string.h>

#include "tplr/tokenizer.h"

static void roundtrip(const tplr_tokenizer *t, const char *text, size_t len)
{
    tplr_tok_session *s;
    if (tplr_tok_session_create(t, &s))
        return;
    int32_t *ids = NULL;
    char *back = NULL;
    size_t n = 0, cap = 0, blen = 0, bcap = 0;
    if (tplr_tokenizer_encode(s, text, len, &ids, &n, &cap) || tplr_tokenizer_decode(t, ids, n, &back, &blen, &bcap) ||
        blen != len || (len && memcmp(back, text, len)))
        abort();
    free(ids);
    free(back);
    tplr_tok_session_free(s);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const unsigned char *nul = memchr(data, 0, size);
    if (!nul)
        return 0;
    size_t enc_len = (size_t)(nul - data);
    tplr_tokenizer *t;
    if (tplr_tokenizer_load_mem((const char *)data, enc_len, "encoder.json", (const char *)nul + 1, size - enc_len - 1,
                                "vocab.bpe", &t))
        return 0;
    if (tplr_tokenizer_vocab_size(t) < 256)
        abort();
    static const char sample[] = "Hello, world! It's 2024: caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xff\xfe  \n\n ab ab";
    roundtrip(t, sample, sizeof sample - 1);
    roundtrip(t, (const char *)nul + 1, size - enc_len - 1);
    tplr_tokenizer_free(t);
    return 0;
}
