/* Node files: writers and field-by-field readers (untrusted input). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/node_files.h"

#define WINDOW_MAX 9.0e15

static tplr_err open_doc(const char *json, size_t len, const char *origin, const char *format, int version,
                         json_t **out)
{
    if (len > TPLR_NODE_FILE_MAX)
        return tplr_fail(TPLR_EFORMAT, "%s: %zu bytes, more than the %u a %s file may have", origin, len,
                         TPLR_NODE_FILE_MAX, format);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tplr_fail(TPLR_EFORMAT, "%s: not valid JSON (line %d: %s)", origin, jerr.line, jerr.text);
    json_t *f = json_object_get(root, "format"), *v = json_object_get(root, "version");
    tplr_err e = TPLR_OK;
    if (!json_is_object(root) || !json_is_string(f) || strcmp(json_string_value(f), format))
        e = tplr_fail(TPLR_EFORMAT, "%s: not a %s file (\"format\" must be \"%s\")", origin, format, format);
    else if (!json_is_integer(v) || json_integer_value(v) != version)
        e = tplr_fail(TPLR_EFORMAT, "%s: %s version must be %d", origin, format, version);
    if (e) {
        json_decref(root);
        return e;
    }
    *out = root;
    return TPLR_OK;
}

static tplr_err get_int(json_t *root, const char *key, double lo, double hi, const char *origin, int64_t *out)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_integer(v) || (double)json_integer_value(v) < lo || (double)json_integer_value(v) > hi)
        return tplr_fail(TPLR_EFORMAT, "%s: \"%s\" must be an integer in [%.0f, %.0f]", origin, key, lo, hi);
    *out = json_integer_value(v);
    return TPLR_OK;
}

static tplr_err get_uids(json_t *root, const char *key, const char *origin, uint16_t *out, int *n)
{
    json_t *a = json_object_get(root, key);
    if (!json_is_array(a) || json_array_size(a) > TPLR_PEERS_MAX)
        return tplr_fail(TPLR_EFORMAT, "%s: \"%s\" must be an array of at most %d uids", origin, key,
                         TPLR_PEERS_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > TPLR_MAX_UID)
            return tplr_fail(TPLR_EFORMAT, "%s: \"%s\"[%zu] must be a uid in [0, %d]", origin, key, i, TPLR_MAX_UID);
        out[i] = (uint16_t)json_integer_value(v);
        for (size_t j = 0; j < i; j++)
            if (out[j] == out[i])
                return tplr_fail(TPLR_EFORMAT, "%s: \"%s\" lists uid %u twice", origin, key, out[i]);
    }
    *n = (int)json_array_size(a);
    return TPLR_OK;
}

static tplr_err dump(json_t *o, char **out)
{
    if (!o)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(o);
    return *out ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "out of memory");
}

static json_t *uid_array(const uint16_t *u, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        json_array_append_new(a, json_integer(u[i]));
    return a;
}

tplr_err tplr_peer_list_to_json(const tplr_peer_list *p, char **out)
{
    json_t *o = json_pack("{s:s,s:i,s:I,s:I,s:b,s:o,s:o}", "format", "tplr-peers", "version", 1, "window",
                          (json_int_t)p->window, "first_effective_window", (json_int_t)p->first_effective_window,
                          "initial_selection", p->initial, "peers", uid_array(p->peers, p->n_peers),
                          "reserve_peers", uid_array(p->reserve, p->n_reserve));
    return dump(o, out);
}

tplr_err tplr_peer_list_parse(const char *json, size_t len, const char *origin, tplr_peer_list *p)
{
    json_t *root;
    TPLR_TRY(open_doc(json, len, origin, "tplr-peers", 1, &root));
    tplr_peer_list t;
    memset(&t, 0, sizeof t);
    json_t *init = json_object_get(root, "initial_selection");
    tplr_err e = get_int(root, "window", 0, WINDOW_MAX, origin, &t.window);
    if (!e)
        e = get_int(root, "first_effective_window", 0, WINDOW_MAX, origin, &t.first_effective_window);
    if (!e && !json_is_boolean(init))
        e = tplr_fail(TPLR_EFORMAT, "%s: \"initial_selection\" must be true or false", origin);
    if (!e)
        t.initial = json_is_true(init);
    if (!e)
        e = get_uids(root, "peers", origin, t.peers, &t.n_peers);
    if (!e)
        e = get_uids(root, "reserve_peers", origin, t.reserve, &t.n_reserve);
    for (int i = 0; !e && i < t.n_reserve; i++)
        for (int j = 0; j < t.n_peers; j++)
            if (t.reserve[i] == t.peers[j])
                e = tplr_fail(TPLR_EFORMAT, "%s: uid %u is both a peer and a reserve peer", origin, t.peers[j]);
    json_decref(root);
    if (!e)
        *p = t;
    return e;
}

tplr_err tplr_fingerprint_to_json(const tplr_fingerprint *f, char **out)
{
    json_t *s = json_array();
    for (int i = 0; s && i < f->n_slice; i++)
        json_array_append_new(s, json_real(f->slice[i]));
    json_t *o = json_pack("{s:s,s:i,s:I,s:i,s:I,s:s,s:o}", "format", "tplr-debug", "version", 1, "window",
                          (json_int_t)f->window, "uid", f->uid, "global_step", (json_int_t)f->global_step, "digest",
                          f->digest, "slice", s);
    return dump(o, out);
}

tplr_err tplr_fingerprint_parse(const char *json, size_t len, const char *origin, tplr_fingerprint *f)
{
    json_t *root;
    TPLR_TRY(open_doc(json, len, origin, "tplr-debug", 1, &root));
    tplr_fingerprint *t = calloc(1, sizeof *t);
    if (!t) {
        json_decref(root);
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    }
    int64_t uid = 0;
    tplr_err e = get_int(root, "window", 0, WINDOW_MAX, origin, &t->window);
    if (!e)
        e = get_int(root, "uid", 0, TPLR_MAX_UID, origin, &uid);
    if (!e)
        e = get_int(root, "global_step", 0, WINDOW_MAX, origin, &t->global_step);
    json_t *d = json_object_get(root, "digest"), *s = json_object_get(root, "slice");
    if (!e) {
        const char *h = json_is_string(d) ? json_string_value(d) : "";
        int hex = strlen(h) == 32;
        for (int i = 0; hex && i < 32; i++)
            hex = (h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f');
        if (!hex)
            e = tplr_fail(TPLR_EFORMAT, "%s: \"digest\" must be 32 lowercase hex digits", origin);
        else
            memcpy(t->digest, h, 33);
    }
    if (!e && (!json_is_array(s) || json_array_size(s) > TPLR_FINGERPRINT_SLICE_MAX))
        e = tplr_fail(TPLR_EFORMAT, "%s: \"slice\" must be an array of at most %d numbers", origin,
                      TPLR_FINGERPRINT_SLICE_MAX);
    if (!e) {
        size_t i;
        json_t *v;
        json_array_foreach(s, i, v)
        {
            double x = json_is_number(v) ? json_number_value(v) : NAN;
            if (!(fabs(x) < 0x1.ffffffp+127)) { /* NaN, inf, or beyond what rounds to a finite float */
                e = tplr_fail(TPLR_EFORMAT, "%s: \"slice\"[%zu] must be a finite float", origin, i);
                break;
            }
            t->slice[i] = (float)x;
        }
        t->n_slice = (int)json_array_size(s);
    }
    t->uid = (int)uid;
    json_decref(root);
    if (!e)
        *f = *t;
    free(t);
    return e;
}

