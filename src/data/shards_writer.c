/* Writing a shard folder: documents stream into a temporary file of uint32
 * tokens; finish cuts the stream into samples, the last val_fraction of them
 * into the val split, each split into shard files, and writes the manifest. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tplr/hash.h"
#include "tplr/shards.h"

#define MAX_FILES 100000

struct tplr_shards_writer {
    tplr_shards_params p;
    char dir[4096], stream_path[4200];
    FILE *stream;
    int64_t tokens, documents;
    char (*files)[64]; /* shard files created so far */
    int n_files;
    int made_dir; /* the folder did not exist before: abort removes it */
};

tplr_err tplr_shards_writer_create(const tplr_shards_params *p, tplr_shards_writer **out)
{
    *out = NULL;
    if (p->sample_len < 2 || p->vocab_size < 1 || p->shard_tokens < 1 || !(p->val_fraction >= 0 && p->val_fraction < 1))
        return tplr_fail(TPLR_EINVAL, "shards: a sample holds at least 2 tokens, vocabulary and shard size must be "
                         "positive and the validation fraction in [0, 1)");
    if (p->eos >= p->vocab_size)
        return tplr_fail(TPLR_EINVAL, "shards: EOS id %d is outside the vocabulary of %d", p->eos, p->vocab_size);
    char manifest[4200];
    TPLR_TRY(tplr_path_join(manifest, sizeof manifest, p->dir, TPLR_SHARDS_MANIFEST));
    if (tplr_path_exists(manifest))
        return tplr_fail(TPLR_EINVAL, "%s already holds shards; remove it or choose another folder", p->dir);
    int made_dir = !tplr_path_exists(p->dir);
    TPLR_TRY(tplr_mkdirs(p->dir));
    tplr_shards_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->files = calloc(MAX_FILES, sizeof *w->files))) {
        free(w);
        if (made_dir)
            rmdir(p->dir);
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    }
    w->made_dir = made_dir;
    w->p = *p;
    snprintf(w->dir, sizeof w->dir, "%s", p->dir);
    w->p.dir = w->dir;
    snprintf(w->stream_path, sizeof w->stream_path, "%s/.stream-%ld.tmp", p->dir, (long)getpid());
    w->stream = fopen(w->stream_path, "w+b");
    if (!w->stream) {
        tplr_err e = tplr_fail_errno("cannot create %s", w->stream_path);
        tplr_shards_writer_abort(w);
        return e;
    }
    *out = w;
    return TPLR_OK;
}

tplr_err tplr_shards_writer_add(tplr_shards_writer *w, const int32_t *tokens, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= w->p.vocab_size)
            return tplr_fail(TPLR_EINVAL, "token %d is outside the vocabulary of %d", tokens[i], w->p.vocab_size);
    if (n && fwrite(tokens, sizeof *tokens, n, w->stream) != n)
        return tplr_fail_errno("writing %s", w->stream_path);
    w->tokens += (int64_t)n;
    if (w->p.eos >= 0) {
        if (fwrite(&w->p.eos, sizeof w->p.eos, 1, w->stream) != 1)
            return tplr_fail_errno("writing %s", w->stream_path);
        w->tokens++;
    }
    w->documents++;
    return TPLR_OK;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* Writes samples [first, first+count) of the stream as one shard file, and
 * returns its checksum in hex. */
static tplr_err write_shard(tplr_shards_writer *w, const uint32_t *stream, int64_t first, int64_t count,
                            const char *name, char hex[65])
{
    uint32_t L = (uint32_t)w->p.sample_len;
    int tb = w->p.vocab_size <= 65536 ? 2 : 4;
    uint64_t n_tokens = (uint64_t)count * L;
    unsigned char header[TPLR_SHARD_HEADER_BYTES] = {0};
    memcpy(header, TPLR_SHARD_MAGIC, 8);
    put32(header + 8, TPLR_SHARD_VERSION);
    put32(header + 12, (uint32_t)tb);
    put64(header + 16, n_tokens);
    put32(header + 24, L);
    put32(header + 28, (uint32_t)w->p.vocab_size);
    put64(header + 32, (uint64_t)count);
    put32(header + 40, (uint32_t)w->p.eos);
    char path[4300];
    TPLR_TRY(tplr_path_join(path, sizeof path, w->dir, name));
    tplr_atomic_file f;
    TPLR_TRY(tplr_atomic_open(&f, path));
    snprintf(w->files[w->n_files++], 64, "%s", name);
    tplr_blake2b_state h;
    tplr_blake2b_init(&h, 32);
    tplr_blake2b_update(&h, header, 48);
    tplr_err e = tplr_atomic_write(&f, header, sizeof header);
    const uint32_t *src = stream + (uint64_t)first * L;
    unsigned char buf[8192];
    size_t fill = 0;
    for (uint64_t i = 0; i < n_tokens && !e; i++) {
        if (tb == 2) {
            buf[fill++] = (unsigned char)src[i];
            buf[fill++] = (unsigned char)(src[i] >> 8);
        } else {
            put32(buf + fill, src[i]);
            fill += 4;
        }
        if (fill == sizeof buf || i + 1 == n_tokens) {
            size_t pad = i + 1 == n_tokens ? (8 - (n_tokens * (uint64_t)tb) % 8) % 8 : 0;
            memset(buf + fill, 0, pad);
            fill += pad;
            tplr_blake2b_update(&h, buf, fill);
            e = tplr_atomic_write(&f, buf, fill);
            fill = 0;
        }
    }
    for (int64_t s = 0; s < count && !e; s++) {
        put64(buf, tplr_sample_id(src + (uint64_t)s * L, L));
        tplr_blake2b_update(&h, buf, 8);
        e = tplr_atomic_write(&f, buf, 8);
    }
    if (e)
        return e;
    tplr_blake2b_final(&h, header + 48);
    tplr_hex(hex, header + 48, 32);
    if (fseek(f.fp, 0, SEEK_SET) != 0) {
        tplr_atomic_abort(&f);
        return tplr_fail_errno("writing %s", path);
    }
    TPLR_TRY(tplr_atomic_write(&f, header, sizeof header));
    return tplr_atomic_commit(&f);
}

