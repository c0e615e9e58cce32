/* The scoring state as a `tplr-scores` v1 JSON file (docs/formats.md): one
 * table of per-uid fields drives both writing and the field-by-field checks
 * on reading. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/fileio.h"
#include "tplr/scoring_file.h"

typedef enum { K_INT, K_I64, K_U32, K_DBL } kind;

typedef struct field {
    const char *name;
    kind k;
    size_t off;
    double lo, hi; /* inclusive range */
} field;

#define F(n, k, lo, hi) {#n, k, offsetof(tplr_uid_score, n), lo, hi}
#define BIG 9.0e15 /* integers must stay exact in a double */

static const field uid_fields[] = {
    F(known, K_INT, 0, 1),
    F(rated, K_INT, 0, 1),
    {"mu", K_DBL, offsetof(tplr_uid_score, rating.mu), -1e6, 1e6},
    {"sigma", K_DBL, offsetof(tplr_uid_score, rating.sigma), 1e-300, 1e6},
    F(gradient_score, K_DBL, -1e300, 1e300),
    F(binary_indicator, K_DBL, -1, 1),
    F(bma, K_DBL, -1, 1),
    F(sync_score, K_DBL, 0, 1),
    F(final_score, K_DBL, -1e300, 1e300),
    F(weight, K_DBL, 0, 1),
    F(last_eval_window, K_I64, -1, BIG),
    F(eval_wait, K_I64, 1, BIG),
    F(n_evals, K_I64, 0, BIG),
    F(neg_bits, K_U32, 0, (1u << TPLR_SCORING_HISTORY) - 1),
    F(neg_count, K_INT, 0, TPLR_SCORING_HISTORY),
    F(neg_streak, K_INT, 0, 1e9),
    F(excluded, K_INT, 0, 1),
    F(miss_bits, K_U32, 0, (1u << TPLR_SCORING_HISTORY) - 1),
    F(miss_count, K_INT, 0, TPLR_SCORING_HISTORY),
    F(miss_streak, K_INT, 0, 1e9),
    F(naughty_until, K_I64, -1, BIG),
    F(inactive_since, K_I64, -1, BIG),
};
#define N_UID_FIELDS (sizeof uid_fields / sizeof uid_fields[0])
#undef F

static double get_field(const void *base, const field *f)
{
    const char *p = (const char *)base + f->off;
    switch (f->k) {
    case K_INT: return *(const int *)p;
    case K_I64: return (double)*(const int64_t *)p;
    case K_U32: return *(const uint32_t *)p;
    default: return *(const double *)p;
    }
}

static void set_field(void *base, const field *f, double v)
{
    char *p = (char *)base + f->off;
    switch (f->k) {
    case K_INT: *(int *)p = (int)v; break;
    case K_I64: *(int64_t *)p = (int64_t)v; break;
    case K_U32: *(uint32_t *)p = (uint32_t)v; break;
    default: *(double *)p = v;
    }
}

static json_t *field_json(const void *base, const field *f)
{
    double v = get_field(base, f);
    return f->k == K_DBL ? json_real(v) : json_integer((json_int_t)v);
}

/* A uid worth writing: anything differs from a fresh record. */
static int uid_is_fresh(const tplr_scoring *s, const tplr_uid_score *u)
{
    return !u->known && !u->rated && u->rating.mu == s->cfg.openskill_mu && u->rating.sigma == s->cfg.openskill_sigma &&
           u->gradient_score == 0 && u->binary_indicator == 0 && u->bma == 0 && u->sync_score == 1 &&
           u->final_score == 0 && u->weight == 0 && u->last_eval_window == -1 && u->eval_wait == 1 &&
           u->n_evals == 0 && u->neg_bits == 0 && u->neg_count == 0 && u->neg_streak == 0 && !u->excluded &&
           u->miss_bits == 0 && u->miss_count == 0 && u->miss_streak == 0 && u->naughty_until == -1 &&
           u->inactive_since == -1;
}

