/* Reading one shard file. */
#include <stdio.h>
#include <string.h>

#include "tplr/hash.h"
#include "tplr/shards.h"

static uint32_t le32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

uint32_t tplr_shard_token(const tplr_shard *s, uint64_t i)
{
    const unsigned char *p = s->tokens + i * (uint64_t)s->token_bytes;
    return s->token_bytes == 2 ? (uint32_t)(p[0] | p[1] << 8) : le32(p);
}

uint64_t tplr_shard_sample_id(const tplr_shard *s, uint64_t i) { return le64(s->ids + 8 * i); }

uint64_t tplr_sample_id(const uint32_t *tokens, size_t n)
{
    unsigned char le[4], d[8];
    tplr_blake2b_state h;
    tplr_blake2b_init(&h, 8);
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < 4; b++)
            le[b] = (unsigned char)(tokens[i] >> (8 * b));
        tplr_blake2b_update(&h, le, 4);
    }
    tplr_blake2b_final(&h, d);
    return le64(d);
}

tplr_err tplr_shard_parse(const unsigned char *data, size_t size, const char *origin, tplr_shard *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", origin);
    if (size < TPLR_SHARD_HEADER_BYTES || memcmp(data, TPLR_SHARD_MAGIC, 8))
        return tplr_fail(TPLR_EFORMAT, "%s is not a tplr shard (bad magic or too short)", origin);
    uint32_t version = le32(data + 8), tb = le32(data + 12);
    if (version != TPLR_SHARD_VERSION)
        return tplr_fail(TPLR_EFORMAT, "%s: shard version %u is not supported (this build reads %d)", origin,
                         version, TPLR_SHARD_VERSION);
    if (tb != 2 && tb != 4)
        return tplr_fail(TPLR_EFORMAT, "%s: token width %u is neither 2 nor 4 bytes", origin, tb);
    s->token_bytes = (int)tb;
    s->n_tokens = le64(data + 16);
    s->sample_len = le32(data + 24);
    s->vocab_size = le32(data + 28);
    s->n_samples = le64(data + 32);
    s->eos = (int32_t)le32(data + 40);
    int reserved = le32(data + 44) != 0;
    for (size_t i = 80; i < TPLR_SHARD_HEADER_BYTES; i++)
        reserved |= data[i] != 0;
    if (reserved)
        return tplr_fail(TPLR_EFORMAT, "%s: reserved header bytes are not zero", origin);
    if (s->sample_len < 1 || s->vocab_size < 1 || s->vocab_size > (1u << 31) ||
        (tb == 2 && s->vocab_size > 65536) || s->eos < -1 || (s->eos >= 0 && (uint32_t)s->eos >= s->vocab_size))
        return tplr_fail(TPLR_EFORMAT, "%s: header fields out of range", origin);
    if (s->n_samples > (UINT64_MAX / 8) / s->sample_len || s->n_tokens != s->n_samples * s->sample_len)
        return tplr_fail(TPLR_EFORMAT, "%s: token count %llu is not %llu samples of %u", origin,
                         (unsigned long long)s->n_tokens, (unsigned long long)s->n_samples, s->sample_len);
    uint64_t tok_bytes = s->n_tokens * tb, ids_at = TPLR_SHARD_HEADER_BYTES + (tok_bytes + 7) / 8 * 8;
    if (ids_at + 8 * s->n_samples != size)
        return tplr_fail(TPLR_EFORMAT, "%s: %zu bytes, but its header describes %llu (truncated or corrupt)", origin,
                         size, (unsigned long long)(ids_at + 8 * s->n_samples));
    unsigned char digest[32];
    tplr_blake2b_state h;
    tplr_blake2b_init(&h, 32);
    tplr_blake2b_update(&h, data, 48);
    tplr_blake2b_update(&h, data + TPLR_SHARD_HEADER_BYTES, size - TPLR_SHARD_HEADER_BYTES);
    tplr_blake2b_final(&h, digest);
    if (memcmp(digest, data + 48, 32))
        return tplr_fail(TPLR_EFORMAT, "%s: checksum mismatch (the file is corrupt)", origin);
    s->tokens = data + TPLR_SHARD_HEADER_BYTES;
    s->ids = data + ids_at;
    for (uint64_t i = 0; i < s->n_tokens; i++)
        if (tplr_shard_token(s, i) >= s->vocab_size)
            return tplr_fail(TPLR_EFORMAT, "%s: token %u at %llu is outside its vocabulary of %u", origin,
                             tplr_shard_token(s, i), (unsigned long long)i, s->vocab_size);
    return TPLR_OK;
}

tplr_err tplr_shard_open(const char *path, tplr_shard *s)
{
    tplr_mmap map;
    memset(s, 0, sizeof *s);
    TPLR_TRY(tplr_mmap_open(path, &map));
    tplr_err e = tplr_shard_parse(map.data, map.size, path, s);
    if (e) {
        tplr_mmap_close(&map);
        return e;
    }
    s->map = map;
    return TPLR_OK;
}

void tplr_shard_close(tplr_shard *s) { tplr_mmap_close(&s->map); }
