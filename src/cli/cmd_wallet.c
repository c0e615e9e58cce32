/* tplr wallet new | list | show */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ledger_cli.h"
#include "tplr/address.h"
#include "tplr/hash.h"
#include "tplr/wallet.h"

/* A new coldkey's passphrase: from the environment, or asked twice. */
static tplr_err new_passphrase(char *buf, size_t cap)
{
    const char *env = getenv(TPLR_PASSPHRASE_ENV);
    if (env) {
        if (!*env || strlen(env) >= cap)
            return tplr_fail(TPLR_EINVAL, "%s is empty or too long", TPLR_PASSPHRASE_ENV);
        strcpy(buf, env);
        return TPLR_OK;
    }
    char again[512];
    TPLR_TRY(cli_read_passphrase("passphrase for the new coldkey: ", buf, cap));
    TPLR_TRY(cli_read_passphrase("the same passphrase again: ", again, sizeof again));
    int same = !strcmp(buf, again);
    tplr_secret_wipe(again, sizeof again);
    if (!*buf)
        return tplr_fail(TPLR_EINVAL, "an empty passphrase encrypts nothing: leave out --encrypt instead");
    return same ? TPLR_OK : tplr_fail(TPLR_EINVAL, "the two passphrases differ; nothing was created");
}

static void print_key(const char *label, const unsigned char pk[32], const char *note)
{
    char a[TPLR_ADDRESS_MAX];
    tplr_address_encode(pk, a);
    printf("  %-18s %s%s\n", label, a, note);
}

