/* tplr codec encode | decode | aggregate (inspect and overlap: cmd_codec_inspect.c) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "codec_cli.h"
#include "commands.h"
#include "tplr/codec_file.h"
#include "tplr/fileio.h"
#include "tplr/hash.h"
#include "tplr/kernels.h"
#include "tplr/mem.h"

#define EF_FORMAT "tplr-codec-ef"

static const char *const key_help =
    "A key file holds a 32-byte Ed25519 seed as 64 hexadecimal digits (the hotkey's seed;\n"
    "wallets will reuse it). Make one with:\n"
    "  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > hotkey.seed";

/* Loads the error feedback from an existing state file into e. */
static tplr_err load_state(const char *path, const tplr_codec_table *t, float *e)
{
    tplr_safetensors st;
    TPLR_TRY(tplr_st_open(path, &st));
    const char *format = tplr_st_meta_get(&st, "format");
    tplr_err err = format && !strcmp(format, EF_FORMAT)
                       ? tplr_codec_st_read(&st, t, e)
                       : tplr_fail(TPLR_EFORMAT, "%s is not an error-feedback state file (format %s)", path,
                                   EF_FORMAT);
    tplr_st_close(&st);
    return err;
}

static tplr_err parse_layout(const char *name, tplr_codec_encode_opts *o)
{
    if (!strcmp(name, "auto"))
        o->index_layout = TPLR_CODEC_IDX_AUTO, o->code_layout = TPLR_CODEC_CODES_PACKED;
    else if (!strcmp(name, "pack12"))
        o->index_layout = TPLR_CODEC_IDX_PACK12, o->code_layout = TPLR_CODEC_CODES_PACKED;
    else if (!strcmp(name, "templar"))
        o->index_layout = TPLR_CODEC_IDX_PACK12, o->code_layout = TPLR_CODEC_CODES_BYTE;
    else
        return tplr_fail(TPLR_EINVAL, "unknown layout '%s' (choose auto, pack12 or templar)", name);
    return TPLR_OK;
}

typedef struct encode_args {
    const char *delta, *key, *out, *model, *state, *layout;
    uint64_t window, uid;
    int null_round;
    double decay;
    tplr_codec_params p;
} encode_args;

static tplr_err run_encode(const encode_args *a)
{
    unsigned char pk[32], sk[64];
    tplr_codec_encode_opts o = tplr_codec_encode_defaults();
    o.momentum_decay = a->decay;
    TPLR_TRY(parse_layout(a->layout, &o));
    if (a->uid > UINT32_MAX)
        return tplr_fail(TPLR_EINVAL, "--uid %llu is too large", (unsigned long long)a->uid);
    TPLR_TRY(cc_load_key(a->key, pk, sk));
    tplr_safetensors st;
    TPLR_TRY(tplr_st_open(a->delta, &st));
    tplr_model *shapes = NULL;
    tplr_codec_table t = {0};
    tplr_codec_encoder *enc = NULL;
    float *delta = NULL;
    tplr_err e = a->model ? cc_model_table(a->model, &shapes, &t) : tplr_codec_table_of_st(&st, &t);
    if (!e) e = tplr_codec_encoder_create(&t, &a->p, &o, &enc);
    if (!e) e = tplr_alloc((void **)&delta, sizeof(float) * t.n_floats, "the delta");
    if (!e) e = tplr_codec_st_read(&st, &t, delta);
    if (!e && a->state && tplr_path_exists(a->state))
        e = load_state(a->state, &t, tplr_codec_encoder_state(enc));
    const unsigned char *bytes;
    size_t n = 0;
    tplr_codec_origin who = {a->window, (uint32_t)a->uid, sk};
    if (!e) e = tplr_codec_encode(enc, delta, a->null_round, &who, &bytes, &n);
    if (!e) e = tplr_write_file_atomic(a->out, bytes, n);
    if (!e && a->state) {
        tplr_st_meta meta[] = {{"format", EF_FORMAT}, {"version", "1"}};
        e = tplr_codec_st_write(a->state, &t, tplr_codec_encoder_state(enc), meta, 2);
    }
    if (!e) {
        char hex[65];
        tplr_hex(hex, pk, 32);
        printf("wrote %s: %d tensors, %zu bytes, %.1fx smaller than dense fp32 (%zu bytes); window %llu, uid %llu, "
               "signer %s\n", a->out, t.n_tensors, n, (double)t.n_floats * 4.0 / (double)n, t.n_floats * 4,
               (unsigned long long)a->window, (unsigned long long)a->uid, hex);
    }
    memset(sk, 0, sizeof sk);
    tplr_free(delta);
    tplr_codec_encoder_free(enc);
    tplr_codec_table_free(&t);
    tplr_model_free(shapes);
    tplr_st_close(&st);
    return e;
}

