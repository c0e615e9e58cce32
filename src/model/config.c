#include "tplr/config.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/fileio.h"

typedef struct preset {
    const char *name;
    tplr_model_config cfg;
} preset;

/* tiny: ≈0.32M parameters, for tests. small: the CPU benchmark model.
 * 150M and 1B: Templar's hparams/150M.json and 1B.json shapes. */
static const preset presets[] = {
    {"tiny", {64, 4, 4, 2, 176, 1024, 128, 1e-5, 10000.0, 0}},
    {"small", {256, 4, 4, 4, 688, 4096, 1024, 1e-5, 10000.0, 0}},
    {"150M", {1024, 12, 16, 16, 2688, 32000, 2048, 1e-5, 10000.0, 0}},
    {"1B", {2048, 16, 8, 8, 8192, 32000, 2048, 1e-5, 10000.0, 0}},
};

const char *tplr_config_preset_names(void) { return "tiny, small, 150M, 1B"; }

tplr_err tplr_config_preset(const char *name, tplr_model_config *out)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(presets[i].name, name)) {
            *out = presets[i].cfg;
            return TPLR_OK;
        }
    return tplr_fail(TPLR_EINVAL, "unknown preset '%s' (choose one of: %s)", name,
                     tplr_config_preset_names());
}

typedef enum { F_INT, F_DOUBLE, F_BOOL } field_kind;

typedef struct field {
    const char *name;    /* our short name */
    const char *hf_name; /* Hugging Face LlamaConfig key */
    field_kind kind;
    size_t offset;
} field;

#define FIELD(n, hf, k) {#n, hf, k, offsetof(tplr_model_config, n)}
static const field fields[] = {
    FIELD(hidden, "hidden_size", F_INT),
    FIELD(layers, "num_hidden_layers", F_INT),
    FIELD(heads, "num_attention_heads", F_INT),
    FIELD(kv_heads, "num_key_value_heads", F_INT),
    FIELD(ffn, "intermediate_size", F_INT),
    FIELD(vocab, "vocab_size", F_INT),
    FIELD(max_seq, "max_position_embeddings", F_INT),
    FIELD(norm_eps, "rms_norm_eps", F_DOUBLE),
    FIELD(rope_theta, "rope_theta", F_DOUBLE),
    FIELD(tie_embeddings, "tie_word_embeddings", F_BOOL),
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

static const field *find_field(const char *key)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (!strcmp(fields[i].name, key) || !strcmp(fields[i].hf_name, key))
            return &fields[i];
    return NULL;
}

static tplr_err parse_value(const field *f, const char *value, tplr_model_config *c)
{
    char *end = NULL;
    errno = 0;
    void *dst = (char *)c + f->offset;
    if (f->kind == F_BOOL) {
        if (!strcmp(value, "true") || !strcmp(value, "1"))
            *(int *)dst = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "0"))
            *(int *)dst = 0;
        else
            return tplr_fail(TPLR_EINVAL, "%s must be true or false, not '%s'", f->name, value);
        return TPLR_OK;
    }
    if (f->kind == F_INT) {
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < 1 || v > 1L << 30)
            return tplr_fail(TPLR_EINVAL, "%s must be a positive integer, not '%s'", f->name, value);
        *(int *)dst = (int)v;
        return TPLR_OK;
    }
    double v = strtod(value, &end);
    if (errno || end == value || *end || !isfinite(v) || v <= 0)
        return tplr_fail(TPLR_EINVAL, "%s must be a positive number, not '%s'", f->name, value);
    *(double *)dst = v;
    return TPLR_OK;
}

tplr_err tplr_config_set(tplr_model_config *c, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return tplr_fail(TPLR_EINVAL, "expected key=value, got '%s'", assignment);
    char key[64];
    size_t n = (size_t)(eq - assignment);
    if (n >= sizeof key)
        return tplr_fail(TPLR_EINVAL, "unknown config key in '%s'", assignment);
    memcpy(key, assignment, n);
    key[n] = '\0';
    const field *f = find_field(key);
    if (!f) {
        char names[512] = "";
        for (size_t i = 0; i < N_FIELDS; i++) {
            strcat(names, fields[i].name);
            if (i + 1 < N_FIELDS)
                strcat(names, ", ");
        }
        return tplr_fail(TPLR_EINVAL, "unknown config key '%s' (known: %s)", key, names);
    }
    return parse_value(f, eq + 1, c);
}

