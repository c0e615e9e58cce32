/* tplr train */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tplr/checkpoint.h"
#include "tplr/cuda_plugin.h"
#include "tplr/kernels.h"
#include "tplr/profile.h"
#include "tplr/trainer.h"

typedef struct train_args {
    const char *model, *data, *out, *log, *resume, *order, *split, *device, *precision;
    int64_t steps, warmup, t_max, save_every;
    int batch, seq, threads, workers, quiet, json, profile, keep_eos, eos;
    uint64_t seed;
    double lr, beta1, beta2, eps, wd, clip, eta_min;
} train_args;

/* Settings not given on the command line come from the saved run. */
static void fill_from_state(cli_cmd *cmd, train_args *a, const tplr_train_state_info *s)
{
    if (!cli_given(cmd, "steps")) a->steps = s->steps;
    if (!cli_given(cmd, "batch")) a->batch = s->batch;
    if (!cli_given(cmd, "seq")) a->seq = s->seq;
    if (!cli_given(cmd, "workers")) a->workers = s->workers;
    if (!cli_given(cmd, "order")) a->order = tplr_order_name(s->order);
    if (!cli_given(cmd, "seed")) a->seed = s->seed;
    if (!cli_given(cmd, "lr")) a->lr = s->hp.lr;
    if (!cli_given(cmd, "beta1")) a->beta1 = s->hp.beta1;
    if (!cli_given(cmd, "beta2")) a->beta2 = s->hp.beta2;
    if (!cli_given(cmd, "eps")) a->eps = s->hp.eps;
    if (!cli_given(cmd, "weight-decay")) a->wd = s->hp.weight_decay;
    if (!cli_given(cmd, "clip")) a->clip = s->hp.clip;
    if (!cli_given(cmd, "warmup")) a->warmup = s->hp.warmup_steps;
    if (!cli_given(cmd, "t-max")) a->t_max = s->hp.t_max;
    if (!cli_given(cmd, "eta-min-factor")) a->eta_min = s->hp.eta_min_factor;
}

static void print_summary(const tplr_model *m, const tplr_train_summary *s, int json)
{
    size_t total = s->bytes_params + s->bytes_grads + s->bytes_moments + s->bytes_acts;
    double gflops = s->tok_s * s->flops_per_token / 1e9;
    int64_t done = s->steps_done - s->first_step;
    fprintf(stderr, "trained %lld steps (to step %lld) in %.1f s: final loss %.4f, %.0f tok/s, %.1f GFLOP/s; "
            "memory %.1f MiB planned, peak RSS %.1f MiB%s\n",
            (long long)done, (long long)s->steps_done, s->seconds, s->final_loss, s->tok_s, gflops,
            (double)total / 1048576.0, (double)s->peak_rss_kb / 1024.0, s->interrupted ? " (interrupted)" : "");
    if (s->gpu_peak_bytes)
        fprintf(stderr, "device %s: peak device memory %.1f MiB\n", s->device_name,
                (double)s->gpu_peak_bytes / 1048576.0);
    if (!json)
        return;
    printf("{\"steps_run\":%lld,\"step\":%lld,\"final_loss\":%.6f,\"seconds\":%.3f,\"tok_s\":%.1f,"
           "\"gflops\":%.2f,\"flops_per_token\":%.0f,\"params\":%zu,\"bytes\":{\"params\":%zu,\"grads\":%zu,"
           "\"moments\":%zu,\"activations\":%zu,\"total\":%zu},\"peak_rss_bytes\":%ld,\"device\":\"%s\","
           "\"gpu_peak_bytes\":%zu,\"workers\":%d,\"interrupted\":%s}\n",
           (long long)done, (long long)s->steps_done, s->final_loss, s->seconds, s->tok_s, gflops,
           s->flops_per_token, m->n_params, s->bytes_params, s->bytes_grads, s->bytes_moments, s->bytes_acts,
           total, s->peak_rss_kb * 1024L, s->device_name, s->gpu_peak_bytes, s->workers, s->interrupted ? "true" : "false");
}