static int codec_encode(int argc, char **argv)
{
    encode_args a = {.layout = "auto", .decay = 0.95, .p = tplr_codec_defaults()};
    int threads = cli_default_threads();
    cli_opt opts[] = {
        {"delta", OPT_STR, &a.delta, "FILE", "pseudo-gradient Δ = θ_start − θ_end (.safetensors, fp32/fp16/bf16)", 1, 0},
        {"key", OPT_STR, &a.key, "FILE", "the miner's hotkey seed (64 hex digits) that signs the container", 1, 0},
        {"out", OPT_STR, &a.out, "FILE", "the container to write", 1, 0},
        {"model", OPT_STR, &a.model, "DIR", "take tensors from this model's config.json (default: the delta's)", 0, 0},
        {"state", OPT_STR, &a.state, "FILE", "error feedback: read if it exists, written back after encoding", 0, 0},
        {"window", OPT_U64, &a.window, "W", "window the gradient belongs to (default 0)", 0, 0},
        {"uid", OPT_U64, &a.uid, "U", "the miner's uid (default 0)", 0, 0},
        {"topk", OPT_INT, &a.p.topk, "K", "values kept per tile (default 64)", 0, 0},
        {"chunk", OPT_INT, &a.p.target_chunk, "N", "tile side bound, 1..64 (default 64)", 0, 0},
        {"bins", OPT_INT, &a.p.bins, "B", "quantization levels, 2..256 (default 4)", 0, 0},
        {"range", OPT_INT, &a.p.quant_range, "S", "quantizer range in standard deviations (default 6)", 0, 0},
        {"dct", OPT_FLAG, &a.p.use_dct, NULL, "orthonormal DCT-II per tile before top-k", 0, 0},
        {"decay", OPT_DOUBLE, &a.decay, "BETA", "error-feedback decay β (default 0.95)", 0, 0},
        {"null-round", OPT_FLAG, &a.null_round, NULL, "clear the error feedback and send zeros (warm-up window)", 0, 0},
        {"layout", OPT_STR, &a.layout, "L", "auto (Rice positions when smaller, packed codes), pack12, templar", 0, 0},
        {"threads", OPT_INT, &threads, "N", "CPU threads (default: all)", 0, 0},
    };
    cli_cmd cmd = {"tplr codec encode", NULL,
                   "Compresses a pseudo-gradient as a miner does: e ← β·e + Δ; tiles; top-k; quantize; sign;\n"
                   "e ← e − decode(sent). Writes the signed container (docs/formats.md).",
                   key_help, opts, (int)(sizeof opts / sizeof opts[0]), 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (threads < 1)
        return cli_fail("--threads must be at least 1");
    tplr_k_set_threads(threads);
    return run_encode(&a) ? cli_fail(tplr_errmsg()) : 0;
}

/* Expectations from the shared flags. */
typedef struct expect_args {
    const char *model, *signer;
    int64_t window, uid;
} expect_args;

static tplr_err make_expect(const expect_args *a, tplr_model **shapes, tplr_codec_table *t, unsigned char pk[32],
                            tplr_codec_expect *x)
{
    *x = (tplr_codec_expect){NULL, NULL, NULL, a->window, a->uid, a->model ? 0 : TPLR_CODEC_FILE_MAX};
    if (a->signer) {
        TPLR_TRY(cc_parse_pubkey(a->signer, pk));
        x->signer = pk;
    }
    if (a->model) {
        TPLR_TRY(cc_model_table(a->model, shapes, t));
        x->table = t;
    }
    return TPLR_OK;
}

static void print_skipped(const tplr_codec_table *t, const unsigned char *skipped)
{
    for (int i = 0; i < t->n_tensors; i++)
        if (skipped[i])
            printf("  skipped %s: its result is not finite (left at zero)\n", t->tensors[i].name);
}

/* Decodes (one file) or aggregates (several) into out_path. */
static tplr_err run_combine(const char *const *files, int n, const expect_args *ea, const char *out_path, int json)
{
    tplr_model *shapes = NULL;
    tplr_codec_table model_t = {0}, t = {0};
    tplr_codec_expect x;
    unsigned char pk[32];
    cc_container *c = calloc((size_t)n, sizeof *c);
    if (!c)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    tplr_err e = make_expect(ea, &shapes, &model_t, pk, &x);
    if (!e) e = cc_open_all(files, n, x, c, &t);
    if (e) {
        free(c);
        tplr_model_free(shapes);
        return e;
    }
    if (t.n_floats > CC_MAX_DENSE_FLOATS && !ea->model)
        e = tplr_fail(TPLR_EINVAL, "%s claims %zu values; pass --model to check it against a model", files[0],
                      t.n_floats);
    tplr_codec_aggregator *agg = NULL;
    float *out = NULL;
    unsigned char *skipped = calloc((size_t)t.n_tensors, 1);
    const tplr_codec_view **views = malloc(sizeof *views * (size_t)n);
    int n_skipped = 0;
    if (!e && (!skipped || !views))
        e = tplr_fail(TPLR_ENOMEM, "out of memory");
    for (int i = 0; !e && i < n; i++)
        views[i] = &c[i].view;
    if (!e) e = tplr_codec_aggregator_create(&t, &c[0].view.params, n, &agg);
    if (!e) e = tplr_alloc((void **)&out, sizeof(float) * t.n_floats, "the dense output");
    if (!e && n == 1) e = tplr_codec_decode(agg, views[0], out, skipped);
    if (!e && n > 1) e = tplr_codec_aggregate(agg, views, n, out, skipped, &n_skipped);
    if (!e) e = cc_write_dense(out_path, &t, out, n == 1 ? "tplr-codec-decoded" : "tplr-codec-aggregate", c, n);
    for (int i = 0; !e && i < t.n_tensors; i++)
        n_skipped += n == 1 && skipped[i];
    if (!e && json) {
        json_t *j = json_pack("{s:s, s:i, s:i, s:i, s:I}", "out", out_path, "peers", n, "tensors", t.n_tensors,
                              "skipped", n_skipped, "floats", (json_int_t)t.n_floats);
        char *text = json_dumps(j, JSON_COMPACT);
        puts(text ? text : "{}");
        free(text);
        json_decref(j);
    } else if (!e) {
        printf("wrote %s: %s of %d container%s, %d tensors, %zu values\n", out_path, n == 1 ? "decoding" : "aggregate",
               n, n == 1 ? "" : "s", t.n_tensors, t.n_floats);
        print_skipped(&t, skipped);
    }
    tplr_free(out);
    tplr_codec_aggregator_free(agg);
    free(skipped);
    free(views);
    for (int i = 0; i < n; i++)
        cc_close(&c[i]);
    free(c);
    if (t.owned)
        tplr_codec_table_free(&t);
    tplr_model_free(shapes);
    return e;
}

static int codec_combine(int argc, char **argv, int aggregate)
{
    expect_args ea = {NULL, NULL, -1, -1};
    const char *out = NULL;
    int threads = cli_default_threads(), json = 0;
    cli_opt opts[] = { /* aggregate takes the first five */
        {"out", OPT_STR, &out, "FILE", "dense result (.safetensors, fp32, the containers' tensor names)", 1, 0},
        {"model", OPT_STR, &ea.model, "DIR", "check tensors against this model (default: the first container's)", 0, 0},
        {"window", OPT_I64, &ea.window, "W", "refuse containers of another window", 0, 0},
        {"threads", OPT_INT, &threads, "N", "CPU threads (default: all)", 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print a JSON summary", 0, 0},
        {"signer", OPT_STR, &ea.signer, "HEX", "refuse a container not signed by this public key", 0, 0},
        {"uid", OPT_I64, &ea.uid, "U", "refuse a container of another uid", 0, 0},
    };
    cli_cmd dec = {"tplr codec decode", "CONTAINER",
                   "Validates a container (signature included) and writes the dense pseudo-gradient it carries:\n"
                   "each position the value sent for it, 0 elsewhere.",
                   NULL, opts, 7, 1, 1};
    cli_cmd agg = {"tplr codec aggregate", "CONTAINER...",
                   "Validates containers and aggregates them as Templar's batch_decompress: per tensor, each\n"
                   "peer's values are scaled to at most the lower-median norm, then every position is the mean\n"
                   "of the values the peers sent for it. Any refused container stops the command.",
                   NULL, opts, 5, 1, CC_MAX_FILES};
    cli_cmd *cmd = aggregate ? &agg : &dec;
    const char *pos[CC_MAX_FILES];
    int n_pos, r = cli_parse(cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (threads < 1)
        return cli_fail("--threads must be at least 1");
    tplr_k_set_threads(threads);
    return run_combine(pos, n_pos, &ea, out, json) ? cli_fail(tplr_errmsg()) : 0;
}

int cmd_codec(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "encode"))
        return codec_encode(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "decode"))
        return codec_combine(argc - 1, argv + 1, 0);
    if (argc >= 2 && !strcmp(argv[1], "aggregate"))
        return codec_combine(argc - 1, argv + 1, 1);
    if (argc >= 2 && !strcmp(argv[1], "inspect"))
        return cmd_codec_inspect(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "overlap"))
        return cmd_codec_overlap(argc - 1, argv + 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr codec <encode|decode|aggregate|inspect|overlap> [options]\n\n"
                 "  encode     compress a pseudo-gradient into a signed container\n"
                 "  decode     validate a container and write its dense pseudo-gradient\n"
                 "  aggregate  validate containers and write their aggregate\n"
                 "  inspect    show a container's header, tensors, sizes and signature\n"
                 "  overlap    shared-position fractions between containers (plagiarism check)\n");
    return out == stdout ? 0 : 2;
}
