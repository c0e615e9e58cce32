/* The localnet summary (`tplr-localnet-summary` v1, docs/formats.md) and the
 * live table, both from the collected metrics lines. Scores and weights are
 * the ones the first validator (lowest uid) reported. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netreport_internal.h"

static json_t *window_obj(const tplr_netmetrics *m, int64_t w)
{
    char wkey[24];
    snprintf(wkey, sizeof wkey, "%lld", (long long)w);
    return json_object_get(m->windows, wkey);
}

/* The uids of a role's nodes, ascending (at most cap). */
static int role_uids(const tplr_netmetrics *m, const char *role, int *uids, int cap)
{
    int n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(m->nodes, key, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "role")), role) || n == cap)
            continue;
        int u = (int)json_integer_value(json_object_get(v, "uid")), i = n++;
        while (i > 0 && uids[i - 1] > u) {
            uids[i] = uids[i - 1];
            i--;
        }
        uids[i] = u;
    }
    return n;
}

#define MAX_NODES 256

static const json_t *node_line(const json_t *win, const char *role, int uid)
{
    char ukey[8];
    snprintf(ukey, sizeof ukey, "%d", uid);
    return json_object_get(json_object_get(win, role), ukey);
}

/* The first validator's line of a window (NULL if none reported). */
static const json_t *ref_validator(const tplr_netmetrics *m, const json_t *win)
{
    int v[MAX_NODES], nv = role_uids(m, "validator", v, MAX_NODES);
    for (int i = 0; i < nv; i++) {
        const json_t *l = node_line(win, "validator", v[i]);
        if (l)
            return l;
    }
    return NULL;
}

static double uid_value(const json_t *line, const char *map, int uid)
{
    char ukey[8];
    snprintf(ukey, sizeof ukey, "%d", uid);
    return netreport_num(json_object_get(line, map), ukey);
}

double tplr_netmetrics_value(const tplr_netmetrics *m, const char *role, int uid, int64_t w, const char *key)
{
    return netreport_num(node_line(window_obj(m, w), role, uid), key);
}

double tplr_netmetrics_latest_weight(const tplr_netmetrics *m, int uid)
{
    int64_t *ws;
    int nw;
    double v = NAN;
    if (tplr_netmetrics_windows(m, &ws, &nw))
        return v;
    for (int i = nw - 1; i >= 0 && isnan(v); i--)
        v = uid_value(ref_validator(m, window_obj(m, ws[i])), "weight", uid);
    free(ws);
    return v;
}

/* Every node line of a window, miners then validators. */
typedef struct line_ref {
    const char *role, *uid;
    const json_t *line;
} line_ref;

static int window_lines(const json_t *win, line_ref *out)
{
    int n = 0;
    const char *role;
    json_t *lines;
    json_object_foreach((json_t *)win, role, lines)
    {
        const char *u;
        json_t *l;
        json_object_foreach(lines, u, l) if (n < 2 * MAX_NODES) out[n++] = (line_ref){role, u, l};
    }
    return n;
}

void tplr_netmetrics_print_header(const tplr_netmetrics *m, FILE *out)
{
    int mu[MAX_NODES], nm = role_uids(m, "miner", mu, MAX_NODES);
    fprintf(out, "%6s |", "window");
    for (int i = 0; i < nm; i++)
        fprintf(out, " loss%-3d", mu[i]);
    fprintf(out, " |  eval |");
    for (int i = 0; i < nm; i++)
        fprintf(out, " score%-3d", mu[i]);
    fprintf(out, " |");
    for (int i = 0; i < nm; i++)
        fprintf(out, " wgt%-3d", mu[i]);
    fprintf(out, " |   moved\n");
}

static void cell(FILE *out, double v, int width, int prec)
{
    if (isnan(v))
        fprintf(out, " %*s", width, "-");
    else
        fprintf(out, " %*.*f", width, prec, v);
}

