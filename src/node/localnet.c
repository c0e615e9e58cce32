/* `tplr localnet`: the run loop. Starts the ledger and the nodes, prints a
 * row of the live table once every node has reported a window (or ended),
 * stops everything at the end, on a signal or after the timeout, and writes
 * the summary and the report. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "localnet_internal.h"
#include "tplr/fileio.h"
#include "tplr/netreport.h"
#include "tplr/signals.h"
#include "tplr/timeutil.h"

void tplr_localnet_defaults(tplr_localnet_opts *o)
{
    memset(o, 0, sizeof *o);
    o->miners = 3;
    o->validators = 1;
    o->preset = "tiny";
    o->windows = 8;
    o->out = stdout;
}

static const char *const adversary_kinds[] = {"silent", "late", "garbage", "copy", "wrong-data", "ascent"};

static tplr_err check_opts(const tplr_localnet_opts *o)
{
    if (!o->exe || !o->dir)
        return tplr_fail(TPLR_EINVAL, "localnet needs the tplr binary and a folder");
    if (o->miners < 1 || o->validators < 1 || o->miners + o->validators > TPLR_LOCALNET_MAX_NODES)
        return tplr_fail(TPLR_EINVAL, "a localnet has at least one miner and one validator, %d nodes at most",
                         TPLR_LOCALNET_MAX_NODES);
    if (o->windows < 1)
        return tplr_fail(TPLR_EINVAL, "--windows must be at least 1");
    if (o->n_adversaries > o->miners)
        return tplr_fail(TPLR_EINVAL, "%d adversaries but only %d miners: each adversary is a miner (add --miners)",
                         o->n_adversaries, o->miners);
    for (int i = 0; i < o->n_adversaries; i++) {
        size_t k = 0;
        while (k < sizeof adversary_kinds / sizeof adversary_kinds[0] && strcmp(adversary_kinds[k], o->adversaries[i]))
            k++;
        if (k == sizeof adversary_kinds / sizeof adversary_kinds[0])
            return tplr_fail(TPLR_EINVAL,
                             "unknown adversary '%s': silent, late, garbage, copy, wrong-data or ascent",
                             o->adversaries[i]);
    }
    return TPLR_OK;
}

/* Validators first (uids 0..), then the miners; the adversaries are the last miners. */
static tplr_err plan_nodes(ln_net *net)
{
    const tplr_localnet_opts *o = net->o;
    net->n = o->validators + o->miners;
    for (int i = 0; i < net->n; i++) {
        ln_node *nd = &net->nodes[i];
        int miner = i >= o->validators;
        nd->role = miner ? "miner" : "validator";
        nd->index = miner ? i - o->validators : i;
        int adv = miner ? nd->index - (o->miners - o->n_adversaries) : -1;
        nd->adversary = adv >= 0 ? o->adversaries[adv] : "";
        nd->uid = -1;
        snprintf(nd->wallet, sizeof nd->wallet, "%s-%d", nd->role, nd->index);
        snprintf(nd->proc.name, sizeof nd->proc.name, "%s", nd->wallet);
        char nodes[LN_PATH];
        TPLR_TRY(tplr_path_join(nodes, sizeof nodes, net->dir, "nodes"));
        TPLR_TRY(tplr_path_join(nd->dir, sizeof nd->dir, nodes, nd->wallet));
        TPLR_TRY(tplr_mkdirs(nd->dir));
        TPLR_TRY(tplr_path_join(nd->proc.log, sizeof nd->proc.log, nd->dir, "node.log"));
        size_t len = strlen(net->store);
        if (snprintf(nd->store, sizeof nd->store, "%s%s%s", net->store, len && net->store[len - 1] == '/' ? "" : "/",
                     nd->wallet) >= (int)sizeof nd->store)
            return tplr_fail(TPLR_EINVAL, "the store URL is too long");
    }
    return TPLR_OK;
}

