/* The validator's (and every miner's) side: dense pseudo-gradients from
 * validated containers. Per tensor and tile: every peer, in the order given,
 * adds its (clipped) values into a tile-sized sum and count; each position
 * becomes sum / count (0 where no peer sent it); the inverse DCT follows when
 * the parameters use it. Sums are fp32 in that fixed order, so the result is
 * the same on every node and for any thread count (tensors run in parallel,
 * each on one thread). */
#include <math.h>
#include <stdlib.h>

#include "internal.h"
#include "tplr/mem.h"

typedef struct agg_scratch {
    float *sum, *cnt, *tile, *out; /* [CODEC_MAX_TOTALK] */
    double *dtmp;
    float *vals;                   /* [max_peers][TPLR_CODEC_MAX_BINS]: each peer's clipped value per code */
    double *norms;                 /* [max_peers] */
} agg_scratch;

struct tplr_codec_aggregator {
    tplr_codec_table table;
    tplr_codec_params p;
    int max_peers, n_threads;
    tplr_codec_geom *geom;
    int *order;
    agg_scratch *scr;
    unsigned char *scr_block;
    size_t scr_bytes;
    codec_dct dct;
};

static size_t scratch_bytes(int max_peers)
{
    size_t t = CODEC_MAX_TOTALK, P = (size_t)max_peers, r = 0;
    size_t sizes[] = {t * 4, t * 4, t * 4, t * 4, (t + TPLR_CODEC_MAX_CHUNK) * 8, P * TPLR_CODEC_MAX_BINS * 4, P * 8};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        r += (sizes[i] + 63) & ~(size_t)63;
    return r;
}

static void scratch_carve(agg_scratch *s, unsigned char *b, int max_peers)
{
    size_t t = CODEC_MAX_TOTALK, P = (size_t)max_peers;
    s->sum = codec_carve(&b, t * 4);
    s->cnt = codec_carve(&b, t * 4);
    s->tile = codec_carve(&b, t * 4);
    s->out = codec_carve(&b, t * 4);
    s->dtmp = codec_carve(&b, (t + TPLR_CODEC_MAX_CHUNK) * 8);
    s->vals = codec_carve(&b, P * TPLR_CODEC_MAX_BINS * 4);
    s->norms = codec_carve(&b, P * 8);
}

tplr_err tplr_codec_aggregator_create(const tplr_codec_table *table, const tplr_codec_params *p, int max_peers,
                                      tplr_codec_aggregator **out)
{
    *out = NULL;
    TPLR_TRY(tplr_codec_params_validate(p));
    if (max_peers < 1 || max_peers > TPLR_CODEC_MAX_PEERS)
        return tplr_fail(TPLR_EINVAL, "max_peers %d must be between 1 and %d", max_peers, TPLR_CODEC_MAX_PEERS);
    tplr_codec_aggregator *a = calloc(1, sizeof *a);
    if (!a)
        return tplr_fail(TPLR_ENOMEM, "allocating an aggregator");
    a->table = *table;
    a->table.owned = NULL;
    a->p = *p;
    a->max_peers = max_peers;
    a->n_threads = codec_max_threads();
    a->scr_bytes = scratch_bytes(max_peers);
    a->geom = calloc((size_t)table->n_tensors, sizeof *a->geom);
    a->scr = calloc((size_t)a->n_threads, sizeof *a->scr);
    tplr_err e = !a->geom || !a->scr ? tplr_fail(TPLR_ENOMEM, "allocating an aggregator") : TPLR_OK;
    for (int t = 0; !e && t < table->n_tensors; t++)
        e = tplr_codec_geom_of(&table->tensors[t], p, &a->geom[t]);
    if (!e) e = codec_order_by_size(table, &a->order);
    if (!e) e = tplr_alloc((void **)&a->scr_block, a->scr_bytes * (size_t)a->n_threads, "aggregator scratch");
    if (!e && p->use_dct)
        e = codec_dct_init(&a->dct, a->geom, table->n_tensors);
    if (e) {
        tplr_codec_aggregator_free(a);
        return e;
    }
    for (int i = 0; i < a->n_threads; i++)
        scratch_carve(&a->scr[i], a->scr_block + (size_t)i * a->scr_bytes, max_peers);
    *out = a;
    return TPLR_OK;
}

void tplr_codec_aggregator_free(tplr_codec_aggregator *a)
{
    if (!a)
        return;
    codec_dct_free(&a->dct);
    tplr_free(a->scr_block);
    free(a->geom);
    free(a->order);
    free(a->scr);
    free(a);
}

/* Each peer's value per code: deq[b]·min(1, median/(norm + 1e-8)) with the
 * factor rounded to float, or deq[b] itself without clipping. */
static void clipped_values(const tplr_codec_aggregator *a, const tplr_codec_view *const *peers, int n, int t,
                           int clip, agg_scratch *s)
{
    double med = 0.0;
    if (clip) {
        for (int i = 0; i < n; i++)
            s->norms[i] = peers[i]->records[t].norm;
        codec_sort_doubles(s->norms, n);
        med = s->norms[(n - 1) / 2]; /* the lower median, as torch.median */
    }
    for (int i = 0; i < n; i++) {
        const tplr_codec_record *r = &peers[i]->records[t];
        float f = 1.0f;
        if (clip) {
            double ratio = med / (r->norm + 1e-8);
            f = (float)(ratio < 1.0 ? ratio : 1.0);
        }
        for (int b = 0; b < a->p.bins; b++)
            s->vals[(size_t)i * TPLR_CODEC_MAX_BINS + b] = r->deq[b] * f;
    }
}

