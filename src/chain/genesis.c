#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/address.h"
#include "tplr/fileio.h"
#include "tplr/hash.h"
#include "tplr/ledger.h"
#include "tplr/wallet.h"

#define GENESIS_FORMAT "tplr-genesis"
#define GENESIS_VERSION 1
#define GENESIS_MAX_BYTES (64u << 20)
#define EMISSION_TOTAL_MAX (1ull << 53) /* tempo * block_emission: exact in a double */

typedef enum { P_U16, P_U32, P_U64, P_REAL } param_kind;

/* Every parameter: its JSON name, where it lives, its type and range. */
static const struct param {
    const char *name;
    size_t offset;
    param_kind kind;
    double lo, hi;
} params[] = {
#define P(field, kind, lo, hi) {#field, offsetof(tplr_subnet_params, field), kind, lo, hi}
    P(netuid, P_U16, 0, 65535),
    P(max_uids, P_U32, 1, TPLR_WEIGHTS_MAX),
    P(tempo, P_U32, 1, 1e6),
    P(immunity_period, P_U32, 0, 1e9),
    P(weights_rate_limit, P_U32, 0, 1e9),
    P(registration_cost, P_U64, 0, 9.2e18),
    P(max_validators, P_U32, 1, TPLR_WEIGHTS_MAX),
    P(min_validator_stake, P_U64, 0, 9.2e18),
    P(activity_cutoff, P_U32, 1, 1e9),
    P(request_validity, P_U32, 1, 1e6),
    P(block_emission, P_U64, 0, 9.2e18),
    P(kappa, P_REAL, 0, 1),
    P(bonds_alpha, P_REAL, 0, 1),
#undef P
};
#define N_PARAMS (sizeof params / sizeof params[0])

void tplr_genesis_default(tplr_genesis *g)
{
    memset(g, 0, sizeof *g);
    strcpy(g->network, "local");
    g->params = (tplr_subnet_params){
        .netuid = 3,
        .max_uids = 256,
        .tempo = 360,
        .immunity_period = 5000,
        .weights_rate_limit = 100,
        .registration_cost = 1000000000,
        .max_validators = 64,
        .min_validator_stake = 1,
        .activity_cutoff = 5000,
        .request_validity = 64,
        .block_emission = 1000000000,
        .kappa = 0.5,
        .bonds_alpha = 0.1,
    };
}

static tplr_err set_param(tplr_subnet_params *p, const struct param *d, json_t *v, const char *name)
{
    char *dst = (char *)p + d->offset;
    if (d->kind == P_REAL) {
        if (!json_is_number(v) || !(json_number_value(v) > d->lo) || json_number_value(v) > d->hi)
            return tplr_fail(TPLR_EFORMAT, "%s: params.%s must be a number above %g and at most %g", name, d->name,
                             d->lo, d->hi);
        *(double *)dst = json_number_value(v);
        return TPLR_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < d->lo || (double)json_integer_value(v) > d->hi)
        return tplr_fail(TPLR_EFORMAT, "%s: params.%s must be an integer from %.0f to %.0f", name, d->name, d->lo,
                         d->hi);
    json_int_t x = json_integer_value(v);
    if (d->kind == P_U16)
        *(uint16_t *)dst = (uint16_t)x;
    else if (d->kind == P_U32)
        *(uint32_t *)dst = (uint32_t)x;
    else
        *(uint64_t *)dst = (uint64_t)x;
    return TPLR_OK;
}

static tplr_err parse_params(json_t *obj, const char *name, tplr_subnet_params *p)
{
    if (!json_is_object(obj))
        return tplr_fail(TPLR_EFORMAT, "%s: 'params' must be an object", name);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        const struct param *d = NULL;
        for (size_t i = 0; i < N_PARAMS && !d; i++)
            if (!strcmp(params[i].name, key))
                d = &params[i];
        if (!d)
            return tplr_fail(TPLR_EFORMAT, "%s: unknown parameter '%.64s' (see docs/formats.md, \"Genesis file\")",
                             name, key);
        TPLR_TRY(set_param(p, d, v, name));
    }
    if (p->block_emission > EMISSION_TOTAL_MAX / p->tempo)
        return tplr_fail(TPLR_EFORMAT, "%s: block_emission x tempo must stay below 2^53", name);
    return TPLR_OK;
}

