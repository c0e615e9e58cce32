/* tplr data: bytes, info, pool (prepare is in cmd_data_prepare.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tplr/fileio.h"
#include "tplr/sampler.h"
#include "tplr/tokens.h"

#define MAX_INPUT_BYTES ((size_t)4 << 30)

/* Concatenates the files' bytes. */
static tplr_err read_inputs(const cli_list *inputs, unsigned char **out, size_t *len)
{
    unsigned char *all = NULL;
    size_t n = 0;
    for (int i = 0; i < inputs->n; i++) {
        char *buf;
        size_t got;
        tplr_err e = tplr_read_file(inputs->items[i], MAX_INPUT_BYTES, &buf, &got);
        if (e) {
            free(all);
            return e;
        }
        unsigned char *grown = realloc(all, n + got + 1);
        if (!grown) {
            free(buf);
            free(all);
            return tplr_fail(TPLR_ENOMEM, "reading the inputs: out of memory");
        }
        all = grown;
        memcpy(all + n, buf, got);
        n += got;
        free(buf);
    }
    *out = all;
    *len = n;
    return TPLR_OK;
}

static int data_bytes(int argc, char **argv)
{
    cli_list inputs = {0};
    const char *out = NULL, *val_out = NULL;
    int seq = 0;
    double val_fraction = 0;
    cli_opt opts[] = {
        {"input", OPT_LIST, &inputs, "FILE", "text or any file (repeatable)", 1, 0},
        {"seq", OPT_INT, &seq, "S", "sequence length: rows hold S+1 bytes", 1, 0},
        {"out", OPT_STR, &out, "FILE.npy", "training rows", 1, 0},
        {"val-out", OPT_STR, &val_out, "FILE.npy", "validation rows (the last ones)", 0, 0},
        {"val-fraction", OPT_DOUBLE, &val_fraction, "F", "share of rows for validation (default 0)", 0, 0},
    };
    cli_cmd cmd = {"tplr data bytes", NULL,
                   "Byte-level samples (vocabulary 256): the inputs' bytes cut into rows of S+1 tokens,\n"
                   "written as uint16 .npy arrays that `tplr train` and `tplr eval` read.",
                   NULL, opts, 5, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (val_fraction > 0 && !val_out)
        return cli_fail("--val-fraction needs --val-out");
    unsigned char *bytes = NULL;
    size_t n = 0;
    if (read_inputs(&inputs, &bytes, &n))
        return cli_fail(tplr_errmsg());
    int64_t n_train, n_val;
    tplr_err e = tplr_byte_rows_write(bytes, n, seq + 1, val_fraction, out, val_out, &n_train, &n_val);
    free(bytes);
    if (e)
        return cli_fail(tplr_errmsg());
    printf("wrote %lld training rows to %s", (long long)n_train, out);
    if (val_out)
        printf(" and %lld validation rows to %s", (long long)n_val, val_out);
    printf(" (%d tokens each, from %zu bytes)\n", seq + 1, n);
    return 0;
}

/* One split (or file) of a data source, opened and fully checked; 1 when
 * it is unusable (an empty split of a shard folder is not an error). */
static int print_source(const char *path, const char *split, int seq)
{
    tplr_samples s;
    tplr_samples_opts o = {.vocab = 1 << 30, .split = split, .sample_len = seq};
    tplr_err e = tplr_samples_open(path, &o, &s);
    if (e == TPLR_ENOTFOUND && split) {
        printf("  %-6s no samples\n", split);
        return 0;
    }
    if (e) {
        printf("  %-6s unusable (see below)\n", split ? split : "");
        fflush(stdout);
        cli_fail(tplr_errmsg());
        return 1;
    }
    static const char *const kinds[] = {"2-D .npy rows", "tplr shards", "1-D .npy tokens (Templar)"};
    printf("  %-6s %lld samples of %d positions (%lld tokens) in %s%s", split ? split : "", (long long)s.n, s.T,
           (long long)s.n * s.T, kinds[s.kind], s.kind == TPLR_SAMPLES_SHARDS ? "" : "\n");
    if (s.kind == TPLR_SAMPLES_SHARDS)
        printf(" (%d files, %s tokens, vocabulary %u, EOS %d)\n", s.n_shards,
               s.shards[0].token_bytes == 2 ? "uint16" : "uint32", s.shards[0].vocab_size, s.eos);
    tplr_samples_close(&s);
    return 0;
}

static int data_info(int argc, char **argv)
{
    int seq = 0;
    cli_opt opts[] = {{"seq", OPT_INT, &seq, "S", "1-D .npy arrays: tokens per sample", 0, 0}};
    cli_cmd cmd = {"tplr data info", "PATH",
                   "Checks a data source whole (every shard's checksum and tokens) and prints what it holds.", NULL,
                   opts, 1, 1, 1};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    char manifest[4300];
    snprintf(manifest, sizeof manifest, "%s/%s", pos[0], TPLR_SHARDS_MANIFEST);
    printf("%s\n", pos[0]);
    int bad;
    if (tplr_path_exists(manifest))
        bad = print_source(pos[0], "train", 0) | print_source(pos[0], "val", 0);
    else
        bad = print_source(pos[0], NULL, seq);
    return bad;
}

static int data_pool(int argc, char **argv)
{
    const char *data = NULL, *split = "train";
    uint64_t uid = 0, window = 0, net = 0;
    int64_t size = 30720, show = 10;
    int seq = 0, json = 0;
    cli_opt opts[] = {
        {"data", OPT_STR, &data, "PATH", "the shard (folder or 1-D .npy) the pool is drawn from", 1, 0},
        {"uid", OPT_U64, &uid, "N", "the miner's uid", 1, 0},
        {"window", OPT_U64, &window, "N", "the window", 1, 0},
        {"size", OPT_I64, &size, "K", "samples in the pool (default 30720 = 30 inner steps x 1024)", 0, 0},
        {"network-seed", OPT_U64, &net, "N", "the network's seed (default 0: Templar's scheme)", 0, 0},
        {"split", OPT_STR, &split, "NAME", "shard folders: train (default) or val", 0, 0},
        {"seq", OPT_INT, &seq, "S", "1-D .npy arrays: tokens per sample", 0, 0},
        {"show", OPT_I64, &show, "N", "print the first N sample indices (default 10)", 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print JSON: digest and the whole pool", 0, 0},
    };
    cli_cmd cmd = {"tplr data pool", NULL,
                   "The samples a miner trains on in a window, and their digest: np.random.default_rng(seed)\n"
                   ".choice(N, K, replace=False) with seed = (uid*1000003 ^ window) & 0xFFFFFFFF, as Templar.",
                   NULL, opts, (int)(sizeof opts / sizeof opts[0]), 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (size < 1)
        return cli_fail("--size must be at least 1");
    tplr_samples s;
    tplr_samples_opts o = {.vocab = 1 << 30, .split = split, .sample_len = seq};
    if (tplr_samples_open(data, &o, &s))
        return cli_fail(tplr_errmsg());
    int64_t *pool = malloc(sizeof *pool * (size_t)size);
    tplr_pool_spec spec = {uid, window, net, size};
    char hex[33];
    tplr_err e = pool ? tplr_sample_pool(&spec, s.n, pool) : tplr_fail(TPLR_ENOMEM, "out of memory");
    if (!e)
        e = tplr_sample_digest(&s, pool, size, hex);
    if (!e && json) {
        printf("{\"uid\":%llu,\"window\":%llu,\"seed\":%u,\"samples\":%lld,\"digest\":\"%s\",\"pool\":[",
               (unsigned long long)uid, (unsigned long long)window, tplr_templar_seed(uid, window), (long long)s.n,
               hex);
        for (int64_t i = 0; i < size; i++)
            printf("%s%lld", i ? "," : "", (long long)pool[i]);
        printf("]}\n");
    } else if (!e) {
        printf("uid %llu, window %llu: seed %u, %lld of %lld samples, digest %s\nfirst:", (unsigned long long)uid,
               (unsigned long long)window, tplr_templar_seed(uid, window), (long long)size, (long long)s.n, hex);
        for (int64_t i = 0; i < show && i < size; i++)
            printf(" %lld", (long long)pool[i]);
        printf("\n");
    }
    free(pool);
    tplr_samples_close(&s);
    return e ? cli_fail(tplr_errmsg()) : 0;
}

int cmd_data(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "bytes"))
        return data_bytes(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "prepare"))
        return data_prepare(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "info"))
        return data_info(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "pool"))
        return data_pool(argc - 1, argv + 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr data <prepare|bytes|info|pool> [options]\n\n"
                 "  prepare  tokenize text into a shard folder (samples, ids, train/val split)\n"
                 "  bytes    byte-level token rows from any files\n"
                 "  info     check a data source and print what it holds\n"
                 "  pool     the samples a miner trains on in a window, and their digest\n");
    return out == stdout ? 0 : 2;
}