tplr_err tplr_scoring_to_json(const tplr_scoring *s, char **out)
{
    *out = NULL;
    if (s->in_window)
        return tplr_fail(TPLR_EINVAL, "scores: cannot save in the middle of window %lld (end it first)",
                         (long long)s->window);
    json_t *o = json_object(), *list = json_array();
    if (!o || !list)
        goto nomem;
    json_object_set_new(o, "format", json_string(TPLR_SCORES_FORMAT));
    json_object_set_new(o, "version", json_integer(TPLR_SCORES_VERSION));
    json_object_set_new(o, "window", json_integer(s->window));
    json_object_set_new(o, "first_window", json_integer(s->first_window));
    json_object_set_new(o, "windows_scored", json_integer(s->windows_scored));
    json_object_set_new(o, "delta_ema", json_real(s->delta_ema));
    for (int uid = 0; uid < TPLR_SCORING_MAX_UIDS; uid++) {
        const tplr_uid_score *u = &s->uid[uid];
        if (uid_is_fresh(s, u))
            continue;
        json_t *r = json_object();
        if (!r)
            goto nomem;
        json_object_set_new(r, "uid", json_integer(uid));
        for (size_t i = 0; i < N_UID_FIELDS; i++)
            json_object_set_new(r, uid_fields[i].name, field_json(u, &uid_fields[i]));
        json_array_append_new(list, r);
    }
    json_object_set_new(o, "uids", list);
    list = NULL;
    *out = json_dumps(o, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(o);
    if (!*out)
        return tplr_fail(TPLR_ENOMEM, "scores: no memory for the JSON text");
    return TPLR_OK;
nomem:
    json_decref(list);
    json_decref(o);
    return tplr_fail(TPLR_ENOMEM, "scores: no memory for the JSON tree");
}

/* A number in [lo, hi]; integral unless is_real. */
static tplr_err read_num(json_t *o, const char *key, int is_real, double lo, double hi, const char *origin,
                         const char *where, double *v)
{
    json_t *j = json_object_get(o, key);
    if (!j || !(is_real ? json_is_number(j) : json_is_integer(j)))
        return tplr_fail(TPLR_EFORMAT, "%s: %s%s must be %s", origin, where, key,
                         is_real ? "a number" : "an integer");
    *v = json_number_value(j);
    if (!isfinite(*v) || *v < lo || *v > hi)
        return tplr_fail(TPLR_EFORMAT, "%s: %s%s = %g is out of range [%g, %g]", origin, where, key, *v, lo, hi);
    return TPLR_OK;
}

static tplr_err only_keys(json_t *o, const char *const *keys, size_t n, const char *origin, const char *where)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (i < n && strcmp(keys[i], k) != 0)
            i++;
        if (i == n)
            return tplr_fail(TPLR_EFORMAT, "%s: %sunknown key '%s'", origin, where, k);
    }
    return TPLR_OK;
}

static tplr_err read_uid(json_t *r, int index, tplr_scoring *t, unsigned char *seen, const char *origin)
{
    char where[48];
    snprintf(where, sizeof where, "uids[%d].", index);
    if (!json_is_object(r))
        return tplr_fail(TPLR_EFORMAT, "%s: uids[%d] must be an object", origin, index);
    const char *keys[N_UID_FIELDS + 1];
    keys[0] = "uid";
    for (size_t i = 0; i < N_UID_FIELDS; i++)
        keys[i + 1] = uid_fields[i].name;
    TPLR_TRY(only_keys(r, keys, N_UID_FIELDS + 1, origin, where));
    double v = 0;
    TPLR_TRY(read_num(r, "uid", 0, 0, TPLR_SCORING_MAX_UIDS - 1, origin, where, &v));
    int uid = (int)v;
    if (seen[uid])
        return tplr_fail(TPLR_EFORMAT, "%s: uid %d appears twice", origin, uid);
    seen[uid] = 1;
    tplr_uid_score *u = &t->uid[uid];
    for (size_t i = 0; i < N_UID_FIELDS; i++) {
        const field *f = &uid_fields[i];
        TPLR_TRY(read_num(r, f->name, f->k == K_DBL, f->lo, f->hi, origin, where, &v));
        set_field(u, f, v);
    }
    if (u->binary_indicator != 0 && u->binary_indicator != 1 && u->binary_indicator != -1)
        return tplr_fail(TPLR_EFORMAT, "%s: %sbinary_indicator must be -1, 0 or 1", origin, where);
    if (u->neg_bits >> u->neg_count || u->miss_bits >> u->miss_count)
        return tplr_fail(TPLR_EFORMAT, "%s: %sneg_bits / miss_bits hold more entries than neg_count / miss_count",
                         origin, where);
    if (u->neg_streak > u->n_evals)
        return tplr_fail(TPLR_EFORMAT, "%s: %sneg_streak exceeds n_evals", origin, where);
    if (u->last_eval_window > t->window || u->inactive_since > t->window)
        return tplr_fail(TPLR_EFORMAT, "%s: %sa window after the file's window %lld", origin, where,
                         (long long)t->window);
    return TPLR_OK;
}

