/* The node config of a localnet: the defaults, the preset's values, then
 * --config, then --set, checked as the nodes check it, written to
 * DIR/config.json for every node. */
#include <stdlib.h>
#include <string.h>

#include "localnet_internal.h"
#include "tplr/fileio.h"
#include "tplr/node_config.h"

typedef struct preset {
    const char *name;
    double block_time;
    const char *sets[12];
} preset;

/* Small enough for 2 cores: the model of `tplr model init --preset tiny` or
 * `small`, the corpus' 1024-token vocabulary, windows of a few seconds,
 * weights every window, the burn share to the validator (uid 0), and the
 * OpenSkill ordinal mu - 1 sigma instead of mu - 3 sigma: in a few windows
 * each miner plays only a few games, and with mu - 3 sigma the honest miner
 * ranked last in most of them stays below 0 (no weight). */
static const char *const common[] = {
    "model_overrides=vocab=1024", "init_seed=5",     "null_rounds=1",        "inner_steps=8",
    "batch=8",                    "seq=128",         "pool_size=256",        "inner_warmup_steps=4",
    "inner_t_max=2000",           "outer_lr=0.9",    "codec_topk=64",        "codec_chunk=32",
    "peer_list_every=1",          "eval_samples=8",  "windows_per_weights=1", "burn_uid=0",
    "openskill_z=1",
};

static const preset presets[] = {
    {"tiny",
     0.5,
     {"model_preset=tiny", "blocks_per_window=6", "inner_lr=0.003", "time_window_delta_s=2.5", "late_grace_s=0.5",
      "peer_timeout_s=3", "poll_interval_s=0.1", "checkpoint_frequency=2", NULL}},
    /* 3.7 M parameters: about a second per inner step on one core, so
     * 20-second windows for four miners and a validator on two cores */
    {"small",
     0.5,
     {"model_preset=small", "blocks_per_window=40", "inner_lr=0.002", "time_window_delta_s=10", "late_grace_s=1",
      "peer_timeout_s=10", "poll_interval_s=0.2", "checkpoint_frequency=1", NULL}},
};

static tplr_err build(ln_net *net, tplr_node_config *c)
{
    const tplr_localnet_opts *o = net->o;
    const preset *p = NULL;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(presets[i].name, o->preset))
            p = &presets[i];
    if (!p)
        return tplr_fail(TPLR_EINVAL, "unknown --preset '%s': tiny or small", o->preset);
    tplr_node_config_defaults(c);
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        TPLR_TRY(tplr_node_config_set(c, common[i]));
    for (int i = 0; p->sets[i]; i++)
        TPLR_TRY(tplr_node_config_set(c, p->sets[i]));
    if (o->config)
        TPLR_TRY(tplr_node_config_load(c, o->config));
    for (int i = 0; i < o->n_sets; i++)
        TPLR_TRY(tplr_node_config_set(c, o->sets[i]));
    TPLR_TRY(tplr_node_config_check(c));
    net->block_time = o->block_time > 0 ? o->block_time : p->block_time;
    net->blocks_per_window = c->blocks_per_window;
    net->seq = c->seq;
    return TPLR_OK;
}

/* The node config of net as JSON text (the caller frees it). */
static tplr_err config_text(ln_net *net, char **text)
{
    tplr_node_config *c = malloc(sizeof *c);
    if (!c)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    *text = NULL;
    tplr_err e = build(net, c);
    if (!e)
        e = tplr_node_config_to_json(c, text);
    free(c);
    return e;
}

tplr_err tplr_localnet_config(const tplr_localnet_opts *o, char **text)
{
    ln_net *net = calloc(1, sizeof *net);
    if (!net)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    net->o = o;
    tplr_err e = config_text(net, text);
    free(net);
    return e;
}

tplr_err ln_write_config(ln_net *net)
{
    char *text = NULL;
    tplr_err e = config_text(net, &text);
    if (!e)
        e = tplr_path_join(net->config, sizeof net->config, net->dir, "config.json");
    if (!e)
        e = tplr_write_file_atomic(net->config, text, strlen(text));
    free(text);
    return e;
}
