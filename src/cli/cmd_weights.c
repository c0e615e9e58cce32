/* tplr weights set | show */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ledger_cli.h"

/* "UID:WEIGHT,UID:WEIGHT,..." */
static tplr_err parse_weights(const char *text, uint16_t *uids, double *w, int *n)
{
    *n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        unsigned long uid = strtoul(p, &end, 10);
        if (end == p || *end != ':' || uid > 65535 || *p == '-')
            return tplr_fail(TPLR_EINVAL, "--weights is UID:WEIGHT,UID:WEIGHT,... (at '%s')", p);
        p = end + 1;
        double x = strtod(p, &end);
        if (end == p || errno || !isfinite(x) || (*end && *end != ','))
            return tplr_fail(TPLR_EINVAL, "--weights: a weight is a number (at '%s')", p);
        if (*n == TPLR_WEIGHTS_MAX)
            return tplr_fail(TPLR_EINVAL, "--weights: at most %d entries", TPLR_WEIGHTS_MAX);
        uids[*n] = (uint16_t)uid;
        w[(*n)++] = x;
        p = *end ? end + 1 : end;
    }
    return *n ? TPLR_OK : tplr_fail(TPLR_EINVAL, "--weights is empty");
}

static int weights_set(int argc, char **argv)
{
    const char *url = NULL, *wallet = NULL, *hotkey = "default", *spec = NULL;
    int dry_run = 0;
    cli_opt opts[] = {
        {"wallet", OPT_STR, &wallet, "NAME", "the wallet", 1, 0},
        {"hotkey", OPT_STR, &hotkey, "NAME", "the validator's hotkey (default 'default')", 0, 0},
        {"weights", OPT_STR, &spec, "UID:W,...", "weights by uid, any non-negative numbers", 1, 0},
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"dry-run", OPT_FLAG, &dry_run, NULL, "print the signed request instead of sending it", 0, 0},
    };
    cli_cmd cmd = {"tplr weights set", NULL,
                   "Sets a validator's weights. They are scaled so that the largest is 65535 and rounded (as\n"
                   "Bittensor does); the hotkey needs a validator permit, and the subnet's rate limit applies.",
                   NULL, opts, 5, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    static uint16_t uids[TPLR_WEIGHTS_MAX];
    static double w[TPLR_WEIGHTS_MAX];
    int n;
    tplr_keypair hot;
    tplr_chain *c = NULL;
    tplr_tx *tx = calloc(1, sizeof *tx);
    if (!tx)
        return cli_fail("out of memory");
    tx->op = TPLR_TX_SET_WEIGHTS;
    if (parse_weights(spec, uids, w, &n) || tplr_tx_set_weights_u16(tx, uids, w, n) ||
        cli_load_hotkey(wallet, hotkey, &hot) || cli_connect(url, &c)) {
        free(tx);
        return cli_fail(tplr_errmsg());
    }
    int rc = cli_send_tx(c, tx, &hot, NULL, dry_run, "weights set");
    tplr_secret_wipe(&hot, sizeof hot);
    free(tx);
    tplr_chain_close(c);
    return rc;
}

static int weights_show(int argc, char **argv)
{
    const char *url = NULL;
    int uid = -1, json = 0;
    cli_opt opts[] = {
        {"uid", OPT_INT, &uid, "UID", "only this validator's weights", 0, 0},
        {"ledger", OPT_STR, &url, "URL", LEDGER_OPT_HELP, 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print the ledger's JSON", 0, 0},
    };
    cli_cmd cmd = {"tplr weights show", NULL, "Shows the weights validators set (u16 values, as stored).", NULL, opts,
                   3, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    tplr_chain *c;
    if (cli_connect(url, &c))
        return cli_fail(tplr_errmsg());
    char path[64], *body = NULL;
    snprintf(path, sizeof path, uid >= 0 ? "/v1/weights/%d" : "/v1/weights", uid);
    tplr_err e = tplr_chain_get(c, path, &body);
    tplr_chain_close(c);
    if (e)
        return cli_fail(tplr_errmsg());
    if (json) {
        printf("%s\n", body);
        free(body);
        return 0;
    }
    json_t *j = json_loads(body, 0, NULL);
    json_t *rows = uid >= 0 ? json_pack("[O]", j) : json_incref(json_object_get(j, "weights"));
    free(body);
    size_t i, k;
    json_t *row;
    printf("%5s  %7s  %s\n", "uid", "block", "weights (uid:u16)");
    json_array_foreach(rows, i, row) {
        printf("%5lld  %7lld ", (long long)json_integer_value(json_object_get(row, "uid")),
               (long long)json_integer_value(json_object_get(row, "block")));
        json_t *u = json_object_get(row, "uids"), *w = json_object_get(row, "weights");
        for (k = 0; k < json_array_size(u); k++)
            printf(" %lld:%lld", (long long)json_integer_value(json_array_get(u, k)),
                   (long long)json_integer_value(json_array_get(w, k)));
        printf("\n");
    }
    json_decref(rows);
    json_decref(j);
    return 0;
}

int cmd_weights(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "set"))
        return weights_set(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "show"))
        return weights_show(argc - 1, argv + 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr weights <set|show> [options]\n\n"
                 "  set   set a validator's weights\n"
                 "  show  show the weights set\n");
    return out == stdout ? 0 : 2;
}
