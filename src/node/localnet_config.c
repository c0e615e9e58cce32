/* The node config of a localnet: the preset's values, then --config, then
 * --set, written to DIR/config.json for every node. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "localnet_internal.h"
#include "tplr/fileio.h"

typedef struct preset {
    const char *name;
    double block_time;
    const char *sets[24];
} preset;

/* Small enough for 2 cores: the model of `tplr model init --preset tiny` or
 * `small`, the corpus' 1024-token vocabulary, windows of a few seconds. */
static const preset presets[] = {
    {"tiny",
     0.5,
     {"model_preset=tiny", "model_overrides=vocab=1024", "seq=128", "batch=8", "inner_steps=8", "pool_size=1024",
      "blocks_per_window=6", NULL}},
    {"small",
     0.5,
     {"model_preset=small", "model_overrides=vocab=1024", "seq=128", "batch=8", "inner_steps=8",
      "pool_size=1024", "blocks_per_window=12", NULL}},
};

/* A --set value as JSON: an integer, a number, else a string. */
static json_t *typed_value(const char *v)
{
    char *end;
    long long i = strtoll(v, &end, 10);
    if (*v && !*end)
        return json_integer(i);
    double d = strtod(v, &end);
    if (*v && !*end && isfinite(d))
        return json_real(d);
    return json_string(v);
}

static tplr_err apply_set(json_t *cfg, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return tplr_fail(TPLR_EINVAL, "--set takes KEY=VALUE, not '%s'", assignment);
    char key[128];
    if ((size_t)(eq - assignment) >= sizeof key)
        return tplr_fail(TPLR_EINVAL, "--set %s: the key is too long", assignment);
    memcpy(key, assignment, (size_t)(eq - assignment));
    key[eq - assignment] = 0;
    if (json_object_set_new(cfg, key, typed_value(eq + 1)))
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    return TPLR_OK;
}

static int int_field(const json_t *cfg, const char *key, int def)
{
    const json_t *v = json_object_get(cfg, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

static tplr_err build(ln_net *net, json_t *cfg)
{
    const tplr_localnet_opts *o = net->o;
    const preset *p = NULL;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(presets[i].name, o->preset))
            p = &presets[i];
    if (!p)
        return tplr_fail(TPLR_EINVAL, "unknown --preset '%s': tiny or small", o->preset);
    for (int i = 0; p->sets[i]; i++)
        TPLR_TRY(apply_set(cfg, p->sets[i]));
    if (o->config) {
        json_error_t jerr;
        json_t *file = json_load_file(o->config, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(file)) {
            json_decref(file);
            return tplr_fail(TPLR_EFORMAT, "%s: not a JSON object: %s", o->config, jerr.text);
        }
        int r = json_object_update(cfg, file);
        json_decref(file);
        if (r)
            return tplr_fail(TPLR_ENOMEM, "out of memory");
    }
    for (int i = 0; i < o->n_sets; i++)
        TPLR_TRY(apply_set(cfg, o->sets[i]));
    net->block_time = o->block_time > 0 ? o->block_time : p->block_time;
    net->blocks_per_window = int_field(cfg, "blocks_per_window", 6);
    net->seq = int_field(cfg, "seq", 128);
    return TPLR_OK;
}

tplr_err ln_write_config(ln_net *net)
{
    json_t *cfg = json_object();
    if (!cfg)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    tplr_err e = build(net, cfg);
    char *text = e ? NULL : json_dumps(cfg, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(cfg);
    if (!e && !text)
        e = tplr_fail(TPLR_ENOMEM, "out of memory");
    if (!e)
        e = tplr_path_join(net->config, sizeof net->config, net->dir, "config.json");
    if (!e)
        e = tplr_write_file_atomic(net->config, text, strlen(text));
    free(text);
    return e;
}
