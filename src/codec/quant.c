/* The per-tensor quantizer (Templar's TopKCompressor._quantize_values):
 * shift = mean(v); c = v − shift; std = ‖c‖/√(n−1); scale = range·std/bins
 * (1 when that is 0 or not finite); code = clamp(round-half-even(c/scale +
 * bins/2), 0, bins−1); lookup[b] = mean of the c in bin b (0 if empty).
 * Sums are in double in value order; shift, std, scale and lookup are
 * rounded to float; the code arithmetic is float, as in PyTorch. */
#include <math.h>

#include "internal.h"

void codec_quantize(const float *v, size_t n, int bins, int range, uint8_t *codes, codec_quant *q)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += (double)v[i];
    float shift = (float)(sum / (double)n);
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        float c = v[i] - shift;
        ss += (double)c * (double)c;
    }
    float std = n > 1 ? (float)sqrt(ss / (double)(n - 1)) : 0.0f;
    float scale = (float)range * std / (float)bins;
    if (scale == 0.0f || !isfinite(scale))
        scale = 1.0f;
    float offset = (float)(bins / 2), top = (float)(bins - 1);
    double sums[TPLR_CODEC_MAX_BINS] = {0};
    uint64_t counts[TPLR_CODEC_MAX_BINS] = {0};
    for (size_t i = 0; i < n; i++) {
        float c = v[i] - shift;
        uint8_t code = codec_quant_code(c, scale, offset, top);
        codes[i] = code;
        sums[code] += (double)c;
        counts[code]++;
    }
    q->shift = shift;
    q->scale = scale;
    for (int b = 0; b < bins; b++)
        q->lookup[b] = counts[b] ? (float)(sums[b] / (double)counts[b]) : 0.0f;
}

void codec_dequant_table(const float *lookup, float shift, int bins, float *deq)
{
    for (int b = 0; b < bins; b++)
        deq[b] = lookup[b] + shift;
}