static tplr_err write_split(tplr_shards_writer *w, const uint32_t *stream, const char *split, int64_t first,
                            int64_t count, json_t *list, int *n_shards)
{
    int64_t per = w->p.shard_tokens / w->p.sample_len;
    if (per < 1)
        per = 1;
    *n_shards = 0;
    for (int64_t s = 0; s < count; s += per) {
        int64_t c = count - s < per ? count - s : per;
        char name[64], hex[65];
        snprintf(name, sizeof name, "%s-%06d.tshard", split, *n_shards);
        if (w->n_files == MAX_FILES)
            return tplr_fail(TPLR_EINVAL, "more than %d shard files: raise --shard-tokens", MAX_FILES);
        TPLR_TRY(write_shard(w, stream, first + s, c, name, hex));
        json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:s}", "file", name, "samples", (json_int_t)c,
                                              "tokens", (json_int_t)(c * w->p.sample_len), "blake2b", hex));
        (*n_shards)++;
    }
    return TPLR_OK;
}

static tplr_err write_manifest(tplr_shards_writer *w, json_t *train, json_t *val)
{
    json_t *m = json_pack("{s:s, s:i, s:s, s:i, s:i, s:i, s:s, s:I, s:I, s:o, s:o}", "format", TPLR_SHARDS_FORMAT,
                          "version", 1, "tokenizer", w->p.tokenizer ? w->p.tokenizer : "", "vocab_size",
                          w->p.vocab_size, "eos", w->p.eos, "sample_len", w->p.sample_len, "dtype",
                          w->p.vocab_size <= 65536 ? "uint16" : "uint32", "documents", (json_int_t)w->documents,
                          "tokens", (json_int_t)w->tokens, "train", train, "val", val);
    char *s = m ? json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(m);
    if (!s)
        return tplr_fail(TPLR_ENOMEM, "writing the manifest: out of memory");
    char path[4200];
    tplr_err e = tplr_path_join(path, sizeof path, w->dir, TPLR_SHARDS_MANIFEST);
    if (!e)
        e = tplr_write_file_atomic(path, s, strlen(s));
    free(s);
    return e;
}

static void free_writer(tplr_shards_writer *w)
{
    if (w->stream)
        fclose(w->stream);
    unlink(w->stream_path);
    free(w->files);
    free(w);
}

tplr_err tplr_shards_writer_finish(tplr_shards_writer *w, tplr_shards_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    int64_t L = w->p.sample_len, n = w->tokens / L;
    int64_t n_val = w->p.val_fraction > 0 ? (int64_t)llround(w->p.val_fraction * (double)n) : 0;
    if (w->p.val_fraction > 0 && n_val == 0)
        n_val = 1;
    tplr_err e = TPLR_OK;
    if (w->documents == 0 || w->tokens == 0)
        e = tplr_fail(TPLR_EINVAL, "the corpus is empty: nothing to write");
    else if (n - n_val < 1)
        e = tplr_fail(TPLR_EINVAL, "the corpus holds %lld tokens: too few for one training sample of %lld%s",
                      (long long)w->tokens, (long long)L, n_val ? " plus the validation samples" : "");
    if (!e && fflush(w->stream) != 0)
        e = tplr_fail_errno("writing %s", w->stream_path);
    tplr_mmap map = {0};
    if (!e)
        e = tplr_mmap_open(w->stream_path, &map);
    json_t *train = json_array(), *val = json_array();
    if (!e)
        e = write_split(w, (const uint32_t *)map.data, "train", 0, n - n_val, train, &sum->train_shards);
    if (!e)
        e = write_split(w, (const uint32_t *)map.data, "val", n - n_val, n_val, val, &sum->val_shards);
    tplr_mmap_close(&map);
    if (!e) {
        e = write_manifest(w, train, val);
        train = val = NULL; /* the manifest owns them now */
    }
    json_decref(train);
    json_decref(val);
    if (e) {
        tplr_shards_writer_abort(w);
        return e;
    }
    sum->documents = w->documents;
    sum->tokens = w->tokens;
    sum->train_samples = n - n_val;
    sum->val_samples = n_val;
    sum->bytes = n * L * (w->p.vocab_size <= 65536 ? 2 : 4) + 8 * n;
    free_writer(w);
    return TPLR_OK;
}

void tplr_shards_writer_abort(tplr_shards_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_files; i++) {
        char path[4300];
        if (tplr_path_join(path, sizeof path, w->dir, w->files[i]) == TPLR_OK)
            unlink(path);
    }
    int made_dir = w->made_dir;
    char dir[sizeof w->dir];
    memcpy(dir, w->dir, sizeof dir);
    free_writer(w);
    if (made_dir)
        rmdir(dir); /* only succeeds when empty: never removes what others put there */
}
