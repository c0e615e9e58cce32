/* Validation of untrusted containers: every length against the bytes
 * present, every field against the parameters and the model, every index
 * and code, before anything else reads them. A failure names its field and
 * returns a typed reason for the validator's penalties. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "tplr/mem.h"

#define DEFAULT_MAX_BYTES ((size_t)1 << 30)
#define MIN_RECORD_BYTES 30 /* the smallest record a container can hold */

static const char *const reason_names[TPLR_CODEC_N_REASONS] = {
    "valid",          "too_large",     "truncated",   "bad_magic",    "bad_version",   "bad_header",
    "wrong_params",   "wrong_window",  "wrong_uid",   "wrong_signer", "bad_digest",    "bad_signature",
    "wrong_tensors",  "wrong_shape",   "bad_chunk",   "bad_k",        "bad_layout",    "bad_index",
    "bad_code",       "bad_quant",     "trailing",
};

const char *tplr_codec_reason_name(tplr_codec_reason r)
{
    return (unsigned)r < TPLR_CODEC_N_REASONS ? reason_names[r] : "unknown";
}

/* A bounds-checked reader over the container. */
typedef struct reader {
    const unsigned char *p;
    size_t pos, end;
} reader;

static const unsigned char *take(reader *r, size_t n)
{
    if (n > r->end - r->pos)
        return NULL;
    const unsigned char *at = r->p + r->pos;
    r->pos += n;
    return at;
}

/* Parsing state: where a failure is reported. */
typedef struct ctx {
    tplr_codec_reason *reason;
    int record;
    const char *name;
} ctx;

static tplr_err failf(ctx *c, tplr_codec_reason why, const char *what)
{
    *c->reason = why;
    tplr_err code = why == TPLR_CODEC_WRONG_PARAMS || why == TPLR_CODEC_WRONG_WINDOW || why == TPLR_CODEC_WRONG_UID ||
                            why == TPLR_CODEC_WRONG_SIGNER || why == TPLR_CODEC_WRONG_TENSORS ||
                            why == TPLR_CODEC_WRONG_SHAPE
                        ? TPLR_EMISMATCH
                        : TPLR_EFORMAT;
    if (c->record < 0)
        return tplr_fail(code, "container (%s): %s", tplr_codec_reason_name(why), what);
    return tplr_fail(code, "container (%s): record %d ('%s'): %s", tplr_codec_reason_name(why), c->record,
                     c->name ? c->name : "?", what);
}

#define FAIL(c, why, ...)                                            \
    do {                                                             \
        char fail_buf_[512];                                         \
        snprintf(fail_buf_, sizeof fail_buf_, __VA_ARGS__);          \
        return failf((c), (why), fail_buf_);                         \
    } while (0)