static tplr_err start_node(ln_net *net, ln_node *nd)
{
    /* Miners run one window more than the validators: a validator's last
     * window then still finds every miner's gradient (were the miners done
     * first, it would score them all missing). They are stopped once the
     * validators are done (run_nodes). */
    char windows[16];
    snprintf(windows, sizeof windows, "%d", net->o->windows + !strcmp(nd->role, "miner"));
    char *argv[32];
    int k = 0;
    argv[k++] = (char *)net->o->exe;
    argv[k++] = (char *)nd->role;
    const char *pairs[][2] = {{"--wallet", nd->wallet}, {"--hotkey", LN_HOTKEY},  {"--chain", net->ledger_url},
                              {"--store", nd->store},  {"--config", net->config}, {"--dir", nd->dir},
                              {"--data", net->data},    {"--windows", windows},     {"--threads", "1"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        argv[k++] = (char *)pairs[i][0];
        argv[k++] = (char *)pairs[i][1];
    }
    if (*nd->adversary) {
        argv[k++] = "--adversary";
        argv[k++] = (char *)nd->adversary;
    }
    argv[k] = NULL;
    return ln_spawn(&nd->proc, argv, &net->pgid);
}

static tplr_err node_failed(const ln_node *nd)
{
    char how[64], tail[1500];
    ln_describe_exit(&nd->proc, how, sizeof how);
    ln_log_tail(&nd->proc, tail, sizeof tail);
    return tplr_fail(TPLR_EIO, "%s stopped early (%s); the end of %s:\n%s", nd->proc.name, how, nd->proc.log, tail);
}

/* Whether the node wrote its "start" metrics line: it has joined the subnet
 * and committed its bucket. */
static int has_started(const ln_node *nd)
{
    char path[LN_PATH + 16], *text = NULL;
    size_t len;
    if (tplr_path_join(path, sizeof path, nd->dir, "metrics.jsonl") || tplr_read_file(path, 1 << 20, &text, &len))
        return 0;
    int started = strstr(text, "\"event\":\"start\"") != NULL;
    free(text);
    return started;
}

/* Starts the miners, waits until each has committed its bucket, then starts
 * the validators: the leader's first peer list then names every miner
 * (a miner that commits later joins the aggregate one or two windows late). */
static tplr_err start_nodes(ln_net *net)
{
    for (int i = 0; i < net->n; i++)
        if (!strcmp(net->nodes[i].role, "miner"))
            TPLR_TRY(start_node(net, &net->nodes[i]));
    double t0 = tplr_now();
    for (int i = 0; i < net->n; i++) {
        ln_node *nd = &net->nodes[i];
        while (!strcmp(nd->role, "miner") && !has_started(nd)) {
            if (tplr_stop_requested())
                return tplr_fail(TPLR_EINTERRUPTED, "stopped by a signal");
            if (ln_poll(&nd->proc))
                return node_failed(nd);
            if (tplr_now() - t0 > 120)
                return tplr_fail(TPLR_ETIMEOUT, "%s did not join the subnet within 120 s; see %s", nd->proc.name,
                                 nd->proc.log);
            usleep(100 * 1000);
        }
    }
    for (int i = 0; i < net->n; i++)
        if (strcmp(net->nodes[i].role, "miner"))
            TPLR_TRY(start_node(net, &net->nodes[i]));
    return TPLR_OK;
}

typedef struct ln_watch {
    tplr_netmetrics *m;
    tplr_metrics_tail tails[TPLR_LOCALNET_MAX_NODES];
    int64_t printed; /* the last window printed */
    int header;
} ln_watch;

static tplr_err watch_init(ln_net *net, ln_watch *w)
{
    memset(w, 0, sizeof *w);
    w->printed = -1;
    TPLR_TRY(tplr_netmetrics_create(&w->m));
    for (int i = 0; i < net->n; i++) {
        ln_node *nd = &net->nodes[i];
        TPLR_TRY(tplr_path_join(w->tails[i].path, sizeof w->tails[i].path, nd->dir, "metrics.jsonl"));
        TPLR_TRY(tplr_netmetrics_add_node(w->m, nd->role, nd->uid, nd->wallet, nd->adversary));
    }
    return TPLR_OK;
}

/* Reads what the nodes wrote; prints each window every node is past (or at). */
static tplr_err watch_step(ln_net *net, ln_watch *w, int final)
{
    for (int i = 0; i < net->n; i++)
        TPLR_TRY(tplr_metrics_tail_read(&w->tails[i], w->m, NULL));
    int64_t *ws;
    int nw;
    TPLR_TRY(tplr_netmetrics_windows(w->m, &ws, &nw));
    for (int k = 0; k < nw; k++) {
        if (ws[k] <= w->printed)
            continue;
        int ready = 1;
        for (int i = 0; i < net->n && ready && !final; i++) {
            int64_t last;
            int stopped;
            tplr_netmetrics_node_progress(w->m, net->nodes[i].role, net->nodes[i].uid, &last, &stopped);
            ready = last >= ws[k] || stopped || net->nodes[i].proc.exited;
        }
        if (!ready)
            break;
        if (!w->header++)
            tplr_netmetrics_print_header(w->m, net->o->out);
        tplr_netmetrics_print_window(w->m, ws[k], net->o->out);
        w->printed = ws[k];
    }
    free(ws);
    return TPLR_OK;
}

static void sleep_s(double s) { usleep((useconds_t)(s * 1e6)); }

/* Runs until the nodes are done, a stop is asked for, or the deadline. */
static tplr_err run_nodes(ln_net *net, ln_watch *w)
{
    double deadline = tplr_now() + (net->o->timeout_s > 0 ? net->o->timeout_s
                                                           : 120 + 3.0 * (net->o->windows + 4) *
                                                                       net->blocks_per_window * net->block_time);
    double validators_done_at = -1;
    for (;;) {
        TPLR_TRY(watch_step(net, w, 0));
        int running = 0, validators_running = 0;
        for (int i = 0; i < net->n; i++) {
            ln_node *nd = &net->nodes[i];
            if (ln_poll(&nd->proc)) {
                if (WIFEXITED(nd->proc.status) && WEXITSTATUS(nd->proc.status) == 0)
                    continue;
                return node_failed(nd);
            }
            running++;
            validators_running += !strcmp(nd->role, "validator");
        }
        if (!running)
            return TPLR_OK;
        /* The validators have run their windows: miners still going (an
         * adversary that skipped windows counts more of them) get one more
         * window, then are stopped. */
        if (!validators_running && validators_done_at < 0)
            validators_done_at = tplr_now();
        if (validators_done_at >= 0 && tplr_now() - validators_done_at > net->blocks_per_window * net->block_time)
            return TPLR_OK;
        if (ln_poll(&net->ledger))
            return tplr_fail(TPLR_EIO, "the ledger stopped: see %s", net->ledger.log);
        if (tplr_stop_requested())
            return tplr_fail(TPLR_EINTERRUPTED, "stopped by a signal");
        if (tplr_now() > deadline)
            return tplr_fail(TPLR_ETIMEOUT, "the nodes did not finish %d windows in time: see their logs under %s/nodes",
                             net->o->windows, net->dir);
        sleep_s(0.2);
    }
}

static void stop_all(ln_net *net)
{
    ln_child *nodes[TPLR_LOCALNET_MAX_NODES];
    for (int i = 0; i < net->n; i++)
        nodes[i] = &net->nodes[i].proc;
    ln_stop(nodes, net->n, 10);
}

static tplr_err write_outputs(ln_net *net, ln_watch *w, const char *ledger_state)
{
    char *summary = NULL, *html = NULL, p[LN_PATH];
    tplr_err e = tplr_netmetrics_summary(w->m, ledger_state, &summary);
    if (!e)
        e = tplr_path_join(p, sizeof p, net->dir, "summary.json");
    if (!e)
        e = tplr_write_file_atomic(p, summary, strlen(summary));
    if (!e)
        e = tplr_netreport_html(summary, &html);
    if (!e)
        e = tplr_path_join(p, sizeof p, net->dir, "report.html");
    if (!e)
        e = tplr_write_file_atomic(p, html, strlen(html));
    free(summary);
    free(html);
    if (!e)
        fprintf(net->o->out, "\nsummary: %s/summary.json\nreport:  %s/report.html\nlogs:    %s/nodes/*/node.log\n",
                net->dir, net->dir, net->dir);
    return e;
}

static tplr_err setup(ln_net *net)
{
    const tplr_localnet_opts *o = net->o;
    TPLR_TRY(check_opts(o));
    TPLR_TRY(tplr_mkdirs(o->dir));
    if (!realpath(o->dir, net->dir))
        return tplr_fail_errno("resolving %s", o->dir);
    TPLR_TRY(ln_prepare_dir(net));
    TPLR_TRY(ln_write_config(net));
    if (o->data)
        snprintf(net->data, sizeof net->data, "%s", o->data);
    else {
        char corpus[LN_PATH];
        if (o->corpus)
            snprintf(corpus, sizeof corpus, "%s", o->corpus);
        else
            TPLR_TRY(tplr_path_join(corpus, sizeof corpus, net->dir, "corpus"));
        TPLR_TRY(tplr_localnet_corpus(o->exe, corpus, net->seq, o->out));
        TPLR_TRY(tplr_path_join(net->data, sizeof net->data, corpus, "shards"));
    }
    if (o->store)
        snprintf(net->store, sizeof net->store, "%s", o->store);
    else {
        char p[LN_PATH];
        TPLR_TRY(tplr_path_join(p, sizeof p, net->dir, "store"));
        TPLR_TRY(tplr_mkdirs(p));
        if (snprintf(net->store, sizeof net->store, "file://%s", p) >= (int)sizeof net->store)
            return tplr_fail(TPLR_EINVAL, "the folder's path is too long");
    }
    TPLR_TRY(plan_nodes(net));
    fprintf(o->out, "== the ledger (a block every %gs), %d wallets registered\n", net->block_time, net->n);
    return ln_start_ledger(net);
}

tplr_err tplr_localnet_run(const tplr_localnet_opts *o)
{
    ln_net *net = calloc(1, sizeof *net);
    if (!net)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    net->o = o;
    ln_watch w = {0};
    tplr_err e = setup(net);
    if (!e) {
        fprintf(o->out, "== %d validator(s) and %d miner(s) (%d adversaries), %d windows; logs under %s/nodes\n",
                o->validators, o->miners, o->n_adversaries, o->windows, net->dir);
        e = start_nodes(net);
    }
    if (!e)
        e = ln_write_manifest(net, 0);
    if (!e)
        e = watch_init(net, &w);
    if (!e) {
        fprintf(o->out, "\n");
        e = run_nodes(net, &w);
    }
    char saved[TPLR_ERRMSG_MAX];
    snprintf(saved, sizeof saved, "%s", e ? tplr_errmsg() : "");
    if (net->ledger.pid > 0 || net->n) {
        stop_all(net);
        char *ledger = net->ledger.pid > 0 && net->ledger_url[0] ? ln_ledger_state(net) : NULL;
        ln_child *l = &net->ledger;
        ln_stop(&l, 1, 5);
        ln_kill_group(net->pgid);
        if (w.m) {
            tplr_err we = watch_step(net, &w, 1);
            if (!we)
                we = write_outputs(net, &w, ledger);
            if (!e)
                e = we;
            else if (we)
                fprintf(stderr, "tplr localnet: %s\n", tplr_errmsg());
        }
        free(ledger);
        if (net->ledger_url[0])
            ln_write_manifest(net, 1);
    }
    if (e && saved[0])
        tplr_fail(e, "%s", saved);
    tplr_netmetrics_free(w.m);
    free(net);
    return e;
}
