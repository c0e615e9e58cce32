/* bench/codec: the codec on a preset's tensor shapes (150M by default, the
 * tensor table only: no model is allocated). Prints one JSON line per result:
 *   ratio      container bytes against dense fp32, per layout (first window)
 *   encode     GB/s of fp32 delta in, per thread count used
 *   validate   GB/s of container bytes checked (digest, signature, every field)
 *   aggregate  GB/s of dense fp32 out, PEERS peers (and decode, one peer)
 * Deltas: u³ with u uniform in [-1, 1) (heavy-tailed like pseudo-gradients),
 * a different stream per peer, from xoshiro128+.
 * usage: bench_codec [--preset NAME] [--peers N] [--reps R] [--threads T] [--shapes] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/codec.h"
#include "tplr/kernels.h"
#include "tplr/mem.h"
#include "tplr/keys.h"
#include "tplr/timeutil.h"

static void die(const char *what)
{
    fprintf(stderr, "bench_codec: %s: %s\n", what, tplr_errmsg());
    exit(1);
}

static void fill_delta(float *x, size_t n, uint64_t seed)
{
    uint32_t s[4] = {(uint32_t)seed * 2654435761u + 1, (uint32_t)(seed >> 32) ^ 0x9e3779b9u, 0x6a09e667u, 0xbb67ae85u};
    for (size_t i = 0; i < n; i++) {
        uint32_t r = s[0] + s[3], t = s[1] << 9;
        s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t;
        s[3] = s[3] << 11 | s[3] >> 21;
        float u = (float)(int32_t)r * 0x1p-31f;
        x[i] = 1e-3f * u * u * u;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Best and median of r timings. */
static void summarize(double *t, int r, double *best, double *median)
{
    qsort(t, (size_t)r, sizeof *t, cmp_double);
    *best = t[0];
    *median = t[r / 2];
}

static void print_shapes(const tplr_codec_table *t)
{
    printf("[");
    for (int i = 0; i < t->n_tensors; i++) {
        const tplr_tensor_info *ti = &t->tensors[i];
        printf("%s[\"%s\",%lld", i ? "," : "", ti->name, (long long)ti->shape[0]);
        if (ti->ndim == 2)
            printf(",%lld", (long long)ti->shape[1]);
        printf("]");
    }
    printf("]\n");
}

typedef struct ctx {
    const char *preset;
    int threads, peers, reps;
    tplr_codec_table t;
    tplr_codec_params p;
    unsigned char pk[32], sk[64];
    float *delta;
} ctx;

static size_t encode_once(ctx *c, int index_layout, int code_layout, unsigned char **copy)
{
    tplr_codec_encode_opts o = tplr_codec_encode_defaults();
    o.index_layout = index_layout;
    o.code_layout = code_layout;
    tplr_codec_encoder *enc;
    if (tplr_codec_encoder_create(&c->t, &c->p, &o, &enc))
        die("encoder");
    tplr_codec_origin who = {1, 0, c->sk};
    const unsigned char *b;
    size_t n;
    if (tplr_codec_encode(enc, c->delta, 0, &who, &b, &n))
        die("encode");
    if (copy) {
        *copy = malloc(n);
        memcpy(*copy, b, n);
    }
    tplr_codec_encoder_free(enc);
    return n;
}

static void bench_ratios(ctx *c)
{
    static const struct { const char *name; int idx, codes; } layouts[] = {
        {"auto (Rice positions when smaller, 2-bit codes)", TPLR_CODEC_IDX_AUTO, TPLR_CODEC_CODES_PACKED},
        {"12-bit positions, 2-bit codes", TPLR_CODEC_IDX_PACK12, TPLR_CODEC_CODES_PACKED},
        {"Templar (12-bit positions, byte codes)", TPLR_CODEC_IDX_PACK12, TPLR_CODEC_CODES_BYTE},
    };
    double dense = (double)c->t.n_floats * 4.0;
    for (int i = 0; i < 3; i++) {
        size_t n = encode_once(c, layouts[i].idx, layouts[i].codes, NULL);
        printf("{\"bench\":\"codec_ratio\",\"impl\":\"tplr\",\"preset\":\"%s\",\"layout\":\"%s\",\"bytes\":%zu,"
               "\"dense_bytes\":%.0f,\"ratio\":%.2f}\n", c->preset, layouts[i].name, n, dense, dense / (double)n);
    }
}

static void bench_encode(ctx *c)
{
    tplr_codec_encode_opts o = tplr_codec_encode_defaults();
    tplr_codec_encoder *enc;
    if (tplr_codec_encoder_create(&c->t, &c->p, &o, &enc))
        die("encoder");
    tplr_codec_origin who = {1, 0, c->sk};
    double times[64];
    for (int r = 0; r < c->reps; r++) {
        const unsigned char *b;
        size_t n;
        double t0 = tplr_now();
        if (tplr_codec_encode(enc, c->delta, 0, &who, &b, &n))
            die("encode");
        times[r] = tplr_now() - t0;
    }
    double best, median, gb = (double)c->t.n_floats * 4.0 / 1e9;
    summarize(times, c->reps, &best, &median);
    printf("{\"bench\":\"codec_encode\",\"impl\":\"tplr\",\"preset\":\"%s\",\"threads\":%d,\"seconds_best\":%.4f,"
           "\"seconds_median\":%.4f,\"gb_s\":%.3f,\"gb_s_per_thread\":%.3f}\n", c->preset, c->threads, best, median,
           gb / best, gb / best / c->threads);
    tplr_codec_encoder_free(enc);
}