tplr_err tplr_scoring_from_json(tplr_scoring *s, const char *json, size_t len, const char *origin)
{
    json_error_t jerr;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        return tplr_fail(TPLR_EFORMAT, "%s: not JSON (line %d: %s)", origin, jerr.line, jerr.text);
    tplr_scoring *t = NULL;
    tplr_err e = TPLR_OK;
    if (!json_is_object(o)) {
        e = tplr_fail(TPLR_EFORMAT, "%s: the top level must be an object", origin);
        goto out;
    }
    static const char *const top[] = {"format", "version", "window", "first_window", "windows_scored", "delta_ema",
                                      "uids"};
    if ((e = only_keys(o, top, sizeof top / sizeof top[0], origin, "")) != TPLR_OK)
        goto out;
    const char *fmt = json_string_value(json_object_get(o, "format"));
    if (!fmt || strcmp(fmt, TPLR_SCORES_FORMAT) != 0) {
        e = tplr_fail(TPLR_EFORMAT, "%s: format must be \"%s\" (is this a scores file?)", origin, TPLR_SCORES_FORMAT);
        goto out;
    }
    double v = 0;
    if ((e = read_num(o, "version", 0, -BIG, BIG, origin, "", &v)) != TPLR_OK)
        goto out;
    if (v != TPLR_SCORES_VERSION) {
        e = tplr_fail(TPLR_EMISMATCH, "%s: version %g, this tplr reads version %d", origin, v, TPLR_SCORES_VERSION);
        goto out;
    }
    if ((e = tplr_scoring_create(&s->cfg, &t)) != TPLR_OK)
        goto out;
    if ((e = read_num(o, "window", 0, -1, BIG, origin, "", &v)) != TPLR_OK)
        goto out;
    t->window = (int64_t)v;
    if ((e = read_num(o, "first_window", 0, -1, (double)t->window, origin, "", &v)) != TPLR_OK)
        goto out;
    t->first_window = (int64_t)v;
    if ((e = read_num(o, "windows_scored", 0, 0, BIG, origin, "", &v)) != TPLR_OK)
        goto out;
    t->windows_scored = (int64_t)v;
    if ((t->first_window < 0) != (t->window < 0) ||
        (t->first_window >= 0 && t->windows_scored > t->window - t->first_window + 1)) {
        e = tplr_fail(TPLR_EFORMAT, "%s: window, first_window and windows_scored disagree", origin);
        goto out;
    }
    if ((e = read_num(o, "delta_ema", 1, 0, 1e300, origin, "", &v)) != TPLR_OK)
        goto out;
    t->delta_ema = v;
    json_t *list = json_object_get(o, "uids");
    if (!json_is_array(list) || json_array_size(list) > TPLR_SCORING_MAX_UIDS) {
        e = tplr_fail(TPLR_EFORMAT, "%s: uids must be an array of at most %d records", origin, TPLR_SCORING_MAX_UIDS);
        goto out;
    }
    unsigned char seen[TPLR_SCORING_MAX_UIDS];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < json_array_size(list); i++)
        if ((e = read_uid(json_array_get(list, i), (int)i, t, seen, origin)) != TPLR_OK)
            goto out;
    memcpy(s, t, sizeof *s);
out:
    tplr_scoring_free(t);
    json_decref(o);
    return e;
}

tplr_err tplr_scoring_save(const tplr_scoring *s, const char *path)
{
    char *text;
    TPLR_TRY(tplr_scoring_to_json(s, &text));
    tplr_err e = tplr_write_file_atomic(path, text, strlen(text));
    free(text);
    if (e != TPLR_OK)
        return tplr_fail_ctx(e, "saving scores to %s", path);
    return TPLR_OK;
}

tplr_err tplr_scoring_load(tplr_scoring *s, const char *path)
{
    char *text;
    size_t len;
    TPLR_TRY(tplr_read_file(path, TPLR_SCORES_MAX_BYTES, &text, &len));
    tplr_err e = tplr_scoring_from_json(s, text, len, path);
    free(text);
    return e;
}
