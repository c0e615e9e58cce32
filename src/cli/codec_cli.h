/* Helpers shared by the `tplr codec` subcommands. */
#ifndef TPLR_CLI_CODEC_CLI_H
#define TPLR_CLI_CODEC_CLI_H

#include "tplr/codec.h"

#define CC_MAX_FILES 256
/* Dense outputs beyond this need --model (a container may claim any shapes). */
#define CC_MAX_DENSE_FLOATS ((size_t)1 << 32)

/* A model folder's tensor table, from its config.json alone (no weights). */
tplr_err cc_model_table(const char *dir, tplr_model **shapes, tplr_codec_table *t);
/* The key pair of a seed file (64 hex digits). */
tplr_err cc_load_key(const char *path, unsigned char pk[32], unsigned char sk[64]);
/* A 32-byte public key from 64 hex digits. */
tplr_err cc_parse_pubkey(const char *hex, unsigned char pk[32]);

/* A container file and its validated view. */
typedef struct cc_container {
    const char *path;
    unsigned char *bytes;
    size_t n;
    tplr_codec_view view;
    tplr_codec_reason why;
} cc_container;

/* Reads and validates path; on failure the message starts with the path and
 * the reason's name. */
tplr_err cc_open(const char *path, const tplr_codec_expect *x, cc_container *c);
void cc_close(cc_container *c);

/* Opens files[0..n) (n ≥ 1): the first against x, the others also against
 * its parameters; fills table with x->table or the first one's own tensors
 * (free it with tplr_codec_table_free when it owns them). */
tplr_err cc_open_all(const char *const *files, int n, tplr_codec_expect x, cc_container *out, tplr_codec_table *table);

/* Writes a dense buffer in the table's layout, with the given format name. */
tplr_err cc_write_dense(const char *path, const tplr_codec_table *t, const float *buf, const char *format,
                        const cc_container *from, int n_from);

/* The subcommands in cmd_codec_inspect.c. */
int cmd_codec_inspect(int argc, char **argv);
int cmd_codec_overlap(int argc, char **argv);

#endif
