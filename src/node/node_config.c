/* The node config: one table of fields (name, type, default, range, meaning)
 * drives defaults, JSON reading and writing, --set and docs/config.md. The
 * scoring constants come from tplr_scoring_config_rows, in the same flat
 * namespace. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/fileio.h"
#include "tplr/node_config.h"
#include "tplr/store_keys.h"

typedef enum { K_STR, K_INT, K_I64, K_DBL } kind;

typedef struct row {
    const char *name;
    kind k;
    size_t off;
    double def;
    const char *def_str;
    double lo, hi;
    const char *meaning;
} row;

#define O(f) offsetof(tplr_node_config, f)
#define S(f, d, what) {#f, K_STR, O(f), 0, d, 0, 0, what}
#define I(f, d, lo, hi, what) {#f, K_INT, O(f), d, NULL, lo, hi, what}
#define L(f, d, lo, hi, what) {#f, K_I64, O(f), d, NULL, lo, hi, what}
#define D(f, d, lo, hi, what) {#f, K_DBL, O(f), d, NULL, lo, hi, what}
#define BIG 9.0e15

static const row rows[] = {
    S(network_version, "1", "version tag in every store key: nodes of different versions never see each other"),
    L(network_seed, 0, 0, BIG, "extra seed of the per-(uid, window) sample pools (0: Templar's exact seeds)"),
    I(blocks_per_window, 115, 1, 1e6, "ledger blocks per window: window = block / blocks_per_window"),
    I(null_rounds, 2, 0, 1000, "windows after the start window without optimizer step (validator_offset + margin)"),
    S(model_preset, "150M", "model shape preset (tiny, small, 150M, 1B)"),
    S(model_overrides, "", "comma-separated key=value changes to the preset (e.g. vocab=256,layers=2)"),
    L(init_seed, 0, 0, BIG, "every node initializes the same weights from this seed"),
    S(init_model, "", "a checkpoint folder (model.safetensors) every node starts from instead of init_seed's weights"),
    I(inner_steps, 30, 1, 1e6, "H: inner AdamW steps per window (stopped early when the window ends)"),
    I(batch, 192, 1, 1e6, "samples per inner step"),
    I(seq, 2048, 1, 1e6, "tokens per sample (must match the data)"),
    L(pool_size, 30720, 1, BIG, "samples in a miner's pool per window (30 x target batch 1024)"),
    D(inner_lr, 1.17e-4, 0, 10, "inner AdamW peak learning rate"),
    D(inner_beta1, 0.9, 0, 1, "inner AdamW beta1"),
    D(inner_beta2, 0.95, 0, 1, "inner AdamW beta2"),
    D(inner_eps, 1e-8, 0, 1, "inner AdamW epsilon"),
    D(inner_weight_decay, 0.1, 0, 10, "inner AdamW decoupled weight decay"),
    D(inner_clip, 1.0, 0, 1e9, "inner max global gradient norm (0: none)"),
    L(inner_warmup_steps, 1500, 0, BIG, "inner scheduler: linear warmup steps"),
    L(inner_t_max, 140000, 0, BIG, "inner scheduler: cosine length after warmup"),
    D(inner_eta_min_factor, 0.1, 0, 1, "inner scheduler: cosine floor as a fraction of inner_lr"),
    S(outer_optimizer, "sgd", "outer optimizer: sgd (Templar) or nesterov (DiLoCo)"),
    D(outer_lr, 0.4, 0, 100, "outer learning rate"),
    D(outer_momentum, 0.9, 0, 1, "outer momentum (nesterov only)"),
    I(codec_topk, 64, 2, 4096, "values kept per tile"),
    I(codec_chunk, 64, 1, 64, "tile side bound"),
    I(codec_bins, 4, 2, 256, "quantization levels"),
    I(codec_quant_range, 6, 1, 1000, "the quantizer spans this many standard deviations"),
    I(codec_use_dct, 0, 0, 1, "1: orthonormal DCT-II per tile before top-k"),
    D(momentum_decay, 0.95, 0, 1, "error feedback decay beta: e <- beta*e + delta"),
    D(time_window_delta_s, 70, 0.001, 1e6, "uploads of window W count in [time of block (W+1)*bpw, + this]"),
    D(late_grace_s, 3, 0, 1e6, "gathers poll this long past the upload bound"),
    D(peer_timeout_s, 90, 0.001, 1e6, "gather: per-peer timeout"),
    D(gather_timeout_s, 600, 0.001, 1e6, "gather: overall cap"),
    D(poll_interval_s, 0.5, 0.001, 1e6, "gather: poll interval for a missing object"),
    I(retention_windows, 100, 1, 1e9, "own gradients and debug files older than this many windows are deleted"),
    I(active_windows, 2, 1, 1000, "a uid is active when it uploaded a gradient in the last this many windows"),
    I(peer_list_every, 2, 1, 1e6, "validators post a peer list every this many windows"),
    I(windows_per_weights, 3, 1, 1e6, "validators set weights every this many windows"),
    I(checkpoint_frequency, 10, 1, 1e9, "validators checkpoint every this many global (outer) steps"),
    D(eval_lr_factor, 0.2, 0, 100, "evaluation applies theta - outer_lr*eval_lr_factor*G"),
    I(eval_samples, 8, 1, 1e6, "samples per evaluation loss (own data and random data)"),
};
#define N_ROWS (sizeof rows / sizeof rows[0])

#undef S
#undef I
#undef L
#undef D

/* A unified view over our rows and the scoring rows. */
typedef struct field {
    const char *name, *meaning, *def_str;
    kind k;
    size_t off; /* into tplr_node_config */
    double def, lo, hi;
    int scoring;
} field;