static tplr_err parse_device(const char *dev, const char *prec, tplr_device *device, tplr_precision *precision)
{
    if (!strcmp(dev, "cpu"))
        *device = TPLR_DEVICE_CPU;
    else if (!strcmp(dev, "cuda"))
        *device = TPLR_DEVICE_CUDA;
    else
        return tplr_fail(TPLR_EINVAL, "--device must be cpu or cuda (got %s)", dev);
    const tplr_cuda_plugin *plugin; /* fails early, before any file is read, where it cannot load */
    if (*device == TPLR_DEVICE_CUDA)
        TPLR_TRY(tplr_cuda_plugin_load(&plugin));
    if (!prec)
        *precision = *device == TPLR_DEVICE_CUDA ? TPLR_PRECISION_BF16 : TPLR_PRECISION_FP32;
    else if (!strcmp(prec, "fp32"))
        *precision = TPLR_PRECISION_FP32;
    else if (!strcmp(prec, "bf16"))
        *precision = TPLR_PRECISION_BF16;
    else
        return tplr_fail(TPLR_EINVAL, "--precision must be fp32 or bf16 (got %s)", prec);
    if (*device == TPLR_DEVICE_CPU && *precision != TPLR_PRECISION_FP32)
        return tplr_fail(TPLR_EINVAL, "the CPU engine computes in fp32 only: use --precision fp32 or --device cuda");
    return TPLR_OK;
}