static tplr_err parse_balances(json_t *arr, const char *name, tplr_genesis *g)
{
    if (!json_is_array(arr))
        return tplr_fail(TPLR_EFORMAT, "%s: 'balances' must be an array", name);
    size_t n = json_array_size(arr);
    g->balances = calloc(n ? n : 1, sizeof *g->balances);
    if (!g->balances)
        return tplr_fail(TPLR_ENOMEM, "%s: out of memory", name);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *b = json_array_get(arr, i), *addr = json_object_get(b, "address"), *amt = json_object_get(b, "amount");
        if (!json_is_object(b) || json_object_size(b) != 2 || !json_is_string(addr) || !json_is_integer(amt))
            return tplr_fail(TPLR_EFORMAT, "%s: balances[%zu] must be {\"address\": ..., \"amount\": ...}", name, i);
        tplr_genesis_balance *gb = &g->balances[i];
        if (tplr_address_decode(json_string_value(addr), json_string_length(addr), gb->key))
            return tplr_fail_ctx(TPLR_EFORMAT, "%s: balances[%zu]", name, i);
        if (json_integer_value(amt) < 1)
            return tplr_fail(TPLR_EFORMAT, "%s: balances[%zu].amount must be a positive integer", name, i);
        gb->amount = (uint64_t)json_integer_value(amt);
        if (gb->amount > (uint64_t)INT64_MAX - total)
            return tplr_fail(TPLR_EFORMAT, "%s: the balances add up to more than 2^63-1 base units", name);
        total += gb->amount;
        for (size_t k = 0; k < i; k++)
            if (!memcmp(g->balances[k].key, gb->key, 32))
                return tplr_fail(TPLR_EFORMAT, "%s: balances[%zu] repeats the address of balances[%zu]", name, i, k);
        g->n_balances = (int)i + 1;
    }
    return TPLR_OK;
}

static tplr_err parse_root(json_t *root, const char *name, tplr_genesis *g)
{
    if (!json_is_object(root))
        return tplr_fail(TPLR_EFORMAT, "%s: a genesis file is a JSON object", name);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "format") && strcmp(key, "version") && strcmp(key, "network") && strcmp(key, "params") &&
            strcmp(key, "balances"))
            return tplr_fail(TPLR_EFORMAT, "%s: unknown field '%.64s'", name, key);
    }
    v = json_object_get(root, "format");
    if (!json_is_string(v) || strcmp(json_string_value(v), GENESIS_FORMAT))
        return tplr_fail(TPLR_EFORMAT, "%s: not a genesis file (\"format\" must be \"%s\")", name, GENESIS_FORMAT);
    v = json_object_get(root, "version");
    if (!json_is_integer(v) || json_integer_value(v) != GENESIS_VERSION)
        return tplr_fail(TPLR_EFORMAT, "%s: genesis version must be %d", name, GENESIS_VERSION);
    v = json_object_get(root, "network");
    if (v) {
        if (!json_is_string(v) || json_string_length(v) < 1 || json_string_length(v) >= sizeof g->network ||
            tplr_wallet_check_name("network", json_string_value(v)) != TPLR_OK)
            return tplr_fail(TPLR_EFORMAT, "%s: 'network' must be 1 to 64 letters, digits, '_', '.' or '-'", name);
        strcpy(g->network, json_string_value(v));
    }
    if ((v = json_object_get(root, "params")))
        TPLR_TRY(parse_params(v, name, &g->params));
    if ((v = json_object_get(root, "balances")))
        TPLR_TRY(parse_balances(v, name, g));
    return TPLR_OK;
}

tplr_err tplr_genesis_parse(const char *text, size_t len, const char *name, tplr_genesis *g)
{
    tplr_genesis_default(g);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tplr_fail(TPLR_EFORMAT, "%s: not JSON (line %d: %s)", name, jerr.line, jerr.text);
    tplr_err e = parse_root(root, name, g);
    json_decref(root);
    if (e)
        tplr_genesis_free(g);
    return e;
}

