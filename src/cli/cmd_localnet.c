/* tplr localnet, tplr localnet prepare, tplr status */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "tplr/localnet.h"
#include "tplr/signals.h"

/* This binary's path, for the children. */
static int self_exe(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    return 0;
}

int cmd_localnet(int argc, char **argv)
{
    tplr_localnet_opts o;
    tplr_localnet_defaults(&o);
    const char *dir = "runs/localnet", *block_time = NULL;
    int sample_len = 128;
    cli_list adv = {0}, sets = {0};
    cli_opt opts[] = {
        {"miners", OPT_INT, &o.miners, "N", "miners (default 3)", 0, 0},
        {"validators", OPT_INT, &o.validators, "N", "validators (default 1)", 0, 0},
        {"preset", OPT_STR, &o.preset, "NAME", "tiny (default) or small: model and window sizes", 0, 0},
        {"windows", OPT_INT, &o.windows, "N", "windows every node runs (default 8)", 0, 0},
        {"dir", OPT_STR, &dir, "DIR", "the run's folder (default runs/localnet; an earlier run there is replaced)", 0, 0},
        {"store", OPT_STR, &o.store, "URL", "object store for the gradients (default DIR/store; s3://BUCKET/PREFIX "
                                            "with AWS_ENDPOINT_URL and keys in the environment)", 0, 0},
        {"adversary", OPT_LIST, &adv, "KIND", "the last miners misbehave, one per flag: silent, late, garbage, copy, "
                                              "wrong-data, ascent", 0, 0},
        {"config", OPT_STR, &o.config, "FILE", "a node config (JSON) laid over the preset's", 0, 0},
        {"set", OPT_LIST, &sets, "KEY=VALUE", "one node config field (repeatable; docs/config.md)", 0, 0},
        {"corpus", OPT_STR, &o.corpus, "DIR", "where the KJV corpus is prepared or found (default DIR/corpus)", 0, 0},
        {"data", OPT_STR, &o.data, "SHARDS", "a shard folder to train on instead of the KJV corpus", 0, 0},
        {"block-time", OPT_STR, &block_time, "SECONDS", "time between ledger blocks (default: the preset's, 0.5)", 0, 0},
        {"timeout", OPT_DOUBLE, &o.timeout_s, "SECONDS", "stop the run after this long (default: from the windows)", 0, 0},
        {"sample-len", OPT_INT, &sample_len, "N", "prepare: tokens per sample (default 128)", 0, 0},
    };
    cli_cmd cmd = {"tplr localnet", "[prepare | config]",
                   "Runs a whole network here: a ledger, validators and miners, each its own process with its own "
                   "log, and prints a table per window (losses, scores, weights, bytes moved). At the end it writes "
                   "DIR/summary.json and DIR/report.html (loss, score and weight plots). Ctrl-C stops every node.\n"
                   "`tplr localnet prepare --corpus DIR` only prepares the KJV corpus (text, tokenizer, shards).\n"
                   "`tplr localnet config [--preset --config --set]` prints the node config the nodes would run with.",
                   "See docs/network.md (\"Localnet\"); `tplr status --dir DIR` shows a running one.", opts,
                   (int)(sizeof opts / sizeof opts[0]), 0, 1};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    char exe[PATH_MAX];
    if (self_exe(exe, sizeof exe))
        return cli_fail("cannot find the tplr binary (/proc/self/exe)");
    o.exe = exe;
    for (int i = 0; i < sets.n; i++)
        o.sets[o.n_sets++] = sets.items[i];
    if (n_pos == 1 && !strcmp(pos[0], "config")) {
        char *text;
        if (tplr_localnet_config(&o, &text))
            return cli_fail(tplr_errmsg());
        printf("%s\n", text);
        free(text);
        return 0;
    }
    if (n_pos == 1) {
        if (strcmp(pos[0], "prepare"))
            return cli_fail("the sub-commands are `prepare` and `config`");
        if (!o.corpus)
            return cli_fail("prepare needs --corpus DIR");
        if (sample_len < 2)
            return cli_fail("--sample-len must be at least 2");
        return tplr_localnet_corpus(exe, o.corpus, sample_len, stdout) ? cli_fail(tplr_errmsg()) : 0;
    }
    o.dir = dir;
    for (int i = 0; i < adv.n; i++)
        o.adversaries[o.n_adversaries++] = adv.items[i];
    if (block_time) {
        char *end;
        o.block_time = strtod(block_time, &end);
        if (*end || !(o.block_time > 0))
            return cli_fail("--block-time takes a positive number of seconds");
    }
    tplr_signals_install();
    tplr_err e = tplr_localnet_run(&o);
    if (e == TPLR_EINTERRUPTED) {
        fprintf(stderr, "tplr localnet: stopped; every node was stopped\n");
        return 130;
    }
    return e ? cli_fail(tplr_errmsg()) : 0;
}

int cmd_status(int argc, char **argv)
{
    const char *dir = "runs/localnet";
    cli_opt opts[] = {
        {"dir", OPT_STR, &dir, "DIR", "the localnet's folder (default runs/localnet)", 0, 0},
    };
    cli_cmd cmd = {"tplr status", NULL,
                   "The nodes of a localnet (running or finished): alive or not, last window, latest loss, "
                   "evaluation loss and weight.",
                   NULL, opts, 1, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    return tplr_localnet_status(dir, stdout) ? cli_fail(tplr_errmsg()) : 0;
}
