/* Byte-level BPE tokenizer, GPT-2 compatible: loads GPT-2's encoder.json +
 * vocab.bpe (or any file pair in that format), encodes any bytes to token ids
 * and back, and learns new vocabularies in the same format. See
 * docs/tokenizer.md for the design and docs/formats.md for the files. */
#ifndef TPLR_TOKENIZER_H
#define TPLR_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"

typedef struct tplr_tokenizer tplr_tokenizer;     /* immutable after load; shareable across threads */
typedef struct tplr_tok_session tplr_tok_session; /* per-thread scratch + word cache for encoding */

/* spec: a directory holding encoder.json + vocab.bpe, or "gpt2" for the cached GPT-2 files
 * (directory from env TPLR_GPT2_DIR, else the compiled-in TPLR_DATA_DIR "/cache/gpt2"). */
tplr_err tplr_tokenizer_load(const char *spec, tplr_tokenizer **out);
void tplr_tokenizer_free(tplr_tokenizer *t);
int tplr_tokenizer_vocab_size(const tplr_tokenizer *t); /* all ids, special tokens included */
int32_t tplr_tokenizer_eos(const tplr_tokenizer *t);     /* id of <|endoftext|>, or -1 if absent */

tplr_err tplr_tok_session_create(const tplr_tokenizer *t, tplr_tok_session **out);
void tplr_tok_session_free(tplr_tok_session *s);

/* Appends the tokens of text[0, len) to *ids (grown with realloc; *n used, *cap allocated).
 * Special-token strings in the text are ordinary text. Any bytes are accepted (invalid UTF-8 is
 * encoded as bytes, never a crash). */
tplr_err tplr_tokenizer_encode(tplr_tok_session *s, const char *text, size_t len, int32_t **ids,
                               size_t *n, size_t *cap);
/* Appends the bytes of ids to *buf (grown with realloc; *len used, *cap allocated); an id outside
 * the vocabulary is an error naming it. */
tplr_err tplr_tokenizer_decode(const tplr_tokenizer *t, const int32_t *ids, size_t n, char **buf,
                               size_t *len, size_t *cap);
/* The bytes of one token (for streaming output); NULL for an invalid id. */
const char *tplr_tokenizer_token_bytes(const tplr_tokenizer *t, int32_t id, size_t *len);

/* Learns a byte-level BPE with vocab_size ids in total (256 byte tokens + merges + <|endoftext|>
 * last) from the files and writes out_dir/encoder.json and out_dir/vocab.bpe in the GPT-2 format
 * (atomically), readable by any GPT-2-format reader. */
tplr_err tplr_tokenizer_train(const char *const *files, int n_files, int vocab_size,
                              const char *out_dir, int verbose);

/* --- additions --- */

/* Loads from images already in memory (not kept); names are used in messages. */
tplr_err tplr_tokenizer_load_mem(const char *encoder_json, size_t encoder_len, const char *encoder_name,
                                 const char *vocab_bpe, size_t vocab_len, const char *vocab_name,
                                 tplr_tokenizer **out);
/* Number of merge rules (the lines of vocab.bpe after its header). */
int tplr_tokenizer_n_merges(const tplr_tokenizer *t);

/* Learns from bytes already in memory (a corpus of n_texts documents; a word never spans two). */
tplr_err tplr_tokenizer_train_mem(const char *const *texts, const size_t *lens, int n_texts, int vocab_size,
                                  const char *out_dir, int verbose);

/* Token-id files, for the command line: reads a .npy array of integers (any shape, read in C
 * order; recognized by its magic) or text of decimal ids separated by white space. */
tplr_err tplr_token_ids_read(const char *path, int32_t **ids, size_t *n);
/* Writes ids as a 1-D .npy, uint16 when every id of the vocabulary fits, else int32. */
tplr_err tplr_token_ids_write_npy(const char *path, const int32_t *ids, size_t n, int vocab_size);
/* Formats ids as decimal text separated by single spaces, ending in a newline (appends to *buf). */
tplr_err tplr_token_ids_format(const int32_t *ids, size_t n, char **buf, size_t *len, size_t *cap);

#endif
