/* Model checkpoints as Hugging Face Llama folders: DIR/config.json and
 * DIR/model.safetensors (fp32, Hugging Face tensor names, metadata
 * {"format": "pt"}), loadable by transformers.LlamaForCausalLM unchanged. */
#ifndef TPLR_CHECKPOINT_H
#define TPLR_CHECKPOINT_H

#include "tplr/model.h"
#include "tplr/safetensors.h"

#define TPLR_CKPT_WEIGHTS "model.safetensors"
#define TPLR_CKPT_CONFIG "config.json"

/* Writes DIR/model.safetensors then DIR/config.json, each atomically. */
tplr_err tplr_checkpoint_save(const tplr_model *m, const char *dir);
/* Reads a checkpoint folder into a new model. */
tplr_err tplr_checkpoint_load(const char *dir, tplr_model **out);
/* The model's tensors as safetensors entries (entries has room for m->n_tensors),
 * reading from buf (the parameter buffer or one with the same layout). */
int tplr_model_st_entries(const tplr_model *m, const float *buf, const char *prefix, char (*names)[128],
                          tplr_st_entry *entries);
/* Fills buf (parameter layout) from tensors named prefix+name in st, checking
 * names and shapes. Unknown tensors are refused unless allow_extra. */
tplr_err tplr_model_st_load(const tplr_model *m, const tplr_safetensors *st, const char *prefix,
                            float *buf, int allow_extra);

#endif