static tplr_err parse_header(ctx *c, const unsigned char *b, size_t n, const tplr_codec_expect *x,
                             tplr_codec_view *v)
{
    if (n < CODEC_HEADER_BYTES + CODEC_TAIL_BYTES)
        FAIL(c, TPLR_CODEC_TRUNCATED, "%zu bytes is shorter than a header and signature", n);
    if (memcmp(b, CODEC_MAGIC, 8))
        FAIL(c, TPLR_CODEC_BAD_MAGIC, "not a tplr gradient container (magic is not %s)", CODEC_MAGIC);
    v->version = (int)codec_get_u16(b + 8);
    if (v->version != TPLR_CODEC_VERSION)
        FAIL(c, TPLR_CODEC_BAD_VERSION, "version %d; this build reads version %d", v->version, TPLR_CODEC_VERSION);
    uint32_t flags = codec_get_u16(b + 10);
    if (flags & ~CODEC_FLAG_DCT)
        FAIL(c, TPLR_CODEC_BAD_HEADER, "unknown flags 0x%x", (unsigned)flags);
    v->params = (tplr_codec_params){(int)codec_get_u16(b + 14), (int)codec_get_u16(b + 12),
                                    (int)codec_get_u16(b + 16), (int)codec_get_u16(b + 18), (int)(flags & 1)};
    if (tplr_codec_params_validate(&v->params))
        FAIL(c, TPLR_CODEC_BAD_HEADER, "codec parameters out of range: %s", tplr_errmsg());
    if (x->params && !tplr_codec_params_equal(x->params, &v->params))
        FAIL(c, TPLR_CODEC_WRONG_PARAMS,
             "parameters topk %d, chunk %d, bins %d, range %d, dct %d; the network uses %d, %d, %d, %d, %d",
             v->params.topk, v->params.target_chunk, v->params.bins, v->params.quant_range, v->params.use_dct,
             x->params->topk, x->params->target_chunk, x->params->bins, x->params->quant_range,
             x->params->use_dct);
    uint32_t n_tensors = codec_get_u32(b + 20);
    if (n_tensors < 1 || n_tensors > CODEC_MAX_TENSORS)
        FAIL(c, TPLR_CODEC_BAD_HEADER, "%" PRIu32 " tensors (1 to %d allowed)", n_tensors, CODEC_MAX_TENSORS);
    v->n_records = (int)n_tensors;
    v->window = codec_get_u64(b + 24);
    v->uid = codec_get_u32(b + 32);
    memcpy(v->hotkey, b + 36, 32);
    memcpy(v->digest, b + n - CODEC_TAIL_BYTES, 32);
    v->size = n;
    if (x->window >= 0 && v->window != (uint64_t)x->window)
        FAIL(c, TPLR_CODEC_WRONG_WINDOW, "window %" PRIu64 ", expected %" PRId64, v->window, x->window);
    if (x->uid >= 0 && v->uid != (uint64_t)x->uid)
        FAIL(c, TPLR_CODEC_WRONG_UID, "uid %" PRIu32 ", expected %" PRId64, v->uid, x->uid);
    if (x->signer && memcmp(x->signer, v->hotkey, 32))
        FAIL(c, TPLR_CODEC_WRONG_SIGNER, "signed by another hotkey than the uid's");
    if (x->table && x->table->n_tensors != v->n_records)
        FAIL(c, TPLR_CODEC_WRONG_TENSORS, "%d tensors, the model has %d", v->n_records, x->table->n_tensors);
    if ((size_t)v->n_records > (n - CODEC_HEADER_BYTES - CODEC_TAIL_BYTES) / MIN_RECORD_BYTES)
        FAIL(c, TPLR_CODEC_TRUNCATED, "%d tensors cannot fit in %zu bytes", v->n_records, n);
    return TPLR_OK;
}

static int printable_name(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return 0;
    return 1;
}

/* Name, shape and tile geometry. */
static tplr_err parse_shape(ctx *c, reader *r, const tplr_codec_expect *x, const tplr_codec_params *p,
                            tplr_codec_record *rec)
{
    const unsigned char *f = take(r, 1);
    if (!f)
        FAIL(c, TPLR_CODEC_TRUNCATED, "ends before its name");
    size_t len = f[0];
    const unsigned char *name = take(r, len);
    if (!name)
        FAIL(c, TPLR_CODEC_TRUNCATED, "ends inside its name");
    if (len == 0 || len >= TPLR_TENSOR_NAME_MAX || !printable_name(name, len))
        FAIL(c, TPLR_CODEC_WRONG_TENSORS, "a tensor name must be 1 to %d printable characters",
             TPLR_TENSOR_NAME_MAX - 1);
    memcpy(rec->name, name, len);
    rec->name[len] = '\0';
    c->name = rec->name;
    const tplr_tensor_info *want = x->table ? &x->table->tensors[c->record] : NULL;
    if (want && strcmp(want->name, rec->name))
        FAIL(c, TPLR_CODEC_WRONG_TENSORS, "the model's tensor %d is '%s'", c->record, want->name);
    if (!(f = take(r, 1)))
        FAIL(c, TPLR_CODEC_TRUNCATED, "ends before its shape");
    rec->ndim = f[0];
    if (rec->ndim != 1 && rec->ndim != 2)
        FAIL(c, TPLR_CODEC_WRONG_SHAPE, "%d dimensions (1 or 2 allowed)", rec->ndim);
    const unsigned char *dims = take(r, 6 * (size_t)rec->ndim);
    if (!dims)
        FAIL(c, TPLR_CODEC_TRUNCATED, "ends inside its shape");
    tplr_tensor_info t = {.ndim = rec->ndim};
    memcpy(t.name, rec->name, len + 1);
    size_t numel = 1;
    for (int d = 0; d < rec->ndim; d++) {
        rec->shape[d] = t.shape[d] = codec_get_u32(dims + 4 * d);
        if (rec->shape[d] < 1 || rec->shape[d] > INT32_MAX || (want && rec->shape[d] != want->shape[d]) ||
            tplr_mul_overflows(numel, (size_t)rec->shape[d], &numel) || numel > CODEC_MAX_NUMEL)
            FAIL(c, TPLR_CODEC_WRONG_SHAPE, "dimension %d is %" PRId64 "%s", d, rec->shape[d],
                 want ? " (the model disagrees)" : " (out of range)");
    }
    t.numel = numel;
    if (tplr_codec_geom_of(&t, p, &rec->geom))
        FAIL(c, TPLR_CODEC_WRONG_SHAPE, "%s", tplr_errmsg());
    int tile[2] = {rec->ndim == 2 ? rec->geom.n1 : rec->geom.n2, rec->geom.n2};
    for (int d = 0; d < rec->ndim; d++)
        if ((int)codec_get_u16(dims + 4 * rec->ndim + 2 * d) != tile[d])
            FAIL(c, TPLR_CODEC_BAD_CHUNK, "tile dimension %d is %d; the parameters give %d", d,
                 (int)codec_get_u16(dims + 4 * rec->ndim + 2 * d), tile[d]);
    return TPLR_OK;
}

