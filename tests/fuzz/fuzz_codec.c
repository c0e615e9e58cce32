/* libFuzzer target: the gradient-container validator on arbitrary bytes.
 * Each input is checked three ways: as is (digest and signature must stop
 * it), parsed without the signature check against no model (any names and
 * shapes), and re-signed with the fuzzer's key then validated against the
 * model the seed corpus was made for, so that mutations reach every record
 * field. Whatever is accepted is decoded and compared with itself. */
#include <stdlib.h>
#include <string.h>

#include "tplr/codec.h"
#include "tplr/keys.h"

#define MAX_DECODE_FLOATS (1u << 20)

/* The seed corpus's model (tests/fuzz/make_codec_corpus.sh). */
static const char *const names[] = {"w", "b", "m", "n"};
static const int ndims[] = {2, 1, 2, 1};
static const int64_t shapes[][2] = {{96, 128}, {40, 0}, {64, 70}, {10, 0}};

static void use(const tplr_codec_view *v, const tplr_codec_table *t)
{
    if (t->n_floats > MAX_DECODE_FLOATS)
        return;
    tplr_codec_aggregator *a;
    if (tplr_codec_aggregator_create(t, &v->params, 2, &a))
        return;
    float *out = malloc(sizeof(float) * (t->n_floats ? t->n_floats : 1));
    const tplr_codec_view *pv[2] = {v, v};
    if (out && tplr_codec_aggregate(a, pv, 2, out, NULL, NULL) != TPLR_OK)
        abort(); /* an accepted container must aggregate */
    tplr_codec_overlap o;
    if (tplr_codec_overlap_of(v, v, &o, NULL) != TPLR_OK || o.shared != o.total)
        abort();
    free(out);
    tplr_codec_aggregator_free(a);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static unsigned char pk[32], sk[64];
    static tplr_codec_table model;
    if (!model.tensors) {
        unsigned char seed[32] = {42};
        tplr_keypair kp;
        if (tplr_keypair_from_seed(seed, &kp))
            abort();
        memcpy(pk, kp.pk, sizeof pk);
        memcpy(sk, kp.sk, sizeof sk);
        if (tplr_codec_table_build(names, ndims, shapes, 4, &model))
            abort();
    }
    tplr_codec_view v;
    tplr_codec_reason why;
    tplr_codec_expect any = {NULL, NULL, NULL, -1, -1, 0}, strict = {&model, NULL, pk, -1, -1, 0};
    if (tplr_codec_validate(data, size, &any, &v, &why) == TPLR_OK)
        tplr_codec_view_free(&v);
    if (tplr_codec_parse(data, size, &any, &v, &why) == TPLR_OK) {
        tplr_codec_table own;
        if (tplr_codec_table_of_view(&v, &own) == TPLR_OK) {
            use(&v, &own);
            tplr_codec_table_free(&own);
        }
        tplr_codec_view_free(&v);
    }
    if (size < 68 + 96 || size > (1u << 20))
        return 0;
    unsigned char *b = malloc(size);
    memcpy(b, data, size);
    memcpy(b + 36, pk, 32);
    if (tplr_codec_sign(b, size, sk) != TPLR_OK)
        abort();
    if (tplr_codec_validate(b, size, &strict, &v, &why) == TPLR_OK) {
        use(&v, &model);
        tplr_codec_view_free(&v);
    } else if (why == TPLR_CODEC_VALID)
        abort(); /* a refusal always has a reason */
    free(b);
    return 0;
}
