/* The signed submission request: parse, canonical text, verify, build. */
#include "tplr/tour_request.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/address.h"
#include "tplr/hash.h"

static const char *const known_keys[] = {"version", "hotkey", "code", "payment", "timestamp_ms", "nonce", "signature"};

static tplr_err field_hex(json_t *o, const char *key, unsigned char *out, size_t n)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return tplr_fail(TPLR_EFORMAT, "field \"%s\" must be a string of %zu hexadecimal digits", key, 2 * n);
    if (tplr_hex_decode(out, n, json_string_value(v), json_string_length(v)))
        return tplr_fail(TPLR_EFORMAT, "field \"%s\" must be exactly %zu hexadecimal digits", key, 2 * n);
    return TPLR_OK;
}

static tplr_err field_uint(json_t *o, const char *key, uint64_t max, uint64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return tplr_fail(TPLR_EFORMAT, "field \"%s\" must be an integer from 0 to %llu", key, (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return TPLR_OK;
}

static tplr_err parse_payment(json_t *p, tplr_tour_request *r)
{
    if (json_is_null(p) || !p)
        return TPLR_OK;
    if (!json_is_object(p) || json_object_size(p) != 2)
        return tplr_fail(TPLR_EFORMAT, "field \"payment\" must be null or {\"block\": B, \"index\": I} and nothing else");
    uint64_t block, index;
    if (field_uint(p, "block", INT64_MAX, &block) || field_uint(p, "index", UINT32_MAX, &index))
        return tplr_fail_ctx(TPLR_EFORMAT, "payment");
    r->has_payment = 1;
    r->pay_block = block;
    r->pay_index = (uint32_t)index;
    return TPLR_OK;
}

static tplr_err parse_fields(json_t *o, tplr_tour_request *r)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        size_t k = 0;
        while (k < sizeof known_keys / sizeof known_keys[0] && strcmp(key, known_keys[k]))
            k++;
        if (k == sizeof known_keys / sizeof known_keys[0])
            return tplr_fail(TPLR_EFORMAT, "unknown field \"%.40s\": a submission has version, hotkey, code, payment, "
                             "timestamp_ms, nonce and signature", key);
    }
    uint64_t version = 0;
    TPLR_TRY(field_uint(o, "version", 1000, &version));
    if (version != TPLR_TOUR_REQUEST_VERSION)
        return tplr_fail(TPLR_EFORMAT, "field \"version\" is %llu; this server reads version %d",
                         (unsigned long long)version, TPLR_TOUR_REQUEST_VERSION);
    json_t *hk = json_object_get(o, "hotkey");
    if (!json_is_string(hk))
        return tplr_fail(TPLR_EFORMAT, "field \"hotkey\" must be an address string");
    if (tplr_address_decode(json_string_value(hk), json_string_length(hk), r->hotkey))
        return tplr_fail_ctx(TPLR_EFORMAT, "field \"hotkey\"");
    json_t *code = json_object_get(o, "code");
    if (!json_is_string(code))
        return tplr_fail(TPLR_EFORMAT, "field \"code\" must be a string holding the C source");
    size_t n = json_string_length(code);
    if (n == 0 || n > TPLR_TOUR_CODE_MAX)
        return tplr_fail(TPLR_EFORMAT, "field \"code\" must hold 1 to %d bytes of source, not %zu", TPLR_TOUR_CODE_MAX, n);
    if (memchr(json_string_value(code), '\0', n))
        return tplr_fail(TPLR_EFORMAT, "field \"code\" contains a NUL character");
    TPLR_TRY(parse_payment(json_object_get(o, "payment"), r));
    TPLR_TRY(field_uint(o, "timestamp_ms", INT64_MAX, &r->timestamp_ms));
    TPLR_TRY(field_hex(o, "nonce", r->nonce, TPLR_TOUR_NONCE));
    TPLR_TRY(field_hex(o, "signature", r->signature, TPLR_KEY_SIGNATURE));
    r->code = malloc(n + 1);
    if (!r->code)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    memcpy(r->code, json_string_value(code), n + 1);
    r->code_len = n;
    return tplr_sha256(r->code_sha256, r->code, n);
}

