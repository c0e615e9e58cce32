/* The miner's side: error feedback, tiles, optional DCT, top-k, quantizer,
 * and the signed container. Tensors are independent, so they are encoded in
 * parallel (largest first) into fixed slots of the output buffer, then
 * packed together in table order: the bytes do not depend on the thread
 * count. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"
#include "tplr/mem.h"

typedef struct enc_scratch {
    float *tile, *coef;            /* [CODEC_MAX_TOTALK] */
    double *dtmp;                  /* DCT sums */
    codec_topk_scratch *topk;
    uint32_t *hist;                /* Rice histogram, [CODEC_MAX_TOTALK] */
    uint16_t *idx;                 /* [max values of a tensor] */
    float *vals;
    uint8_t *codes;
} enc_scratch;

struct tplr_codec_encoder {
    tplr_codec_table table; /* tensors borrowed from the caller */
    tplr_codec_params p;
    tplr_codec_encode_opts o;
    float *ef;              /* error feedback, the table's layout */
    tplr_codec_geom *geom;  /* [n_tensors] */
    int *order;             /* tensors, largest first */
    size_t *slot, *rec_len; /* where each record is staged in out, and its length */
    int *bad;               /* per tensor: a non-finite value */
    unsigned char *out;
    int n_threads;
    enc_scratch *scr;       /* [n_threads] */
    unsigned char *scr_block;
    codec_dct dct;
};

tplr_codec_encode_opts tplr_codec_encode_defaults(void)
{
    return (tplr_codec_encode_opts){0.95, TPLR_CODEC_IDX_AUTO, TPLR_CODEC_CODES_PACKED};
}

static size_t scratch_bytes(size_t max_vals)
{
    size_t t = CODEC_MAX_TOTALK, r = 0;
    size_t sizes[] = {t * 4, t * 4, (t + TPLR_CODEC_MAX_CHUNK) * 8, sizeof(codec_topk_scratch), t * 4,
                      max_vals * 2, max_vals * 4, max_vals};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        r += (sizes[i] + 63) & ~(size_t)63;
    return r;
}

static void scratch_carve(enc_scratch *s, unsigned char *block, size_t max_vals)
{
    size_t t = CODEC_MAX_TOTALK;
    s->tile = codec_carve(&block, t * 4);
    s->coef = codec_carve(&block, t * 4);
    s->dtmp = codec_carve(&block, (t + TPLR_CODEC_MAX_CHUNK) * 8);
    s->topk = codec_carve(&block, sizeof(codec_topk_scratch));
    s->hist = codec_carve(&block, t * 4);
    s->idx = codec_carve(&block, max_vals * 2);
    s->vals = codec_carve(&block, max_vals * 4);
    s->codes = codec_carve(&block, max_vals);
}

static tplr_err check_options(const tplr_codec_encode_opts *o)
{
    if (!(o->momentum_decay >= 0 && o->momentum_decay <= 1))
        return tplr_fail(TPLR_EINVAL, "momentum decay %g must be in [0, 1]", o->momentum_decay);
    if (o->index_layout != TPLR_CODEC_IDX_AUTO && o->index_layout != TPLR_CODEC_IDX_PACK12)
        return tplr_fail(TPLR_EINVAL, "the encoder writes positions as auto (Rice when smaller) or pack12");
    if (o->code_layout != TPLR_CODEC_CODES_BYTE && o->code_layout != TPLR_CODEC_CODES_PACKED)
        return tplr_fail(TPLR_EINVAL, "unknown code layout %d", o->code_layout);
    return TPLR_OK;
}

static tplr_err plan(tplr_codec_encoder *enc, size_t *max_vals, size_t *out_bytes)
{
    const tplr_codec_table *t = &enc->table;
    *max_vals = 0;
    *out_bytes = CODEC_HEADER_BYTES;
    for (int i = 0; i < t->n_tensors; i++) {
        tplr_codec_geom *g = &enc->geom[i];
        TPLR_TRY(tplr_codec_geom_of(&t->tensors[i], &enc->p, g));
        size_t nv = g->n_chunks * (size_t)g->k;
        *max_vals = nv > *max_vals ? nv : *max_vals;
        enc->slot[i] = *out_bytes;
        *out_bytes += codec_record_max_bytes(&t->tensors[i], g, enc->p.bins);
    }
    *out_bytes += CODEC_TAIL_BYTES;
    return TPLR_OK;
}

