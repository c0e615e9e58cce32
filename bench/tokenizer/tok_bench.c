/* bench/tokenizer: times tplr's tokenizer in this process, one core.
 *   tok_bench encode SPEC FILE ROUNDS          encode FILE (a fresh session each round)
 *   tok_bench train FILE VOCAB OUT_DIR ROUNDS  learn a vocabulary of VOCAB ids
 * Prints one JSON line with the best round. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/fileio.h"
#include "tplr/timeutil.h"
#include "tplr/tokenizer.h"

static int fail(void)
{
    fprintf(stderr, "tok_bench: %s\n", tplr_errmsg());
    return 1;
}

static int bench_encode(const char *spec, const char *file, int rounds)
{
    tplr_tokenizer *t;
    char *text;
    size_t len;
    double t0 = tplr_now();
    if (tplr_tokenizer_load(spec, &t))
        return fail();
    double load_s = tplr_now() - t0;
    if (tplr_read_file(file, (size_t)1 << 32, &text, &len))
        return fail();
    double best = 1e30;
    size_t n = 0;
    for (int r = 0; r < rounds; r++) {
        tplr_tok_session *s;
        int32_t *ids = NULL;
        size_t cap = 0;
        n = 0;
        double a = tplr_now();
        if (tplr_tok_session_create(t, &s) || tplr_tokenizer_encode(s, text, len, &ids, &n, &cap))
            return fail();
        double sec = tplr_now() - a;
        best = sec < best ? sec : best;
        tplr_tok_session_free(s);
        free(ids);
    }
    printf("{\"bench\": \"tokenizer_encode\", \"impl\": \"tplr\", \"bytes\": %zu, \"tokens\": %zu, \"seconds\": %.4f, "
           "\"mb_s\": %.2f, \"load_seconds\": %.4f}\n",
           len, n, best, (double)len / best / 1e6, load_s);
    free(text);
    tplr_tokenizer_free(t);
    return 0;
}

static int bench_train(const char *file, int vocab, const char *out, int rounds)
{
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
        double a = tplr_now();
        if (tplr_tokenizer_train(&file, 1, vocab, out, 0))
            return fail();
        double sec = tplr_now() - a;
        best = sec < best ? sec : best;
    }
    printf("{\"bench\": \"tokenizer_train\", \"impl\": \"tplr\", \"vocab_size\": %d, \"seconds\": %.3f}\n", vocab, best);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "encode"))
        return bench_encode(argv[2], argv[3], atoi(argv[4]));
    if (argc == 6 && !strcmp(argv[1], "train"))
        return bench_train(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]));
    fprintf(stderr, "usage: tok_bench encode SPEC FILE ROUNDS | tok_bench train FILE VOCAB OUT_DIR ROUNDS\n");
    return 2;
}