void tplr_netmetrics_print_window(const tplr_netmetrics *m, int64_t w, FILE *out)
{
    int mu[MAX_NODES], nm = role_uids(m, "miner", mu, MAX_NODES);
    const json_t *win = window_obj(m, w), *val = ref_validator(m, win);
    double moved = 0;
    line_ref refs[2 * MAX_NODES];
    for (int i = 0, n = window_lines(win, refs); i < n; i++) {
        double up = netreport_num(refs[i].line, "bytes_up"), down = netreport_num(refs[i].line, "bytes_down");
        moved += (isnan(up) ? 0 : up) + (isnan(down) ? 0 : down);
    }
    fprintf(out, "%6lld |", (long long)w);
    for (int i = 0; i < nm; i++)
        cell(out, netreport_num(node_line(win, "miner", mu[i]), "loss"), 7, 3);
    fprintf(out, " |");
    cell(out, netreport_num(val, "eval_loss"), 5, 3);
    fprintf(out, " |");
    for (int i = 0; i < nm; i++)
        cell(out, uid_value(val, "final_score", mu[i]), 8, 4);
    fprintf(out, " |");
    for (int i = 0; i < nm; i++)
        cell(out, uid_value(val, "weight", mu[i]), 6, 3);
    fprintf(out, " | %6.2f MB\n", moved / 1e6);
    fflush(out);
}

/* Adds x to a number field of o (absent counts as 0). */
static int accumulate(json_t *o, const char *key, double x)
{
    if (isnan(x))
        return 0;
    double have = netreport_num(o, key);
    return json_object_set_new(o, key, json_real((isnan(have) ? 0 : have) + x));
}

static int push_point(json_t *o, const char *key, int64_t w, double v)
{
    if (isnan(v))
        return 0;
    json_t *a = json_object_get(o, key);
    if (!a && (!(a = json_array()) || json_object_set_new(o, key, a)))
        return -1;
    return json_array_append_new(a, json_pack("[I,f]", (json_int_t)w, v));
}

/* Whether every honest node that reported a fingerprint in win reported the
 * same one; null when fewer than two did. */
static json_t *fingerprints_agree(const tplr_netmetrics *m, const json_t *win)
{
    const char *first = NULL;
    int count = 0, agree = 1;
    line_ref refs[2 * MAX_NODES];
    for (int i = 0, n = window_lines(win, refs); i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "%s/%s", refs[i].role, refs[i].uid);
        const char *adv = json_string_value(json_object_get(json_object_get(m->nodes, key), "adversary"));
        const char *fp = json_string_value(json_object_get(refs[i].line, "fingerprint"));
        if ((adv && *adv) || !fp)
            continue;
        if (!first)
            first = fp;
        else if (strcmp(first, fp))
            agree = 0;
        count++;
    }
    return count < 2 ? json_null() : json_boolean(agree);
}

/* Per uid: the series and totals of one window's line. */
static int add_uid_window(json_t *uids, const char *role, const char *ukey, const json_t *line, const json_t *val,
                          int64_t w)
{
    json_t *u = json_object_get(uids, ukey);
    if (!u)
        return -1;
    int uid = atoi(ukey);
    int r = 0;
    static const char *const sums[] = {"bytes_up", "bytes_down", "compute_s", "window_s", "tokens"};
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
        r |= accumulate(u, sums[i], netreport_num(line, sums[i]));
    r |= push_point(u, !strcmp(role, "miner") ? "loss" : "eval_loss", w,
                    netreport_num(line, !strcmp(role, "miner") ? "loss" : "eval_loss"));
    if (!strcmp(role, "miner") && val) {
        r |= push_point(u, "gradient_score", w, uid_value(val, "gradient_score", uid));
        r |= push_point(u, "final_score", w, uid_value(val, "final_score", uid));
        double wt = uid_value(val, "weight", uid);
        r |= push_point(u, "weight", w, wt);
        if (!isnan(wt))
            r |= json_object_set_new(u, "last_weight", json_real(wt));
        json_t *pen = json_object_get(json_object_get(val, "penalties"), ukey), *p;
        size_t i;
        json_t *counts = json_object_get(u, "penalties");
        json_array_foreach(pen, i, p)
        {
            const char *kind = json_string_value(p);
            r |= json_object_set_new(counts, kind, json_integer(json_integer_value(json_object_get(counts, kind)) + 1));
        }
    }
    return r;
}

