/* Reference runs, cached by what determines them (file format
 * "tplr-tour-ref" v1, docs/formats.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le_bytes.h"
#include "tour_internal.h"
#include "tplr/fileio.h"
#include "tplr/hash.h"

#define MAGIC "TPLRTREF"
#define VERSION 1u
#define HEAD 80

tplr_err tplr_tour_ref_key(const tplr_tour_init *in, const char *ref_source_sha, char hex[65])
{
    uint8_t ib[TPLR_TOUR_INIT_BYTES + 64];
    memset(ib, 0, sizeof ib);
    tplr_tour_init_encode(ib, in);
    memcpy(ib + TPLR_TOUR_INIT_BYTES, ref_source_sha, 64);
    unsigned char d[32];
    TPLR_TRY(tplr_sha256(d, ib, sizeof ib));
    tplr_hex(hex, d, 32);
    return TPLR_OK;
}

tplr_err tplr_tour_ref_save(const char *path, const char key[65], const tplr_tour_exec *x, uint64_t n_logits,
                            uint64_t n_weights)
{
    size_t n = HEAD + TPLR_TOUR_RESULT_HEAD_BYTES + 8 + 4 * (size_t)(n_logits + n_weights);
    uint8_t *out = calloc(1, n);
    if (!out)
        return tplr_fail(TPLR_ENOMEM, "reference cache: %zu bytes", n);
    memcpy(out, MAGIC, 8);
    put_u32(out + 8, VERSION);
    memcpy(out + 12, key, 64); /* 76..79: zero */
    tplr_tour_result_head h = x->head;
    h.n_logits = n_logits, h.n_weights = n_weights;
    tplr_tour_result_head_encode(out + HEAD, &h);
    put_u64(out + HEAD + TPLR_TOUR_RESULT_HEAD_BYTES, x->tokens);
    uint8_t *p = out + HEAD + TPLR_TOUR_RESULT_HEAD_BYTES + 8;
    memcpy(p, x->logits, 4 * n_logits);
    memcpy(p + 4 * n_logits, x->weights, 4 * n_weights);
    tplr_err e = tplr_write_file_atomic(path, out, n);
    free(out);
    return e;
}

tplr_err tplr_tour_ref_load(const char *path, const char key[65], uint64_t n_logits, uint64_t n_weights,
                            tplr_tour_exec *x)
{
    memset(x, 0, sizeof *x);
    size_t want = HEAD + TPLR_TOUR_RESULT_HEAD_BYTES + 8 + 4 * (size_t)(n_logits + n_weights);
    char *buf = NULL;
    size_t len = 0;
    TPLR_TRY(tplr_read_file(path, want, &buf, &len));
    const uint8_t *b = (const uint8_t *)buf;
    uint32_t v = len == want ? get_u32(b + 8) : 0;
    tplr_tour_expect ex = {n_logits, n_weights};
    tplr_err e = TPLR_OK;
    if (len != want || memcmp(b, MAGIC, 8) || v != VERSION || memcmp(b + 12, key, 64))
        e = tplr_fail(TPLR_EFORMAT, "%s is not the reference run for these settings (remove it)", path);
    if (!e)
        e = tplr_tour_result_head_parse(b + HEAD, &ex, &x->head);
    if (!e) {
        x->tokens = get_u64(b + HEAD + TPLR_TOUR_RESULT_HEAD_BYTES);
        x->logits = malloc(4 * n_logits);
        x->weights = malloc(4 * n_weights);
        if (!x->logits || !x->weights)
            e = tplr_fail(TPLR_ENOMEM, "reference cache: loading %s", path);
    }
    if (!e) {
        const uint8_t *p = b + HEAD + TPLR_TOUR_RESULT_HEAD_BYTES + 8;
        memcpy(x->logits, p, 4 * n_logits);
        memcpy(x->weights, p + 4 * n_logits, 4 * n_weights);
    }
    free(buf);
    if (e)
        tplr_tour_exec_free(x);
    return e;
}