int cmd_train(int argc, char **argv)
{
    tplr_adamw_hparams d = tplr_adamw_defaults();
    train_args a = {.order = "sequential", .device = "cpu", .split = "train", .eos = -1, .batch = 8, .threads = cli_default_threads(), .warmup = -1,
                    .t_max = -1, .lr = d.lr, .beta1 = d.beta1, .beta2 = d.beta2, .eps = d.eps,
                    .wd = d.weight_decay, .clip = d.clip, .eta_min = d.eta_min_factor, .steps = -1};
    cli_opt opts[] = {
        {"model", OPT_STR, &a.model, "DIR", "model folder (from `tplr model init`); optional with --resume", 0, 0},
        {"data", OPT_STR, &a.data, "PATH", "token samples: a shard folder (tplr data prepare), a 2-D .npy of rows "
         "(N, seq+1), or a 1-D .npy token array (with --seq)", 1, 0},
        {"split", OPT_STR, &a.split, "NAME", "shard folders: train (default) or val", 0, 0},
        {"keep-eos-targets", OPT_FLAG, &a.keep_eos, NULL, "shards: also train on EOS targets (masked by default, as Templar)", 0, 0},
        {"eos", OPT_INT, &a.eos, "ID", "1-D .npy arrays: the EOS token, for masking", 0, 0},
        {"steps", OPT_I64, &a.steps, "N", "total optimizer steps of the run", 0, 0},
        {"batch", OPT_INT, &a.batch, "B", "sequences per step (default 8)", 0, 0},
        {"seq", OPT_INT, &a.seq, "S", "sequence length (default: from the data; required for 1-D arrays)", 0, 0},
        {"lr", OPT_DOUBLE, &a.lr, "X", "peak learning rate (default 1.17e-4)", 0, 0},
        {"warmup", OPT_I64, &a.warmup, "N", "linear warmup steps (default min(1500, steps/10))", 0, 0},
        {"t-max", OPT_I64, &a.t_max, "N", "cosine length after warmup (default steps - warmup)", 0, 0},
        {"eta-min-factor", OPT_DOUBLE, &a.eta_min, "X", "cosine floor as a fraction of lr (default 0.1)", 0, 0},
        {"weight-decay", OPT_DOUBLE, &a.wd, "X", "decoupled weight decay on matrices (default 0.1)", 0, 0},
        {"beta1", OPT_DOUBLE, &a.beta1, "X", "AdamW beta1 (default 0.9)", 0, 0},
        {"beta2", OPT_DOUBLE, &a.beta2, "X", "AdamW beta2 (default 0.95)", 0, 0},
        {"eps", OPT_DOUBLE, &a.eps, "X", "AdamW epsilon (default 1e-8)", 0, 0},
        {"clip", OPT_DOUBLE, &a.clip, "X", "max global gradient norm, 0 for none (default 1.0)", 0, 0},
        {"threads", OPT_INT, &a.threads, "N", "CPU threads (default: all)", 0, 0},
        {"workers", OPT_INT, &a.workers, "N", "split each batch's rows over N one-thread workers (default: --threads, "
         "at most --batch); 1 splits every operation over the threads instead", 0, 0},
        {"device", OPT_STR, &a.device, "DEV", "cpu (default) or cuda (the first GPU; needs a build with CUDA)", 0, 0},
        {"precision", OPT_STR, &a.precision, "P", "fp32 or bf16 (default: fp32 on cpu, bf16 on cuda; cpu is fp32 only)", 0, 0},
        {"order", OPT_STR, &a.order, "KIND", "sequential (step i uses rows i*B..i*B+B-1) or shuffled", 0, 0},
        {"seed", OPT_U64, &a.seed, "N", "shuffle seed (default 0)", 0, 0},
        {"out", OPT_STR, &a.out, "DIR", "write the checkpoint and training state here", 0, 0},
        {"log", OPT_STR, &a.log, "FILE", "JSON lines per step: step, loss, lr, grad_norm, tok_s", 0, 0},
        {"resume", OPT_STR, &a.resume, "STATE", "continue from a train_state.safetensors", 0, 0},
        {"save-every", OPT_I64, &a.save_every, "N", "also save every N steps (default: at the end and on Ctrl-C)", 0, 0},
        {"quiet", OPT_FLAG, &a.quiet, NULL, "no progress line", 0, 0},
        {"json", OPT_FLAG, &a.json, NULL, "print a JSON summary on stdout at the end", 0, 0},
        {"profile", OPT_FLAG, &a.profile, NULL, "print where a step's time goes (steps after the first)", 0, 0},
    };
    cli_cmd cmd = {"tplr train", NULL,
                   "Trains a model with AdamW on token samples: inputs row[:-1], targets row[1:].",
                   "With --resume, settings not given are taken from the saved run, and the losses\n"
                   "continue bit for bit as if the run had never stopped (same workers; with one\n"
                   "worker, also the same thread count).\n"
                   "Ctrl-C saves the state to --out and stops.",
                   opts, (int)(sizeof opts / sizeof opts[0]), 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (a.threads < 1)
        return cli_fail("--threads must be at least 1");
    if (cli_given(&cmd, "workers") && a.workers < 1)
        return cli_fail("--workers must be at least 1");
    tplr_k_set_threads(a.threads);
    tplr_prof_enable(a.profile);
    tplr_device device = TPLR_DEVICE_CPU;
    tplr_precision precision = TPLR_PRECISION_FP32;
    if (parse_device(a.device, a.precision, &device, &precision))
        return cli_fail(tplr_errmsg());

    tplr_model *m = NULL;
    if (a.resume) {
        tplr_train_state_info s;
        if (tplr_train_state_peek(a.resume, &s))
            return cli_fail(tplr_errmsg());
        fill_from_state(&cmd, &a, &s);
        if (a.model) {
            tplr_model_config cfg;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", a.model, TPLR_CKPT_CONFIG);
            if (tplr_config_load(&cfg, path))
                return cli_fail(tplr_errmsg());
            if (!tplr_config_equal(&cfg, &s.cfg))
                return cli_fail("--model has a different config from the state in --resume");
        }
        if (tplr_model_create(&s.cfg, &m))
            return cli_fail(tplr_errmsg());
    } else {
        if (!a.model)
            return cli_fail("--model is required (or --resume)");
        if (tplr_checkpoint_load(a.model, &m))
            return cli_fail(tplr_errmsg());
    }
    if (a.steps < 0) {
        tplr_model_free(m);
        return cli_fail("--steps is required");
    }
    tplr_train_opts o = {.data_path = a.data, .split = a.split, .mask_eos = !a.keep_eos, .eos = a.eos, .batch = a.batch, .seq = a.seq, .steps = a.steps, .seed = a.seed,
                         .out_dir = a.out, .log_path = a.log, .resume_path = a.resume,
                         .save_every = a.save_every, .quiet = a.quiet, .workers = a.workers, .device = device, .precision = precision};
    o.hp = (tplr_adamw_hparams){.lr = a.lr, .beta1 = a.beta1, .beta2 = a.beta2, .eps = a.eps,
                                .weight_decay = a.wd, .clip = a.clip, .eta_min_factor = a.eta_min};
    o.hp.warmup_steps = a.warmup >= 0 ? a.warmup : (a.steps / 10 < 1500 ? a.steps / 10 : 1500);
    o.hp.t_max = a.t_max >= 0 ? a.t_max : (a.steps > o.hp.warmup_steps ? a.steps - o.hp.warmup_steps : 0);
    tplr_train_summary s;
    tplr_err e = tplr_order_parse(a.order, &o.order);
    if (!e)
        e = tplr_train(m, &o, &s);
    if (!e)
        print_summary(m, &s, a.json);
    if (!e && a.profile)
        tplr_prof_report(stderr, (long)(s.steps_done - s.first_step - 1));
    tplr_model_free(m);
    if (e)
        return cli_fail(tplr_errmsg());
    if (!a.out)
        fprintf(stderr, "note: no --out given, so nothing was saved\n");
    return s.interrupted ? 130 : 0;
}
