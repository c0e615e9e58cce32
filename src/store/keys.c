/* The network's object keys and their retention. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tplr/store_keys.h"

#define MAX_VERSION 32

tplr_err tplr_key_check_version(const char *v)
{
    size_t n = v ? strlen(v) : 0;
    if (n == 0 || n > MAX_VERSION || v[0] == '.' ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+") != n)
        return tplr_fail(TPLR_EINVAL,
                         "version tag '%s': 1 to %d letters, digits, '.', '_' or '+', not starting with '.'",
                         v ? v : "", MAX_VERSION);
    return TPLR_OK;
}

static tplr_err format_key(char *out, size_t cap, const char *version, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static tplr_err format_key(char *out, size_t cap, const char *version, const char *fmt, ...)
{
    TPLR_TRY(tplr_key_check_version(version));
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap)
        return tplr_fail(TPLR_EINVAL, "object key longer than %zu bytes", cap ? cap - 1 : 0);
    return TPLR_OK;
}

tplr_err tplr_key_gradient(char *out, size_t cap, uint64_t window, uint64_t uid, const char *version)
{
    return format_key(out, cap, version, "gradient-%llu-%llu-v%s" TPLR_KEY_CONTAINER_SUFFIX,
                      (unsigned long long)window, (unsigned long long)uid, version);
}

tplr_err tplr_key_aggregator(char *out, size_t cap, uint64_t window, const char *version)
{
    return format_key(out, cap, version, "aggregator-%llu-v%s" TPLR_KEY_CONTAINER_SUFFIX, (unsigned long long)window,
                      version);
}

tplr_err tplr_key_debug(char *out, size_t cap, uint64_t window, uint64_t uid, const char *version)
{
    return format_key(out, cap, version, "debug-%llu-%llu-v%s" TPLR_KEY_JSON_SUFFIX, (unsigned long long)window,
                      (unsigned long long)uid, version);
}

tplr_err tplr_key_peers(char *out, size_t cap, uint64_t first_effective_window, const char *version)
{
    return format_key(out, cap, version, "peers_%llu_v%s" TPLR_KEY_JSON_SUFFIX,
                      (unsigned long long)first_effective_window, version);
}

tplr_err tplr_key_start_window(char *out, size_t cap, const char *version)
{
    return format_key(out, cap, version, "start_window_v%s" TPLR_KEY_JSON_SUFFIX, version);
}

tplr_err tplr_key_checkpoint(char *out, size_t cap, const char *version, uint64_t window, const char *file)
{
    if (!file || !*file || strchr(file, '/') || !strcmp(file, ".") || !strcmp(file, ".."))
        return tplr_fail(TPLR_EINVAL, "checkpoint file name '%s' must be one path segment", file ? file : "");
    TPLR_TRY(format_key(out, cap, version, "checkpoints/%s/%llu/%s", version, (unsigned long long)window, file));
    return tplr_store_check_key(out);
}

tplr_err tplr_key_checkpoint_latest(char *out, size_t cap, const char *version)
{
    return format_key(out, cap, version, "checkpoints/%s/_LATEST.json", version);
}

/* A decimal number without sign or leading zeros (but "0") at *p, up to stop. */
static int parse_number(const char **p, char stop, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    size_t n = 0;
    for (; s[n] >= '0' && s[n] <= '9'; n++) {
        uint64_t d = (uint64_t)(s[n] - '0');
        if (n >= 20 || v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (n == 0 || (n > 1 && s[0] == '0') || s[n] != stop)
        return 0;
    *out = v;
    *p = s + n + 1;
    return 1;
}

int tplr_key_parse_miner(const char *key, tplr_key_kind *kind, uint64_t *window, uint64_t *uid, char *version,
                         size_t version_cap)
{
    const char *suffix;
    if (!strncmp(key, "gradient-", 9)) {
        *kind = TPLR_KEY_GRADIENT;
        key += 9;
        suffix = TPLR_KEY_CONTAINER_SUFFIX;
    } else if (!strncmp(key, "debug-", 6)) {
        *kind = TPLR_KEY_DEBUG;
        key += 6;
        suffix = TPLR_KEY_JSON_SUFFIX;
    } else {
        return 0;
    }
    if (!parse_number(&key, '-', window) || !parse_number(&key, '-', uid) || *key++ != 'v')
        return 0;
    size_t n = strlen(key), sn = strlen(suffix);
    if (n <= sn || strcmp(key + n - sn, suffix) != 0 || n - sn >= version_cap)
        return 0;
    memcpy(version, key, n - sn);
    version[n - sn] = '\0';
    if (tplr_key_check_version(version) != TPLR_OK) {
        tplr_err_clear();
        return 0;
    }
    return 1;
}

tplr_err tplr_store_prune_own(tplr_store *s, uint64_t uid, const char *version, uint64_t current_window,
                              uint64_t keep_windows, int *deleted)
{
    TPLR_TRY(tplr_key_check_version(version));
    if (deleted)
        *deleted = 0;
    if (current_window <= keep_windows)
        return TPLR_OK;
    uint64_t oldest_kept = current_window - keep_windows;
    static const char *const prefixes[] = {"gradient-", "debug-"};
    for (int p = 0; p < 2; p++) {
        tplr_obj_list list;
        TPLR_TRY(tplr_store_list(s, prefixes[p], &list));
        tplr_err e = TPLR_OK;
        for (size_t i = 0; !e && i < list.n; i++) {
            tplr_key_kind kind;
            uint64_t w, u;
            char v[MAX_VERSION + 1];
            if (!tplr_key_parse_miner(list.items[i].key, &kind, &w, &u, v, sizeof v) || u != uid ||
                strcmp(v, version) != 0 || w >= oldest_kept)
                continue;
            e = tplr_store_delete(s, list.items[i].key);
            if (!e && deleted)
                (*deleted)++;
        }
        tplr_obj_list_free(&list);
        TPLR_TRY(e);
    }
    return TPLR_OK;
}
