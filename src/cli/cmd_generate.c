/* tplr generate */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tplr/checkpoint.h"
#include "tplr/generate.h"
#include "tplr/kernels.h"
#include "tplr/tokenizer.h"

typedef struct gen_args {
    const char *model, *tokenizer, *prompt;
    int max_tokens, top_k, threads, stop_at_eos;
    double temperature;
    uint64_t seed;
} gen_args;

static tplr_err encode_prompt(const tplr_tokenizer *tok, const char *text, int32_t **ids, size_t *n)
{
    tplr_tok_session *s;
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    TPLR_TRY(tplr_tok_session_create(tok, &s));
    tplr_err e = tplr_tokenizer_encode(s, text, strlen(text), ids, n, &cap);
    tplr_tok_session_free(s);
    if (!e && *n == 0) {
        int32_t eos = tplr_tokenizer_eos(tok);
        if (eos < 0)
            e = tplr_fail(TPLR_EINVAL, "the prompt is empty and the tokenizer has no <|endoftext|> to start from");
        else if (!(*ids = malloc(sizeof **ids)))
            e = tplr_fail(TPLR_ENOMEM, "out of memory");
        else
            (*ids)[(*n)++] = eos; /* an empty prompt starts a fresh document */
    }
    return e;
}

/* Streams the prompt, then each sampled token's bytes as it comes. */
static tplr_err run(const gen_args *a, tplr_model *m, const tplr_tokenizer *tok)
{
    if (tplr_tokenizer_vocab_size(tok) > m->cfg.vocab)
        return tplr_fail(TPLR_EMISMATCH, "the tokenizer has %d tokens, more than the model's vocabulary of %d",
                         tplr_tokenizer_vocab_size(tok), m->cfg.vocab);
    int32_t *ids;
    size_t n;
    TPLR_TRY(encode_prompt(tok, a->prompt, &ids, &n));
    tplr_err e = TPLR_OK;
    if (n + (size_t)a->max_tokens > (size_t)m->cfg.max_seq)
        e = tplr_fail(TPLR_EINVAL, "the prompt (%zu tokens) plus --max-tokens %d exceeds the model's max_seq %d",
                      n, a->max_tokens, m->cfg.max_seq);
    tplr_generator *g = NULL;
    if (!e)
        e = tplr_generator_create(m, (int)n + a->max_tokens, &g);
    if (!e)
        e = tplr_generator_feed(g, ids, (int)n);
    if (!e) {
        fputs(a->prompt, stdout);
        fflush(stdout);
    }
    int32_t eos = tplr_tokenizer_eos(tok);
    for (int i = 0; i < a->max_tokens && !e; i++) {
        int32_t next = tplr_sample_logits(g->logits, m->cfg.vocab, a->temperature, a->top_k, a->seed, (uint64_t)i,
                                          g->order);
        if (a->stop_at_eos && next == eos)
            break;
        size_t len;
        const char *bytes = tplr_tokenizer_token_bytes(tok, next, &len);
        if (bytes) { /* a model may be larger than its tokenizer: such ids print nothing */
            fwrite(bytes, 1, len, stdout);
            fflush(stdout);
        }
        if (i + 1 < a->max_tokens)
            e = tplr_generator_feed(g, &next, 1);
    }
    fputc('\n', stdout);
    tplr_generator_free(g);
    free(ids);
    return e;
}

int cmd_generate(int argc, char **argv)
{
    gen_args a = {.prompt = "", .max_tokens = 200, .top_k = 40, .threads = cli_default_threads(),
                  .temperature = 0.8};
    cli_opt opts[] = {
        {"model", OPT_STR, &a.model, "DIR", "model folder", 1, 0},
        {"tokenizer", OPT_STR, &a.tokenizer, "DIR|gpt2", "tokenizer folder (encoder.json + vocab.bpe) or gpt2", 1, 0},
        {"prompt", OPT_STR, &a.prompt, "TEXT", "text to continue (default: a fresh document)", 0, 0},
        {"max-tokens", OPT_INT, &a.max_tokens, "N", "tokens to generate (default 200)", 0, 0},
        {"temperature", OPT_DOUBLE, &a.temperature, "T", "sampling temperature; 0 picks the likeliest (default 0.8)", 0, 0},
        {"top-k", OPT_INT, &a.top_k, "K", "sample among the K likeliest tokens; 0 for all (default 40)", 0, 0},
        {"seed", OPT_U64, &a.seed, "S", "sampling seed: the same seed gives the same text (default 0)", 0, 0},
        {"stop-at-eos", OPT_FLAG, &a.stop_at_eos, NULL, "stop at <|endoftext|>", 0, 0},
        {"threads", OPT_INT, &a.threads, "N", "CPU threads (default: all)", 0, 0},
    };
    cli_cmd cmd = {"tplr generate", NULL,
                   "Continues a prompt with a trained model, streaming tokens as they come (KV cache).", NULL, opts,
                   (int)(sizeof opts / sizeof opts[0]), 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (a.max_tokens < 1 || a.top_k < 0 || a.temperature < 0 || a.threads < 1)
        return cli_fail("--max-tokens and --threads must be at least 1, --top-k and --temperature at least 0");
    tplr_k_set_threads(a.threads);
    tplr_model *m;
    if (tplr_checkpoint_load(a.model, &m))
        return cli_fail(tplr_errmsg());
    tplr_tokenizer *tok;
    if (tplr_tokenizer_load(a.tokenizer, &tok)) {
        tplr_model_free(m);
        return cli_fail(tplr_errmsg());
    }
    tplr_err e = run(&a, m, tok);
    tplr_tokenizer_free(tok);
    tplr_model_free(m);
    return e ? cli_fail(tplr_errmsg()) : 0;
}
