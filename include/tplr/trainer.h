/* Single-node training: the loop behind `tplr train` (and, later, the
 * miner's inner steps), its logs, checkpoints and bit-exact resume. */
#ifndef TPLR_TRAINER_H
#define TPLR_TRAINER_H

#include <stdint.h>

#include "tplr/model.h"
#include "tplr/optim.h"
#include "tplr/samples.h"

#define TPLR_TRAIN_STATE_FILE "train_state.safetensors"

/* Where the steps run: the CPU engine (fp32), or the CUDA backend (fp32 to
 * check it against the CPU, bf16 to be fast) when this build has it. */
typedef enum tplr_device { TPLR_DEVICE_CPU = 0, TPLR_DEVICE_CUDA = 1 } tplr_device;
typedef enum tplr_precision { TPLR_PRECISION_FP32 = 0, TPLR_PRECISION_BF16 = 1 } tplr_precision;

typedef struct tplr_train_opts {
    const char *data_path;  /* any format tplr_samples_open reads */
    const char *split;      /* shard folders: train (default) or val */
    int mask_eos;           /* ignore EOS targets in shards and 1-D arrays */
    int32_t eos;            /* 1-D arrays: their EOS id, or −1 */
    int batch, seq;
    int64_t steps;          /* total optimizer steps of the run (a resumed run continues to it) */
    tplr_adamw_hparams hp;
    tplr_order_kind order;
    uint64_t seed;          /* shuffles the rows when order is shuffled */
    const char *out_dir;    /* checkpoint + training state; NULL saves nothing */
    const char *log_path;   /* JSON lines, one per step; NULL for none */
    const char *resume_path;
    int64_t save_every;     /* also save every N steps (0: at the end and on Ctrl-C only) */
    int quiet;              /* no progress line */
    int workers;            /* CPU: split each batch's rows over this many one-thread workers (≤ 0: the
                             * thread count; 1: every operation split over the threads), tplr/data_parallel.h */
    tplr_device device;     /* CPU (default) or CUDA */
    tplr_precision precision; /* CUDA only; the CPU engine is fp32 */
} tplr_train_opts;

typedef struct tplr_train_summary {
    int64_t first_step, steps_done;
    double final_loss;
    double seconds;         /* wall time of the steps */
    double tok_s;           /* tokens per second, steps after the first */
    double flops_per_token;
    size_t bytes_params, bytes_moments, bytes_acts;
    size_t bytes_grads;     /* the model's gradients and the other CPU workers' buffers */
    int workers;            /* CPU: rows of each batch split over this many threads (tplr/data_parallel.h) */
    long peak_rss_kb;
    size_t gpu_peak_bytes;  /* device memory in use at its highest (CUDA runs) */
    char device_name[128];  /* "cpu" or the GPU's name */
    int interrupted;
} tplr_train_summary;

/* Trains m in place. With resume_path, m must already hold the saved weights
 * (see tplr_train_state_peek) and the saved moments and step are restored. */
tplr_err tplr_train(tplr_model *m, const tplr_train_opts *o, tplr_train_summary *s);

/* What a training-state file holds besides tensors. */
typedef struct tplr_train_state_info {
    tplr_model_config cfg;
    int64_t step;
    int batch, seq, threads;
    int workers;            /* 1 in states written before the engine had workers */
    int64_t steps, rows;
    tplr_order_kind order;
    uint64_t seed;
    tplr_adamw_hparams hp;
} tplr_train_state_info;

tplr_err tplr_train_state_peek(const char *path, tplr_train_state_info *info);
/* Writes params, moments and the run's settings atomically. */
tplr_err tplr_train_state_save(const char *path, const tplr_model *m, const tplr_adamw *opt,
                               const tplr_train_state_info *info);
/* Loads params and moments into m and opt (shapes must match). */
tplr_err tplr_train_state_load(const char *path, tplr_model *m, tplr_adamw *opt);

#endif
