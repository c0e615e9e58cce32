/* bench/store: gather of N peers' gradient-sized objects from one store.
 *
 *   gather_bench size PRESET              the object size for a preset, in bytes
 *   gather_bench prepare URL PEERS BYTES  writes PEERS random objects
 *   gather_bench run URL PEERS BYTES      one gather; prints one JSON line
 *
 * The object size stands in for the codec's output until the codec lands:
 * parameters x 4 bytes / 146 (Templar's ~146x compression of a 150M model
 * gives about 5.9 MB per peer). S3 settings come from the AWS_* variables. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/config.h"
#include "tplr/gather.h"
#include "tplr/model.h"
#include "tplr/rng.h"
#include "tplr/store.h"
#include "tplr/store_keys.h"

#define COMPRESSION 146
#define WINDOW 1
#define VERSION "bench"

static int die(const char *what)
{
    fprintf(stderr, "gather_bench: %s: %s\n", what, tplr_errmsg());
    return 1;
}

static int object_size(const char *preset)
{
    tplr_model_config cfg;
    tplr_model *m; /* the buffers are allocated but never touched */
    if (tplr_config_preset(preset, &cfg) || tplr_model_create(&cfg, &m))
        return die(preset);
    printf("%zu\n", m->n_params * 4 / COMPRESSION);
    tplr_model_free(m);
    return 0;
}

static int prepare(tplr_store *s, int peers, size_t bytes)
{
    unsigned char *buf = malloc(bytes);
    if (!buf)
        return die("out of memory");
    for (int uid = 0; uid < peers; uid++) {
        for (size_t i = 0; i < bytes; i += 4) {
            uint32_t r[4];
            tplr_philox4x32(7, (uint64_t)uid, i / 4, r);
            memcpy(buf + i, r, bytes - i < 4 ? bytes - i : 4);
        }
        char key[TPLR_KEY_MAX];
        if (tplr_key_gradient(key, sizeof key, WINDOW, (uint64_t)uid, VERSION) ||
            tplr_store_put(s, key, buf, bytes)) {
            free(buf);
            return die("put");
        }
    }
    free(buf);
    return 0;
}

static tplr_err check_size(const unsigned char *data, size_t len, uint64_t uid, void *ctx)
{
    (void)data;
    size_t want = *(const size_t *)ctx;
    return len == want ? TPLR_OK : tplr_fail(TPLR_EFORMAT, "uid %" PRIu64 ": %zu bytes, not %zu", uid, len, want);
}

static int run(tplr_store *s, int peers, size_t bytes)
{
    tplr_gather_peer *p = calloc((size_t)peers, sizeof *p);
    char(*keys)[TPLR_KEY_MAX] = calloc((size_t)peers, TPLR_KEY_MAX);
    if (!p || !keys)
        return die("out of memory");
    for (int uid = 0; uid < peers; uid++) {
        tplr_key_gradient(keys[uid], TPLR_KEY_MAX, WINDOW, (uint64_t)uid, VERSION);
        p[uid] = (tplr_gather_peer){(uint64_t)uid, s, keys[uid]};
    }
    tplr_gather_opts o;
    tplr_gather_opts_defaults(&o);
    o.peer_timeout_s = 60;
    o.validate = check_size;
    o.validate_ctx = &bytes;
    tplr_gather_result r;
    if (tplr_gather(p, peers, &o, &r))
        return die("gather");
    for (int i = 0; i < r.n_items; i++)
        if (r.items[i].outcome != TPLR_PEER_OK)
            fprintf(stderr, "gather_bench: uid %d: %s: %s\n", i, tplr_peer_outcome_name(r.items[i].outcome),
                    r.items[i].reason);
    printf("{\"bench\":\"store_gather\",\"impl\":\"tplr\",\"backend\":\"%s\",\"peers\":%d,\"object_bytes\":%zu,"
           "\"ok\":%d,\"seconds\":%.4f,\"mb_s\":%.1f,\"connections\":%ld,\"connections_per_peer\":%.2f}\n",
           tplr_store_is_s3(s) ? "s3" : "fs", peers, bytes, r.n_ok, r.seconds, (double)r.bytes / 1e6 / r.seconds,
           r.connections, (double)r.connections / peers);
    int ok = r.n_ok == peers;
    tplr_gather_result_free(&r);
    free(p);
    free(keys);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "size"))
        return object_size(argv[2]);
    if (argc != 5 || (strcmp(argv[1], "prepare") && strcmp(argv[1], "run"))) {
        fprintf(stderr, "usage: gather_bench size PRESET | prepare URL PEERS BYTES | run URL PEERS BYTES\n");
        return 2;
    }
    int peers = atoi(argv[3]);
    size_t bytes = (size_t)strtoull(argv[4], NULL, 10);
    tplr_store *s;
    if (peers < 1 || bytes < 1 || tplr_store_open(argv[2], NULL, &s))
        return peers < 1 || bytes < 1 ? 2 : die(argv[2]);
    int rc = !strcmp(argv[1], "prepare") ? prepare(s, peers, bytes) : run(s, peers, bytes);
    tplr_store_close(s);
    return rc;
}