tplr_err tplr_ckpt_pointer_to_json(const tplr_ckpt_pointer *p, char **out)
{
    json_t *o = json_pack("{s:s,s:i,s:I,s:I}", "format", "tplr-checkpoint-latest", "version", 1, "latest_window",
                          (json_int_t)p->latest_window, "global_step", (json_int_t)p->global_step);
    return dump(o, out);
}

tplr_err tplr_ckpt_pointer_parse(const char *json, size_t len, const char *origin, tplr_ckpt_pointer *p)
{
    json_t *root;
    TPLR_TRY(open_doc(json, len, origin, "tplr-checkpoint-latest", 1, &root));
    tplr_ckpt_pointer t = {0, 0};
    tplr_err e = get_int(root, "latest_window", 0, WINDOW_MAX, origin, &t.latest_window);
    if (!e)
        e = get_int(root, "global_step", 0, WINDOW_MAX, origin, &t.global_step);
    json_decref(root);
    if (!e)
        *p = t;
    return e;
}

tplr_err tplr_start_window_to_json(int64_t start_window, char **out)
{
    json_t *o = json_pack("{s:s,s:i,s:I}", "format", "tplr-start-window", "version", 1, "start_window",
                          (json_int_t)start_window);
    return dump(o, out);
}

tplr_err tplr_start_window_parse(const char *json, size_t len, const char *origin, int64_t *start_window)
{
    json_t *root;
    TPLR_TRY(open_doc(json, len, origin, "tplr-start-window", 1, &root));
    int64_t w = 0;
    tplr_err e = get_int(root, "start_window", 0, WINDOW_MAX, origin, &w);
    json_decref(root);
    if (!e)
        *start_window = w;
    return e;
}
