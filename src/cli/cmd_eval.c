/* tplr eval */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tplr/checkpoint.h"
#include "tplr/kernels.h"
#include "tplr/progress.h"
#include "tplr/samples.h"

typedef struct eval_result {
    double loss;
    int64_t tokens, rows;
} eval_result;

/* Mean loss over every sample of the data, in batches of B; a short last
 * batch is padded with ignored targets. */
static tplr_err evaluate(tplr_model *m, tplr_samples *data, int B, int64_t max_rows, int quiet, eval_result *res)
{
    int T = data->T;
    if (T > m->cfg.max_seq)
        return tplr_fail(TPLR_EINVAL, "%s: samples of %d tokens exceed the model's max_seq %d", data->path, T,
                         m->cfg.max_seq);
    int64_t n = max_rows > 0 && max_rows < data->n ? max_rows : data->n;
    if (B > n)
        B = (int)n;
    tplr_acts *a;
    TPLR_TRY(tplr_acts_create(m, B, T, &a));
    int32_t *in = malloc(sizeof(int32_t) * (size_t)B * T), *tg = malloc(sizeof(int32_t) * (size_t)B * T);
    if (!in || !tg) {
        free(in), free(tg), tplr_acts_free(a);
        return tplr_fail(TPLR_ENOMEM, "allocating batch buffers");
    }
    tplr_progress prog;
    if (!quiet)
        tplr_progress_start(&prog, stderr, n);
    double sum = 0;
    int64_t tokens = 0;
    for (int64_t r0 = 0; r0 < n; r0 += B) {
        for (int b = 0; b < B; b++) {
            tplr_samples_get(data, r0 + b < n ? r0 + b : 0, in + (size_t)b * T, tg + (size_t)b * T);
            if (r0 + b >= n)
                for (int t = 0; t < T; t++)
                    tg[(size_t)b * T + t] = TPLR_IGNORE_INDEX;
        }
        int64_t nv;
        float loss = tplr_model_forward_loss(m, a, in, tg, &nv);
        sum += (double)loss * (double)nv;
        tokens += nv;
        if (!quiet) {
            char detail[64];
            snprintf(detail, sizeof detail, "loss %.4f", tokens ? sum / (double)tokens : 0.0);
            tplr_progress_update(&prog, r0 + B < n ? r0 + B : n, detail, 0);
        }
    }
    if (!quiet)
        tplr_progress_finish(&prog);
    free(in), free(tg);
    tplr_acts_free(a);
    res->loss = tokens ? sum / (double)tokens : 0;
    res->tokens = tokens;
    res->rows = n;
    if (!isfinite(res->loss))
        return tplr_fail(TPLR_ENUMERIC, "the loss is not finite: the model's weights are broken");
    return TPLR_OK;
}

int cmd_eval(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *split = "val";
    int batch = 8, threads = cli_default_threads(), json = 0, quiet = 0, seq = 0, keep_eos = 0, eos = -1;
    int64_t max_rows = 0;
    cli_opt opts[] = {
        {"model", OPT_STR, &model, "DIR", "model folder", 1, 0},
        {"data", OPT_STR, &data, "PATH", "token samples: a shard folder, a 2-D .npy of rows, or a 1-D .npy (with --seq)", 1, 0},
        {"split", OPT_STR, &split, "NAME", "shard folders: val (default) or train", 0, 0},
        {"seq", OPT_INT, &seq, "S", "1-D .npy arrays: tokens per sample", 0, 0},
        {"keep-eos-targets", OPT_FLAG, &keep_eos, NULL, "shards: also score EOS targets", 0, 0},
        {"eos", OPT_INT, &eos, "ID", "1-D .npy arrays: the EOS token, for masking", 0, 0},
        {"batch", OPT_INT, &batch, "B", "rows per forward pass (default 8)", 0, 0},
        {"max-rows", OPT_I64, &max_rows, "N", "evaluate only the first N rows (default: all)", 0, 0},
        {"threads", OPT_INT, &threads, "N", "CPU threads (default: all)", 0, 0},
        {"quiet", OPT_FLAG, &quiet, NULL, "no progress line", 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print the result as JSON", 0, 0},
    };
    cli_cmd cmd = {"tplr eval", NULL,
                   "Mean cross-entropy (nats per token) and perplexity of a model on every sample of the data.",
                   NULL, opts, (int)(sizeof opts / sizeof opts[0]), 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (batch < 1 || threads < 1)
        return cli_fail("--batch and --threads must be at least 1");
    tplr_k_set_threads(threads);
    tplr_model *m;
    if (tplr_checkpoint_load(model, &m))
        return cli_fail(tplr_errmsg());
    tplr_samples samples;
    tplr_samples_opts so = {.vocab = m->cfg.vocab, .split = split, .sample_len = seq, .mask_eos = !keep_eos, .eos = eos};
    if (tplr_samples_open(data, &so, &samples)) {
        tplr_model_free(m);
        return cli_fail(tplr_errmsg());
    }
    eval_result res = {0};
    tplr_err e = evaluate(m, &samples, batch, max_rows, quiet, &res);
    tplr_samples_close(&samples);
    tplr_model_free(m);
    if (e)
        return cli_fail(tplr_errmsg());
    if (json)
        printf("{\"loss\":%.6f,\"perplexity\":%.4f,\"tokens\":%lld,\"rows\":%lld}\n", res.loss, exp(res.loss),
               (long long)res.tokens, (long long)res.rows);
    else
        printf("loss %.4f, perplexity %.3f over %lld tokens (%lld rows)\n", res.loss, exp(res.loss),
               (long long)res.tokens, (long long)res.rows);
    return 0;
}