static json_t *build(const tplr_netmetrics *m)
{
    json_t *root = json_pack("{s:s,s:i,s:[],s:[],s:{}}", "format", "tplr-localnet-summary", "version", 1, "nodes",
                             "windows", "uids");
    if (!root)
        return NULL;
    json_t *nodes = json_object_get(root, "nodes"), *windows = json_object_get(root, "windows"),
           *uids = json_object_get(root, "uids");
    int r = 0;
    static const char *const roles[] = {"miner", "validator"};
    for (int k = 0; k < 2; k++) {
        int u[MAX_NODES], n = role_uids(m, roles[k], u, MAX_NODES);
        for (int i = 0; i < n; i++) {
            char key[32], ukey[8];
            snprintf(key, sizeof key, "%s/%d", roles[k], u[i]);
            snprintf(ukey, sizeof ukey, "%d", u[i]);
            json_t *node = json_object_get(m->nodes, key);
            r |= json_array_append(nodes, node);
            const char *adv = json_string_value(json_object_get(node, "adversary"));
            r |= json_object_set_new(uids, ukey,
                                     json_pack("{s:s,s:s,s:{}}", "role", roles[k], "adversary", adv ? adv : "",
                                               "penalties"));
        }
    }
    int64_t *ws;
    int nw;
    if (tplr_netmetrics_windows(m, &ws, &nw)) {
        json_decref(root);
        return NULL;
    }
    double up = 0, down = 0, compute = 0, wall = 0;
    for (int i = 0; i < nw; i++) {
        const json_t *win = window_obj(m, ws[i]), *val = ref_validator(m, win);
        json_t *wo = json_pack("{s:I,s:O,s:O,s:o}", "window", (json_int_t)ws[i], "miners",
                               json_object_get(win, "miner"), "validators", json_object_get(win, "validator"),
                               "fingerprints_agree", fingerprints_agree(m, win));
        r |= json_array_append_new(windows, wo);
        for (int k = 0; k < 2; k++) {
            const char *ukey;
            json_t *line;
            json_object_foreach(json_object_get(win, roles[k]), ukey, line)
            {
                r |= add_uid_window(uids, roles[k], ukey, line, val, ws[i]);
                double b = netreport_num(line, "bytes_up"), d = netreport_num(line, "bytes_down");
                double c = netreport_num(line, "compute_s"), t = netreport_num(line, "window_s");
                up += isnan(b) ? 0 : b;
                down += isnan(d) ? 0 : d;
                if (!isnan(c) && !isnan(t)) {
                    compute += c;
                    wall += t;
                }
            }
        }
    }
    free(ws);
    r |= json_object_set_new(root, "totals",
                             json_pack("{s:i,s:f,s:f,s:f,s:f,s:o}", "windows", nw, "bytes_up", up, "bytes_down",
                                       down, "compute_s", compute, "window_s", wall, "utilization",
                                       wall > 0 ? json_real(compute / wall) : json_null()));
    if (r) {
        json_decref(root);
        return NULL;
    }
    return root;
}

tplr_err tplr_netmetrics_summary(const tplr_netmetrics *m, const char *extra_json, char **out)
{
    json_t *extra = NULL;
    if (extra_json) {
        json_error_t jerr;
        extra = json_loads(extra_json, 0, &jerr);
        if (!json_is_object(extra)) {
            json_decref(extra);
            return tplr_fail(TPLR_EINVAL, "the summary's extra fields are not a JSON object: %s", jerr.text);
        }
    }
    json_t *root = build(m);
    if (!root || (extra && json_object_update(root, extra))) {
        json_decref(root);
        json_decref(extra);
        return tplr_fail(TPLR_ENOMEM, "out of memory building the summary");
    }
    json_decref(extra);
    *out = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(9));
    json_decref(root);
    return *out ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "out of memory writing the summary");
}
