#include "keyfile.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "tplr/address.h"
#include "tplr/hash.h"
#include "tplr/wallet.h"

#define SALT_BYTES crypto_pwhash_SALTBYTES
#define NONCE_BYTES crypto_secretbox_NONCEBYTES
#define BOX_BYTES (TPLR_KEY_SEED + crypto_secretbox_MACBYTES)
#define OPSLIMIT_MAX 64
#define MEMLIMIT_MAX (1u << 30)

static void hex_field(json_t *obj, const char *key, const unsigned char *bytes, size_t n)
{
    char hex[2 * 64 + 1];
    tplr_hex(hex, bytes, n);
    json_object_set_new(obj, key, json_string(hex));
    sodium_memzero(hex, sizeof hex);
}

static tplr_err derive_box_key(unsigned char key[crypto_secretbox_KEYBYTES], const char *passphrase,
                               const unsigned char salt[SALT_BYTES], unsigned long long ops, size_t mem)
{
    if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase), salt, ops, mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return tplr_fail(TPLR_ENOMEM, "Argon2id needs %zu MiB of memory and could not get it", mem >> 20);
    return TPLR_OK;
}

static tplr_err encrypted_object(json_t *root, const unsigned char seed[TPLR_KEY_SEED], const char *passphrase)
{
    unsigned char salt[SALT_BYTES], nonce[NONCE_BYTES], key[crypto_secretbox_KEYBYTES], box[BOX_BYTES];
    randombytes_buf(salt, sizeof salt);
    randombytes_buf(nonce, sizeof nonce);
    TPLR_TRY(derive_box_key(key, passphrase, salt, KEYFILE_OPSLIMIT, KEYFILE_MEMLIMIT));
    crypto_secretbox_easy(box, seed, TPLR_KEY_SEED, nonce, key);
    sodium_memzero(key, sizeof key);
    json_t *enc = json_object();
    json_object_set_new(enc, "kdf", json_string("argon2id13"));
    json_object_set_new(enc, "opslimit", json_integer(KEYFILE_OPSLIMIT));
    json_object_set_new(enc, "memlimit", json_integer(KEYFILE_MEMLIMIT));
    hex_field(enc, "salt", salt, sizeof salt);
    json_object_set_new(enc, "cipher", json_string("xsalsa20poly1305"));
    hex_field(enc, "nonce", nonce, sizeof nonce);
    hex_field(enc, "ciphertext", box, sizeof box);
    json_object_set_new(root, "encrypted", enc);
    return TPLR_OK;
}

tplr_err keyfile_render(const char *kind, const unsigned char seed[TPLR_KEY_SEED], const char *passphrase,
                        char **json)
{
    tplr_keypair kp;
    TPLR_TRY(tplr_keypair_from_seed(seed, &kp));
    char address[TPLR_ADDRESS_MAX];
    tplr_address_encode(kp.pk, address);
    json_t *root = json_object();
    json_object_set_new(root, "format", json_string(KEYFILE_FORMAT));
    json_object_set_new(root, "version", json_integer(KEYFILE_VERSION));
    json_object_set_new(root, "kind", json_string(kind));
    hex_field(root, "public_key", kp.pk, sizeof kp.pk);
    json_object_set_new(root, "address", json_string(address));
    tplr_secret_wipe(&kp, sizeof kp);
    tplr_err e = TPLR_OK;
    if (passphrase && *passphrase)
        e = encrypted_object(root, seed, passphrase);
    else
        hex_field(root, "seed", seed, TPLR_KEY_SEED);
    *json = e ? NULL : json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    /* the seed's hex copy inside root is freed below; jansson does not wipe it */
    json_t *s = json_object_get(root, "seed");
    if (s)
        sodium_memzero((void *)json_string_value(s), json_string_length(s));
    json_decref(root);
    if (!e && !*json)
        e = tplr_fail(TPLR_ENOMEM, "rendering a key file: out of memory");
    return e;
}

/* Field access that names the file and field in every failure. */
typedef struct reader {
    const char *path;
    json_t *obj;
} reader;

static tplr_err get_str(const reader *r, const char *key, const char **out)
{
    json_t *v = json_object_get(r->obj, key);
    if (!json_is_string(v))
        return tplr_fail(TPLR_EFORMAT, "%s: field '%s' is missing or not a string", r->path, key);
    *out = json_string_value(v);
    return TPLR_OK;
}

static tplr_err get_hex(const reader *r, const char *key, unsigned char *out, size_t n)
{
    json_t *v = json_object_get(r->obj, key);
    if (!json_is_string(v) || tplr_hex_decode(out, n, json_string_value(v), json_string_length(v)))
        return tplr_fail(TPLR_EFORMAT, "%s: field '%s' must hold %zu hexadecimal digits", r->path, key, 2 * n);
    return TPLR_OK;
}

static tplr_err get_int(const reader *r, const char *key, long long lo, long long hi, long long *out)
{
    json_t *v = json_object_get(r->obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return tplr_fail(TPLR_EFORMAT, "%s: field '%s' must be an integer from %lld to %lld", r->path, key, lo, hi);
    *out = json_integer_value(v);
    return TPLR_OK;
}

static tplr_err only_fields(const reader *r, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(r->obj, key, v) {
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++)
            known = !strcmp(*a, key);
        if (!known)
            return tplr_fail(TPLR_EFORMAT, "%s: unknown field '%s'", r->path, key);
    }
    return TPLR_OK;
}

