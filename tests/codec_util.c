#include "codec_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/rng.h"
#include "tplr/keys.h"

cu_keys cu_keys_make(unsigned char seed_byte)
{
    cu_keys k;
    unsigned char seed[32];
    memset(seed, seed_byte, sizeof seed);
    tplr_keypair kp;
    ASSERT_OK(tplr_keypair_from_seed(seed, &kp));
    memcpy(k.pk, kp.pk, sizeof k.pk);
    memcpy(k.sk, kp.sk, sizeof k.sk);
    return k;
}

tplr_codec_table cu_table(const int64_t (*shapes)[2], int n)
{
    char names[64][16];
    const char *np[64];
    int nd[64];
    assert_true(n <= 64);
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "t%d", i);
        np[i] = names[i];
        nd[i] = shapes[i][1] ? 2 : 1;
    }
    tplr_codec_table t;
    ASSERT_OK(tplr_codec_table_build(np, nd, shapes, n, &t));
    return t;
}

float *cu_randn(size_t n, uint64_t seed, uint64_t stream, float scale)
{
    float *x = malloc(sizeof(float) * (n ? n : 1));
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = scale * (float)tplr_rng_normal(seed, stream, i);
    return x;
}

unsigned char *cu_encode(tplr_codec_encoder *enc, const float *delta, const cu_keys *k, uint64_t window, uint32_t uid,
                         size_t *len)
{
    tplr_codec_origin who = {window, uid, k->sk};
    const unsigned char *b;
    ASSERT_OK(tplr_codec_encode(enc, delta, 0, &who, &b, len));
    unsigned char *copy = malloc(*len);
    assert_non_null(copy);
    memcpy(copy, b, *len);
    return copy;
}

void cu_validate(const unsigned char *b, size_t n, const tplr_codec_table *t, const tplr_codec_params *p,
                 tplr_codec_view *v)
{
    tplr_codec_expect x = {t, p, NULL, -1, -1, 0};
    tplr_codec_reason why;
    tplr_err e = tplr_codec_validate(b, n, &x, v, &why);
    if (e)
        fail_msg("validate: %s (%s)", tplr_errmsg(), tplr_codec_reason_name(why));
}
