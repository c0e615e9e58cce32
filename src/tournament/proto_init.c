/* tplr-tour-pipe v1: the INIT record (harness → runner), the run's settings. */
#include <string.h>

#include "le_bytes.h"
#include "tplr/tour_proto.h"

void tplr_tour_init_encode(uint8_t out[TPLR_TOUR_INIT_BYTES], const tplr_tour_init *in)
{
    memset(out, 0, TPLR_TOUR_INIT_BYTES);
    const tplr_model_config *c = &in->cfg;
    int32_t ints[] = {c->hidden, c->layers, c->heads, c->kv_heads, c->ffn, c->vocab, c->max_seq, c->tie_embeddings,
                      in->batch, in->seq, in->steps, in->threads};
    for (int i = 0; i < 12; i++)
        put_u32(out + 4 * i, (uint32_t)ints[i]);
    uint8_t *p = out + 48;
    double d[] = {c->norm_eps, c->rope_theta, in->hp.lr, in->hp.beta1, in->hp.beta2, in->hp.eps,
                  in->hp.weight_decay, in->hp.clip, in->hp.eta_min_factor};
    for (int i = 0; i < 9; i++)
        put_f64(p + 8 * i, d[i]);
    p += 72;
    put_u64(p, (uint64_t)in->hp.warmup_steps);
    put_u64(p + 8, (uint64_t)in->hp.t_max);
    put_u64(p + 16, in->seed);
}

tplr_err tplr_tour_init_parse(const uint8_t in[TPLR_TOUR_INIT_BYTES], tplr_tour_init *out)
{
    memset(out, 0, sizeof *out);
    int32_t v[12];
    for (int i = 0; i < 12; i++)
        v[i] = (int32_t)get_u32(in + 4 * i);
    tplr_model_config *c = &out->cfg;
    c->hidden = v[0], c->layers = v[1], c->heads = v[2], c->kv_heads = v[3], c->ffn = v[4], c->vocab = v[5];
    c->max_seq = v[6], c->tie_embeddings = v[7];
    out->batch = v[8], out->seq = v[9], out->steps = v[10], out->threads = v[11];
    const uint8_t *p = in + 48;
    c->norm_eps = get_f64(p), c->rope_theta = get_f64(p + 8);
    out->hp.lr = get_f64(p + 16), out->hp.beta1 = get_f64(p + 24), out->hp.beta2 = get_f64(p + 32);
    out->hp.eps = get_f64(p + 40), out->hp.weight_decay = get_f64(p + 48), out->hp.clip = get_f64(p + 56);
    out->hp.eta_min_factor = get_f64(p + 64);
    p += 72;
    out->hp.warmup_steps = (int64_t)get_u64(p);
    out->hp.t_max = (int64_t)get_u64(p + 8);
    out->seed = get_u64(p + 16);
    TPLR_TRY(tplr_config_validate(c));
    TPLR_TRY(tplr_adamw_validate(&out->hp));
    if (out->batch < 1 || out->batch > 4096 || out->seq < 2 || out->seq - 1 > c->max_seq || out->steps < 1 ||
        out->threads < 1 || out->threads > 1024)
        return tplr_fail(TPLR_EFORMAT, "INIT: batch %d, seq %d, steps %d, threads %d out of range", out->batch,
                         out->seq, out->steps, out->threads);
    return TPLR_OK;
}

