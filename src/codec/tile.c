/* Moving tiles between a tensor (row-major rows × cols) and a contiguous
 * n1 × n2 buffer, with the error-feedback update fused into the load. */
#include "internal.h"

/* 1 when the float's exponent is all ones (infinity or NaN). */
static inline int not_finite(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return (b & 0x7f800000u) == 0x7f800000u;
}

int codec_tile_ef(const tplr_codec_geom *g, float *e, const float *delta, float beta, size_t c, float *buf)
{
    size_t origin = codec_tile_origin(g, c), cols = (size_t)g->cols;
    int n2 = g->n2, bad = 0;
    for (int i = 0; i < g->n1; i++) {
        float *er = e + origin + (size_t)i * cols, *out = buf + (size_t)i * (size_t)n2;
        if (delta) {
            const float *dr = delta + origin + (size_t)i * cols;
            for (int j = 0; j < n2; j++) {
                float v = beta * er[j] + dr[j];
                er[j] = v;
                out[j] = v;
                bad |= not_finite(v);
            }
        } else
            for (int j = 0; j < n2; j++) {
                out[j] = er[j];
                bad |= not_finite(er[j]);
            }
    }
    return bad;
}

int codec_tile_store(const tplr_codec_geom *g, float *x, size_t c, const float *buf)
{
    size_t origin = codec_tile_origin(g, c), cols = (size_t)g->cols;
    int n2 = g->n2, bad = 0;
    for (int i = 0; i < g->n1; i++) {
        float *xr = x + origin + (size_t)i * cols;
        const float *in = buf + (size_t)i * (size_t)n2;
        for (int j = 0; j < n2; j++) {
            xr[j] = in[j];
            bad |= not_finite(in[j]);
        }
    }
    return bad;
}

void codec_tile_sub(const tplr_codec_geom *g, float *x, size_t c, const float *buf)
{
    size_t origin = codec_tile_origin(g, c), cols = (size_t)g->cols;
    for (int i = 0; i < g->n1; i++) {
        float *xr = x + origin + (size_t)i * cols;
        const float *in = buf + (size_t)i * (size_t)g->n2;
        for (int j = 0; j < g->n2; j++)
            xr[j] = xr[j] - in[j];
    }
}