tplr_err tplr_genesis_set_param(tplr_genesis *g, const char *name, const char *value)
{
    json_t *v = json_loads(value, JSON_DECODE_ANY, NULL), *obj = json_object();
    json_object_set_new(obj, name, v ? v : json_string(value));
    tplr_subnet_params p = g->params;
    tplr_err e = parse_params(obj, "--set", &p);
    json_decref(obj);
    if (!e)
        g->params = p;
    return e;
}

tplr_err tplr_genesis_add_balance(tplr_genesis *g, const unsigned char key[32], uint64_t amount)
{
    uint64_t total = 0;
    for (int i = 0; i < g->n_balances; i++) {
        if (!memcmp(g->balances[i].key, key, 32))
            return tplr_fail(TPLR_EINVAL, "this address already has a genesis balance");
        total += g->balances[i].amount;
    }
    if (amount < 1 || amount > (uint64_t)INT64_MAX - total)
        return tplr_fail(TPLR_EINVAL, "genesis balances are positive and add up to at most 2^63-1 base units");
    void *grown = realloc(g->balances, sizeof *g->balances * (size_t)(g->n_balances + 1));
    if (!grown)
        return tplr_fail(TPLR_ENOMEM, "genesis: out of memory");
    g->balances = grown;
    memcpy(g->balances[g->n_balances].key, key, 32);
    g->balances[g->n_balances++].amount = amount;
    return TPLR_OK;
}

tplr_err tplr_genesis_load(const char *path, tplr_genesis *g)
{
    char *text;
    size_t len;
    TPLR_TRY(tplr_read_file(path, GENESIS_MAX_BYTES, &text, &len));
    tplr_err e = tplr_genesis_parse(text, len, path, g);
    free(text);
    return e;
}

char *tplr_genesis_to_json(const tplr_genesis *g)
{
    json_t *root = json_object(), *p = json_object(), *bal = json_array();
    json_object_set_new(root, "format", json_string(GENESIS_FORMAT));
    json_object_set_new(root, "version", json_integer(GENESIS_VERSION));
    json_object_set_new(root, "network", json_string(g->network));
    for (size_t i = 0; i < N_PARAMS; i++) {
        const char *src = (const char *)&g->params + params[i].offset;
        json_t *v = params[i].kind == P_U16   ? json_integer(*(const uint16_t *)src)
                    : params[i].kind == P_U32 ? json_integer(*(const uint32_t *)src)
                    : params[i].kind == P_U64 ? json_integer((json_int_t) * (const uint64_t *)src)
                                              : json_real(*(const double *)src);
        json_object_set_new(p, params[i].name, v);
    }
    json_object_set_new(root, "params", p);
    for (int i = 0; i < g->n_balances; i++) {
        char a[TPLR_ADDRESS_MAX];
        tplr_address_encode(g->balances[i].key, a);
        json_t *b = json_object();
        json_object_set_new(b, "address", json_string(a));
        json_object_set_new(b, "amount", json_integer((json_int_t)g->balances[i].amount));
        json_array_append_new(bal, b);
    }
    json_object_set_new(root, "balances", bal);
    char *s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    return s;
}

tplr_err tplr_genesis_chain_id(const tplr_genesis *g, unsigned char id[32])
{
    static const char tag[] = "tplr-genesis/1";
    char *json = tplr_genesis_to_json(g);
    if (!json)
        return tplr_fail(TPLR_ENOMEM, "genesis: out of memory");
    tplr_blake2b_state h;
    tplr_blake2b_init(&h, 32);
    tplr_blake2b_update(&h, tag, sizeof tag - 1);
    tplr_blake2b_update(&h, json, strlen(json));
    tplr_blake2b_final(&h, id);
    free(json);
    return TPLR_OK;
}

void tplr_genesis_free(tplr_genesis *g)
{
    free(g->balances);
    g->balances = NULL;
    g->n_balances = 0;
}
