/* tplr data bytes */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tplr/fileio.h"
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

int cmd_data(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "bytes"))
        return data_bytes(argc - 1, argv + 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr data <bytes> [options]\n\n"
                 "  bytes  byte-level token rows from any files\n");
    return out == stdout ? 0 : 2;
}