/* k, layouts and quantizer parameters. */
static tplr_err parse_coding(ctx *c, reader *r, const tplr_codec_params *p, tplr_codec_record *rec)
{
    const unsigned char *f = take(r, 2 + 4 + 8 + 4 * (size_t)p->bins);
    if (!f)
        FAIL(c, TPLR_CODEC_TRUNCATED, "ends inside its coding fields");
    if ((int)codec_get_u16(f) != rec->geom.k)
        FAIL(c, TPLR_CODEC_BAD_K, "k is %d; tiles of %d values need %d", (int)codec_get_u16(f), rec->geom.totalk,
             rec->geom.k);
    rec->index_layout = f[2];
    rec->rice_param = f[3];
    rec->code_layout = f[4];
    if (rec->index_layout > TPLR_CODEC_IDX_RICE || rec->code_layout > TPLR_CODEC_CODES_PACKED || f[5] != 0 ||
        rec->rice_param > (rec->index_layout == TPLR_CODEC_IDX_RICE ? CODEC_MAX_RICE : 0))
        FAIL(c, TPLR_CODEC_BAD_LAYOUT, "unknown layout (index %d, rice %d, codes %d, reserved %d)",
             rec->index_layout, rec->rice_param, rec->code_layout, f[5]);
    rec->code_bits = rec->code_layout == TPLR_CODEC_CODES_BYTE ? 8 : codec_code_width(p->bins);
    rec->shift = codec_get_f32(f + 6);
    rec->scale = codec_get_f32(f + 10);
    if (!isfinite(rec->shift))
        FAIL(c, TPLR_CODEC_BAD_QUANT, "the shift is not finite");
    if (!(rec->scale >= 1e-12f && rec->scale <= 1e4f))
        FAIL(c, TPLR_CODEC_BAD_QUANT, "the scale %g is outside [1e-12, 1e4]", (double)rec->scale);
    for (int b = 0; b < p->bins; b++)
        rec->lookup[b] = codec_get_f32(f + 14 + 4 * b);
    codec_dequant_table(rec->lookup, rec->shift, p->bins, rec->deq);
    for (int b = 0; b < p->bins; b++)
        if (!isfinite(rec->lookup[b]) || !isfinite(rec->deq[b]))
            FAIL(c, TPLR_CODEC_BAD_QUANT, "lookup[%d] (or it plus the shift) is not finite", b);
    return TPLR_OK;
}

/* The two streams' lengths against the layout and the bytes present. */
static tplr_err parse_streams(ctx *c, reader *r, tplr_codec_record *rec)
{
    size_t n_vals = rec->geom.n_chunks * (size_t)rec->geom.k, pack12 = codec_pack12_bytes(n_vals);
    const unsigned char *f = take(r, 4);
    if (!f)
        FAIL(c, TPLR_CODEC_TRUNCATED, "ends before its index stream");
    rec->idx_bytes = codec_get_u32(f);
    if (rec->index_layout == TPLR_CODEC_IDX_PACK12 ? rec->idx_bytes != pack12
                                                   : rec->idx_bytes == 0 || rec->idx_bytes > pack12)
        FAIL(c, TPLR_CODEC_BAD_LAYOUT, "index stream of %zu bytes; %s %zu", rec->idx_bytes,
             rec->index_layout == TPLR_CODEC_IDX_PACK12 ? "12-bit packing takes" : "Rice coding may take 1 to",
             pack12);
    if (!(rec->idx = take(r, rec->idx_bytes)))
        FAIL(c, TPLR_CODEC_TRUNCATED, "its index stream runs past the end");
    if (!(f = take(r, 4)))
        FAIL(c, TPLR_CODEC_TRUNCATED, "ends before its codes");
    rec->code_bytes = codec_get_u32(f);
    size_t want = codec_codes_bytes(n_vals, rec->code_bits);
    if (rec->code_bytes != want)
        FAIL(c, TPLR_CODEC_BAD_LAYOUT, "%zu bytes of codes; %zu values of %d bits take %zu", rec->code_bytes, n_vals,
             rec->code_bits, want);
    if (!(rec->codes = take(r, rec->code_bytes)))
        FAIL(c, TPLR_CODEC_TRUNCATED, "its codes run past the end");
    return TPLR_OK;
}

