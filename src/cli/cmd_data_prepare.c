/* tplr data prepare */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tplr/fileio.h"
#include "tplr/progress.h"
#include "tplr/shards.h"
#include "tplr/tokenizer.h"

typedef enum { DOC_FILE, DOC_LINES, DOC_PARAGRAPHS } doc_mode;

typedef struct prepare_ctx {
    tplr_tok_session *session;
    tplr_shards_writer *writer;
    int32_t *ids;
    size_t n, cap;
} prepare_ctx;

static tplr_err add_document(prepare_ctx *c, const char *text, size_t len)
{
    c->n = 0;
    TPLR_TRY(tplr_tokenizer_encode(c->session, text, len, &c->ids, &c->n, &c->cap));
    return tplr_shards_writer_add(c->writer, c->ids, c->n);
}

/* Splits a file's bytes into documents: the whole file, each non-empty
 * line, or each blank-line-separated paragraph; a line or paragraph has
 * its leading and trailing CR/LF removed (the last one of a file too). */
static tplr_err add_file(prepare_ctx *c, const unsigned char *data, size_t size, doc_mode mode)
{
    const char *p = (const char *)data, *end = p + size;
    if (mode == DOC_FILE)
        return size ? add_document(c, p, size) : TPLR_OK;
    while (p < end) {
        const char *q = p;
        if (mode == DOC_LINES) {
            while (q < end && *q != '\n')
                q++;
        } else
            while (q < end && !(*q == '\n' && q + 1 < end && q[1] == '\n'))
                q++;
        const char *s = p, *e = q;
        while (s < e && (*s == '\n' || *s == '\r'))
            s++;
        while (e > s && (e[-1] == '\n' || e[-1] == '\r'))
            e--;
        if (e > s)
            TPLR_TRY(add_document(c, s, (size_t)(e - s)));
        p = q < end ? q + 1 : end;
    }
    return TPLR_OK;
}

int data_prepare(int argc, char **argv)
{
    const char *tok_spec = NULL, *out = NULL, *docs = "file";
    cli_list inputs = {0};
    int sample_len = 0;
    int64_t shard_tokens = 64 << 20;
    double val_fraction = 0;
    cli_opt opts[] = {
        {"tokenizer", OPT_STR, &tok_spec, "DIR|gpt2", "tokenizer folder (encoder.json + vocab.bpe) or gpt2", 1, 0},
        {"input", OPT_LIST, &inputs, "FILE", "text to tokenize (repeatable)", 1, 0},
        {"out", OPT_STR, &out, "DIR", "the shard folder to create", 1, 0},
        {"sample-len", OPT_INT, &sample_len, "S", "tokens per sample (the training sequence length)", 1, 0},
        {"shard-tokens", OPT_I64, &shard_tokens, "N", "tokens per shard file (default 67108864)", 0, 0},
        {"val-fraction", OPT_DOUBLE, &val_fraction, "F", "share of samples for the val split (default 0)", 0, 0},
        {"documents", OPT_STR, &docs, "MODE", "what a document is: file (default), lines or paragraphs", 0, 0},
    };
    cli_cmd cmd = {"tplr data prepare", NULL,
                   "Tokenizes documents (EOS appended to each) into a shard folder: samples of S tokens, their\n"
                   "64-bit ids, a train/val split, and a manifest. See docs/formats.md.",
                   NULL, opts, (int)(sizeof opts / sizeof opts[0]), 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    doc_mode mode = !strcmp(docs, "file") ? DOC_FILE : !strcmp(docs, "lines") ? DOC_LINES : DOC_PARAGRAPHS;
    if (strcmp(docs, "file") && strcmp(docs, "lines") && strcmp(docs, "paragraphs"))
        return cli_fail("--documents must be file, lines or paragraphs");
    tplr_tokenizer *tok;
    if (tplr_tokenizer_load(tok_spec, &tok))
        return cli_fail(tplr_errmsg());
    tplr_shards_params p = {.dir = out, .tokenizer = tok_spec, .vocab_size = tplr_tokenizer_vocab_size(tok),
                            .eos = tplr_tokenizer_eos(tok), .sample_len = sample_len, .shard_tokens = shard_tokens,
                            .val_fraction = val_fraction};
    prepare_ctx c = {0};
    size_t total = 0, done = 0;
    tplr_err e = TPLR_OK;
    for (int i = 0; i < inputs.n && !e; i++) { /* every input is readable before anything is written */
        tplr_mmap map;
        if ((e = tplr_mmap_open(inputs.items[i], &map)) == TPLR_OK) {
            total += map.size;
            tplr_mmap_close(&map);
        }
    }
    if (!e)
        e = tplr_tok_session_create(tok, &c.session);
    if (!e)
        e = tplr_shards_writer_create(&p, &c.writer);
    tplr_progress prog;
    tplr_progress_start(&prog, stderr, (int64_t)total);
    for (int i = 0; i < inputs.n && !e; i++) {
        tplr_mmap map;
        e = tplr_mmap_open(inputs.items[i], &map);
        if (!e) {
            e = add_file(&c, map.data, map.size, mode);
            done += map.size;
            tplr_mmap_close(&map);
            tplr_progress_update(&prog, (int64_t)done, inputs.items[i], 0);
        }
    }
    tplr_progress_finish(&prog);
    tplr_shards_summary sum;
    if (!e) {
        e = tplr_shards_writer_finish(c.writer, &sum);
        c.writer = NULL;
    }
    tplr_shards_writer_abort(c.writer);
    tplr_tok_session_free(c.session);
    tplr_tokenizer_free(tok);
    free(c.ids);
    if (e)
        return cli_fail(tplr_errmsg());
    printf("%s: %lld documents, %lld tokens -> %lld train samples in %d files, %lld val samples in %d files "
           "(%d tokens each, %.1f MiB)\n", out, (long long)sum.documents, (long long)sum.tokens,
           (long long)sum.train_samples, sum.train_shards, (long long)sum.val_samples, sum.val_shards, sample_len,
           (double)sum.bytes / 1048576.0);
    return 0;
}