static tplr_err decrypt_seed(const reader *r, const char *passphrase, unsigned char seed[TPLR_KEY_SEED])
{
    static const char *const fields[] = {"kdf", "opslimit", "memlimit", "salt", "cipher", "nonce", "ciphertext", NULL};
    TPLR_TRY(only_fields(r, fields));
    const char *kdf = NULL, *cipher = NULL;
    TPLR_TRY(get_str(r, "kdf", &kdf));
    TPLR_TRY(get_str(r, "cipher", &cipher));
    if (strcmp(kdf, "argon2id13") || strcmp(cipher, "xsalsa20poly1305"))
        return tplr_fail(TPLR_EFORMAT, "%s: unknown encryption %s + %s (this tplr knows argon2id13 + "
                         "xsalsa20poly1305)", r->path, kdf, cipher);
    long long ops = 0, mem = 0;
    TPLR_TRY(get_int(r, "opslimit", crypto_pwhash_OPSLIMIT_MIN, OPSLIMIT_MAX, &ops));
    TPLR_TRY(get_int(r, "memlimit", crypto_pwhash_MEMLIMIT_MIN, MEMLIMIT_MAX, &mem));
    unsigned char salt[SALT_BYTES], nonce[NONCE_BYTES], box[BOX_BYTES], key[crypto_secretbox_KEYBYTES];
    TPLR_TRY(get_hex(r, "salt", salt, sizeof salt));
    TPLR_TRY(get_hex(r, "nonce", nonce, sizeof nonce));
    TPLR_TRY(get_hex(r, "ciphertext", box, sizeof box));
    if (!seed)
        return TPLR_OK;
    if (!passphrase || !*passphrase)
        return tplr_fail(TPLR_EINVAL, "%s is encrypted: give its passphrase (set %s, or run the command at a "
                         "terminal to be asked)", r->path, TPLR_PASSPHRASE_ENV);
    TPLR_TRY(derive_box_key(key, passphrase, salt, (unsigned long long)ops, (size_t)mem));
    int bad = crypto_secretbox_open_easy(seed, box, sizeof box, nonce, key);
    sodium_memzero(key, sizeof key);
    if (bad)
        return tplr_fail(TPLR_EINVAL, "%s: wrong passphrase (or the file was altered)", r->path);
    return TPLR_OK;
}

static tplr_err parse_root(const reader *r, const char *kind, const char *passphrase, keyfile_info *info,
                           unsigned char seed[TPLR_KEY_SEED])
{
    static const char *const fields[] = {"format", "version", "kind", "public_key", "address", "seed", "encrypted",
                                         NULL};
    TPLR_TRY(only_fields(r, fields));
    const char *format = NULL, *got_kind = NULL, *address = NULL;
    long long version = 0;
    TPLR_TRY(get_str(r, "format", &format));
    if (strcmp(format, KEYFILE_FORMAT))
        return tplr_fail(TPLR_EFORMAT, "%s: not a tplr key file (format '%s')", r->path, format);
    TPLR_TRY(get_int(r, "version", 0, 1 << 30, &version));
    if (version != KEYFILE_VERSION)
        return tplr_fail(TPLR_EFORMAT, "%s: key file version %lld; this tplr reads version %d", r->path, version,
                         KEYFILE_VERSION);
    TPLR_TRY(get_str(r, "kind", &got_kind));
    if (strcmp(got_kind, kind))
        return tplr_fail(TPLR_EFORMAT, "%s holds a %s, not a %s", r->path, got_kind, kind);
    TPLR_TRY(get_hex(r, "public_key", info->pk, sizeof info->pk));
    TPLR_TRY(get_str(r, "address", &address));
    unsigned char from_address[TPLR_KEY_PUBLIC];
    if (tplr_address_decode(address, strlen(address), from_address) ||
        memcmp(from_address, info->pk, sizeof from_address))
        return tplr_fail(TPLR_EFORMAT, "%s: the address does not match the public key", r->path);
    json_t *plain = json_object_get(r->obj, "seed"), *enc = json_object_get(r->obj, "encrypted");
    if (!plain == !enc)
        return tplr_fail(TPLR_EFORMAT, "%s: a key file holds either 'seed' or 'encrypted'", r->path);
    info->encrypted = enc != NULL;
    if (enc) {
        if (!json_is_object(enc))
            return tplr_fail(TPLR_EFORMAT, "%s: field 'encrypted' must be an object", r->path);
        reader sub = {r->path, enc};
        TPLR_TRY(decrypt_seed(&sub, passphrase, seed));
    } else {
        unsigned char tmp[TPLR_KEY_SEED];
        TPLR_TRY(get_hex(r, "seed", seed ? seed : tmp, TPLR_KEY_SEED));
        sodium_memzero(tmp, sizeof tmp);
    }
    if (!seed)
        return TPLR_OK;
    tplr_keypair kp;
    TPLR_TRY(tplr_keypair_from_seed(seed, &kp));
    int match = !memcmp(kp.pk, info->pk, sizeof kp.pk);
    tplr_secret_wipe(&kp, sizeof kp);
    if (!match)
        return tplr_fail(TPLR_EFORMAT, "%s: the seed does not give the stored public key (the file is damaged)",
                         r->path);
    return TPLR_OK;
}

tplr_err keyfile_parse(const char *path, const char *text, const char *kind, const char *passphrase,
                       keyfile_info *info, unsigned char seed[TPLR_KEY_SEED])
{
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tplr_fail(TPLR_EFORMAT, "%s: not JSON (line %d: %s)", path, jerr.line, jerr.text);
    tplr_err e = json_is_object(root) ? TPLR_OK : tplr_fail(TPLR_EFORMAT, "%s: not a JSON object", path);
    if (!e) {
        reader r = {path, root};
        e = parse_root(&r, kind, passphrase, info, seed);
    }
    json_t *s = json_object_get(root, "seed");
    if (json_is_string(s))
        sodium_memzero((void *)json_string_value(s), json_string_length(s));
    json_decref(root);
    if (e && seed)
        sodium_memzero(seed, TPLR_KEY_SEED);
    return e;
}