static int wallet_new(int argc, char **argv)
{
    const char *name = NULL, *hotkey = NULL;
    int encrypt = 0;
    cli_opt opts[] = {
        {"name", OPT_STR, &name, "NAME", "the wallet", 1, 0},
        {"hotkey", OPT_STR, &hotkey, "NAME", "a hotkey to add (default for a new wallet: 'default')", 0, 0},
        {"encrypt", OPT_FLAG, &encrypt, NULL, "encrypt a new coldkey with a passphrase (from $" TPLR_PASSPHRASE_ENV
                                             ", else asked at the terminal)", 0, 0},
    };
    cli_cmd cmd = {"tplr wallet new", NULL,
                   "Creates a wallet (an Ed25519 coldkey and a hotkey) or adds a hotkey to one. Keys live under\n"
                   "$TPLR_HOME/wallets (default ~/.tplr/wallets), files of mode 0600; existing keys are never\n"
                   "replaced.",
                   NULL, opts, 3, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    unsigned char cold[32], hot[32];
    int have_cold = tplr_wallet_coldkey_public(name, cold, NULL) == TPLR_OK;
    if (have_cold && !hotkey)
        return cli_fail("this wallet exists already; add a hotkey with --hotkey NAME");
    if (have_cold && encrypt)
        return cli_fail("--encrypt applies to a new coldkey, and this wallet has one");
    if (!hotkey)
        hotkey = "default";
    if (tplr_wallet_check_name("wallet", name) || tplr_wallet_check_name("hotkey", hotkey))
        return cli_fail(tplr_errmsg());
    printf("wallet %s\n", name);
    if (!have_cold) {
        char pass[512] = "";
        tplr_err e = encrypt ? new_passphrase(pass, sizeof pass) : TPLR_OK;
        if (!e)
            e = tplr_wallet_create_coldkey(name, pass, cold);
        tplr_secret_wipe(pass, sizeof pass);
        if (e)
            return cli_fail(tplr_errmsg());
        print_key("coldkey", cold, encrypt ? "  (new, encrypted)" : "  (new)");
    }
    if (tplr_wallet_create_hotkey(name, hotkey, hot))
        return cli_fail(tplr_errmsg());
    char label[80];
    snprintf(label, sizeof label, "hotkey %s", hotkey);
    print_key(label, hot, "  (new)");
    return 0;
}

static json_t *key_json(const unsigned char pk[32])
{
    char a[TPLR_ADDRESS_MAX], hex[65];
    tplr_address_encode(pk, a);
    tplr_hex(hex, pk, 32);
    json_t *o = json_object();
    json_object_set_new(o, "address", json_string(a));
    json_object_set_new(o, "public_key", json_string(hex));
    return o;
}

/* One wallet as JSON: its coldkey (if any) and hotkeys (only: just that one). */
static tplr_err wallet_json(const char *name, const char *only, json_t **out)
{
    unsigned char pk[32];
    int encrypted = 0;
    json_t *w = json_object(), *hks = json_array();
    json_object_set_new(w, "wallet", json_string(name));
    if (tplr_wallet_coldkey_public(name, pk, &encrypted) == TPLR_OK) {
        json_t *c = key_json(pk);
        json_object_set_new(c, "encrypted", json_boolean(encrypted));
        json_object_set_new(w, "coldkey", c);
    } else
        json_object_set_new(w, "coldkey", json_null());
    tplr_names names = {0};
    tplr_err e = tplr_wallet_hotkeys(name, &names);
    for (int i = 0; !e && i < names.n; i++) {
        if (only && strcmp(only, names.names[i]))
            continue;
        e = tplr_wallet_hotkey_public(name, names.names[i], pk);
        if (!e) {
            json_t *h = key_json(pk);
            json_object_set_new(h, "name", json_string(names.names[i]));
            json_array_append_new(hks, h);
        }
    }
    tplr_names_free(&names);
    if (!e && only && json_array_size(hks) == 0)
        e = tplr_fail(TPLR_ENOTFOUND, "wallet %s has no hotkey '%s'", name, only);
    json_object_set_new(w, "hotkeys", hks);
    if (!e && json_is_null(json_object_get(w, "coldkey")) && json_array_size(hks) == 0)
        e = tplr_fail(TPLR_ENOTFOUND, "no wallet '%s' (create it with `tplr wallet new --name %s`)", name, name);
    if (e)
        json_decref(w);
    else
        *out = w;
    return e;
}

static void print_wallet(json_t *w)
{
    printf("wallet %s\n", json_string_value(json_object_get(w, "wallet")));
    json_t *c = json_object_get(w, "coldkey"), *h;
    if (json_is_object(c))
        printf("  %-18s %s%s\n", "coldkey", json_string_value(json_object_get(c, "address")),
               json_is_true(json_object_get(c, "encrypted")) ? "  (encrypted)" : "");
    size_t i;
    json_array_foreach(json_object_get(w, "hotkeys"), i, h) {
        char label[80];
        snprintf(label, sizeof label, "hotkey %s", json_string_value(json_object_get(h, "name")));
        printf("  %-18s %s\n", label, json_string_value(json_object_get(h, "address")));
    }
}

static int wallet_show(int argc, char **argv)
{
    const char *name = NULL, *hotkey = NULL;
    int json = 0;
    cli_opt opts[] = {
        {"name", OPT_STR, &name, "NAME", "the wallet", 1, 0},
        {"hotkey", OPT_STR, &hotkey, "NAME", "only this hotkey", 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print JSON: addresses and hex public keys", 0, 0},
    };
    cli_cmd cmd = {"tplr wallet show", NULL, "Shows a wallet's public keys and addresses (no passphrase needed).",
                   NULL, opts, 3, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    json_t *w;
    if (tplr_wallet_check_name("wallet", name) || wallet_json(name, hotkey, &w))
        return cli_fail(tplr_errmsg());
    if (json) {
        char *s = json_dumps(w, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
    } else
        print_wallet(w);
    json_decref(w);
    return 0;
}

static int wallet_list(int argc, char **argv)
{
    int json = 0;
    cli_opt opts[] = {{"json", OPT_FLAG, &json, NULL, "print JSON", 0, 0}};
    cli_cmd cmd = {"tplr wallet list", NULL, "Lists the wallets under $TPLR_HOME/wallets (default ~/.tplr/wallets).",
                   NULL, opts, 1, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    tplr_names names = {0};
    if (tplr_wallet_list(&names))
        return cli_fail(tplr_errmsg());
    json_t *all = json_array();
    for (int i = 0; i < names.n; i++) {
        json_t *w;
        if (wallet_json(names.names[i], NULL, &w) == TPLR_OK)
            json_array_append_new(all, w);
    }
    tplr_names_free(&names);
    size_t i;
    json_t *w;
    if (json) {
        char *s = json_dumps(all, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
    } else if (json_array_size(all) == 0) {
        char dir[4096];
        printf("no wallets in %s (create one with `tplr wallet new --name NAME`)\n",
               tplr_wallets_dir(dir, sizeof dir) ? "the wallets folder" : dir);
    } else
        json_array_foreach(all, i, w) print_wallet(w);
    json_decref(all);
    return 0;
}

int cmd_wallet(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "new"))
        return wallet_new(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "list"))
        return wallet_list(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "show"))
        return wallet_show(argc - 1, argv + 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr wallet <new|list|show> [options]\n\n"
                 "  new   create a wallet (coldkey and hotkey) or add a hotkey\n"
                 "  list  list the wallets and their addresses\n"
                 "  show  show one wallet's public keys and addresses\n");
    return out == stdout ? 0 : 2;
}
