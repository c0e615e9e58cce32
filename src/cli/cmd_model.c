/* tplr model init | info */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tplr/checkpoint.h"
#include "tplr/kernels.h"

static int model_init(int argc, char **argv)
{
    const char *preset = NULL, *out = NULL;
    cli_list sets = {0};
    uint64_t seed = 0;
    cli_opt opts[] = {
        {"preset", OPT_STR, &preset, "NAME", "model shape: tiny, small, 150M or 1B", 1, 0},
        {"set", OPT_LIST, &sets, "KEY=VALUE", "override a config field (repeatable), e.g. vocab=256", 0, 0},
        {"seed", OPT_U64, &seed, "N", "initialization seed (default 0)", 0, 0},
        {"out", OPT_STR, &out, "DIR", "folder to write model.safetensors and config.json to", 1, 0},
    };
    cli_cmd cmd = {"tplr model init", NULL,
                   "Creates a freshly initialized model: weights normal(0, 0.02), norms 1, drawn from a\n"
                   "counter-based generator, so the same preset, overrides and seed give the same bytes.",
                   "config keys for --set: hidden, layers, heads, kv_heads, ffn, vocab, max_seq, norm_eps,\n"
                   "rope_theta, tie_embeddings (Hugging Face names such as hidden_size work too).",
                   opts, 4, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    tplr_model_config cfg;
    if (tplr_config_preset(preset, &cfg))
        return cli_fail(tplr_errmsg());
    for (int i = 0; i < sets.n; i++)
        if (tplr_config_set(&cfg, sets.items[i]))
            return cli_fail(tplr_errmsg());
    tplr_model *m;
    if (tplr_model_create(&cfg, &m))
        return cli_fail(tplr_errmsg());
    tplr_k_set_threads(cli_default_threads());
    tplr_model_init_weights(m, seed);
    tplr_err e = tplr_checkpoint_save(m, out);
    if (!e)
        printf("wrote %s/%s and %s/%s: %zu parameters (%.2f M), %.1f MiB\n", out, TPLR_CKPT_WEIGHTS, out,
               TPLR_CKPT_CONFIG, m->n_params, (double)m->n_params / 1e6,
               (double)m->n_params * 4 / (1024.0 * 1024.0));
    tplr_model_free(m);
    return e ? cli_fail(tplr_errmsg()) : 0;
}

static int model_info(int argc, char **argv)
{
    cli_cmd cmd = {"tplr model info", "DIR", "Prints a checkpoint's config, tensors and parameter count.",
                   NULL, NULL, 0, 1, 1};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    tplr_model *m;
    if (tplr_checkpoint_load(pos[0], &m))
        return cli_fail(tplr_errmsg());
    const tplr_model_config *c = &m->cfg;
    printf("%s\n  hidden %d, layers %d, heads %d, kv_heads %d (head_dim %d), ffn %d, vocab %d, max_seq %d\n"
           "  norm_eps %g, rope_theta %g, tied embeddings: %s\n  parameters: %zu (%.2f M), in matrix "
           "products: %zu\n\ntensors:\n",
           pos[0], c->hidden, c->layers, c->heads, c->kv_heads, m->head_dim, c->ffn, c->vocab, c->max_seq,
           c->norm_eps, c->rope_theta, c->tie_embeddings ? "yes" : "no", m->n_params,
           (double)m->n_params / 1e6, m->n_matmul_params);
    for (int i = 0; i < m->n_tensors; i++) {
        const tplr_tensor_info *t = &m->tensors[i];
        if (t->ndim == 2)
            printf("  %-52s [%lld, %lld]\n", t->name, (long long)t->shape[0], (long long)t->shape[1]);
        else
            printf("  %-52s [%lld]\n", t->name, (long long)t->shape[0]);
    }
    tplr_model_free(m);
    return 0;
}

int cmd_model(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "init"))
        return model_init(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "info"))
        return model_info(argc - 1, argv + 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr model <init|info> [options]\n\n"
                 "  init   create a freshly initialized model checkpoint\n"
                 "  info   print a checkpoint's config and tensors\n");
    return out == stdout ? 0 : 2;
}
