/* Reading a record's streams one tile at a time, for validation: its
 * positions from either layout, every one checked against the tile size,
 * and its codes. */
#include "internal.h"

void codec_cursor_init(codec_cursor *c, const tplr_codec_record *r)
{
    c->rec = r;
    c->bits = (codec_bitr){r->idx, r->idx_bytes, 0};
    c->next = 0;
}

int codec_cursor_next(codec_cursor *c, uint16_t *idx, uint8_t *codes)
{
    const tplr_codec_record *r = c->rec;
    int k = r->geom.k, totalk = r->geom.totalk;
    size_t first = c->next;
    if (first + (size_t)k > r->geom.n_chunks * (size_t)k)
        return -1;
    if (r->index_layout == TPLR_CODEC_IDX_RICE) {
        if (codec_rice_read_tile(&c->bits, r->rice_param, k, totalk, idx))
            return -1;
    } else {
        codec_pack12_read(r->idx + codec_pack12_bytes(first), (size_t)k, idx);
        for (int j = 0; j < k; j++)
            if (idx[j] >= totalk)
                return -1;
    }
    if (codes)
        codec_codes_read(r->codes, r->code_bytes, first, (size_t)k, r->code_bits, codes);
    c->next = first + (size_t)k;
    return 0;
}
