#include "codec_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/codec_file.h"
#include "tplr/config.h"
#include "tplr/fileio.h"
#include "tplr/hash.h"
#include "tplr/keys.h"

tplr_err cc_model_table(const char *dir, tplr_model **shapes, tplr_codec_table *t)
{
    char path[4096];
    tplr_model_config cfg;
    TPLR_TRY(tplr_path_join(path, sizeof path, dir, "config.json"));
    TPLR_TRY(tplr_config_load(&cfg, path));
    TPLR_TRY(tplr_model_create_shapes(&cfg, shapes));
    *t = tplr_codec_table_of_model(*shapes);
    return TPLR_OK;
}

tplr_err cc_load_key(const char *path, unsigned char pk[32], unsigned char sk[64])
{
    unsigned char seed[32];
    tplr_keypair kp;
    TPLR_TRY(tplr_key_seed_file(path, seed));
    tplr_err e = tplr_keypair_from_seed(seed, &kp);
    if (!e) {
        memcpy(pk, kp.pk, sizeof kp.pk);
        memcpy(sk, kp.sk, sizeof kp.sk);
    }
    tplr_secret_wipe(seed, sizeof seed);
    tplr_secret_wipe(&kp, sizeof kp);
    return e;
}

tplr_err cc_parse_pubkey(const char *hex, unsigned char pk[32])
{
    if (tplr_hex_decode(pk, 32, hex, strlen(hex)))
        return tplr_fail(TPLR_EINVAL, "a public key is 64 hexadecimal digits, not '%s'", hex);
    return TPLR_OK;
}

tplr_err cc_open(const char *path, const tplr_codec_expect *x, cc_container *c)
{
    *c = (cc_container){.path = path};
    TPLR_TRY(tplr_codec_read_container(path, &c->bytes, &c->n));
    tplr_err e = tplr_codec_validate(c->bytes, c->n, x, &c->view, &c->why);
    if (e) {
        tplr_fail_ctx(e, "%s: refused (%s)", path, tplr_codec_reason_name(c->why));
        free(c->bytes);
        c->bytes = NULL;
    }
    return e;
}

void cc_close(cc_container *c)
{
    tplr_codec_view_free(&c->view);
    free(c->bytes);
    c->bytes = NULL;
}

tplr_err cc_open_all(const char *const *files, int n, tplr_codec_expect x, cc_container *out, tplr_codec_table *table)
{
    TPLR_TRY(cc_open(files[0], &x, &out[0]));
    tplr_err e = TPLR_OK;
    *table = (tplr_codec_table){0};
    if (x.table)
        *table = *x.table;
    else if (!(e = tplr_codec_table_of_view(&out[0].view, table)))
        x.table = table;
    x.params = &out[0].view.params;
    int opened = 1;
    while (!e && opened < n)
        if (!(e = cc_open(files[opened], &x, &out[opened])))
            opened++;
    if (e) {
        for (int i = 0; i < opened; i++)
            cc_close(&out[i]);
        if (table->owned)
            tplr_codec_table_free(table);
    }
    return e;
}

tplr_err cc_write_dense(const char *path, const tplr_codec_table *t, const float *buf, const char *format,
                        const cc_container *from, int n_from)
{
    char windows[64], uids[4096] = "", signers[64 * 2 + 8] = "";
    snprintf(windows, sizeof windows, "%llu", (unsigned long long)from[0].view.window);
    for (int i = 0; i < n_from; i++) {
        size_t len = strlen(uids);
        snprintf(uids + len, sizeof uids - len, "%s%u", i ? "," : "", (unsigned)from[i].view.uid);
    }
    if (n_from == 1)
        tplr_hex(signers, from[0].view.hotkey, 32);
    tplr_st_meta meta[] = {{"format", (char *)format}, {"window", windows}, {"uids", uids}, {"signer", signers}};
    return tplr_codec_st_write(path, t, buf, meta, n_from == 1 ? 4 : 3);
}
