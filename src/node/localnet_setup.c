/* Setting a localnet up: its folder, the corpus, wallets, genesis, the
 * ledger process, registrations and stake. */
#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "localnet_internal.h"
#include "tplr/chain.h"
#include "tplr/fileio.h"
#include "tplr/ledger.h"
#include "tplr/signals.h"
#include "tplr/timeutil.h"
#include "tplr/wallet.h"

#define TOKEN 1000000000ull         /* base units */
#define FUND (1000 * TOKEN)           /* per miner coldkey */
/* A validator is a uid with more than the node config's eval_max_stake
 * (20000 tokens) of stake. */
#define VALIDATOR_STAKE (50000 * TOKEN)
#define VALIDATOR_FUND (VALIDATOR_STAKE + FUND)

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static tplr_err rmtree(const char *path)
{
    if (!tplr_path_exists(path))
        return TPLR_OK;
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return tplr_fail_errno("removing %s", path);
    return TPLR_OK;
}

tplr_err ln_prepare_dir(ln_net *net)
{
    char p[LN_PATH];
    TPLR_TRY(tplr_path_join(p, sizeof p, net->dir, "localnet.json"));
    if (!tplr_path_exists(p)) {
        DIR *d = opendir(net->dir);
        if (d) {
            struct dirent *e;
            int entries = 0;
            while ((e = readdir(d)))
                entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "corpus");
            closedir(d);
            if (entries)
                return tplr_fail(TPLR_EINVAL,
                                 "%s holds files but no localnet.json: give --dir an empty or new folder, or the "
                                 "folder of an earlier localnet",
                                 net->dir);
        }
    }
    static const char *const old[] = {"localnet.json", "config.json", "home", "ledger", "store",
                                      "nodes",         "summary.json", "report.html"};
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
        TPLR_TRY(tplr_path_join(p, sizeof p, net->dir, old[i]));
        TPLR_TRY(rmtree(p));
    }
    TPLR_TRY(tplr_path_join(p, sizeof p, net->dir, "ledger"));
    TPLR_TRY(tplr_mkdirs(p));
    TPLR_TRY(tplr_path_join(p, sizeof p, net->dir, "nodes"));
    return tplr_mkdirs(p);
}

tplr_err tplr_localnet_corpus(const char *exe, const char *dir, int sample_len, FILE *out)
{
    char txt[LN_PATH], tok[LN_PATH], vocab[LN_PATH], shards[LN_PATH], manifest[LN_PATH];
    TPLR_TRY(tplr_mkdirs(dir));
    TPLR_TRY(tplr_path_join(txt, sizeof txt, dir, "kjv.txt"));
    TPLR_TRY(tplr_path_join(tok, sizeof tok, dir, "tokenizer"));
    TPLR_TRY(tplr_path_join(vocab, sizeof vocab, tok, "vocab.bpe"));
    TPLR_TRY(tplr_path_join(shards, sizeof shards, dir, "shards"));
    TPLR_TRY(tplr_path_join(manifest, sizeof manifest, shards, "manifest.json"));
    ln_child c = {.name = "corpus"};
    TPLR_TRY(tplr_path_join(c.log, sizeof c.log, dir, "prepare.log"));
    if (!tplr_path_exists(txt)) {
        fprintf(out, "== the corpus: the King James Bible (Debian's bible-kjv)\n");
        if (access("/usr/bin/bible", X_OK) != 0)
            return tplr_fail(TPLR_ENOTFOUND, "the corpus needs Debian's bible-kjv (run scripts/setup.sh, or "
                                             "apt-get install bible-kjv), or give --data SHARDS");
        if (snprintf(c.out, sizeof c.out, "%.4000s.tmp", txt) >= (int)sizeof c.out)
            return tplr_fail(TPLR_EINVAL, "the corpus path is too long");
        char *argv[] = {"/usr/bin/bible", "-l0", "Gen1:1-Rev22:21", NULL};
        snprintf(c.name, sizeof c.name, "bible");
        TPLR_TRY(ln_run(&c, argv));
        if (rename(c.out, txt) != 0)
            return tplr_fail_errno("renaming %s", c.out);
        c.out[0] = 0;
    }
    if (!tplr_path_exists(vocab)) {
        fprintf(out, "== a byte-level BPE tokenizer of 1024 tokens, learned on the corpus\n");
        char *argv[] = {(char *)exe, "tokenizer", "train", "--vocab-size", "1024", "--out", tok, txt, NULL};
        snprintf(c.name, sizeof c.name, "tplr tokenizer train");
        TPLR_TRY(ln_run(&c, argv));
    }
    if (!tplr_path_exists(manifest)) {
        char len[16];
        snprintf(len, sizeof len, "%d", sample_len);
        fprintf(out, "== token shards: one document per paragraph, samples of %s tokens, 2%% for validation\n", len);
        TPLR_TRY(rmtree(shards));
        char *argv[] = {(char *)exe,  "data",         "prepare", "--tokenizer",      tok,  "--input", txt,
                        "--documents", "paragraphs", "--sample-len", len, "--val-fraction", "0.02", "--out",
                        shards,       NULL};
        snprintf(c.name, sizeof c.name, "tplr data prepare");
        TPLR_TRY(ln_run(&c, argv));
    }
    return TPLR_OK;
}