int tplr_config_head_dim(const tplr_model_config *c) { return c->heads ? c->hidden / c->heads : 0; }

tplr_err tplr_config_validate(const tplr_model_config *c)
{
    if (c->hidden < 2 || c->layers < 1 || c->heads < 1 || c->kv_heads < 1 || c->ffn < 1 ||
        c->vocab < 2 || c->max_seq < 1)
        return tplr_fail(TPLR_EINVAL, "config: hidden, layers, heads, kv_heads, ffn, vocab and max_seq "
                         "must all be positive (vocab ≥ 2)");
    if (c->hidden % c->heads)
        return tplr_fail(TPLR_EINVAL, "config: hidden (%d) is not divisible by heads (%d); pick heads "
                         "that divide hidden", c->hidden, c->heads);
    if (c->heads % c->kv_heads)
        return tplr_fail(TPLR_EINVAL, "config: heads (%d) is not divisible by kv_heads (%d); kv_heads "
                         "must divide heads", c->heads, c->kv_heads);
    if (tplr_config_head_dim(c) % 2)
        return tplr_fail(TPLR_EINVAL, "config: head_dim = hidden/heads = %d is odd; RoPE needs an even "
                         "head dimension", tplr_config_head_dim(c));
    if (!(c->norm_eps > 0) || !isfinite(c->norm_eps) || !(c->rope_theta > 1) || !isfinite(c->rope_theta))
        return tplr_fail(TPLR_EINVAL, "config: norm_eps must be > 0 and rope_theta > 1");
    if (c->vocab > (1 << 30) || (double)c->hidden * c->hidden > 1e11 || (double)c->hidden * c->ffn > 1e11)
        return tplr_fail(TPLR_EINVAL, "config: dimensions are unreasonably large");
    return TPLR_OK;
}

int tplr_config_equal(const tplr_model_config *a, const tplr_model_config *b)
{
    return a->hidden == b->hidden && a->layers == b->layers && a->heads == b->heads &&
           a->kv_heads == b->kv_heads && a->ffn == b->ffn && a->vocab == b->vocab &&
           a->max_seq == b->max_seq && a->norm_eps == b->norm_eps && a->rope_theta == b->rope_theta &&
           !a->tie_embeddings == !b->tie_embeddings;
}

tplr_err tplr_config_to_json(const tplr_model_config *c, char **out_json)
{
    json_t *o = json_object();
    json_t *arch = json_array();
    json_array_append_new(arch, json_string("LlamaForCausalLM"));
    json_object_set_new(o, "architectures", arch);
    json_object_set_new(o, "model_type", json_string("llama"));
    for (size_t i = 0; i < N_FIELDS; i++) {
        const void *src = (const char *)c + fields[i].offset;
        json_t *v = fields[i].kind == F_INT      ? json_integer(*(const int *)src)
                    : fields[i].kind == F_DOUBLE ? json_real(*(const double *)src)
                                                 : json_boolean(*(const int *)src);
        json_object_set_new(o, fields[i].hf_name, v);
    }
    json_object_set_new(o, "head_dim", json_integer(tplr_config_head_dim(c)));
    json_object_set_new(o, "hidden_act", json_string("silu"));
    json_object_set_new(o, "attention_bias", json_false());
    json_object_set_new(o, "mlp_bias", json_false());
    json_object_set_new(o, "attention_dropout", json_real(0.0));
    json_object_set_new(o, "initializer_range", json_real(0.02));
    json_object_set_new(o, "pretraining_tp", json_integer(1));
    json_object_set_new(o, "rope_scaling", json_null());
    json_object_set_new(o, "torch_dtype", json_string("float32"));
    json_object_set_new(o, "use_cache", json_true());
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    json_decref(o);
    if (!s)
        return tplr_fail(TPLR_ENOMEM, "serializing config.json failed");
    *out_json = s;
    return TPLR_OK;
}

/* Keys of Hugging Face configs that do not change the computation. */
static int harmless_key(const char *k)
{
    static const char *const ok[] = {"architectures", "model_type", "head_dim", "hidden_act",
                                     "attention_bias", "mlp_bias", "attention_dropout",
                                     "initializer_range", "pretraining_tp", "rope_scaling",
                                     "torch_dtype", "use_cache", "transformers_version",
                                     "bos_token_id", "eos_token_id", "pad_token_id", "_name_or_path"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(k, ok[i]))
            return 1;
    return 0;
}