static int n_fields(void)
{
    int ns;
    tplr_scoring_config_rows(&ns);
    return (int)N_ROWS + ns;
}

static field field_at(int i)
{
    field f = {0};
    if (i < (int)N_ROWS) {
        const row *r = &rows[i];
        f = (field){r->name, r->meaning, r->def_str, r->k, r->off, r->def, r->lo, r->hi, 0};
        return f;
    }
    int ns;
    const tplr_scoring_config_row *s = tplr_scoring_config_rows(&ns) + (i - (int)N_ROWS);
    f = (field){s->name, s->meaning, NULL, s->is_int ? K_INT : K_DBL, O(scoring) + s->offset, s->default_value,
                -HUGE_VAL, HUGE_VAL, 1};
    return f;
}

static int find_field(const char *name, field *out)
{
    for (int i = 0; i < n_fields(); i++) {
        field f = field_at(i);
        if (!strcmp(f.name, name)) {
            *out = f;
            return 1;
        }
    }
    return 0;
}

void tplr_node_config_defaults(tplr_node_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_ROWS; i++) {
        char *p = (char *)c + rows[i].off;
        switch (rows[i].k) {
        case K_STR: snprintf(p, TPLR_NODE_STR_MAX, "%s", rows[i].def_str); break;
        case K_INT: *(int *)p = (int)rows[i].def; break;
        case K_I64: *(int64_t *)p = (int64_t)rows[i].def; break;
        case K_DBL: *(double *)p = rows[i].def; break;
        }
    }
    tplr_scoring_config_defaults(&c->scoring);
}

static tplr_err set_number(tplr_node_config *c, const field *f, double v, const char *origin)
{
    if (!isfinite(v))
        return tplr_fail(TPLR_EINVAL, "%s: %s must be a finite number", origin, f->name);
    if (f->scoring) {
        if (tplr_scoring_config_set(&c->scoring, f->name, v))
            return tplr_fail_ctx(TPLR_EINVAL, "%s", origin);
        return TPLR_OK; /* ranges: checked with all fields (tplr_node_config_check, apply_json) */
    }
    if ((f->k == K_INT || f->k == K_I64) && v != floor(v))
        return tplr_fail(TPLR_EINVAL, "%s: %s must be a whole number, not %g", origin, f->name, v);
    if (v < f->lo || v > f->hi)
        return tplr_fail(TPLR_EINVAL, "%s: %s = %g is outside [%g, %g]", origin, f->name, v, f->lo, f->hi);
    char *p = (char *)c + f->off;
    if (f->k == K_INT) *(int *)p = (int)v;
    else if (f->k == K_I64) *(int64_t *)p = (int64_t)v;
    else *(double *)p = v;
    return TPLR_OK;
}

