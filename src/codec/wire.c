/* The container's fixed parts: header, record sizes, signing (the full
 * layout is in docs/formats.md). */
#include <sodium.h>

#include "internal.h"
#include "tplr/hash.h"
#include "tplr/keys.h"

void codec_write_header(unsigned char *out, const tplr_codec_params *p, int n_tensors, uint64_t window, uint32_t uid,
                        const unsigned char hotkey[32])
{
    memcpy(out, CODEC_MAGIC, 8);
    codec_put_u16(out + 8, TPLR_CODEC_VERSION);
    codec_put_u16(out + 10, p->use_dct ? CODEC_FLAG_DCT : 0);
    codec_put_u16(out + 12, (uint32_t)p->target_chunk);
    codec_put_u16(out + 14, (uint32_t)p->topk);
    codec_put_u16(out + 16, (uint32_t)p->bins);
    codec_put_u16(out + 18, (uint32_t)p->quant_range);
    codec_put_u32(out + 20, (uint32_t)n_tensors);
    codec_put_u64(out + 24, window);
    codec_put_u32(out + 32, uid);
    memcpy(out + 36, hotkey, 32);
}

size_t codec_record_head_bytes(const tplr_tensor_info *t, int bins)
{
    /* name_len, name, ndim, shape (u32 each), tile (u16 each), k, index
     * layout, rice parameter, code layout, reserved, shift, scale, lookup */
    return 1 + strlen(t->name) + 1 + 4 * (size_t)t->ndim + 2 * (size_t)t->ndim + 2 + 4 + 8 + 4 * (size_t)bins;
}

size_t codec_record_max_bytes(const tplr_tensor_info *t, const tplr_codec_geom *g, int bins)
{
    size_t n = g->n_chunks * (size_t)g->k;
    return codec_record_head_bytes(t, bins) + 4 + codec_pack12_bytes(n) + 4 + n;
}

size_t codec_container_max_bytes(const tplr_codec_table *table, const tplr_codec_params *p)
{
    size_t total = CODEC_HEADER_BYTES + CODEC_TAIL_BYTES;
    for (int i = 0; i < table->n_tensors; i++) {
        tplr_codec_geom g;
        if (tplr_codec_geom_of(&table->tensors[i], p, &g))
            return 0;
        total += codec_record_max_bytes(&table->tensors[i], &g, p->bins);
    }
    return total;
}

/* The signed message: context string, then the digest. */
static void signed_message(const unsigned char digest[32], unsigned char msg[48])
{
    memcpy(msg, CODEC_SIG_CONTEXT, 16);
    memcpy(msg + 16, digest, 32);
}

tplr_err tplr_codec_sign(unsigned char *bytes, size_t n, const unsigned char sk[64])
{
    if (n < CODEC_HEADER_BYTES + CODEC_TAIL_BYTES)
        return tplr_fail(TPLR_EINVAL, "signing a container: %zu bytes is too short", n);
    if (memcmp(bytes + 36, sk + 32, 32))
        return tplr_fail(TPLR_EINVAL, "signing a container: the key is not the header's hotkey");
    size_t body = n - CODEC_TAIL_BYTES;
    unsigned char msg[48];
    TPLR_TRY(tplr_blake2b(bytes + body, CODEC_DIGEST_BYTES, bytes, body));
    signed_message(bytes + body, msg);
    return tplr_key_sign(bytes + body + CODEC_DIGEST_BYTES, msg, sizeof msg, sk);
}

tplr_err tplr_codec_verify(const unsigned char *bytes, size_t n, tplr_codec_reason *reason)
{
    *reason = TPLR_CODEC_TRUNCATED;
    if (n < CODEC_HEADER_BYTES + CODEC_TAIL_BYTES)
        return tplr_fail(TPLR_EFORMAT, "container: %zu bytes is shorter than a header and signature", n);
    size_t body = n - CODEC_TAIL_BYTES;
    unsigned char digest[CODEC_DIGEST_BYTES], msg[48];
    TPLR_TRY(tplr_blake2b(digest, sizeof digest, bytes, body));
    if (sodium_memcmp(digest, bytes + body, sizeof digest)) {
        *reason = TPLR_CODEC_BAD_DIGEST;
        return tplr_fail(TPLR_EFORMAT, "container: the BLAKE2b digest does not match its bytes (altered or "
                         "truncated in transit)");
    }
    signed_message(digest, msg);
    if (!tplr_key_verify(bytes + body + CODEC_DIGEST_BYTES, msg, sizeof msg, bytes + 36)) {
        *reason = TPLR_CODEC_BAD_SIGNATURE;
        return tplr_fail(TPLR_EFORMAT, "container: the signature is not the header hotkey's");
    }
    *reason = TPLR_CODEC_VALID;
    return TPLR_OK;
}
