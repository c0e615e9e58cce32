/* Collecting node metrics lines: one table of fields and their types checks
 * every line field by field; only the fields it names are kept. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netreport_internal.h"

typedef enum { T_NUM, T_COUNT, T_BOOL, T_HEX, T_UIDS, T_UID_NUMS, T_UID_WORDS } ftype;

typedef struct field {
    const char *name;
    ftype type;
} field;

/* The fields of a "window" line, miner's and validator's (docs/formats.md). */
static const field window_fields[] = {
    {"loss", T_NUM},         {"inner_steps", T_COUNT},      {"tokens", T_COUNT},       {"compute_s", T_NUM},
    {"window_s", T_NUM},     {"bytes_up", T_COUNT},         {"bytes_down", T_COUNT},   {"uploaded", T_BOOL},
    {"peers_applied", T_COUNT}, {"fingerprint", T_HEX},     {"eval_loss", T_NUM},      {"evaluated", T_UIDS},
    {"gradient_score", T_UID_NUMS}, {"final_score", T_UID_NUMS}, {"weight", T_UID_NUMS}, {"penalties", T_UID_WORDS},
    {"weights_set", T_BOOL}, {"global_step", T_COUNT}, {"null_round", T_BOOL},
};
#define N_WINDOW_FIELDS (sizeof window_fields / sizeof window_fields[0])

#define MAX_UID 65535
#define MAX_COUNT 9.0e15 /* integers exact in a double */
#define MAX_LIST 4096
#define MAX_WORD 64