static void bench_peers(ctx *c)
{
    int P = c->peers;
    unsigned char **bytes = calloc((size_t)P, sizeof *bytes);
    size_t *lens = calloc((size_t)P, sizeof *lens), total = 0;
    tplr_codec_view *views = calloc((size_t)P, sizeof *views);
    const tplr_codec_view **pv = calloc((size_t)P, sizeof *pv);
    for (int i = 0; i < P; i++) { /* each peer: its own delta, a fresh error feedback */
        fill_delta(c->delta, c->t.n_floats, 1000 + (uint64_t)i);
        lens[i] = encode_once(c, TPLR_CODEC_IDX_AUTO, TPLR_CODEC_CODES_PACKED, &bytes[i]);
        total += lens[i];
    }
    tplr_codec_expect x = {&c->t, &c->p, NULL, 1, -1, 0};
    tplr_codec_reason why;
    double t0 = tplr_now();
    for (int i = 0; i < P; i++) {
        if (tplr_codec_validate(bytes[i], lens[i], &x, &views[i], &why))
            die("validate");
        pv[i] = &views[i];
    }
    double tv = tplr_now() - t0;
    printf("{\"bench\":\"codec_validate\",\"impl\":\"tplr\",\"preset\":\"%s\",\"peers\":%d,\"seconds\":%.4f,"
           "\"container_mb_s\":%.1f}\n", c->preset, P, tv, (double)total / 1e6 / tv);
    tplr_codec_aggregator *agg;
    if (tplr_codec_aggregator_create(&c->t, &c->p, P, &agg))
        die("aggregator");
    float *out;
    if (tplr_alloc((void **)&out, sizeof(float) * c->t.n_floats, "output"))
        die("output");
    double times[64], best, median, gb = (double)c->t.n_floats * 4.0 / 1e9;
    for (int r = 0; r < c->reps; r++) {
        t0 = tplr_now();
        if (tplr_codec_aggregate(agg, pv, P, out, NULL, NULL))
            die("aggregate");
        times[r] = tplr_now() - t0;
    }
    summarize(times, c->reps, &best, &median);
    printf("{\"bench\":\"codec_aggregate\",\"impl\":\"tplr\",\"preset\":\"%s\",\"peers\":%d,\"threads\":%d,"
           "\"seconds_best\":%.4f,\"seconds_median\":%.4f,\"gb_s\":%.3f,\"gb_s_per_thread\":%.3f,"
           "\"with_validation_gb_s\":%.3f}\n", c->preset, P, c->threads, best, median, gb / best,
           gb / best / c->threads, gb / (best + tv));
    for (int r = 0; r < c->reps; r++) {
        t0 = tplr_now();
        if (tplr_codec_decode(agg, pv[0], out, NULL))
            die("decode");
        times[r] = tplr_now() - t0;
    }
    summarize(times, c->reps, &best, &median);
    printf("{\"bench\":\"codec_decode\",\"impl\":\"tplr\",\"preset\":\"%s\",\"threads\":%d,\"seconds_best\":%.4f,"
           "\"gb_s\":%.3f}\n", c->preset, c->threads, best, gb / best);
    tplr_free(out);
    tplr_codec_aggregator_free(agg);
    for (int i = 0; i < P; i++) {
        tplr_codec_view_free(&views[i]);
        free(bytes[i]);
    }
    free(bytes), free(lens), free(views), free(pv);
}

int main(int argc, char **argv)
{
    ctx c = {.preset = "150M", .threads = 1, .peers = 20, .reps = 3, .p = tplr_codec_defaults()};
    int shapes_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--preset") && i + 1 < argc)
            c.preset = argv[++i];
        else if (!strcmp(argv[i], "--peers") && i + 1 < argc)
            c.peers = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            c.reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            c.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shapes"))
            shapes_only = 1;
        else {
            fprintf(stderr, "usage: bench_codec [--preset NAME] [--peers N] [--reps R] [--threads T] [--shapes]\n");
            return 2;
        }
    }
    if (c.peers < 1 || c.peers > 64 || c.reps < 1 || c.reps > 64 || c.threads < 1)
        return fprintf(stderr, "bench_codec: peers and reps 1..64, threads ≥ 1\n"), 2;
    tplr_k_set_threads(c.threads);
    tplr_model_config cfg;
    tplr_model *m;
    if (tplr_config_preset(c.preset, &cfg) || tplr_model_create_shapes(&cfg, &m))
        die("preset");
    c.t = tplr_codec_table_of_model(m);
    if (shapes_only) {
        print_shapes(&c.t);
        return 0;
    }
    unsigned char seed[32] = {7};
    tplr_keypair kp;
    if (tplr_keypair_from_seed(seed, &kp) || tplr_alloc((void **)&c.delta, sizeof(float) * c.t.n_floats, "delta"))
        die("setup");
    memcpy(c.pk, kp.pk, sizeof c.pk);
    memcpy(c.sk, kp.sk, sizeof c.sk);
    fill_delta(c.delta, c.t.n_floats, 1);
    bench_ratios(&c);
    bench_encode(&c);
    bench_peers(&c);
    tplr_free(c.delta);
    tplr_model_free(m);
    return 0;
}
