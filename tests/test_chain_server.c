/* The ledger over HTTP: `tplr chain serve` on 127.0.0.1 at a free port,
 * driven through the client library (every call, retries, refusals), then
 * killed with SIGKILL in the middle of a load of transfers from several
 * processes, restarted, and checked: no acknowledged transaction lost, none
 * applied twice. usage: test_chain_server PATH/TO/tplr */
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"
#include "tplr/address.h"
#include "tplr/chain.h"
#include "tplr/fileio.h"
#include "tplr/ledger.h"
#include "tplr/timeutil.h"

#define LOADERS 3
#define START_BALANCE 1000000

static const char *tplr_bin;
static char dir[4096], db[4300], genesis[4300], url[64];
static pid_t server = -1;
static tplr_keypair owner, validator, miner, sink, loaders[LOADERS];

static void key(tplr_keypair *kp, int tag)
{
    unsigned char seed[32];
    memset(seed, tag, sizeof seed);
    ASSERT_OK(tplr_keypair_from_seed(seed, kp));
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Starts the server on the database; waits until it listens. */
static void start_server(void)
{
    char port_file[4400], log[4400];
    snprintf(port_file, sizeof port_file, "%s/port", dir);
    snprintf(log, sizeof log, "%s/server.log", dir);
    unlink(port_file);
    server = fork();
    assert_true(server >= 0);
    if (server == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1), dup2(fd, 2);
        execl(tplr_bin, tplr_bin, "chain", "serve", "--db", db, "--genesis", genesis, "--listen", "127.0.0.1:0",
              "--port-file", port_file, "--block-time", "0.05", "--threads", "16", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400 && !tplr_path_exists(port_file); i++)
        sleep_s(0.025);
    char *text;
    size_t len;
    ASSERT_OK(tplr_read_file(port_file, 64, &text, &len));
    snprintf(url, sizeof url, "http://127.0.0.1:%d", atoi(text));
    free(text);
}

static void stop_server(int sig)
{
    int status;
    kill(server, sig);
    waitpid(server, &status, 0);
    if (sig == SIGTERM && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        fail_msg("the server did not stop cleanly on SIGTERM (status %d); see %s/server.log", status, dir);
    server = -1;
}

static tplr_chain *connect_fast(void)
{
    tplr_chain_opts o = {2000, 3, 50};
    tplr_chain *c;
    ASSERT_OK(tplr_chain_connect(url, &o, &c));
    return c;
}

static int setup(void **state)
{
    (void)state;
    tu_tmpdir("chain-server", dir, sizeof dir);
    snprintf(db, sizeof db, "%s/ledger.db", dir);
    snprintf(genesis, sizeof genesis, "%s/genesis.json", dir);
    key(&owner, 1), key(&validator, 2), key(&miner, 3), key(&sink, 4);
    tplr_genesis g;
    tplr_genesis_default(&g);
    const char *params[] = {"tempo", "20", "weights_rate_limit", "0", "registration_cost", "10", "block_emission",
                            "1000", "request_validity", "400"};
    for (int i = 0; i < 10; i += 2)
        ASSERT_OK(tplr_genesis_set_param(&g, params[i], params[i + 1]));
    ASSERT_OK(tplr_genesis_add_balance(&g, owner.pk, 1000000000));
    for (int i = 0; i < LOADERS; i++) {
        key(&loaders[i], 50 + i);
        ASSERT_OK(tplr_genesis_add_balance(&g, loaders[i].pk, START_BALANCE));
    }
    char *json = tplr_genesis_to_json(&g);
    ASSERT_OK(tplr_write_file_atomic(genesis, json, strlen(json)));
    free(json);
    tplr_genesis_free(&g);
    start_server();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (server > 0)
        stop_server(SIGTERM);
    tu_rmtree(dir);
    return 0;
}

static void test_client_calls(void **state)
{
    (void)state;
    tplr_chain *c = connect_fast();
    assert_int_equal(tplr_chain_netuid(c), 3);
    uint64_t b0, b1, t;
    ASSERT_OK(tplr_chain_block(c, &b0, &t));
    sleep_s(0.2);
    ASSERT_OK(tplr_chain_block(c, &b1, NULL));
    assert_true(b1 > b0); /* blocks come on the timer */
    ASSERT_OK(tplr_chain_block_time(c, b0, &t));
    assert_true(fabs((double)t / 1000 - tplr_wall_time()) < 60);
    tplr_extrinsic_id id;
    int uid = -1;
    ASSERT_OK(tplr_chain_register(c, &owner, &validator, &id, &uid));
    assert_int_equal(uid, 0);
    ASSERT_OK(tplr_chain_register(c, &owner, &miner, &id, &uid));
    assert_int_equal(uid, 1);
    assert_int_equal(tplr_chain_register(c, &owner, &miner, &id, &uid), TPLR_EREFUSED);
    assert_string_equal(tplr_chain_last_code(c), "already_registered");
    assert_int_equal(tplr_chain_last_status(c), 409);
    ASSERT_OK(tplr_chain_stake(c, &owner, validator.pk, 5000000, &id));
    assert_int_equal(tplr_chain_unstake(c, &owner, miner.pk, 1, &id), TPLR_EREFUSED);
    assert_string_equal(tplr_chain_last_code(c), "insufficient_stake");
    ASSERT_OK(tplr_chain_commit(c, &miner, "acct-key-secret", &id));
    tplr_commitment cm;
    ASSERT_OK(tplr_chain_commitment(c, miner.pk, &cm));
    assert_string_equal(cm.data, "acct-key-secret");
    assert_int_equal(tplr_chain_commitment(c, validator.pk, &cm), TPLR_ENOTFOUND);
    tplr_commitment *all;
    int n;
    ASSERT_OK(tplr_chain_commitments(c, &all, &n));
    assert_int_equal(n, 1);
    assert_int_equal(all[0].uid, 1);
    free(all);
    uint16_t uids[2] = {1, 0};
    double w[2] = {0.9, 0.1};
    ASSERT_OK(tplr_chain_set_weights(c, &validator, uids, w, 2, &id));
    uint16_t got_u[TPLR_WEIGHTS_MAX], got_w[TPLR_WEIGHTS_MAX];
    uint64_t wb;
    ASSERT_OK(tplr_chain_weights(c, 0, got_u, got_w, &n, &wb));
    assert_int_equal(n, 2);
    assert_int_equal(got_w[0], 65535);
    assert_int_equal(got_w[1], 7282); /* round(0.1 / 0.9 * 65535) */
    assert_int_equal(tplr_chain_set_weights(c, &miner, uids, w, 2, &id), TPLR_EREFUSED);
    assert_string_equal(tplr_chain_last_code(c), "not_validator");
    /* a transfer, found again by its id */
    ASSERT_OK(tplr_chain_transfer(c, &owner, sink.pk, 4242, &id));
    tplr_transfer tr;
    ASSERT_OK(tplr_chain_transfer_get(c, id.block, id.index, &tr));
    assert_int_equal(tr.amount, 4242);
    assert_memory_equal(tr.from, owner.pk, 32);
    assert_memory_equal(tr.to, sink.pk, 32);
    assert_int_equal(tplr_chain_transfer_get(c, id.block, id.index + 100, &tr), TPLR_ENOTFOUND);
    int64_t bal, staked;
    ASSERT_OK(tplr_chain_balance(c, sink.pk, &bal, &staked));
    assert_int_equal(bal, 4242);
    assert_int_equal(tplr_chain_transfer(c, &sink, owner.pk, 4243, &id), TPLR_EREFUSED);
    assert_string_equal(tplr_chain_last_code(c), "insufficient_balance");
    /* emissions: after a tempo the miner has incentive and the validator dividends */
    uint64_t start;
    ASSERT_OK(tplr_chain_block(c, &start, NULL));
    tplr_metagraph m = {0};
    for (int i = 0; i < 200; i++) {
        tplr_metagraph_free(&m);
        ASSERT_OK(tplr_chain_metagraph(c, &m));
        if (m.n == 2 && m.neurons[1].emission > 0)
            break;
        sleep_s(0.05);
    }
    assert_int_equal(m.n, 2);
    assert_true(m.neurons[0].validator_permit);
    assert_true(m.neurons[1].incentive > 0.99);
    assert_true(m.neurons[0].dividends > 0.99);
    assert_int_equal(m.neurons[1].emission, 10000); /* half of 20 blocks x 1000 */
    assert_int_equal(m.neurons[0].emission, 10000);
    tplr_metagraph_free(&m);
    tplr_chain_close(c);
}

static void test_unreachable(void **state)
{
    (void)state;
    tplr_chain_opts o = {300, 2, 20};
    tplr_chain *c;
    double t0 = tplr_now();
    tplr_err e = tplr_chain_connect("http://127.0.0.1:1", &o, &c);
    assert_int_equal(e, TPLR_EIO);
    assert_non_null(strstr(tplr_errmsg(), "after 3 attempts"));
    assert_true(tplr_now() - t0 < 5);
    assert_int_equal(tplr_chain_connect("ftp://x", &o, &c), TPLR_EINVAL);
}

/* One loader: transfers of 1 unit to the sink, one after another, until the
 * server dies. Logs "ok NONCE BLOCK INDEX" per acknowledged transfer and
 * "pending BODY" before each send, to its own file. */
static void loader(int k)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/loader-%d.log", dir, k);
    FILE *f = fopen(path, "w");
    tplr_chain_opts o = {1000, 0, 10};
    tplr_chain *c;
    if (!f || tplr_chain_connect(url, &o, &c))
        _exit(2);
    for (;;) {
        tplr_tx tx = {.op = TPLR_TX_TRANSFER, .amount = 1};
        memcpy(tx.key, sink.pk, 32);
        if (tplr_chain_prepare(c, &tx, &loaders[k], NULL))
            break; /* the server is gone */
        char *body = tplr_tx_to_json(&tx);
        fprintf(f, "pending %s\n", body);
        fflush(f);
        free(body);
        tplr_extrinsic_id id;
        if (tplr_chain_submit(c, &tx, &id, NULL))
            break;
        fprintf(f, "ok %llu %llu %u\n", (unsigned long long)tx.nonce, (unsigned long long)id.block, id.index);
        fflush(f);
    }
    fclose(f);
    tplr_chain_close(c);
    _exit(0);
}

typedef struct loader_log {
    int acked;
    char **bodies; /* every body sent, acked or not */
    int n_bodies;
    uint64_t (*acks)[3];
} loader_log;

static void read_log(int k, loader_log *lg)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/loader-%d.log", dir, k);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    memset(lg, 0, sizeof *lg);
    lg->bodies = calloc(100000, sizeof *lg->bodies);
    lg->acks = calloc(100000, sizeof *lg->acks);
    static char line[70000];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        unsigned long long nonce, block;
        unsigned index;
        if (!strncmp(line, "pending ", 8) && lg->n_bodies < 100000)
            lg->bodies[lg->n_bodies++] = strdup(line + 8);
        else if (sscanf(line, "ok %llu %llu %u", &nonce, &block, &index) == 3 && lg->acked < 100000) {
            lg->acks[lg->acked][0] = nonce, lg->acks[lg->acked][1] = block, lg->acks[lg->acked][2] = index;
            lg->acked++;
        }
    }
    fclose(f);
}