/* Every tile: positions < tile size and none repeated (Rice positions
 * ascend by construction), decoded into rec->pos; codes < bins, unpacked
 * into rec->code; the code histogram gives the values' norm. */
static tplr_err scan_tiles(ctx *c, const tplr_codec_params *p, tplr_codec_record *rec, uint16_t *pos, uint8_t *code)
{
    uint64_t seen[CODEC_MAX_TOTALK / 64] = {0}, counts[TPLR_CODEC_MAX_BINS] = {0};
    codec_cursor cur;
    codec_cursor_init(&cur, rec);
    int k = rec->geom.k, pack12 = rec->index_layout == TPLR_CODEC_IDX_PACK12;
    for (size_t t = 0; t < rec->geom.n_chunks; t++) {
        uint16_t *idx = pos + t * (size_t)k;
        if (codec_cursor_next(&cur, idx, NULL))
            FAIL(c, TPLR_CODEC_BAD_INDEX, "tile %zu: a position is not below the tile size %d, or the Rice stream "
                 "is malformed", t, rec->geom.totalk);
        if (!pack12)
            continue;
        int dup = 0;
        for (int j = 0; j < k; j++) {
            uint64_t bit = 1ull << (idx[j] & 63);
            dup |= (seen[idx[j] >> 6] & bit) != 0;
            seen[idx[j] >> 6] |= bit;
        }
        for (int j = 0; j < k; j++)
            seen[idx[j] >> 6] = 0;
        if (dup)
            FAIL(c, TPLR_CODEC_BAD_INDEX, "tile %zu sends a position twice", t);
    }
    if (!pack12 && codec_rice_check_end(&cur.bits))
        FAIL(c, TPLR_CODEC_BAD_INDEX, "the Rice stream has bytes or nonzero bits after its last tile");
    size_t n_vals = rec->geom.n_chunks * (size_t)k, used = n_vals * (size_t)rec->code_bits;
    codec_codes_read(rec->codes, rec->code_bytes, 0, n_vals, rec->code_bits, code);
    if (rec->code_bits == 2)
        codec_count_codes2(rec->codes, n_vals, counts);
    else
        for (size_t i = 0; i < n_vals; i++)
            counts[code[i]]++;
    for (int b = p->bins; b < TPLR_CODEC_MAX_BINS; b++)
        if (counts[b])
            FAIL(c, TPLR_CODEC_BAD_CODE, "code %d is not below bins %d", b, p->bins);
    if (used % 8 && rec->codes[rec->code_bytes - 1] >> (used % 8))
        FAIL(c, TPLR_CODEC_BAD_CODE, "nonzero padding after the last code");
    double ss = 0.0;
    for (int b = 0; b < p->bins; b++)
        ss += (double)counts[b] * ((double)rec->deq[b] * (double)rec->deq[b]);
    rec->norm = sqrt(ss);
    rec->pos = pos;
    rec->code = code;
    return TPLR_OK;
}

/* Records' fields first (every length checked against the bytes present),
 * then one block for the decoded positions and codes, then the tiles. */