tplr_err tplr_codec_encoder_create(const tplr_codec_table *table, const tplr_codec_params *p,
                                   const tplr_codec_encode_opts *o, tplr_codec_encoder **out)
{
    *out = NULL;
    TPLR_TRY(tplr_codec_params_validate(p));
    TPLR_TRY(check_options(o));
    if (table->n_tensors < 1 || table->n_tensors > CODEC_MAX_TENSORS)
        return tplr_fail(TPLR_EINVAL, "a container holds 1 to %d tensors", CODEC_MAX_TENSORS);
    tplr_codec_encoder *enc = calloc(1, sizeof *enc);
    if (!enc)
        return tplr_fail(TPLR_ENOMEM, "allocating an encoder");
    enc->table = *table;
    enc->table.owned = NULL;
    enc->p = *p;
    enc->o = *o;
    enc->n_threads = codec_max_threads();
    size_t n = (size_t)table->n_tensors, max_vals = 0, out_bytes = 0;
    enc->geom = calloc(n, sizeof *enc->geom);
    enc->slot = calloc(n, sizeof *enc->slot);
    enc->rec_len = calloc(n, sizeof *enc->rec_len);
    enc->bad = calloc(n, sizeof *enc->bad);
    enc->scr = calloc((size_t)enc->n_threads, sizeof *enc->scr);
    tplr_err e = !enc->geom || !enc->slot || !enc->rec_len || !enc->bad || !enc->scr
                     ? tplr_fail(TPLR_ENOMEM, "allocating an encoder")
                     : plan(enc, &max_vals, &out_bytes);
    if (!e) e = codec_order_by_size(table, &enc->order);
    if (!e) e = tplr_alloc((void **)&enc->ef, sizeof(float) * table->n_floats, "the error feedback");
    if (!e) e = tplr_alloc((void **)&enc->out, out_bytes, "the container buffer");
    if (!e) e = tplr_alloc((void **)&enc->scr_block, scratch_bytes(max_vals) * (size_t)enc->n_threads,
                           "encoder scratch");
    if (!e && p->use_dct)
        e = codec_dct_init(&enc->dct, enc->geom, table->n_tensors);
    if (e) {
        tplr_codec_encoder_free(enc);
        return e;
    }
    for (int i = 0; i < enc->n_threads; i++)
        scratch_carve(&enc->scr[i], enc->scr_block + (size_t)i * scratch_bytes(max_vals), max_vals);
    *out = enc;
    return TPLR_OK;
}

void tplr_codec_encoder_free(tplr_codec_encoder *enc)
{
    if (!enc)
        return;
    codec_dct_free(&enc->dct);
    tplr_free(enc->ef);
    tplr_free(enc->out);
    tplr_free(enc->scr_block);
    free(enc->geom);
    free(enc->order);
    free(enc->slot);
    free(enc->rec_len);
    free(enc->bad);
    free(enc->scr);
    free(enc);
}

float *tplr_codec_encoder_state(tplr_codec_encoder *enc) { return enc->ef; }

/* e ← e − decode(sent): the dequantized values at their positions (through
 * the inverse DCT when it is on). */
static void subtract_sent(const tplr_codec_encoder *enc, const tplr_codec_geom *g, float *e, enc_scratch *s,
                          const float *deq)
{
    int k = g->k;
    for (size_t c = 0; c < g->n_chunks; c++) {
        const uint16_t *ix = s->idx + c * (size_t)k;
        const uint8_t *cd = s->codes + c * (size_t)k;
        if (enc->p.use_dct) {
            memset(s->tile, 0, sizeof(float) * (size_t)g->totalk);
            for (int j = 0; j < k; j++)
                s->tile[ix[j]] = deq[cd[j]];
            codec_dct_inverse(&enc->dct, g->n1, g->n2, s->tile, s->coef, s->dtmp);
            codec_tile_sub(g, e, c, s->coef);
            continue;
        }
        size_t origin = codec_tile_origin(g, c);
        for (int j = 0; j < k; j++) {
            size_t at = origin + (size_t)(ix[j] / g->n2) * (size_t)g->cols + (size_t)(ix[j] % g->n2);
            e[at] = e[at] - deq[cd[j]];
        }
    }
}

