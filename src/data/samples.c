#include "tplr/samples.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/kernels.h"

static tplr_err open_rows(const char *path, const tplr_samples_opts *o, tplr_samples *s)
{
    TPLR_TRY(tplr_token_rows_open(path, o->vocab, &s->rows));
    s->kind = TPLR_SAMPLES_ROWS;
    s->T = s->rows.row_len - 1;
    s->n = s->rows.n_rows;
    s->eos = -1;
    return TPLR_OK;
}

static uint32_t flat_token(const tplr_npy *a, uint64_t i)
{
    const unsigned char *p = (const unsigned char *)a->data + i * a->elem_size;
    uint32_t v = 0;
    for (size_t b = 0; b < a->elem_size; b++)
        v |= (uint32_t)p[b] << (8 * b);
    return v;
}

static tplr_err open_flat(const char *path, const tplr_samples_opts *o, tplr_samples *s)
{
    TPLR_TRY(tplr_npy_open(path, &s->flat));
    tplr_npy *a = &s->flat;
    if (a->dtype != TPLR_NPY_U16 && a->dtype != TPLR_NPY_U32)
        return tplr_fail(TPLR_EFORMAT, "%s: a 1-D token array must be uint16 or uint32, not %s", path,
                         tplr_npy_dtype_name(a->dtype));
    if (o->sample_len < 2)
        return tplr_fail(TPLR_EINVAL, "%s is a 1-D token array (Templar's shard format): give its sample length "
                         "(--seq)", path);
    s->kind = TPLR_SAMPLES_FLAT;
    s->T = o->sample_len;
    s->n = (int64_t)(a->numel / (size_t)o->sample_len);
    s->eos = o->eos;
    if (s->n < 1)
        return tplr_fail(TPLR_EFORMAT, "%s holds %zu tokens: fewer than one sample of %d", path, a->numel,
                         o->sample_len);
    for (size_t i = 0; i < (size_t)s->n * (size_t)s->T; i++)
        if (flat_token(a, i) >= (uint32_t)o->vocab)
            return tplr_fail(TPLR_EFORMAT, "%s: token %u at %zu is outside the model's vocabulary [0, %d)", path,
                             flat_token(a, i), i, o->vocab);
    return TPLR_OK;
}

/* A shard folder: its manifest names the shards of each split. */
static tplr_err open_shards(const char *dir, const tplr_samples_opts *o, tplr_samples *s)
{
    char path[4300];
    TPLR_TRY(tplr_path_join(path, sizeof path, dir, TPLR_SHARDS_MANIFEST));
    char *text;
    size_t len;
    TPLR_TRY(tplr_read_file(path, 64u << 20, &text, &len));
    json_error_t jerr;
    json_t *m = json_loads(text, 0, &jerr);
    free(text);
    const char *format = NULL, *split = o->split ? o->split : "train";
    int version = 0, vocab = 0, eos = -1, sample_len = 0;
    json_t *list = NULL;
    tplr_err e = TPLR_OK;
    if (!m || json_unpack_ex(m, &jerr, 0, "{s:s, s:i, s:i, s:i, s:i}", "format", &format, "version", &version,
                             "vocab_size", &vocab, "eos", &eos, "sample_len", &sample_len) != 0)
        e = tplr_fail(TPLR_EFORMAT, "%s: not a tplr shard manifest (%s)", path, jerr.text);
    else if (strcmp(format, TPLR_SHARDS_FORMAT) || version != 1)
        e = tplr_fail(TPLR_EFORMAT, "%s: format %s version %d is not supported", path, format, version);
    else if (!json_is_array(list = json_object_get(m, split)))
        e = tplr_fail(TPLR_EFORMAT, "%s has no split '%s' (train or val)", path, split);
    else if (json_array_size(list) == 0)
        e = tplr_fail(TPLR_ENOTFOUND, "%s: the '%s' split is empty", path, split);
    else if (vocab > o->vocab)
        e = tplr_fail(TPLR_EMISMATCH, "%s: the shards' vocabulary (%d) is larger than the model's (%d)", dir, vocab,
                      o->vocab);
    else if (o->sample_len && o->sample_len != sample_len)
        e = tplr_fail(TPLR_EINVAL, "--seq %d does not match the shards' sample length %d", o->sample_len, sample_len);
    size_t n = e ? 0 : json_array_size(list);
    if (!e && (!(s->shards = calloc(n, sizeof *s->shards)) || !(s->shard_first = calloc(n + 1, sizeof(int64_t)))))
        e = tplr_fail(TPLR_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !e; i++) {
        const char *file = json_string_value(json_object_get(json_array_get(list, i), "file"));
        if (!file || strchr(file, '/') || !strcmp(file, "..")) {
            e = tplr_fail(TPLR_EFORMAT, "%s: shard %zu has a bad file name", path, i);
            break;
        }
        e = tplr_path_join(path, sizeof path, dir, file);
        if (!e)
            e = tplr_shard_open(path, &s->shards[i]);
        if (e)
            break;
        s->n_shards++;
        const tplr_shard *sh = &s->shards[i];
        if ((int)sh->sample_len != sample_len || (int)sh->vocab_size != vocab || sh->eos != eos)
            e = tplr_fail(TPLR_EMISMATCH, "%s does not match its manifest (sample length, vocabulary or EOS)", path);
        s->shard_first[i + 1] = s->shard_first[i] + (int64_t)sh->n_samples;
    }
    json_decref(m);
    if (e)
        return e;
    s->kind = TPLR_SAMPLES_SHARDS;
    s->T = sample_len;
    s->n = s->shard_first[n];
    s->eos = eos;
    return TPLR_OK;
}

