/* tplr tournament submit | leaderboard: the miner's side of the tournament API. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tournament_cmds.h"
#include "ledger_cli.h"
#include "tplr/address.h"
#include "tplr/fileio.h"
#include "tplr/timeutil.h"
#include "tplr/tour_client.h"
#include "tplr/tour_request.h"

#define API_HELP "the validator's tournament API (default " TPLR_TOUR_API_DEFAULT ")"

/* GET path as JSON (a 2xx answer), else the validator's error. */
static tplr_err get_json(const char *api, const char *path, json_t **out)
{
    long status;
    char *body;
    TPLR_TRY(tplr_tour_http(api, path, NULL, &status, &body));
    tplr_err e = TPLR_OK;
    if (status < 200 || status > 299)
        e = tplr_tour_http_refusal(status, body, path);
    else if (!(*out = json_loads(body, 0, NULL)))
        e = tplr_fail(TPLR_EBADRESPONSE, "%s: the validator's answer is not JSON", path);
    free(body);
    return e;
}

static int parse_payment_id(const char *text, uint64_t *block, uint32_t *index)
{
    unsigned long long b;
    unsigned i;
    char tail;
    if (sscanf(text, "%llu-%u%c", &b, &i, &tail) != 2 && sscanf(text, "%llu:%u%c", &b, &i, &tail) != 2)
        return -1;
    *block = b;
    *index = i;
    return 0;
}

/* Pays fee units to payee from the wallet's coldkey; the transfer id in *block, *index. */
static tplr_err pay_fee(const char *ledger, const char *wallet, const unsigned char payee[32], int64_t fee,
                        uint64_t *block, uint32_t *index)
{
    tplr_keypair cold;
    tplr_chain *c = NULL;
    TPLR_TRY(cli_load_coldkey(wallet, &cold));
    tplr_err e = cli_connect(ledger, &c);
    tplr_extrinsic_id id;
    if (!e)
        e = tplr_chain_transfer(c, &cold, payee, (uint64_t)fee, &id);
    tplr_secret_wipe(&cold, sizeof cold);
    tplr_chain_close(c);
    if (e)
        return tplr_fail_ctx(e, "paying the fee");
    *block = id.block;
    *index = id.index;
    char addr[TPLR_ADDRESS_MAX], tokens[48];
    tplr_address_encode(payee, addr);
    cli_format_tokens(fee, tokens, sizeof tokens);
    fprintf(stderr, "paid the fee, %s tokens, to %s: transfer %llu-%u\n", tokens, addr, (unsigned long long)id.block,
            id.index);
    return TPLR_OK;
}

typedef struct submit_args {
    const char *file, *wallet, *hotkey, *api, *ledger, *payment;
    int skip_payment, dry_run, json;
    uint64_t at_ms; /* 0: now */
} submit_args;

/* What the validator asks: its payee and fee, from GET /health. */
static tplr_err read_health(const char *api, unsigned char payee[32], int64_t *fee)
{
    json_t *h;
    TPLR_TRY(get_json(api, "/health", &h));
    json_t *p = json_object_get(h, "payee"), *f = json_object_get(h, "fee");
    tplr_err e = TPLR_OK;
    if (!json_is_string(p) || !json_is_integer(f) || json_integer_value(f) < 0 ||
        tplr_address_decode(json_string_value(p), json_string_length(p), payee))
        e = tplr_fail(TPLR_EBADRESPONSE, "the validator's /health lacks a payee address and a fee");
    else
        *fee = json_integer_value(f);
    json_decref(h);
    return e;
}

static int run_submit(const submit_args *a)
{
    char *code;
    size_t len;
    if (tplr_read_file(a->file, TPLR_TOUR_CODE_MAX, &code, &len))
        return cli_fail(tplr_errmsg());
    tplr_keypair hot;
    unsigned char payee[32];
    int64_t fee = 0;
    uint64_t block = 0;
    uint32_t index = 0;
    int has_payment = 0;
    tplr_err e = cli_load_hotkey(a->wallet, a->hotkey, &hot);
    if (!e && a->payment) {
        if (parse_payment_id(a->payment, &block, &index))
            e = tplr_fail(TPLR_EINVAL, "--payment is a transfer id BLOCK-INDEX (or BLOCK:INDEX), e.g. 1234-0");
        has_payment = 1;
    } else if (!e && !a->skip_payment && !a->dry_run) {
        e = read_health(a->api, payee, &fee);
        if (!e && fee > 0) {
            e = pay_fee(a->ledger, a->wallet, payee, fee, &block, &index);
            has_payment = 1;
        }
    }
    tplr_tour_request r;
    if (!e)
        e = tplr_tour_request_make(code, len, &hot, has_payment, block, index,
                                   a->at_ms ? a->at_ms : (uint64_t)(tplr_wall_time() * 1000), &r);
    free(code);
    tplr_secret_wipe(&hot, sizeof hot);
    if (e)
        return cli_fail(tplr_errmsg());
    char *body = tplr_tour_request_to_json(&r);
    tplr_tour_request_free(&r);
    if (!body)
        return cli_fail("out of memory");
    if (a->dry_run) {
        printf("%s\n", body);
        fprintf(stderr, "POST %s/submissions\n", a->api);
        free(body);
        return 0;
    }
    long status;
    char *answer = NULL;
    e = tplr_tour_http(a->api, "/submissions", body, &status, &answer);
    free(body);
    if (!e && status != 201)
        e = tplr_tour_http_refusal(status, answer, "submitting");
    if (e) {
        free(answer);
        if (has_payment)
            fprintf(stderr, "the fee was paid by transfer %llu-%u: resubmit with --payment %llu-%u\n",
                    (unsigned long long)block, index, (unsigned long long)block, index);
        return cli_fail(tplr_errmsg());
    }
    if (a->json) {
        printf("%s\n", answer);
    } else {
        json_t *j = json_loads(answer, 0, NULL);
        printf("submission %lld: %s\n", (long long)json_integer_value(json_object_get(j, "submission_id")),
               json_string_value(json_object_get(j, "status")) ? json_string_value(json_object_get(j, "status")) : "?");
        json_decref(j);
    }
    free(answer);
    return 0;
}

