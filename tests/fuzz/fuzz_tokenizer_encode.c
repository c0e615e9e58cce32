/* libFuzzer target: GPT-2's tokenizer on arbitrary bytes. Every id must be in
 * the vocabulary and decode(encode(x)) must be x; encoding the input twice with
 * the same session (the second time from its word cache) must agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/tokenizer.h"

static tplr_tokenizer *tok;
static tplr_tok_session *sess;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (tplr_tokenizer_load("gpt2", &tok) || tplr_tok_session_create(tok, &sess)) {
        fprintf(stderr, "fuzz_tokenizer_encode: %s\n", tplr_errmsg());
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int32_t *ids = NULL;
    char *back = NULL;
    size_t n = 0, cap = 0, blen = 0, bcap = 0;
    if (tplr_tokenizer_encode(sess, (const char *)data, size, &ids, &n, &cap))
        abort();
    size_t first = n;
    if (tplr_tokenizer_encode(sess, (const char *)data, size, &ids, &n, &cap) || n != 2 * first ||
        (first && memcmp(ids, ids + first, first * sizeof *ids)))
        abort();
    for (size_t i = 0; i < first; i++)
        if (ids[i] < 0 || ids[i] >= tplr_tokenizer_vocab_size(tok))
            abort();
    if (tplr_tokenizer_decode(tok, ids, first, &back, &blen, &bcap) || blen != size || (size && memcmp(back, data, size)))
        abort();
    free(ids);
    free(back);
    return 0;
}