/* tile = sum / count (sum itself where the count is 0 or 1); resets both. */
static void mean_tile(float *sum, float *cnt, int n, float *tile)
{
    for (int p = 0; p < n; p++) {
        float d = cnt[p] > 1.0f ? cnt[p] : 1.0f;
        tile[p] = sum[p] / d;
        sum[p] = 0.0f;
        cnt[p] = 0.0f;
    }
}

/* The same written straight into tile c of the tensor; returns nonzero when
 * a result is not finite. */
static int store_mean(const tplr_codec_geom *g, float *dst, size_t c, float *sum, float *cnt)
{
    size_t origin = codec_tile_origin(g, c);
    int bad = 0;
    for (int i = 0; i < g->n1; i++) {
        float *row = dst + origin + (size_t)i * (size_t)g->cols;
        float *sr = sum + (size_t)i * g->n2, *cr = cnt + (size_t)i * g->n2;
        for (int j = 0; j < g->n2; j++) {
            float d = cr[j] > 1.0f ? cr[j] : 1.0f, v = sr[j] / d;
            uint32_t b;
            memcpy(&b, &v, 4);
            bad |= (b & 0x7f800000u) == 0x7f800000u;
            row[j] = v;
            sr[j] = 0.0f;
            cr[j] = 0.0f;
        }
    }
    return bad;
}

/* One tensor into out; returns 1 when its result is not finite (then
 * zeroed). Positions are masked to the tile buffers, so even a view that
 * skipped validation cannot write outside them. */
static int aggregate_tensor(const tplr_codec_aggregator *a, const tplr_codec_view *const *peers, int n, int t,
                            int clip, float *out, agg_scratch *s)
{
    const tplr_codec_geom *g = &a->geom[t];
    float *dst = out + a->table.tensors[t].offset;
    int k = g->k, totalk = g->totalk, bad = 0;
    clipped_values(a, peers, n, t, clip, s);
    memset(s->sum, 0, sizeof(float) * CODEC_MAX_TOTALK);
    memset(s->cnt, 0, sizeof(float) * CODEC_MAX_TOTALK);
    for (size_t c = 0; c < g->n_chunks; c++) {
        for (int i = 0; i < n; i++) {
            const tplr_codec_record *r = &peers[i]->records[t];
            const uint16_t *pos = r->pos + c * (size_t)k;
            const uint8_t *code = r->code + c * (size_t)k;
            const float *v = s->vals + (size_t)i * TPLR_CODEC_MAX_BINS;
            for (int j = 0; j < k; j++) {
                unsigned p = pos[j] & (CODEC_MAX_TOTALK - 1);
                s->sum[p] += v[code[j]];
                s->cnt[p] += 1.0f;
            }
        }
        if (a->p.use_dct) {
            mean_tile(s->sum, s->cnt, totalk, s->tile);
            codec_dct_inverse(&a->dct, g->n1, g->n2, s->tile, s->out, s->dtmp);
            bad |= codec_tile_store(g, dst, c, s->out);
        } else
            bad |= store_mean(g, dst, c, s->sum, s->cnt);
    }
    if (bad)
        memset(dst, 0, sizeof(float) * a->table.tensors[t].numel);
    return bad;
}

/* The views must carry the aggregator's tensors and parameters. */
static tplr_err check_views(const tplr_codec_aggregator *a, const tplr_codec_view *const *peers, int n)
{
    if (n < 1 || n > a->max_peers)
        return tplr_fail(TPLR_EINVAL, "aggregating %d peers; this aggregator takes 1 to %d", n, a->max_peers);
    for (int i = 0; i < n; i++) {
        const tplr_codec_view *v = peers[i];
        if (!tplr_codec_params_equal(&v->params, &a->p) || v->n_records != a->table.n_tensors)
            return tplr_fail(TPLR_EMISMATCH, "peer %d: its container has other parameters or tensors than the "
                             "aggregator's (validate it against the same model and parameters)", i);
        for (int t = 0; t < v->n_records; t++) {
            const tplr_codec_record *r = &v->records[t];
            const tplr_tensor_info *ti = &a->table.tensors[t];
            if (!r->pos || !r->code || r->ndim != ti->ndim || r->shape[0] != ti->shape[0] ||
                (ti->ndim == 2 && r->shape[1] != ti->shape[1]))
                return tplr_fail(TPLR_EMISMATCH, "peer %d: tensor %d ('%s') has another shape than the model's '%s'",
                                 i, t, r->name, ti->name);
        }
    }
    return TPLR_OK;
}

static tplr_err run(tplr_codec_aggregator *a, const tplr_codec_view *const *peers, int n, int clip, float *out,
                    unsigned char *skipped, int *n_skipped)
{
    TPLR_TRY(check_views(a, peers, n));
    int nt = a->table.n_tensors, count = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(a->n_threads) reduction(+ : count)
    for (int i = 0; i < nt; i++) {
        int t = a->order[i];
        int r = aggregate_tensor(a, peers, n, t, clip, out, &a->scr[codec_thread_id()]);
        count += r;
        if (skipped)
            skipped[t] = (unsigned char)r;
    }
    if (n_skipped)
        *n_skipped = count;
    return TPLR_OK;
}

tplr_err tplr_codec_decode(tplr_codec_aggregator *a, const tplr_codec_view *peer, float *out, unsigned char *skipped)
{
    return run(a, &peer, 1, 0, out, skipped, NULL);
}

tplr_err tplr_codec_aggregate(tplr_codec_aggregator *a, const tplr_codec_view *const *peers, int n_peers, float *out,
                              unsigned char *skipped, int *n_skipped)
{
    return run(a, peers, n_peers, 1, out, skipped, n_skipped);
}
