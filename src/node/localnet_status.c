/* `tplr status`: a localnet's nodes from its manifest (DIR/localnet.json)
 * and their metrics files. */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "localnet_internal.h"
#include "tplr/fileio.h"
#include "tplr/netreport.h"

/* Whether pid is alive and is the process started with this --dir (not a
 * later process that reuses the pid). */
static int alive(json_int_t pid, const char *dir)
{
    if (pid <= 0 || !dir || kill((pid_t)pid, 0) != 0)
        return 0;
    char path[64], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "/proc/%lld/cmdline", (long long)pid);
    if (tplr_read_file(path, 1 << 16, &text, &len) != TPLR_OK)
        return 0;
    int found = 0;
    for (size_t i = 0; i < len && !found; i += strlen(text + i) + 1)
        found = !strcmp(text + i, dir);
    free(text);
    return found;
}

static void cell(FILE *out, double v)
{
    if (isnan(v))
        fprintf(out, " %8s", "-");
    else
        fprintf(out, " %8.4f", v);
}

tplr_err tplr_localnet_status(const char *dir, FILE *out)
{
    char p[LN_PATH];
    TPLR_TRY(tplr_path_join(p, sizeof p, dir, "localnet.json"));
    json_error_t jerr;
    json_t *man = json_load_file(p, 0, &jerr);
    const char *format = json_string_value(json_object_get(man, "format"));
    json_t *nodes = json_object_get(man, "nodes");
    if (!format || strcmp(format, "tplr-localnet") || !json_is_array(nodes)) {
        json_decref(man);
        return tplr_fail(TPLR_ENOTFOUND, "%s: no localnet manifest here (%s): give the --dir of a `tplr localnet`",
                         p, jerr.text[0] ? jerr.text : "wrong format");
    }
    tplr_netmetrics *m;
    tplr_err e = tplr_netmetrics_create(&m);
    size_t i;
    json_t *nd;
    int bad = 0;
    json_array_foreach(nodes, i, nd)
    {
        const char *role = json_string_value(json_object_get(nd, "role")),
                   *name = json_string_value(json_object_get(nd, "name")),
                   *ndir = json_string_value(json_object_get(nd, "dir")),
                   *adv = json_string_value(json_object_get(nd, "adversary"));
        if (e || !role || !name || !ndir)
            continue;
        e = tplr_netmetrics_add_node(m, role, (int)json_integer_value(json_object_get(nd, "uid")), name, adv);
        tplr_metrics_tail t = {.offset = 0};
        if (!e)
            e = tplr_path_join(t.path, sizeof t.path, ndir, "metrics.jsonl");
        if (!e)
            e = tplr_metrics_tail_read(&t, m, &bad);
    }
    if (!e) {
        int finished = json_is_true(json_object_get(man, "finished"));
        json_t *ledger = json_object_get(man, "ledger");
        fprintf(out, "localnet %s: %s; ledger %s (%s); store %s\n", dir, finished ? "finished" : "started",
                json_string_value(json_object_get(ledger, "url")),
                !finished && alive(json_integer_value(json_object_get(ledger, "pid")),
                                   json_string_value(json_object_get(ledger, "db")))
                    ? "up"
                    : "down",
                json_string_value(json_object_get(man, "store")));
        fprintf(out, "%-14s %-9s %5s %-8s %-11s %6s %8s %8s %8s\n", "node", "role", "uid", "state", "adversary",
                "window", "loss", "eval", "weight");
        json_array_foreach(nodes, i, nd)
        {
            const char *role = json_string_value(json_object_get(nd, "role")),
                       *name = json_string_value(json_object_get(nd, "name")),
                       *ndir = json_string_value(json_object_get(nd, "dir")),
                       *adv = json_string_value(json_object_get(nd, "adversary"));
            if (!role || !name || !ndir)
                continue;
            int uid = (int)json_integer_value(json_object_get(nd, "uid")), stopped;
            int64_t last;
            tplr_netmetrics_node_progress(m, role, uid, &last, &stopped);
            int up = !finished && alive(json_integer_value(json_object_get(nd, "pid")), ndir);
            fprintf(out, "%-14s %-9s %5d %-8s %-11s", name, role, uid, up ? "running" : stopped ? "done" : "stopped",
                    adv && *adv ? adv : "honest");
            if (last >= 0)
                fprintf(out, " %6lld", (long long)last);
            else
                fprintf(out, " %6s", "-");
            cell(out, tplr_netmetrics_value(m, role, uid, last, "loss"));
            cell(out, tplr_netmetrics_value(m, role, uid, last, "eval_loss"));
            cell(out, strcmp(role, "miner") ? NAN : tplr_netmetrics_latest_weight(m, uid));
            fprintf(out, "\n");
        }
        if (bad)
            fprintf(out, "(%d metrics lines were not readable and were skipped)\n", bad);
    }
    tplr_netmetrics_free(m);
    json_decref(man);
    return e;
}
