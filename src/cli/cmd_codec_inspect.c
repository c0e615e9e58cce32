/* tplr codec inspect | overlap */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "codec_cli.h"
#include "tplr/codec_file.h"
#include "tplr/hash.h"

typedef struct totals {
    size_t values, dense_floats, idx_bytes, code_bytes;
    int rice;
} totals;

static const char *index_layout_name(const tplr_codec_record *r, char *buf, size_t cap)
{
    if (r->index_layout == TPLR_CODEC_IDX_RICE)
        snprintf(buf, cap, "rice r=%d", r->rice_param);
    else
        snprintf(buf, cap, "12-bit");
    return buf;
}

static json_t *record_json(const tplr_codec_record *r)
{
    char layout[32];
    json_t *shape = json_array();
    for (int d = 0; d < r->ndim; d++)
        json_array_append_new(shape, json_integer(r->shape[d]));
    return json_pack("{s:s, s:o, s:[i,i], s:i, s:I, s:s, s:i, s:I, s:I, s:f, s:f, s:f}", "name", r->name, "shape",
                     shape, "tile", r->geom.n1, r->geom.n2, "k", r->geom.k, "tiles", (json_int_t)r->geom.n_chunks,
                     "positions", index_layout_name(r, layout, sizeof layout), "code_bits", r->code_bits,
                     "position_bytes", (json_int_t)r->idx_bytes, "code_bytes", (json_int_t)r->code_bytes, "shift",
                     (double)r->shift, "scale", (double)r->scale, "norm", r->norm);
}

static void print_text(const char *path, const tplr_codec_view *v, const totals *s, tplr_codec_reason sig)
{
    char hotkey[65], digest[65], layout[32], shape[48];
    tplr_hex(hotkey, v->hotkey, 32);
    tplr_hex(digest, v->digest, 32);
    double dense = (double)s->dense_floats * 4.0;
    printf("%s: tplr gradient container, version %d, %zu bytes\n", path, v->version, v->size);
    printf("  window %llu, uid %u\n  signer %s\n  signature: %s\n  digest (BLAKE2b-256) %s\n",
           (unsigned long long)v->window, (unsigned)v->uid, hotkey,
           sig == TPLR_CODEC_VALID ? "valid" : tplr_codec_reason_name(sig), digest);
    printf("  parameters: topk %d, chunk %d, bins %d, range %d, dct %s\n", v->params.topk, v->params.target_chunk,
           v->params.bins, v->params.quant_range, v->params.use_dct ? "on" : "off");
    printf("  %d tensors, %zu values sent of %zu (%.2f %%)\n", v->n_records, s->values, s->dense_floats,
           100.0 * (double)s->values / (double)s->dense_floats);
    printf("  positions %zu bytes (Rice in %d tensors, 12-bit in %d), codes %zu bytes, headers and signature %zu "
           "bytes\n", s->idx_bytes, s->rice, v->n_records - s->rice, s->code_bytes,
           v->size - s->idx_bytes - s->code_bytes);
    printf("  dense fp32: %.0f bytes, %.1fx the container\n\n", dense, dense / (double)v->size);
    printf("  %-44s %-14s %-7s %4s %-9s %4s %10s %11s\n", "tensor", "shape", "tile", "k", "positions", "bits", "bytes",
           "norm");
    for (int i = 0; i < v->n_records; i++) {
        const tplr_codec_record *r = &v->records[i];
        if (r->ndim == 2)
            snprintf(shape, sizeof shape, "%lldx%lld", (long long)r->shape[0], (long long)r->shape[1]);
        else
            snprintf(shape, sizeof shape, "%lld", (long long)r->shape[0]);
        char tile[24];
        snprintf(tile, sizeof tile, "%dx%d", r->geom.n1, r->geom.n2);
        printf("  %-44s %-14s %-7s %4d %-9s %4d %10zu %11.4g\n", r->name, shape, tile, r->geom.k,
               index_layout_name(r, layout, sizeof layout), r->code_bits, r->idx_bytes + r->code_bytes, r->norm);
    }
}

static void print_json(const char *path, const tplr_codec_view *v, const totals *s, tplr_codec_reason sig)
{
    char hotkey[65], digest[65];
    tplr_hex(hotkey, v->hotkey, 32);
    tplr_hex(digest, v->digest, 32);
    json_t *tensors = json_array();
    for (int i = 0; i < v->n_records; i++)
        json_array_append_new(tensors, record_json(&v->records[i]));
    json_t *j = json_pack(
        "{s:s, s:i, s:I, s:I, s:i, s:s, s:b, s:s, s:s, s:{s:i, s:i, s:i, s:i, s:b}, s:I, s:I, s:I, s:I, s:f, s:o}",
        "file", path, "version", v->version, "bytes", (json_int_t)v->size, "window", (json_int_t)v->window, "uid",
        (int)v->uid, "signer", hotkey, "signature_valid", sig == TPLR_CODEC_VALID, "signature",
        tplr_codec_reason_name(sig), "digest", digest, "params", "topk", v->params.topk, "chunk",
        v->params.target_chunk, "bins", v->params.bins, "range", v->params.quant_range, "dct", v->params.use_dct,
        "values", (json_int_t)s->values, "dense_floats", (json_int_t)s->dense_floats, "position_bytes",
        (json_int_t)s->idx_bytes, "code_bytes", (json_int_t)s->code_bytes, "compression_vs_fp32",
        (double)s->dense_floats * 4.0 / (double)v->size, "tensors", tensors);
    char *text = json_dumps(j, JSON_COMPACT);
    puts(text ? text : "{}");
    free(text);
    json_decref(j);
}