tplr_err tplr_samples_open(const char *path, const tplr_samples_opts *o, tplr_samples *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    s->mask_eos = o->mask_eos;
    char manifest[4300];
    tplr_err e;
    if (tplr_path_join(manifest, sizeof manifest, path, TPLR_SHARDS_MANIFEST) == TPLR_OK && tplr_path_exists(manifest))
        e = open_shards(path, o, s);
    else {
        tplr_npy probe;
        e = tplr_npy_open(path, &probe);
        int ndim = probe.ndim;
        if (!e)
            tplr_npy_close(&probe);
        if (!e)
            e = ndim == 1 ? open_flat(path, o, s) : open_rows(path, o, s);
        if (!e && s->kind == TPLR_SAMPLES_ROWS && o->sample_len && o->sample_len != s->T)
            e = tplr_fail(TPLR_EINVAL, "--seq %d does not match %s, whose rows hold %d tokens (seq %d + 1)",
                          o->sample_len, path, s->T + 1, s->T);
    }
    if (!e && !(s->row_buf = malloc(sizeof(int32_t) * ((size_t)s->T + 1))))
        e = tplr_fail(TPLR_ENOMEM, "out of memory");
    if (e)
        tplr_samples_close(s);
    return e;
}

void tplr_samples_close(tplr_samples *s)
{
    if (s->kind == TPLR_SAMPLES_ROWS)
        tplr_token_rows_close(&s->rows);
    for (int i = 0; i < s->n_shards; i++)
        tplr_shard_close(&s->shards[i]);
    tplr_npy_close(&s->flat);
    free(s->shards);
    free(s->shard_first);
    free(s->row_buf);
    memset(s, 0, sizeof *s);
}

/* The shard of a folder that holds sample i. */
static int shard_of(const tplr_samples *s, int64_t i)
{
    int lo = 0, hi = s->n_shards - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->shard_first[mid] <= i)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* The tokens of sample i of a shard folder or 1-D array into buf[T]. */
static void sample_tokens(tplr_samples *s, int64_t i, int32_t *buf)
{
    if (s->kind == TPLR_SAMPLES_FLAT) {
        for (int t = 0; t < s->T; t++)
            buf[t] = (int32_t)flat_token(&s->flat, (uint64_t)i * s->T + t);
        return;
    }
    int lo = shard_of(s, i);
    const tplr_shard *sh = &s->shards[lo];
    uint64_t base = (uint64_t)(i - s->shard_first[lo]) * sh->sample_len;
    for (int t = 0; t < s->T; t++)
        buf[t] = (int32_t)tplr_shard_token(sh, base + (uint64_t)t);
}

void tplr_samples_get(tplr_samples *s, int64_t i, int32_t *inputs, int32_t *targets)
{
    int T = s->T;
    if (s->kind == TPLR_SAMPLES_ROWS) {
        tplr_token_rows_get(&s->rows, i, s->row_buf);
        memcpy(inputs, s->row_buf, sizeof(int32_t) * (size_t)T);
        memcpy(targets, s->row_buf + 1, sizeof(int32_t) * (size_t)T);
        return;
    }
    sample_tokens(s, i, inputs);
    memcpy(targets, inputs + 1, sizeof(int32_t) * (size_t)(T - 1));
    targets[T - 1] = TPLR_IGNORE_INDEX;
    if (s->mask_eos && s->eos >= 0)
        for (int t = 0; t < T - 1; t++)
            if (targets[t] == s->eos)
                targets[t] = TPLR_IGNORE_INDEX;
}

uint64_t tplr_samples_id(tplr_samples *s, int64_t i)
{
    if (s->kind == TPLR_SAMPLES_SHARDS) {
        int lo = shard_of(s, i);
        return tplr_shard_sample_id(&s->shards[lo], (uint64_t)(i - s->shard_first[lo]));
    }
    int n = s->kind == TPLR_SAMPLES_ROWS ? s->T + 1 : s->T;
    if (s->kind == TPLR_SAMPLES_ROWS)
        tplr_token_rows_get(&s->rows, i, s->row_buf);
    else
        sample_tokens(s, i, s->row_buf);
    return tplr_sample_id((const uint32_t *)s->row_buf, (size_t)n);
}

void tplr_batch_fill(tplr_samples *s, tplr_row_order *o, int64_t step, int B, int32_t *inputs, int32_t *targets)
{
    for (int b = 0; b < B; b++)
        tplr_samples_get(s, tplr_row_order_row(o, step * B + b), inputs + (size_t)b * s->T,
                         targets + (size_t)b * s->T);
}