/* Writes the record of tensor t into its slot; returns its length. */
static size_t write_record(const tplr_codec_encoder *enc, int t, const codec_quant *q, enc_scratch *s)
{
    const tplr_tensor_info *ti = &enc->table.tensors[t];
    const tplr_codec_geom *g = &enc->geom[t];
    size_t nv = g->n_chunks * (size_t)g->k, pack12 = codec_pack12_bytes(nv);
    int rice = 0, r = 0;
    if (enc->o.index_layout == TPLR_CODEC_IDX_AUTO) {
        uint64_t bits;
        memset(s->hist, 0, sizeof(uint32_t) * (size_t)g->totalk);
        for (size_t c = 0; c < g->n_chunks; c++)
            codec_rice_count(s->idx + c * (size_t)g->k, g->k, s->hist);
        r = codec_rice_choose(s->hist, g->totalk, &bits);
        rice = (bits + 7) / 8 <= pack12;
        r = rice ? r : 0;
    }
    int width = enc->o.code_layout == TPLR_CODEC_CODES_BYTE ? 8 : codec_code_width(enc->p.bins);
    unsigned char *base = enc->out + enc->slot[t], *p = base;
    size_t name_len = strlen(ti->name);
    *p++ = (unsigned char)name_len;
    memcpy(p, ti->name, name_len);
    p += name_len;
    *p++ = (unsigned char)ti->ndim;
    for (int d = 0; d < ti->ndim; d++, p += 4)
        codec_put_u32(p, (uint32_t)ti->shape[d]);
    for (int d = 0; d < ti->ndim; d++, p += 2)
        codec_put_u16(p, (uint32_t)(ti->ndim == 2 && d == 0 ? g->n1 : g->n2));
    codec_put_u16(p, (uint32_t)g->k);
    p[2] = (unsigned char)(rice ? TPLR_CODEC_IDX_RICE : TPLR_CODEC_IDX_PACK12);
    p[3] = (unsigned char)r;
    p[4] = (unsigned char)enc->o.code_layout;
    p[5] = 0;
    codec_put_f32(p + 6, q->shift);
    codec_put_f32(p + 10, q->scale);
    p += 14;
    for (int b = 0; b < enc->p.bins; b++, p += 4)
        codec_put_f32(p, q->lookup[b]);
    size_t idx_bytes = pack12;
    if (rice) {
        codec_bitw w = {p + 4, 0, 0, 0};
        for (size_t c = 0; c < g->n_chunks; c++)
            codec_rice_write_tile(&w, s->idx + c * (size_t)g->k, g->k, r);
        idx_bytes = codec_bitw_finish(&w);
    } else
        codec_pack12_write(s->idx, nv, p + 4);
    codec_put_u32(p, (uint32_t)idx_bytes);
    p += 4 + idx_bytes;
    size_t code_bytes = codec_codes_bytes(nv, width);
    codec_put_u32(p, (uint32_t)code_bytes);
    codec_codes_write(s->codes, nv, width, p + 4);
    p += 4 + code_bytes;
    return (size_t)(p - base);
}

/* One tensor; returns nonzero when a value is not finite. */
static int encode_tensor(tplr_codec_encoder *enc, int t, const float *delta, enc_scratch *s)
{
    const tplr_tensor_info *ti = &enc->table.tensors[t];
    const tplr_codec_geom *g = &enc->geom[t];
    float *e = enc->ef + ti->offset;
    const float *d = delta ? delta + ti->offset : NULL;
    float beta = (float)enc->o.momentum_decay;
    int k = g->k, bad = 0;
    for (size_t c = 0; c < g->n_chunks; c++) {
        bad |= codec_tile_ef(g, e, d, beta, c, s->tile);
        const float *x = s->tile;
        if (enc->p.use_dct) {
            codec_dct_forward(&enc->dct, g->n1, g->n2, s->tile, s->coef, s->dtmp);
            x = s->coef;
        }
        uint16_t *ix = s->idx + c * (size_t)k;
        float *v = s->vals + c * (size_t)k;
        codec_topk(x, g->totalk, k, ix, s->topk);
        for (int j = 0; j < k; j++)
            v[j] = x[ix[j]];
    }
    if (bad)
        return 1;
    codec_quant q;
    float deq[TPLR_CODEC_MAX_BINS];
    codec_quantize(s->vals, g->n_chunks * (size_t)k, enc->p.bins, enc->p.quant_range, s->codes, &q);
    codec_dequant_table(q.lookup, q.shift, enc->p.bins, deq);
    for (int b = 0; b < enc->p.bins; b++)
        if (!isfinite(deq[b]) || !isfinite(q.lookup[b]))
            return 1;
    subtract_sent(enc, g, e, s, deq);
    enc->rec_len[t] = write_record(enc, t, &q, s);
    return 0;
}

tplr_err tplr_codec_encode(tplr_codec_encoder *enc, const float *delta, int null_round, const tplr_codec_origin *who,
                           const unsigned char **bytes, size_t *len)
{
    *bytes = NULL;
    *len = 0;
    if (!null_round && !delta)
        return tplr_fail(TPLR_EINVAL, "encoding needs a delta outside a null round");
    if (null_round)
        memset(enc->ef, 0, sizeof(float) * enc->table.n_floats);
    int n = enc->table.n_tensors;
#pragma omp parallel for schedule(dynamic, 1) num_threads(enc->n_threads)
    for (int i = 0; i < n; i++) {
        int t = enc->order[i];
        enc->bad[t] = encode_tensor(enc, t, null_round ? NULL : delta, &enc->scr[codec_thread_id()]);
    }
    for (int t = 0; t < n; t++)
        if (enc->bad[t]) {
            memset(enc->ef, 0, sizeof(float) * enc->table.n_floats);
            return tplr_fail(TPLR_ENUMERIC, "encoding: tensor '%s' has a value that is not finite (a diverged "
                             "step?); the error feedback was cleared", enc->table.tensors[t].name);
        }
    size_t pos = CODEC_HEADER_BYTES;
    for (int t = 0; t < n; t++) {
        memmove(enc->out + pos, enc->out + enc->slot[t], enc->rec_len[t]);
        pos += enc->rec_len[t];
    }
    codec_write_header(enc->out, &enc->p, n, who->window, who->uid, who->sk + 32);
    TPLR_TRY(tplr_codec_sign(enc->out, pos + CODEC_TAIL_BYTES, who->sk));
    *bytes = enc->out;
    *len = pos + CODEC_TAIL_BYTES;
    return TPLR_OK;
}