static tplr_err set_string(tplr_node_config *c, const field *f, const char *v, const char *origin)
{
    if (strlen(v) >= TPLR_NODE_STR_MAX)
        return tplr_fail(TPLR_EINVAL, "%s: %s is longer than %d characters", origin, f->name, TPLR_NODE_STR_MAX - 1);
    snprintf((char *)c + f->off, TPLR_NODE_STR_MAX, "%s", v);
    return TPLR_OK;
}

static tplr_err unknown(const char *name, const char *origin)
{
    return tplr_fail(TPLR_EINVAL, "%s: unknown config key '%s' (`tplr config docs` lists every key)", origin, name);
}

tplr_err tplr_node_config_apply_json(tplr_node_config *c, const char *json, size_t len, const char *origin)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tplr_fail(TPLR_EFORMAT, "%s: not valid JSON (line %d: %s)", origin, jerr.line, jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return tplr_fail(TPLR_EFORMAT, "%s: a node config is one JSON object of field names", origin);
    }
    tplr_node_config tmp = *c;
    tplr_err e = TPLR_OK;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        field f;
        if (!find_field(key, &f)) {
            e = unknown(key, origin);
            break;
        }
        if (f.k == K_STR) {
            if (!json_is_string(v)) {
                e = tplr_fail(TPLR_EFORMAT, "%s: %s must be a string", origin, key);
                break;
            }
            e = set_string(&tmp, &f, json_string_value(v), origin);
        } else {
            if (!json_is_number(v)) {
                e = tplr_fail(TPLR_EFORMAT, "%s: %s must be a number", origin, key);
                break;
            }
            e = set_number(&tmp, &f, json_number_value(v), origin);
        }
        if (e)
            break;
    }
    json_decref(root);
    if (!e && tplr_scoring_config_check(&tmp.scoring))
        e = tplr_fail_ctx(TPLR_EINVAL, "%s", origin);
    if (!e)
        *c = tmp;
    return e;
}

tplr_err tplr_node_config_load(tplr_node_config *c, const char *path)
{
    char *text;
    size_t len;
    TPLR_TRY(tplr_read_file(path, 1 << 20, &text, &len));
    tplr_err e = tplr_node_config_apply_json(c, text, len, path);
    free(text);
    return e;
}

tplr_err tplr_node_config_set(tplr_node_config *c, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    char name[128];
    if (!eq || eq == assignment || (size_t)(eq - assignment) >= sizeof name)
        return tplr_fail(TPLR_EINVAL, "--set takes name=value, not '%s'", assignment);
    memcpy(name, assignment, (size_t)(eq - assignment));
    name[eq - assignment] = '\0';
    field f;
    if (!find_field(name, &f))
        return unknown(name, "--set");
    if (f.k == K_STR)
        return set_string(c, &f, eq + 1, "--set");
    char *end;
    double v = strtod(eq + 1, &end);
    if (end == eq + 1 || *end)
        return tplr_fail(TPLR_EINVAL, "--set %s: '%s' is not a number", name, eq + 1);
    return set_number(c, &f, v, "--set");
}

tplr_err tplr_node_config_model(const tplr_node_config *c, tplr_model_config *out)
{
    TPLR_TRY(tplr_config_preset(c->model_preset, out));
    char buf[TPLR_NODE_STR_MAX];
    snprintf(buf, sizeof buf, "%s", c->model_overrides);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (*tok && tplr_config_set(out, tok))
            return tplr_fail_ctx(TPLR_EINVAL, "model_overrides");
    }
    if (tplr_config_validate(out))
        return tplr_fail_ctx(TPLR_EINVAL, "model_preset/model_overrides");
    return TPLR_OK;
}

tplr_adamw_hparams tplr_node_config_adamw(const tplr_node_config *c)
{
    tplr_adamw_hparams h = {.lr = c->inner_lr, .beta1 = c->inner_beta1, .beta2 = c->inner_beta2,
                            .eps = c->inner_eps, .weight_decay = c->inner_weight_decay, .clip = c->inner_clip,
                            .warmup_steps = c->inner_warmup_steps, .t_max = c->inner_t_max,
                            .eta_min_factor = c->inner_eta_min_factor};
    return h;
}

tplr_codec_params tplr_node_config_codec(const tplr_node_config *c)
{
    tplr_codec_params p = {.topk = c->codec_topk, .target_chunk = c->codec_chunk, .bins = c->codec_bins,
                           .quant_range = c->codec_quant_range, .use_dct = c->codec_use_dct};
    return p;
}