double netreport_num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int is_uid_key(const char *k)
{
    if (!*k || strlen(k) > 5)
        return 0;
    for (const char *p = k; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return (k[0] != '0' || !k[1]) && atoi(k) <= MAX_UID;
}

static int is_word(const json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > MAX_WORD)
        return 0;
    for (const char *p = json_string_value(v); *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* Whether v has type t (null counts as absent and is not checked here). */
static int check(const json_t *v, ftype t)
{
    const char *k;
    const json_t *x;
    size_t i;
    switch (t) {
    case T_NUM: return json_is_number(v) && isfinite(json_number_value(v));
    case T_COUNT: return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= MAX_COUNT;
    case T_BOOL: return json_is_boolean(v);
    case T_HEX:
        if (!json_is_string(v) || json_string_length(v) > 128)
            return 0;
        for (const char *p = json_string_value(v); *p; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
                return 0;
        return 1;
    case T_UIDS:
        if (!json_is_array(v) || json_array_size(v) > MAX_LIST)
            return 0;
        json_array_foreach(v, i, x) if (!json_is_integer(x) || json_integer_value(x) < 0 ||
                                        json_integer_value(x) > MAX_UID) return 0;
        return 1;
    case T_UID_NUMS:
        if (!json_is_object(v) || json_object_size(v) > MAX_LIST)
            return 0;
        json_object_foreach((json_t *)v, k, x) if (!is_uid_key(k) || !check(x, T_NUM)) return 0;
        return 1;
    case T_UID_WORDS:
        if (!json_is_object(v) || json_object_size(v) > MAX_LIST)
            return 0;
        json_object_foreach((json_t *)v, k, x)
        {
            if (!is_uid_key(k) || !json_is_array(x) || json_array_size(x) > 16)
                return 0;
            const json_t *w;
            json_array_foreach(x, i, w) if (!is_word(w)) return 0;
        }
        return 1;
    }
    return 0;
}

tplr_err tplr_netmetrics_create(tplr_netmetrics **out)
{
    tplr_netmetrics *m = calloc(1, sizeof *m);
    if (!m || !(m->nodes = json_object()) || !(m->windows = json_object())) {
        tplr_netmetrics_free(m);
        return tplr_fail(TPLR_ENOMEM, "out of memory collecting metrics");
    }
    *out = m;
    return TPLR_OK;
}

void tplr_netmetrics_free(tplr_netmetrics *m)
{
    if (!m)
        return;
    json_decref(m->nodes);
    json_decref(m->windows);
    free(m);
}

static json_t *node_entry(tplr_netmetrics *m, const char *role, int uid)
{
    char key[32];
    snprintf(key, sizeof key, "%s/%d", role, uid);
    json_t *n = json_object_get(m->nodes, key);
    if (!n) {
        n = json_pack("{s:s,s:i,s:I}", "role", role, "uid", uid, "last_window", (json_int_t)-1);
        if (!n || json_object_set_new(m->nodes, key, n))
            return NULL;
    }
    return n;
}

static int valid_role(const char *role) { return role && (!strcmp(role, "miner") || !strcmp(role, "validator")); }

tplr_err tplr_netmetrics_add_node(tplr_netmetrics *m, const char *role, int uid, const char *name,
                                  const char *adversary)
{
    if (!valid_role(role) || uid < 0 || uid > MAX_UID)
        return tplr_fail(TPLR_EINVAL, "a node is a miner or a validator with a uid in 0..65535");
    json_t *n = node_entry(m, role, uid);
    if (!n || json_object_set_new(n, "name", json_string(name ? name : "")) ||
        json_object_set_new(n, "adversary", json_string(adversary ? adversary : "")))
        return tplr_fail(TPLR_ENOMEM, "out of memory collecting metrics");
    return TPLR_OK;
}

static tplr_err bad_line(const char *origin, const char *why)
{
    return tplr_fail(TPLR_EFORMAT, "%s: not a node metrics line: %s (see docs/formats.md, \"Node metrics lines\")",
                     origin, why);
}

/* The checked copy of a "window" line's fields. */
static tplr_err copy_window_fields(const json_t *in, json_t *rec, const char *origin)
{
    for (size_t i = 0; i < N_WINDOW_FIELDS; i++) {
        json_t *v = json_object_get(in, window_fields[i].name);
        if (!v || json_is_null(v))
            continue;
        if (!check(v, window_fields[i].type)) {
            char why[96];
            snprintf(why, sizeof why, "field \"%s\" has the wrong type or range", window_fields[i].name);
            return bad_line(origin, why);
        }
        json_object_set(rec, window_fields[i].name, v);
    }
    return TPLR_OK;
}

static tplr_err add_parsed(tplr_netmetrics *m, const json_t *o, const char *origin)
{
    if (!json_is_object(o))
        return bad_line(origin, "not a JSON object");
    const char *role = json_string_value(json_object_get(o, "node"));
    const char *event = json_string_value(json_object_get(o, "event"));
    const json_t *uidv = json_object_get(o, "uid"), *winv = json_object_get(o, "window");
    if (!valid_role(role))
        return bad_line(origin, "\"node\" is not \"miner\" or \"validator\"");
    if (!event || (strcmp(event, "start") && strcmp(event, "window") && strcmp(event, "stop")))
        return bad_line(origin, "\"event\" is not \"start\", \"window\" or \"stop\"");
    if (!json_is_integer(uidv) || json_integer_value(uidv) < -1 || json_integer_value(uidv) > MAX_UID)
        return bad_line(origin, "\"uid\" is not an integer in -1..65535");
    if (!check(json_object_get(o, "t"), T_NUM))
        return bad_line(origin, "\"t\" is not a finite number");
    int has_window = json_is_integer(winv) && json_integer_value(winv) >= 0 && json_integer_value(winv) <= MAX_COUNT;
    if (!has_window && (!strcmp(event, "window") || (winv && !json_is_null(winv))))
        return bad_line(origin, "\"window\" is not a non-negative integer");
    int uid = (int)json_integer_value(uidv);
    if (uid < 0)
        return TPLR_OK; /* written before the node knew its uid: nothing to file it under */
    double t = json_number_value(json_object_get(o, "t"));
    json_int_t w = has_window ? json_integer_value(winv) : -1;

    json_t *rec = NULL;
    if (!strcmp(event, "window")) {
        rec = json_pack("{s:f,s:I}", "t", t, "window", w);
        tplr_err e = rec ? copy_window_fields(o, rec, origin) : TPLR_ENOMEM;
        if (e) {
            json_decref(rec);
            return e == TPLR_ENOMEM ? tplr_fail(e, "out of memory collecting metrics") : e;
        }
    }
    json_t *n = node_entry(m, role, uid);
    if (!n)
        goto nomem;
    if (strcmp(event, "window")) {
        if (json_object_set_new(n, event, json_real(t)))
            goto nomem;
        return TPLR_OK;
    }
    if (w > json_integer_value(json_object_get(n, "last_window")) &&
        json_object_set_new(n, "last_window", json_integer(w)))
        goto nomem;
    char wkey[24], ukey[16];
    snprintf(wkey, sizeof wkey, "%lld", (long long)w);
    snprintf(ukey, sizeof ukey, "%d", uid);
    json_t *win = json_object_get(m->windows, wkey);
    if (!win && (!(win = json_pack("{s:{},s:{}}", "miner", "validator")) ||
                 json_object_set_new(m->windows, wkey, win)))
        goto nomem;
    if (json_object_set_new(json_object_get(win, role), ukey, rec))
        return tplr_fail(TPLR_ENOMEM, "out of memory collecting metrics");
    return TPLR_OK;
nomem:
    json_decref(rec);
    return tplr_fail(TPLR_ENOMEM, "out of memory collecting metrics");
}

tplr_err tplr_netmetrics_add_line(tplr_netmetrics *m, const char *line, size_t len, const char *origin)
{
    if (len > TPLR_METRICS_LINE_MAX)
        return bad_line(origin, "longer than 1 MiB");
    json_error_t jerr;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        return tplr_fail(TPLR_EFORMAT, "%s: not JSON: %s", origin, jerr.text);
    tplr_err e = add_parsed(m, o, origin);
    json_decref(o);
    return e;
}

tplr_err tplr_metrics_tail_read(tplr_metrics_tail *t, tplr_netmetrics *m, int *bad)
{
    FILE *f = fopen(t->path, "rb");
    if (!f)
        return errno == ENOENT ? TPLR_OK : tplr_fail_errno("opening %s", t->path);
    tplr_err e = TPLR_OK;
    char *line = NULL;
    size_t cap = 0;
    if (fseek(f, t->offset, SEEK_SET) != 0) {
        fclose(f);
        return tplr_fail_errno("seeking in %s", t->path);
    }
    for (;;) {
        ssize_t n = getline(&line, &cap, f);
        if (n <= 0 || line[n - 1] != '\n')
            break; /* the end, or a line still being written */
        t->offset += (long)n;
        char origin[4200];
        snprintf(origin, sizeof origin, "%s", t->path);
        tplr_err le = n > 1 ? tplr_netmetrics_add_line(m, line, (size_t)n - 1, origin) : TPLR_OK;
        if (le == TPLR_ENOMEM) {
            e = le;
            break;
        }
        if (le && bad)
            (*bad)++;
    }
    free(line);
    fclose(f);
    return e;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

tplr_err tplr_netmetrics_windows(const tplr_netmetrics *m, int64_t **windows, int *n)
{
    size_t k = json_object_size(m->windows);
    int64_t *w = malloc((k ? k : 1) * sizeof *w);
    if (!w)
        return tplr_fail(TPLR_ENOMEM, "out of memory listing windows");
    const char *key;
    json_t *v;
    size_t i = 0;
    json_object_foreach(m->windows, key, v) w[i++] = strtoll(key, NULL, 10);
    qsort(w, k, sizeof *w, cmp_i64);
    *windows = w;
    *n = (int)k;
    return TPLR_OK;
}

void tplr_netmetrics_window_count(const tplr_netmetrics *m, int64_t w, int *miners, int *validators)
{
    char wkey[24];
    snprintf(wkey, sizeof wkey, "%lld", (long long)w);
    json_t *win = json_object_get(m->windows, wkey);
    *miners = (int)json_object_size(json_object_get(win, "miner"));
    *validators = (int)json_object_size(json_object_get(win, "validator"));
}

void tplr_netmetrics_node_progress(const tplr_netmetrics *m, const char *role, int uid, int64_t *last_window,
                                   int *stopped)
{
    char key[32];
    snprintf(key, sizeof key, "%s/%d", role, uid);
    json_t *n = json_object_get(m->nodes, key);
    *last_window = n ? json_integer_value(json_object_get(n, "last_window")) : -1;
    *stopped = n && json_object_get(n, "stop") != NULL;
}