int tournament_submit(int argc, char **argv)
{
    submit_args a = {NULL, NULL, "default", TPLR_TOUR_API_DEFAULT, NULL, NULL, 0, 0, 0, 0};
    cli_opt opts[] = {
        {"wallet", OPT_STR, &a.wallet, "NAME", "the miner's wallet (its coldkey pays the fee)", 1, 0},
        {"hotkey", OPT_STR, &a.hotkey, "NAME", "the hotkey that signs the submission (default: default)", 0, 0},
        {"api", OPT_STR, &a.api, "URL", API_HELP, 0, 0},
        {"chain", OPT_STR, &a.ledger, "URL", LEDGER_OPT_HELP, 0, 0},
        {"ledger", OPT_STR, &a.ledger, "URL", "the same as --chain", 0, 0},
        {"payment", OPT_STR, &a.payment, "BLOCK-INDEX", "an earlier fee transfer to use (it is not paid again)", 0, 0},
        {"skip-payment", OPT_FLAG, &a.skip_payment, NULL, "pay nothing (for a validator that charges no fee)", 0, 0},
        {"dry-run", OPT_FLAG, &a.dry_run, NULL, "print the signed request instead of paying and sending it", 0, 0},
        {"json", OPT_FLAG, &a.json, NULL, "print the validator's JSON answer", 0, 0},
        {"at-ms", OPT_U64, &a.at_ms, "MS", "sign as of this time (ms since the epoch) instead of now", 0, 0},
    };
    cli_cmd cmd = {"tplr tournament submit", "FILE",
                   "Submits FILE (a C file defining inner_steps, see `tplr tournament eval`) to a validator:\n"
                   "learns its fee and coldkey from GET /health, pays the fee by a ledger transfer from the\n"
                   "wallet's coldkey, and posts the submission signed by the hotkey. Test it first with\n"
                   "`tplr tournament eval FILE`; the fee is not refunded when it fails.",
                   NULL, opts, 10, 1, 1};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (a.skip_payment && a.payment)
        return cli_fail("--skip-payment and --payment exclude each other");
    a.file = pos[0];
    return run_submit(&a);
}

static void print_board(json_t *j)
{
    json_t *entries = json_object_get(j, "entries"), *e;
    json_t *w = json_object_get(j, "winner");
    if (json_is_integer(w))
        printf("winner: submission %lld\n", (long long)json_integer_value(w));
    else
        printf("winner: none (the weights go to the burn uid)\n");
    printf("%-5s %-6s %-14s %-5s %14s %-11s %-24s %s\n", "rank", "id", "hotkey", "uid", "tokens/s", "status",
           "verdict", "runs");
    size_t i;
    json_array_foreach(entries, i, e) {
        json_t *rank = json_object_get(e, "rank"), *score = json_object_get(e, "score");
        const char *hk = json_string_value(json_object_get(e, "hotkey"));
        char rank_s[16] = "-", score_s[32] = "-";
        if (json_is_integer(rank))
            snprintf(rank_s, sizeof rank_s, "%lld", (long long)json_integer_value(rank));
        if (json_is_number(score))
            snprintf(score_s, sizeof score_s, "%.1f", json_number_value(score));
        printf("%-5s %-6lld %.12s.. %-5lld %14s %-11s %-24s %lld%s\n", rank_s,
               (long long)json_integer_value(json_object_get(e, "submission_id")), hk ? hk : "?",
               (long long)json_integer_value(json_object_get(e, "uid")), score_s,
               json_string_value(json_object_get(e, "status")) ? json_string_value(json_object_get(e, "status")) : "?",
               json_string_value(json_object_get(e, "verdict")) && *json_string_value(json_object_get(e, "verdict"))
                   ? json_string_value(json_object_get(e, "verdict"))
                   : "-",
               (long long)json_integer_value(json_object_get(e, "num_evaluations")),
               json_is_true(json_object_get(e, "is_winner")) ? "  <- winner" : "");
    }
}

int tournament_leaderboard(int argc, char **argv)
{
    const char *api = TPLR_TOUR_API_DEFAULT;
    int json = 0, limit = 50;
    cli_opt opts[] = {
        {"api", OPT_STR, &api, "URL", API_HELP, 0, 0},
        {"limit", OPT_INT, &limit, "N", "at most N entries, 1 to 1000 (default 50)", 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print the validator's JSON", 0, 0},
    };
    cli_cmd cmd = {"tplr tournament leaderboard", NULL,
                   "The validator's ranking: scored submissions by median tokens/s, then the others newest\n"
                   "first, and the current winner (a newcomer must beat the leader by the threshold).",
                   NULL, opts, 3, 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (limit < 1 || limit > 1000)
        return cli_fail("--limit must be from 1 to 1000");
    char path[64];
    snprintf(path, sizeof path, "/leaderboard?limit=%d", limit);
    json_t *j;
    if (get_json(api, path, &j))
        return cli_fail(tplr_errmsg());
    if (json) {
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s ? s : "{}");
        free(s);
    } else {
        print_board(j);
    }
    json_decref(j);
    return 0;
}
