/* Model configuration: the shape of a Llama-style decoder, its presets, and
 * its Hugging Face config.json form. */
#ifndef TPLR_CONFIG_H
#define TPLR_CONFIG_H

#include <stddef.h>

#include "tplr/err.h"

typedef struct tplr_model_config {
    int hidden;         /* model width C */
    int layers;         /* decoder blocks L */
    int heads;          /* query heads H; head_dim = hidden / heads */
    int kv_heads;       /* key/value heads (grouped-query attention); heads % kv_heads == 0 */
    int ffn;            /* SwiGLU inner width F */
    int vocab;          /* vocabulary size V */
    int max_seq;        /* longest sequence (RoPE table length) */
    double norm_eps;    /* RMSNorm epsilon */
    double rope_theta;  /* RoPE base */
    int tie_embeddings; /* lm_head shares model.embed_tokens.weight */
} tplr_model_config;

/* Preset names, comma-separated, for help texts. */
const char *tplr_config_preset_names(void);
tplr_err tplr_config_preset(const char *name, tplr_model_config *out);
/* Applies one "key=value" (our short names or Hugging Face's). */
tplr_err tplr_config_set(tplr_model_config *c, const char *assignment);
/* Checks that every field is in range and that the shapes divide. */
tplr_err tplr_config_validate(const tplr_model_config *c);
int tplr_config_head_dim(const tplr_model_config *c);
int tplr_config_equal(const tplr_model_config *a, const tplr_model_config *b);

/* Hugging Face LlamaConfig JSON (config.json). */
tplr_err tplr_config_to_json(const tplr_model_config *c, char **out_json); /* malloc'd */
tplr_err tplr_config_from_json(tplr_model_config *c, const char *json, const char *origin);
tplr_err tplr_config_save(const tplr_model_config *c, const char *path);
tplr_err tplr_config_load(tplr_model_config *c, const char *path);

#endif