tplr_err tplr_node_config_outer(const tplr_node_config *c, tplr_outer_hparams *out)
{
    tplr_outer_kind k;
    TPLR_TRY(tplr_outer_kind_parse(c->outer_optimizer, &k));
    *out = tplr_outer_defaults(k);
    out->lr = c->outer_lr;
    out->momentum = c->outer_momentum;
    return tplr_outer_validate(out);
}

tplr_err tplr_node_config_check(const tplr_node_config *c)
{
    tplr_model_config m;
    TPLR_TRY(tplr_node_config_model(c, &m));
    if (tplr_key_check_version(c->network_version))
        return tplr_fail_ctx(TPLR_EINVAL, "network_version");
    tplr_adamw_hparams h = tplr_node_config_adamw(c);
    if (tplr_adamw_validate(&h))
        return tplr_fail_ctx(TPLR_EINVAL, "inner optimizer");
    tplr_codec_params p = tplr_node_config_codec(c);
    if (tplr_codec_params_validate(&p))
        return tplr_fail_ctx(TPLR_EINVAL, "codec");
    tplr_outer_hparams o;
    if (tplr_node_config_outer(c, &o))
        return tplr_fail_ctx(TPLR_EINVAL, "outer optimizer");
    if (c->seq > m.max_seq)
        return tplr_fail(TPLR_EINVAL, "seq %d exceeds the model's max_seq %d", c->seq, m.max_seq);
    if (c->pool_size < c->batch)
        return tplr_fail(TPLR_EINVAL, "pool_size %lld is smaller than batch %d", (long long)c->pool_size, c->batch);
    return tplr_scoring_config_check(&c->scoring);
}

static double get_number(const tplr_node_config *c, const field *f)
{
    const char *p = (const char *)c + f->off;
    if (f->k == K_INT) return *(const int *)p;
    if (f->k == K_I64) return (double)*(const int64_t *)p;
    return *(const double *)p;
}

tplr_err tplr_node_config_to_json(const tplr_node_config *c, char **out)
{
    json_t *o = json_object();
    if (!o)
        return tplr_fail(TPLR_ENOMEM, "config to JSON: out of memory");
    for (int i = 0; i < n_fields(); i++) {
        field f = field_at(i);
        json_t *v;
        if (f.k == K_STR) v = json_string((const char *)c + f.off);
        else if (f.k == K_DBL) v = json_real(get_number(c, &f));
        else v = json_integer((json_int_t)get_number(c, &f));
        json_object_set_new(o, f.name, v);
    }
    *out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(o);
    return *out ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "config to JSON: out of memory");
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0 || b->oom) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

tplr_err tplr_node_config_docs(char **out)
{
    sbuf b = {0};
    sb_printf(&b, "# Node config\n\n"
                  "<!-- Generated by `tplr config docs` (src/node/node_config.c); test_node_config fails when this "
                  "file is out of date. -->\n\n"
                  "Miners and validators (`tplr miner`, `tplr validator`) read one flat JSON object of these\n"
                  "fields with `--config FILE`, then apply `--set name=value` flags in order. Fields not given\n"
                  "keep their default; an unknown key is an error. Defaults are Templar's values\n"
                  "(shared/reference/templar.md §2–§5) where the reference names one. Every node of a network\n"
                  "must use the same values for the protocol fields (window, model, codec, outer step).\n"
                  "`tplr config show [--config FILE] [--set ...]` prints the effective config.\n\n"
                  "| field | type | default | meaning |\n|---|---|---|---|\n");
    for (int i = 0; i < n_fields(); i++) {
        field f = field_at(i);
        const char *type = f.k == K_STR ? "string" : f.k == K_DBL ? "number" : "integer";
        if (f.k == K_STR)
            sb_printf(&b, "| `%s` | %s | `\"%s\"` | %s |\n", f.name, type, f.def_str, f.meaning);
        else
            sb_printf(&b, "| `%s` | %s | `%.10g` | %s%s |\n", f.name, type, f.def, f.scoring ? "scoring: " : "",
                      f.meaning);
    }
    if (b.oom) {
        free(b.p);
        return tplr_fail(TPLR_ENOMEM, "config docs: out of memory");
    }
    *out = b.p;
    return TPLR_OK;
}