int cmd_codec_inspect(int argc, char **argv)
{
    const char *model = NULL;
    int json = 0;
    cli_opt opts[] = {
        {"model", OPT_STR, &model, "DIR", "also check the tensors against this model", 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print JSON", 0, 0},
    };
    cli_cmd cmd = {"tplr codec inspect", "CONTAINER",
                   "Shows a container's header, signer, whether its signature verifies, its tensors, their\n"
                   "layouts and sizes, and the compression against dense fp32. Exits 1 when the container\n"
                   "would be refused (the reason is printed).",
                   NULL, opts, 2, 1, 1};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    tplr_model *shapes = NULL;
    tplr_codec_table t = {0};
    tplr_codec_expect x = {NULL, NULL, NULL, -1, -1, model ? 0 : TPLR_CODEC_FILE_MAX};
    if (model && cc_model_table(model, &shapes, &t))
        return cli_fail(tplr_errmsg());
    x.table = model ? &t : NULL;
    unsigned char *bytes;
    size_t n;
    tplr_codec_view v;
    tplr_codec_reason why = TPLR_CODEC_VALID, sig = TPLR_CODEC_VALID;
    tplr_err e = tplr_codec_read_container(pos[0], &bytes, &n);
    if (e) {
        tplr_model_free(shapes);
        return cli_fail(tplr_errmsg());
    }
    if (tplr_codec_verify(bytes, n, &sig))
        fprintf(stderr, "tplr: %s: refused (%s): %s\n", pos[0], tplr_codec_reason_name(sig), tplr_errmsg());
    if ((e = tplr_codec_parse(bytes, n, &x, &v, &why))) {
        fprintf(stderr, "tplr: error: %s: refused (%s): %s\n", pos[0], tplr_codec_reason_name(why), tplr_errmsg());
        free(bytes);
        tplr_model_free(shapes);
        return 1;
    }
    totals s = {0};
    for (int i = 0; i < v.n_records; i++) {
        const tplr_codec_record *rec = &v.records[i];
        s.values += rec->geom.n_chunks * (size_t)rec->geom.k;
        s.dense_floats += (size_t)rec->geom.rows * (size_t)rec->geom.cols;
        s.idx_bytes += rec->idx_bytes;
        s.code_bytes += rec->code_bytes;
        s.rice += rec->index_layout == TPLR_CODEC_IDX_RICE;
    }
    if (json)
        print_json(pos[0], &v, &s, sig);
    else
        print_text(pos[0], &v, &s, sig);
    tplr_codec_view_free(&v);
    free(bytes);
    tplr_model_free(shapes);
    return sig == TPLR_CODEC_VALID ? 0 : 1;
}

int cmd_codec_overlap(int argc, char **argv)
{
    const char *model = NULL;
    double threshold = 0.4;
    int json = 0;
    cli_opt opts[] = {
        {"model", OPT_STR, &model, "DIR", "check tensors against this model (default: the first container's)", 0, 0},
        {"threshold", OPT_DOUBLE, &threshold, "F", "flag pairs at or above this fraction (Templar: 0.4)", 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print JSON", 0, 0},
    };
    cli_cmd cmd = {"tplr codec overlap", "CONTAINER CONTAINER...",
                   "Templar's plagiarism statistic for every pair of containers: the share of the first one's\n"
                   "positions that the second also sent, tile by tile, over all tensors (Σ shared / Σ tiles·k).",
                   NULL, opts, 3, 2, CC_MAX_FILES};
    const char *pos[CC_MAX_FILES];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    tplr_model *shapes = NULL;
    tplr_codec_table mt = {0}, t = {0};
    tplr_codec_expect x = {NULL, NULL, NULL, -1, -1, model ? 0 : TPLR_CODEC_FILE_MAX};
    if (model && cc_model_table(model, &shapes, &mt))
        return cli_fail(tplr_errmsg());
    x.table = model ? &mt : NULL;
    cc_container *c = calloc((size_t)n_pos, sizeof *c);
    if (!c || cc_open_all(pos, n_pos, x, c, &t)) {
        free(c);
        tplr_model_free(shapes);
        return cli_fail(c ? tplr_errmsg() : "out of memory");
    }
    json_t *pairs = json_array();
    tplr_err e = TPLR_OK;
    for (int a = 0; a < n_pos && !e; a++)
        for (int b = a + 1; b < n_pos && !e; b++) {
            tplr_codec_overlap o;
            if ((e = tplr_codec_overlap_of(&c[a].view, &c[b].view, &o, NULL)))
                break;
            if (json)
                json_array_append_new(pairs, json_pack("{s:s, s:s, s:i, s:i, s:f, s:I, s:I, s:b}", "a", pos[a], "b",
                                                       pos[b], "uid_a", (int)c[a].view.uid, "uid_b",
                                                       (int)c[b].view.uid, "fraction", o.fraction, "shared",
                                                       (json_int_t)o.shared, "total", (json_int_t)o.total, "flagged",
                                                       o.fraction >= threshold));
            else
                printf("%s %s: %.4f (%llu of %llu positions)%s\n", pos[a], pos[b], o.fraction,
                       (unsigned long long)o.shared, (unsigned long long)o.total,
                       o.fraction >= threshold ? "  flagged" : "");
        }
    if (json && !e) {
        char *text = json_dumps(pairs, JSON_COMPACT);
        puts(text ? text : "[]");
        free(text);
    }
    json_decref(pairs);
    for (int i = 0; i < n_pos; i++)
        cc_close(&c[i]);
    free(c);
    if (t.owned)
        tplr_codec_table_free(&t);
    tplr_model_free(shapes);
    return e ? cli_fail(tplr_errmsg()) : 0;
}
