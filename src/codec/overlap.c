/* Templar's index-overlap check (plagiarism): per tile, how many of a's
 * positions b also sent, summed over tiles and tensors; the fraction weighs
 * each tensor by tiles·k as the reference does (Σ shared / Σ tiles·k). */
#include "internal.h"

tplr_err tplr_codec_overlap_of(const tplr_codec_view *a, const tplr_codec_view *b, tplr_codec_overlap *out,
                               double *per_tensor)
{
    *out = (tplr_codec_overlap){0};
    if (a->n_records != b->n_records)
        return tplr_fail(TPLR_EMISMATCH, "overlap: the containers hold %d and %d tensors", a->n_records,
                         b->n_records);
    uint64_t seen[CODEC_MAX_TOTALK / 64] = {0};
    for (int t = 0; t < a->n_records; t++) {
        const tplr_codec_record *ra = &a->records[t], *rb = &b->records[t];
        if (!ra->pos || !rb->pos || strcmp(ra->name, rb->name) || ra->geom.n_chunks != rb->geom.n_chunks || ra->geom.k != rb->geom.k ||
            ra->geom.totalk != rb->geom.totalk)
            return tplr_fail(TPLR_EMISMATCH, "overlap: tensor %d is '%s' with %zu tiles of k %d in one container and "
                             "'%s' with %zu tiles of k %d in the other", t, ra->name, ra->geom.n_chunks, ra->geom.k,
                             rb->name, rb->geom.n_chunks, rb->geom.k);
        int k = ra->geom.k;
        uint64_t shared = 0;
        for (size_t c = 0; c < ra->geom.n_chunks; c++) {
            const uint16_t *ia = ra->pos + c * (size_t)k, *ib = rb->pos + c * (size_t)k;
            for (int j = 0; j < k; j++)
                seen[ib[j] >> 6 & 63] |= 1ull << (ib[j] & 63);
            for (int j = 0; j < k; j++)
                shared += seen[ia[j] >> 6 & 63] >> (ia[j] & 63) & 1;
            for (int j = 0; j < k; j++)
                seen[ib[j] >> 6 & 63] = 0;
        }
        uint64_t total = (uint64_t)ra->geom.n_chunks * (uint64_t)k;
        if (per_tensor)
            per_tensor[t] = (double)shared / (double)total;
        out->shared += shared;
        out->total += total;
    }
    out->fraction = out->total ? (double)out->shared / (double)out->total : 0.0;
    return TPLR_OK;
}
