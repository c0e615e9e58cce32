/* tplr-tour-pipe v1: encoding and field-by-field parsing of the records. */
#include <math.h>
#include <string.h>

#include "le_bytes.h"
#include "tplr/tour_proto.h"

void tplr_tour_hdr_encode(uint8_t out[TPLR_TOUR_HDR_BYTES], uint32_t type, uint64_t len)
{
    put_u32(out, TPLR_TOUR_MAGIC);
    out[4] = TPLR_TOUR_PROTO_VERSION;
    out[5] = 0;
    out[6] = (uint8_t)type;
    out[7] = (uint8_t)(type >> 8);
    put_u64(out + 8, len);
}

static tplr_err hdr_common(const uint8_t in[TPLR_TOUR_HDR_BYTES], tplr_tour_hdr *out)
{
    if (get_u32(in) != TPLR_TOUR_MAGIC)
        return tplr_fail(TPLR_EFORMAT, "pipe record: bad magic 0x%08x (expected \"TPTP\")", get_u32(in));
    unsigned version = (unsigned)in[4] | (unsigned)in[5] << 8;
    if (version != TPLR_TOUR_PROTO_VERSION)
        return tplr_fail(TPLR_EFORMAT, "pipe record: version %u, this harness speaks %d", version,
                         TPLR_TOUR_PROTO_VERSION);
    out->type = (uint32_t)in[6] | (uint32_t)in[7] << 8;
    out->len = get_u64(in + 8);
    return TPLR_OK;
}

uint64_t tplr_tour_result_bytes(const tplr_tour_expect *ex)
{
    return TPLR_TOUR_RESULT_HEAD_BYTES + 4 * (ex->n_logits + ex->n_weights);
}

tplr_err tplr_tour_hdr_parse_up(const uint8_t in[TPLR_TOUR_HDR_BYTES], const tplr_tour_expect *ex,
                                tplr_tour_hdr *out)
{
    TPLR_TRY(hdr_common(in, out));
    switch (out->type) {
    case TPLR_TOUR_MSG_REQUEST:
        if (out->len != 0)
            return tplr_fail(TPLR_EFORMAT, "pipe record: REQUEST with a %llu-byte payload (must be empty)",
                             (unsigned long long)out->len);
        return TPLR_OK;
    case TPLR_TOUR_MSG_ERROR:
        if (out->len > TPLR_TOUR_ERROR_MAX)
            return tplr_fail(TPLR_ETOOLARGE, "pipe record: ERROR of %llu bytes (cap %d)",
                             (unsigned long long)out->len, TPLR_TOUR_ERROR_MAX);
        return TPLR_OK;
    case TPLR_TOUR_MSG_RESULT:
        if (out->len != tplr_tour_result_bytes(ex))
            return tplr_fail(TPLR_ETOOLARGE, "pipe record: RESULT of %llu bytes, expected exactly %llu",
                             (unsigned long long)out->len, (unsigned long long)tplr_tour_result_bytes(ex));
        return TPLR_OK;
    default:
        return tplr_fail(TPLR_EFORMAT, "pipe record: type %u is not one a runner may send", out->type);
    }
}

tplr_err tplr_tour_hdr_parse_down(const uint8_t in[TPLR_TOUR_HDR_BYTES], tplr_tour_hdr *out)
{
    TPLR_TRY(hdr_common(in, out));
    if (out->type != TPLR_TOUR_MSG_INIT && out->type != TPLR_TOUR_MSG_BATCH && out->type != TPLR_TOUR_MSG_END)
        return tplr_fail(TPLR_EFORMAT, "pipe record: type %u is not one the harness sends", out->type);
    return TPLR_OK;
}

void tplr_tour_result_head_encode(uint8_t out[TPLR_TOUR_RESULT_HEAD_BYTES], const tplr_tour_result_head *h)
{
    put_u64(out, (uint64_t)h->total_tokens);
    put_f64(out + 8, h->final_loss);
    put_u64(out + 16, h->n_logits);
    put_u64(out + 24, h->n_weights);
}

tplr_err tplr_tour_result_head_parse(const uint8_t in[TPLR_TOUR_RESULT_HEAD_BYTES], const tplr_tour_expect *ex,
                                     tplr_tour_result_head *out)
{
    uint64_t tokens = get_u64(in);
    if (tokens > (uint64_t)INT64_MAX)
        return tplr_fail(TPLR_EFORMAT, "result: total_tokens %llu is negative as int64", (unsigned long long)tokens);
    out->total_tokens = (int64_t)tokens;
    out->final_loss = get_f64(in + 8);
    out->n_logits = get_u64(in + 16);
    out->n_weights = get_u64(in + 24);
    if (out->n_logits != ex->n_logits)
        return tplr_fail(TPLR_EMISMATCH, "result: %llu logits, expected [B][S-1][V] = %llu",
                         (unsigned long long)out->n_logits, (unsigned long long)ex->n_logits);
    if (out->n_weights != ex->n_weights)
        return tplr_fail(TPLR_EMISMATCH, "result: %llu weights, the model has %llu parameters",
                         (unsigned long long)out->n_weights, (unsigned long long)ex->n_weights);
    return TPLR_OK;
}

void tplr_tour_error_text(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (in[i] >= 32 && in[i] < 127) || in[i] == '\n' ? (char)in[i] : '?';
    if (cap)
        out[k] = 0;
}