static tplr_err parse_records(ctx *c, const unsigned char *b, size_t n, const tplr_codec_expect *x,
                              tplr_codec_view *v)
{
    v->records = calloc((size_t)v->n_records, sizeof *v->records);
    if (!v->records)
        return tplr_fail(TPLR_ENOMEM, "allocating %d container records", v->n_records);
    reader r = {b, CODEC_HEADER_BYTES, n - CODEC_TAIL_BYTES};
    size_t offset = 0, n_vals = 0;
    for (int i = 0; i < v->n_records; i++) {
        tplr_codec_record *rec = &v->records[i];
        c->record = i;
        c->name = NULL;
        TPLR_TRY(parse_shape(c, &r, x, &v->params, rec));
        TPLR_TRY(parse_coding(c, &r, &v->params, rec));
        TPLR_TRY(parse_streams(c, &r, rec));
        rec->offset = x->table ? x->table->tensors[i].offset : offset;
        offset += (size_t)rec->geom.rows * (size_t)rec->geom.cols;
        if (offset > CODEC_MAX_NUMEL)
            FAIL(c, TPLR_CODEC_TOO_LARGE, "the tensors hold more than 2^40 values");
        n_vals += rec->geom.n_chunks * (size_t)rec->geom.k; /* ≤ 4·n: a value takes ≥ 1 bit of each stream */
    }
    v->n_floats = x->table ? x->table->n_floats : offset;
    c->record = -1;
    if (r.pos != r.end)
        FAIL(c, TPLR_CODEC_TRAILING, "%zu bytes after the last record", r.end - r.pos);
    unsigned char *block = malloc(n_vals * 3 + 1);
    if (!block)
        return tplr_fail(TPLR_ENOMEM, "allocating %zu decoded positions", n_vals);
    v->decoded = block;
    uint16_t *pos = (uint16_t *)block;
    uint8_t *code = block + n_vals * 2;
    for (int i = 0; i < v->n_records; i++) {
        tplr_codec_record *rec = &v->records[i];
        c->record = i;
        c->name = rec->name;
        TPLR_TRY(scan_tiles(c, &v->params, rec, pos, code));
        pos += rec->geom.n_chunks * (size_t)rec->geom.k;
        code += rec->geom.n_chunks * (size_t)rec->geom.k;
    }
    c->record = -1;
    return TPLR_OK;
}

static tplr_err check(const unsigned char *bytes, size_t n, const tplr_codec_expect *x, tplr_codec_view *v,
                      tplr_codec_reason *reason, int verify)
{
    *v = (tplr_codec_view){0};
    *reason = TPLR_CODEC_VALID;
    ctx c = {reason, -1, NULL};
    size_t cap = x->max_bytes;
    if (!cap) {
        cap = DEFAULT_MAX_BYTES;
        if (x->table && x->params)
            cap = codec_container_max_bytes(x->table, x->params);
        if (!cap)
            FAIL(&c, TPLR_CODEC_WRONG_SHAPE, "the model's tensors do not fit the codec: %s", tplr_errmsg());
    }
    if (n > cap)
        FAIL(&c, TPLR_CODEC_TOO_LARGE, "%zu bytes, more than the %zu allowed", n, cap);
    tplr_err e = parse_header(&c, bytes, n, x, v);
    if (!e && verify)
        e = tplr_codec_verify(bytes, n, reason);
    if (!e)
        e = parse_records(&c, bytes, n, x, v);
    if (e) {
        if (*reason == TPLR_CODEC_VALID) /* out of memory: too large for this machine */
            *reason = TPLR_CODEC_TOO_LARGE;
        tplr_codec_view_free(v);
    }
    return e;
}

tplr_err tplr_codec_validate(const unsigned char *bytes, size_t n, const tplr_codec_expect *expect,
                             tplr_codec_view *view, tplr_codec_reason *reason)
{
    return check(bytes, n, expect, view, reason, 1);
}

tplr_err tplr_codec_parse(const unsigned char *bytes, size_t n, const tplr_codec_expect *expect,
                          tplr_codec_view *view, tplr_codec_reason *reason)
{
    return check(bytes, n, expect, view, reason, 0);
}

void tplr_codec_view_free(tplr_codec_view *view)
{
    free(view->decoded);
    free(view->records);
    *view = (tplr_codec_view){0};
}

tplr_err tplr_codec_table_of_view(const tplr_codec_view *view, tplr_codec_table *out)
{
    const char **names = malloc(sizeof *names * (size_t)view->n_records);
    int *ndims = malloc(sizeof *ndims * (size_t)view->n_records);
    int64_t(*shapes)[2] = malloc(sizeof *shapes * (size_t)view->n_records);
    tplr_err e = !names || !ndims || !shapes ? tplr_fail(TPLR_ENOMEM, "allocating a tensor table") : TPLR_OK;
    for (int i = 0; !e && i < view->n_records; i++) {
        names[i] = view->records[i].name;
        ndims[i] = view->records[i].ndim;
        shapes[i][0] = view->records[i].shape[0];
        shapes[i][1] = view->records[i].shape[1];
    }
    if (!e)
        e = tplr_codec_table_build(names, ndims, (const int64_t(*)[2])shapes, view->n_records, out);
    free(names);
    free(ndims);
    free(shapes);
    return e;
}