static tplr_err check_supported(json_t *o, const tplr_model_config *c, const char *origin)
{
    json_t *v;
    if ((v = json_object_get(o, "model_type")) && (!json_is_string(v) || strcmp(json_string_value(v), "llama")))
        return tplr_fail(TPLR_EFORMAT, "%s: model_type must be \"llama\"", origin);
    if ((v = json_object_get(o, "hidden_act")) && (!json_is_string(v) || strcmp(json_string_value(v), "silu")))
        return tplr_fail(TPLR_EFORMAT, "%s: only hidden_act \"silu\" is supported", origin);
    if ((v = json_object_get(o, "attention_bias")) && !json_is_false(v))
        return tplr_fail(TPLR_EFORMAT, "%s: attention_bias is not supported", origin);
    if ((v = json_object_get(o, "mlp_bias")) && !json_is_false(v))
        return tplr_fail(TPLR_EFORMAT, "%s: mlp_bias is not supported", origin);
    if ((v = json_object_get(o, "rope_scaling")) && !json_is_null(v))
        return tplr_fail(TPLR_EFORMAT, "%s: rope_scaling is not supported", origin);
    if ((v = json_object_get(o, "head_dim")) &&
        (!json_is_integer(v) || json_integer_value(v) != tplr_config_head_dim(c)))
        return tplr_fail(TPLR_EFORMAT, "%s: head_dim must equal hidden_size / num_attention_heads (%d)",
                         origin, tplr_config_head_dim(c));
    return TPLR_OK;
}

tplr_err tplr_config_from_json(tplr_model_config *c, const char *json, const char *origin)
{
    json_error_t jerr;
    json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        return tplr_fail(TPLR_EFORMAT, "%s: invalid JSON at line %d column %d: %s", origin, jerr.line,
                         jerr.column, jerr.text);
    tplr_err e = TPLR_OK;
    if (!json_is_object(o)) {
        e = tplr_fail(TPLR_EFORMAT, "%s: expected a JSON object", origin);
        goto done;
    }
    memset(c, 0, sizeof *c);
    c->norm_eps = 1e-6;      /* LlamaConfig's defaults for optional keys */
    c->rope_theta = 10000.0;
    c->tie_embeddings = 0;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        const field *f = find_field(key);
        if (!f) {
            if (!harmless_key(key)) {
                e = tplr_fail(TPLR_EFORMAT, "%s: unsupported key '%s'", origin, key);
                goto done;
            }
            continue;
        }
        void *dst = (char *)c + f->offset;
        if (f->kind == F_BOOL && json_is_boolean(v))
            *(int *)dst = json_is_true(v);
        else if (f->kind == F_INT && json_is_integer(v) && json_integer_value(v) > 0 &&
                 json_integer_value(v) <= (1 << 30))
            *(int *)dst = (int)json_integer_value(v);
        else if (f->kind == F_DOUBLE && json_is_number(v))
            *(double *)dst = json_number_value(v);
        else {
            e = tplr_fail(TPLR_EFORMAT, "%s: bad value for '%s'", origin, key);
            goto done;
        }
    }
    if (!c->kv_heads)
        c->kv_heads = c->heads;
    if (!c->max_seq)
        c->max_seq = 2048;
    for (size_t i = 0; i < N_FIELDS; i++)
        if (fields[i].kind == F_INT && !*(int *)((char *)c + fields[i].offset)) {
            e = tplr_fail(TPLR_EFORMAT, "%s: missing key '%s'", origin, fields[i].hf_name);
            goto done;
        }
    e = tplr_config_validate(c);
    if (e == TPLR_OK)
        e = check_supported(o, c, origin);
    else
        e = tplr_fail_ctx(e, "%s", origin);
done:
    json_decref(o);
    return e;
}

tplr_err tplr_config_save(const tplr_model_config *c, const char *path)
{
    char *s;
    TPLR_TRY(tplr_config_to_json(c, &s));
    size_t n = strlen(s);
    s[n] = '\n'; /* json_dumps leaves room for the terminator; reuse it */
    tplr_err e = tplr_write_file_atomic(path, s, n + 1);
    free(s);
    return e;
}

tplr_err tplr_config_load(tplr_model_config *c, const char *path)
{
    char *buf;
    size_t n;
    TPLR_TRY(tplr_read_file(path, 1 << 20, &buf, &n));
    tplr_err e = tplr_config_from_json(c, buf, path);
    free(buf);
    return e;
}