static void test_sigkill_mid_load(void **state)
{
    (void)state;
    pid_t kids[LOADERS];
    for (int k = 0; k < LOADERS; k++)
        if ((kids[k] = fork()) == 0)
            loader(k);
    sleep_s(1.5);
    stop_server(SIGKILL);
    for (int k = 0; k < LOADERS; k++) {
        int status;
        waitpid(kids[k], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    start_server();
    tplr_chain *c = connect_fast();
    int total_acked = 0, in_flight_before = 0, in_flight_after = 0;
    int64_t sink_expected = 4242; /* from test_client_calls */
    for (int k = 0; k < LOADERS; k++) {
        loader_log lg;
        read_log(k, &lg);
        assert_true(lg.acked > 10);
        assert_true(lg.n_bodies == lg.acked || lg.n_bodies == lg.acked + 1);
        total_acked += lg.acked;
        /* every acknowledged transfer survived */
        for (int i = 0; i < lg.acked; i++) {
            tplr_transfer tr;
            if (tplr_chain_transfer_get(c, lg.acks[i][1], (uint32_t)lg.acks[i][2], &tr))
                fail_msg("loader %d: acknowledged transfer %llu-%llu lost after SIGKILL: %s", k,
                         (unsigned long long)lg.acks[i][1], (unsigned long long)lg.acks[i][2], tplr_errmsg());
            assert_memory_equal(tr.from, loaders[k].pk, 32);
        }
        /* every body sent again: each is refused as a replay, or (the one in flight at the kill, if it was
         * never applied) applied now; after this, each was applied exactly once */
        int applied = lg.acked;
        for (int i = 0; i < lg.n_bodies; i++) {
            tplr_tx tx;
            ASSERT_OK(tplr_tx_from_json(TPLR_TX_TRANSFER, lg.bodies[i], strlen(lg.bodies[i]), &tx));
            tplr_extrinsic_id id;
            tplr_err e = tplr_chain_submit(c, &tx, &id, NULL);
            int in_flight = i == lg.acked;
            if (e == TPLR_OK && in_flight) {
                applied++; /* was lost in flight, never applied: applied now */
                in_flight_after++;
            } else if (e == TPLR_EREFUSED && !strcmp(tplr_chain_last_code(c), "replay")) {
                applied += in_flight; /* was applied before the kill, its answer lost */
                in_flight_before += in_flight;
            }
            else
                fail_msg("loader %d body %d (%s): %s", k, i, in_flight ? "in flight" : "acknowledged",
                         tplr_errmsg());
            free(lg.bodies[i]);
        }
        int64_t bal;
        ASSERT_OK(tplr_chain_balance(c, loaders[k].pk, &bal, NULL));
        assert_int_equal(bal, START_BALANCE - applied);
        sink_expected += applied;
        free(lg.bodies);
        free(lg.acks);
    }
    int64_t sink_bal;
    ASSERT_OK(tplr_chain_balance(c, sink.pk, &sink_bal, NULL));
    assert_int_equal(sink_bal, sink_expected);
    char *supply;
    ASSERT_OK(tplr_chain_get(c, "/v1/supply", &supply));
    json_t *s = json_loads(supply, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(s, "issuance")),
                     json_integer_value(json_object_get(s, "free")) + json_integer_value(json_object_get(s, "staked")));
    json_decref(s);
    free(supply);
    printf("[          ] %d transfers acknowledged before SIGKILL, all kept; of those in flight, %d had been "
           "applied (their resends refused as replays), %d had not (applied on resend); none doubled\n",
           total_acked, in_flight_before, in_flight_after);
    tplr_chain_close(c);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/tplr\n", argv[0]);
        return 2;
    }
    tplr_bin = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_calls),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_sigkill_mid_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