/* ---- wallets, genesis, ledger ---- */

static tplr_err make_wallets(ln_net *net, tplr_genesis *g)
{
    for (int i = 0; i < net->n; i++) {
        ln_node *nd = &net->nodes[i];
        unsigned char pk[TPLR_KEY_PUBLIC];
        TPLR_TRY(tplr_wallet_create_coldkey(nd->wallet, NULL, pk));
        TPLR_TRY(tplr_genesis_add_balance(g, pk, strcmp(nd->role, "validator") ? FUND : VALIDATOR_FUND));
        TPLR_TRY(tplr_wallet_create_hotkey(nd->wallet, LN_HOTKEY, pk));
    }
    return TPLR_OK;
}

static tplr_err write_genesis(ln_net *net, const char *path)
{
    tplr_genesis g;
    tplr_genesis_default(&g);
    snprintf(g.network, sizeof g.network, "localnet");
    /* Weights whenever a validator has them; emissions every 20 blocks, small
     * enough (0.001 token a block) that a miner's stake, which its emissions
     * raise, never reaches the 10 tokens of a validator permit (nor the
     * node config's eval_max_stake). */
    static const char *const params[][2] = {{"weights_rate_limit", "0"},
                                            {"tempo", "20"},
                                            {"block_emission", "1000000"},
                                            {"min_validator_stake", "10000000000"}};
    tplr_err e = TPLR_OK;
    for (size_t i = 0; i < sizeof params / sizeof params[0] && !e; i++)
        e = tplr_genesis_set_param(&g, params[i][0], params[i][1]);
    if (!e)
        e = make_wallets(net, &g);
    char *text = e ? NULL : tplr_genesis_to_json(&g);
    if (!e && !text)
        e = tplr_fail(TPLR_ENOMEM, "out of memory writing the genesis");
    if (!e)
        e = tplr_write_file_atomic(path, text, strlen(text));
    free(text);
    tplr_genesis_free(&g);
    return e;
}

static tplr_err wait_port(ln_net *net, const char *port_file)
{
    double t0 = tplr_now();
    while (tplr_now() - t0 < 30) {
        char *text = NULL;
        size_t len;
        if (tplr_read_file(port_file, 32, &text, &len) == TPLR_OK) {
            int port = atoi(text);
            free(text);
            if (port > 0) {
                snprintf(net->ledger_url, sizeof net->ledger_url, "http://127.0.0.1:%d", port);
                return TPLR_OK;
            }
        }
        if (ln_poll(&net->ledger)) {
            char how[64], tail[1024];
            ln_describe_exit(&net->ledger, how, sizeof how);
            ln_log_tail(&net->ledger, tail, sizeof tail);
            return tplr_fail(TPLR_EIO, "the ledger stopped before serving (%s); the end of %s:\n%s", how,
                             net->ledger.log, tail);
        }
        if (tplr_stop_requested())
            return tplr_fail(TPLR_EINTERRUPTED, "stopped while the ledger started");
        usleep(20000);
    }
    return tplr_fail(TPLR_ETIMEOUT, "the ledger did not serve within 30 s: see %s", net->ledger.log);
}

static tplr_err register_all(ln_net *net)
{
    tplr_chain *c;
    TPLR_TRY(tplr_chain_connect(net->ledger_url, NULL, &c));
    tplr_err e = TPLR_OK;
    for (int i = 0; i < net->n && !e; i++) {
        ln_node *nd = &net->nodes[i];
        tplr_keypair cold, hot;
        tplr_extrinsic_id id;
        e = tplr_wallet_load_coldkey(nd->wallet, NULL, cold.sk, cold.pk);
        if (!e)
            e = tplr_wallet_load_hotkey(nd->wallet, LN_HOTKEY, hot.sk, hot.pk);
        if (!e)
            e = tplr_chain_register(c, &cold, &hot, &id, &nd->uid);
        if (!e && !strcmp(nd->role, "validator"))
            e = tplr_chain_stake(c, &cold, hot.pk, VALIDATOR_STAKE, &id);
        if (e)
            e = tplr_fail_ctx(e, "registering %s", nd->wallet);
    }
    tplr_chain_close(c);
    return e;
}