tplr_err tplr_tour_request_parse(const char *body, size_t len, tplr_tour_request *r)
{
    memset(r, 0, sizeof *r);
    if (len > TPLR_TOUR_BODY_MAX)
        return tplr_fail(TPLR_ETOOLARGE, "the request is %zu bytes; at most %d are read", len, TPLR_TOUR_BODY_MAX);
    json_error_t je;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return tplr_fail(TPLR_EFORMAT, "the body is not JSON: %s at byte %d", je.text, je.position);
    tplr_err e = json_is_object(o) ? parse_fields(o, r)
                                   : tplr_fail(TPLR_EFORMAT, "the body must be a JSON object");
    json_decref(o);
    if (e)
        tplr_tour_request_free(r);
    return e;
}

void tplr_tour_request_free(tplr_tour_request *r)
{
    free(r->code);
    r->code = NULL;
    r->code_len = 0;
}

size_t tplr_tour_request_message(const tplr_tour_request *r, char out[TPLR_TOUR_MESSAGE_MAX])
{
    char addr[TPLR_ADDRESS_MAX], sha[65], nonce[2 * TPLR_TOUR_NONCE + 1], pay[48];
    tplr_address_encode(r->hotkey, addr);
    tplr_hex(sha, r->code_sha256, 32);
    tplr_hex(nonce, r->nonce, TPLR_TOUR_NONCE);
    if (r->has_payment)
        snprintf(pay, sizeof pay, "%llu-%u", (unsigned long long)r->pay_block, r->pay_index);
    else
        snprintf(pay, sizeof pay, "none");
    int n = snprintf(out, TPLR_TOUR_MESSAGE_MAX, "%s\nhotkey=%s\ncode_sha256=%s\npayment=%s\ntimestamp_ms=%llu\nnonce=%s\n",
                     TPLR_TOUR_DOMAIN, addr, sha, pay, (unsigned long long)r->timestamp_ms, nonce);
    return (size_t)n;
}

int tplr_tour_request_verify(const tplr_tour_request *r)
{
    char msg[TPLR_TOUR_MESSAGE_MAX];
    size_t n = tplr_tour_request_message(r, msg);
    return tplr_key_verify(r->signature, msg, n, r->hotkey);
}

tplr_err tplr_tour_request_make(const char *code, size_t code_len, const tplr_keypair *hotkey, int has_payment,
                                uint64_t pay_block, uint32_t pay_index, uint64_t timestamp_ms, tplr_tour_request *r)
{
    memset(r, 0, sizeof *r);
    if (code_len == 0 || code_len > TPLR_TOUR_CODE_MAX || memchr(code, '\0', code_len))
        return tplr_fail(TPLR_EINVAL, "the source must be 1 to %d bytes of text without NUL characters (it is %zu bytes)",
                         TPLR_TOUR_CODE_MAX, code_len);
    if (has_payment && (pay_block > INT64_MAX))
        return tplr_fail(TPLR_EINVAL, "the payment's block %llu is out of range", (unsigned long long)pay_block);
    r->code = malloc(code_len + 1);
    if (!r->code)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    memcpy(r->code, code, code_len);
    r->code[code_len] = '\0';
    r->code_len = code_len;
    memcpy(r->hotkey, hotkey->pk, 32);
    r->has_payment = has_payment;
    r->pay_block = pay_block;
    r->pay_index = pay_index;
    r->timestamp_ms = timestamp_ms;
    randombytes_buf(r->nonce, sizeof r->nonce);
    char msg[TPLR_TOUR_MESSAGE_MAX];
    tplr_err e = tplr_sha256(r->code_sha256, code, code_len);
    if (!e)
        e = tplr_key_sign(r->signature, msg, tplr_tour_request_message(r, msg), hotkey->sk);
    if (e)
        tplr_tour_request_free(r);
    return e;
}

char *tplr_tour_request_to_json(const tplr_tour_request *r)
{
    char addr[TPLR_ADDRESS_MAX], nonce[2 * TPLR_TOUR_NONCE + 1], sig[2 * TPLR_KEY_SIGNATURE + 1];
    tplr_address_encode(r->hotkey, addr);
    tplr_hex(nonce, r->nonce, TPLR_TOUR_NONCE);
    tplr_hex(sig, r->signature, TPLR_KEY_SIGNATURE);
    json_t *pay = r->has_payment ? json_pack("{s:I, s:I}", "block", (json_int_t)r->pay_block, "index",
                                             (json_int_t)r->pay_index)
                                 : json_null();
    json_t *o = json_pack("{s:i, s:s, s:s%, s:o, s:I, s:s, s:s}", "version", TPLR_TOUR_REQUEST_VERSION, "hotkey", addr,
                          "code", r->code, r->code_len, "payment", pay, "timestamp_ms", (json_int_t)r->timestamp_ms,
                          "nonce", nonce, "signature", sig);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return s;
}
