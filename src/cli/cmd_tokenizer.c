/* tplr tokenizer train | encode | decode */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tplr/fileio.h"
#include "tplr/timeutil.h"
#include "tplr/tokenizer.h"

#define MAX_FILES 256
#define MAX_INPUT_BYTES ((size_t)4 << 30)
#define TOKENIZER_HELP "DIR (with encoder.json and vocab.bpe) or gpt2 (the cached GPT-2 files)"

/* Writes buf to path atomically, or to stdout when path is NULL. */
static tplr_err emit(const char *path, const char *buf, size_t n)
{
    if (path)
        return tplr_write_file_atomic(path, buf, n);
    if (fwrite(buf, 1, n, stdout) != n || fflush(stdout) != 0)
        return tplr_fail_errno("writing to standard output");
    return TPLR_OK;
}

static int tok_train(int argc, char **argv)
{
    int vocab = 0, quiet = 0;
    const char *out = NULL;
    cli_opt opts[] = {
        {"vocab-size", OPT_INT, &vocab, "N", "ids in all: 256 bytes + merges + <|endoftext|>", 1, 0},
        {"out", OPT_STR, &out, "DIR", "folder for encoder.json and vocab.bpe", 1, 0},
        {"quiet", OPT_FLAG, &quiet, NULL, "no progress line", 0, 0},
    };
    cli_cmd cmd = {"tplr tokenizer train", "FILE...",
                   "Learns a byte-level BPE vocabulary from text files, split into words as GPT-2 does,\n"
                   "and writes it in GPT-2's format (encoder.json + vocab.bpe).",
                   "Ties between equally frequent pairs go to the pair of older tokens, so the same files\n"
                   "and size always give the same files.",
                   opts, 3, 1, MAX_FILES};
    const char *pos[MAX_FILES];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    double t0 = tplr_now();
    if (tplr_tokenizer_train(pos, n_pos, vocab, out, !quiet))
        return cli_fail(tplr_errmsg());
    printf("wrote %s/encoder.json and %s/vocab.bpe: %d tokens (256 bytes, merges, <|endoftext|> = %d) in %.2f s\n",
           out, out, vocab, vocab - 1, tplr_now() - t0);
    return 0;
}

static int tok_encode(int argc, char **argv)
{
    const char *spec = NULL, *out = NULL, *format = NULL;
    cli_opt opts[] = {
        {"tokenizer", OPT_STR, &spec, "DIR|gpt2", TOKENIZER_HELP, 1, 0},
        {"out", OPT_STR, &out, "FILE", "write here instead of standard output", 0, 0},
        {"format", OPT_STR, &format, "npy|text", "npy: a 1-D uint16 (or int32) array; text: ids separated by spaces "
                                                 "(default: npy with --out, else text)", 0, 0},
    };
    cli_cmd cmd = {"tplr tokenizer encode", "FILE",
                   "Turns a file's bytes into token ids. Any bytes are accepted; special-token strings\n"
                   "such as <|endoftext|> are encoded as ordinary text.",
                   NULL, opts, 3, 1, 1};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    int npy = out != NULL;
    if (format && strcmp(format, "npy") && strcmp(format, "text"))
        return cli_fail("--format must be npy or text");
    if (format)
        npy = !strcmp(format, "npy");
    if (npy && !out)
        return cli_fail("--format npy needs --out FILE.npy");
    tplr_tokenizer *t = NULL;
    tplr_tok_session *s = NULL;
    char *text = NULL, *buf = NULL;
    int32_t *ids = NULL;
    size_t len, n = 0, cap = 0, blen = 0, bcap = 0;
    tplr_err e = tplr_tokenizer_load(spec, &t);
    if (!e)
        e = tplr_read_file(pos[0], MAX_INPUT_BYTES, &text, &len);
    if (!e)
        e = tplr_tok_session_create(t, &s);
    if (!e)
        e = tplr_tokenizer_encode(s, text, len, &ids, &n, &cap);
    if (!e && npy)
        e = tplr_token_ids_write_npy(out, ids, n, tplr_tokenizer_vocab_size(t));
    if (!e && !npy)
        e = tplr_token_ids_format(ids, n, &buf, &blen, &bcap);
    if (!e && !npy)
        e = emit(out, buf, blen);
    if (!e && out)
        fprintf(stderr, "%s: %zu bytes → %zu tokens\n", out, len, n);
    tplr_tok_session_free(s);
    tplr_tokenizer_free(t);
    free(text);
    free(ids);
    free(buf);
    return e ? cli_fail(tplr_errmsg()) : 0;
}

static int tok_decode(int argc, char **argv)
{
    const char *spec = NULL, *out = NULL;
    cli_opt opts[] = {
        {"tokenizer", OPT_STR, &spec, "DIR|gpt2", TOKENIZER_HELP, 1, 0},
        {"out", OPT_STR, &out, "FILE", "write the bytes here instead of standard output", 0, 0},
    };
    cli_cmd cmd = {"tplr tokenizer decode", "FILE",
                   "Turns token ids back into bytes. FILE is a .npy array of integers or text of decimal\n"
                   "ids separated by white space.",
                   NULL, opts, 2, 1, 1};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    tplr_tokenizer *t = NULL;
    int32_t *ids = NULL;
    char *buf = NULL;
    size_t n = 0, len = 0, cap = 0;
    tplr_err e = tplr_tokenizer_load(spec, &t);
    if (!e)
        e = tplr_token_ids_read(pos[0], &ids, &n);
    if (!e && (e = tplr_tokenizer_decode(t, ids, n, &buf, &len, &cap)))
        e = tplr_fail_ctx(e, "%s", pos[0]);
    if (!e)
        e = emit(out, buf, len);
    tplr_tokenizer_free(t);
    free(ids);
    free(buf);
    return e ? cli_fail(tplr_errmsg()) : 0;
}

int cmd_tokenizer(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {{"train", tok_train}, {"encode", tok_encode}, {"decode", tok_decode}};
    for (size_t i = 0; argc >= 2 && i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(argv[1], subs[i].name))
            return subs[i].run(argc - 1, argv + 1);
    FILE *o = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(o, "usage: tplr tokenizer <train|encode|decode> [options]\n\n"
               "  train   learn a byte-level BPE vocabulary (GPT-2 format) from text files\n"
               "  encode  text → token ids (.npy or text)\n"
               "  decode  token ids → text\n\n"
               "--tokenizer takes a folder with encoder.json and vocab.bpe, or gpt2.\n");
    return o == stdout ? 0 : 2;
}