tplr_err ln_start_ledger(ln_net *net)
{
    char ldir[LN_PATH], genesis[LN_PATH], db[LN_PATH], port[LN_PATH], home[LN_PATH], bt[32];
    TPLR_TRY(tplr_path_join(ldir, sizeof ldir, net->dir, "ledger"));
    TPLR_TRY(tplr_path_join(genesis, sizeof genesis, ldir, "genesis.json"));
    TPLR_TRY(tplr_path_join(db, sizeof db, ldir, "ledger.db"));
    snprintf(net->ledger_db, sizeof net->ledger_db, "%s", db);
    TPLR_TRY(tplr_path_join(port, sizeof port, ldir, "port"));
    TPLR_TRY(tplr_path_join(home, sizeof home, net->dir, "home"));
    TPLR_TRY(tplr_mkdirs(home));
    if (setenv("TPLR_HOME", home, 1) != 0)
        return tplr_fail_errno("setting TPLR_HOME");
    unsetenv(TPLR_PASSPHRASE_ENV);
    TPLR_TRY(write_genesis(net, genesis));
    snprintf(net->ledger.name, sizeof net->ledger.name, "ledger");
    TPLR_TRY(tplr_path_join(net->ledger.log, sizeof net->ledger.log, ldir, "ledger.log"));
    snprintf(bt, sizeof bt, "%g", net->block_time);
    char *argv[] = {(char *)net->o->exe, "chain", "serve",       "--db",   db,   "--genesis", genesis, "--listen",
                    "127.0.0.1:0",     "--port-file", port, "--block-time", bt, NULL};
    TPLR_TRY(ln_spawn(&net->ledger, argv, &net->pgid));
    TPLR_TRY(wait_port(net, port));
    return register_all(net);
}

char *ln_ledger_state(const ln_net *net)
{
    tplr_chain *c;
    if (tplr_chain_connect(net->ledger_url, NULL, &c) != TPLR_OK)
        return NULL;
    json_t *root = json_object(), *weights = json_object(), *incentive = json_object();
    json_object_set_new(root, "ledger", json_pack("{s:s,s:o,s:o}", "url", net->ledger_url, "weights", weights,
                                                  "incentive", incentive));
    uint64_t block, t;
    if (tplr_chain_block(c, &block, &t) == TPLR_OK)
        json_object_set_new(json_object_get(root, "ledger"), "block", json_integer((json_int_t)block));
    for (int i = 0; i < net->n; i++) {
        const ln_node *nd = &net->nodes[i];
        uint16_t uids[TPLR_WEIGHTS_MAX], w[TPLR_WEIGHTS_MAX];
        int k;
        uint64_t at;
        if (strcmp(nd->role, "validator") || tplr_chain_weights(c, nd->uid, uids, w, &k, &at) != TPLR_OK)
            continue;
        json_t *o = json_object();
        for (int j = 0; j < k; j++) {
            char key[8];
            snprintf(key, sizeof key, "%u", uids[j]);
            json_object_set_new(o, key, json_integer(w[j]));
        }
        char key[8];
        snprintf(key, sizeof key, "%d", nd->uid);
        json_object_set_new(weights, key, json_pack("{s:I,s:o}", "block", (json_int_t)at, "u16", o));
    }
    tplr_metagraph m;
    if (tplr_chain_metagraph(c, &m) == TPLR_OK) {
        for (int i = 0; i < m.n; i++) {
            char key[8];
            snprintf(key, sizeof key, "%d", m.neurons[i].uid);
            json_object_set_new(incentive, key, json_real(m.neurons[i].incentive));
        }
        tplr_metagraph_free(&m);
    }
    tplr_chain_close(c);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

tplr_err ln_write_manifest(const ln_net *net, int finished)
{
    json_t *nodes = json_array();
    for (int i = 0; i < net->n; i++) {
        const ln_node *nd = &net->nodes[i];
        json_array_append_new(nodes, json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:I}", "name", nd->proc.name,
                                               "role", nd->role, "uid", nd->uid, "adversary", nd->adversary,
                                               "wallet", nd->wallet, "hotkey", LN_HOTKEY, "dir", nd->dir, "store",
                                               nd->store, "pid",
                                               (json_int_t)nd->proc.pid));
    }
    json_t *root = json_pack("{s:s,s:i,s:b,s:f,s:{s:s,s:I,s:s,s:s},s:s,s:s,s:s,s:i,s:o}", "format", "tplr-localnet",
                             "version", 1, "finished", finished, "updated", tplr_wall_time(), "ledger", "url",
                             net->ledger_url, "pid", (json_int_t)net->ledger.pid, "log", net->ledger.log, "db", net->ledger_db, "store",
                             net->store, "config", net->config, "data", net->data, "windows", net->o->windows,
                             "nodes", nodes);
    char *text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
    json_decref(root);
    if (!text)
        return tplr_fail(TPLR_ENOMEM, "out of memory writing the localnet manifest");
    char p[LN_PATH];
    tplr_err e = tplr_path_join(p, sizeof p, net->dir, "localnet.json");
    if (!e)
        e = tplr_write_file_atomic(p, text, strlen(text));
    free(text);
    return e;
}
