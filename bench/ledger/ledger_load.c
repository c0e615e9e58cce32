/* Load generator for bench/ledger/run.sh: signed writes (transfer or
 * set_weights) and reads against a running `tplr chain serve` from several
 * processes on loopback, with throughput and latency percentiles; plus the
 * peers that bound them (a bare SQLite transaction, an Ed25519 verify).
 * Every result is one JSON line.
 *
 *   ledger_load genesis --out FILE --accounts N
 *   ledger_load setup   --url URL --validators V --miners M
 *   ledger_load writes  --url URL --op transfer|set_weights --procs P --seconds S --repeat R
 *   ledger_load reads   --url URL --path PATH --procs P --seconds S --repeat R
 *   ledger_load peers   --dir DIR */
#include <math.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http_conn.h"
#include "tplr/address.h"
#include "tplr/chain.h"
#include "tplr/fileio.h"
#include "tplr/hash.h"
#include "tplr/ledger.h"
#include "tplr/timeutil.h"

#define BUDGET_PER_S 12000 /* requests pre-signed per second of load, over all processes */

static const char *arg(int argc, char **argv, const char *name, const char *fallback)
{
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return fallback;
}

/* Bench key i of a kind ('c' coldkey, 'v' validator hotkey, 'm' miner hotkey). */
static void bench_key(char kind, int i, tplr_keypair *kp)
{
    unsigned char in[16] = "tplr-bench-", seed[32];
    in[11] = (unsigned char)kind;
    memcpy(in + 12, &i, 4);
    tplr_blake2b(seed, 32, in, sizeof in);
    tplr_keypair_from_seed(seed, kp);
}

static int die(const char *what)
{
    fprintf(stderr, "ledger_load: %s: %s\n", what, tplr_errmsg());
    return 1;
}

static int cmd_genesis(int argc, char **argv)
{
    const char *out = arg(argc, argv, "--out", NULL);
    int n = atoi(arg(argc, argv, "--accounts", "16"));
    tplr_genesis g;
    tplr_genesis_default(&g);
    const char *params[] = {"tempo", "1000000", "weights_rate_limit", "0", "request_validity", "1000000",
                            "registration_cost", "1", "min_validator_stake", "1"};
    for (int i = 0; i < 10; i += 2)
        if (tplr_genesis_set_param(&g, params[i], params[i + 1]))
            return die("genesis");
    for (int i = 0; i < n; i++) {
        tplr_keypair kp;
        bench_key('c', i, &kp);
        if (tplr_genesis_add_balance(&g, kp.pk, 1000000000000000ull))
            return die("genesis");
    }
    char *json = tplr_genesis_to_json(&g);
    if (!out || tplr_write_file_atomic(out, json, strlen(json)))
        return die("writing the genesis (--out FILE)");
    free(json);
    tplr_genesis_free(&g);
    return 0;
}

static int cmd_setup(int argc, char **argv)
{
    int v = atoi(arg(argc, argv, "--validators", "8")), m = atoi(arg(argc, argv, "--miners", "32"));
    tplr_chain *c;
    if (tplr_chain_connect(arg(argc, argv, "--url", NULL), NULL, &c))
        return die("connect");
    for (int i = 0; i < v + m; i++) {
        tplr_keypair cold, hot;
        bench_key('c', i < v ? i : 0, &cold);
        bench_key(i < v ? 'v' : 'm', i, &hot);
        tplr_extrinsic_id id;
        if (tplr_chain_register(c, &cold, &hot, &id, NULL) ||
            (i < v && tplr_chain_stake(c, &cold, hot.pk, 1000000000, &id)))
            return die("setup");
    }
    tplr_chain_close(c);
    return 0;
}

typedef struct load {
    const char *url, *op, *path;
    char host[64];
    int port, procs, v_uids, n_uids;
    double seconds;
} load;

/* The pre-signed bodies of process k. */
static char **sign_batch(tplr_chain *c, const load *L, int k, int count)
{
    char **bodies = calloc((size_t)count, sizeof *bodies);
    tplr_keypair signer, sink;
    int weights = !strcmp(L->op, "set_weights");
    bench_key(weights ? 'v' : 'c', k, &signer);
    bench_key('c', 15, &sink);
    uint64_t block, nonce;
    tplr_tx *tx = calloc(1, sizeof *tx);
    if (tplr_chain_block(c, &block, NULL))
        return NULL;
    randombytes_buf(&nonce, sizeof nonce);
    nonce = (nonce & 0x3fffffffffffffffull);
    for (int i = 0; i < count; i++) {
        memset(tx, 0, sizeof *tx);
        tx->op = weights ? TPLR_TX_SET_WEIGHTS : TPLR_TX_TRANSFER;
        tx->netuid = tplr_chain_netuid(c), tx->nonce = nonce + (uint64_t)i, tx->block = block;
        memcpy(tx->signer, signer.pk, 32);
        if (weights) { /* every miner, with varying weights */
            tx->n_weights = L->n_uids - L->v_uids;
            for (int j = 0; j < tx->n_weights; j++) {
                tx->uids[j] = (uint16_t)(L->v_uids + j);
                tx->weights[j] = (uint16_t)(1 + (i * 7919 + j * 104729) % 65535);
            }
        } else {
            memcpy(tx->key, sink.pk, 32);
            tx->amount = 1;
        }
        tplr_tx_sign(tx, tplr_chain_id(c), signer.sk, NULL);
        bodies[i] = tplr_tx_to_json(tx);
    }
    free(tx);
    return bodies;
}

/* One process of a run: waits for the go byte, then sends for L->seconds;
 * writes {ok, errors, n} (longs) and n latencies (float, seconds) to fd. */
static void worker(const load *L, int k, int ready_fd, int go_fd, int out_fd)
{
    tplr_chain *c = NULL;
    char **bodies = NULL;
    int count = 0;
    int writes = strcmp(L->op, "read") != 0;
    if (writes) {
        if (tplr_chain_connect(L->url, NULL, &c))
            _exit(2);
        count = (int)(BUDGET_PER_S * L->seconds / L->procs) + 1;
        if (!(bodies = sign_batch(c, L, k, count)))
            _exit(2);
        tplr_chain_close(c);
    }
    http_conn *h = malloc(sizeof *h);
    if (!h || http_connect(h, L->host, L->port))
        _exit(3);
    size_t cap = 1 << 20, n = 0;
    float *lat = malloc(cap * sizeof *lat);
    long ok = 0, errors = 0;
    char b = 1;
    if (write(ready_fd, &b, 1) != 1 || read(go_fd, &b, 1) != 1)
        _exit(4);
    double end = tplr_now() + L->seconds;
    for (int i = 0; tplr_now() < end; i++) {
        if (writes && i == count)
            break; /* out of pre-signed requests: the count says how fast it went */
        double t0 = tplr_now();
        int status = writes ? http_request(h, "POST", L->path, bodies[i], strlen(bodies[i]))
                            : http_request(h, "GET", L->path, NULL, 0);
        if (status < 0)
            _exit(5);
        if (n < cap)
            lat[n++] = (float)(tplr_now() - t0);
        status == 200 ? ok++ : errors++;
    }
    long head[3] = {ok, errors, (long)n};
    if (write(out_fd, head, sizeof head) != sizeof head ||
        write(out_fd, lat, n * sizeof *lat) != (ssize_t)(n * sizeof *lat))
        _exit(6);
    _exit(0);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

typedef struct run_result {
    double per_s, p50_ms, p99_ms;
    long ok, errors;
} run_result;

static int run_once(const load *L, run_result *res)
{
    int ready[2], go[2];
    if (pipe(ready) || pipe(go))
        return -1;
    pid_t pids[64];
    char files[64][64];
    for (int k = 0; k < L->procs; k++) {
        snprintf(files[k], sizeof files[k], "/tmp/ledger_load.%d.%d", (int)getpid(), k);
        FILE *f = fopen(files[k], "w");
        if (!f)
            return -1;
        if ((pids[k] = fork()) == 0)
            worker(L, k, ready[1], go[0], fileno(f));
        fclose(f);
    }
    char b;
    for (int k = 0; k < L->procs; k++)
        if (read(ready[0], &b, 1) != 1)
            return -1;
    for (int k = 0; k < L->procs; k++)
        if (write(go[1], &b, 1) != 1)
            return -1;
    int failed = 0;
    size_t total = 0;
    float *all = NULL;
    memset(res, 0, sizeof *res);
    for (int k = 0; k < L->procs; k++) {
        int status;
        waitpid(pids[k], &status, 0);
        failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        FILE *f = fopen(files[k], "r");
        long head[3];
        if (f && fread(head, sizeof head, 1, f) == 1) {
            size_t n = (size_t)head[2];
            all = realloc(all, (total + n) * sizeof *all);
            total += fread(all + total, sizeof *all, n, f);
            res->ok += head[0], res->errors += head[1];
        } else
            failed = 1;
        if (f)
            fclose(f);
        unlink(files[k]);
    }
    close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
    if (failed || !total) {
        free(all);
        return -1;
    }
    qsort(all, total, sizeof *all, cmp_float);
    res->per_s = (double)res->ok / L->seconds;
    res->p50_ms = 1000.0 * all[total / 2];
    res->p99_ms = 1000.0 * all[(size_t)((double)total * 0.99)];
    free(all);
    return 0;
}

static int parse_url(load *L)
{
    if (sscanf(L->url, "http://%63[^:]:%d", L->host, &L->port) != 2) {
        fprintf(stderr, "ledger_load: --url http://HOST:PORT\n");
        return -1;
    }
    return 0;
}

static int cmd_run(int argc, char **argv, int writes)
{
    load L = {0};
    L.url = arg(argc, argv, "--url", "");
    L.op = writes ? arg(argc, argv, "--op", "transfer") : "read";
    L.procs = atoi(arg(argc, argv, "--procs", "4"));
    L.seconds = atof(arg(argc, argv, "--seconds", "4"));
    int repeat = atoi(arg(argc, argv, "--repeat", "3"));
    char path[128];
    snprintf(path, sizeof path, "/v1/tx/%s", L.op);
    L.path = writes ? path : arg(argc, argv, "--path", "/v1/block");
    if (parse_url(&L) || L.procs < 1 || L.procs > 64)
        return 1;
    if (writes && !strcmp(L.op, "set_weights")) {
        tplr_chain *c;
        tplr_metagraph m;
        if (tplr_chain_connect(L.url, NULL, &c) || tplr_chain_metagraph(c, &m))
            return die("metagraph");
        for (int i = 0; i < m.n; i++)
            L.v_uids += m.neurons[i].validator_permit;
        L.n_uids = m.n;
        tplr_metagraph_free(&m);
        tplr_chain_close(c);
        if (L.v_uids < L.procs)
            return fprintf(stderr, "ledger_load: %d validators for %d processes\n", L.v_uids, L.procs), 1;
    }
    run_result best = {0}, r;
    char runs[256] = "";
    for (int i = 0; i < repeat; i++) {
        if (run_once(&L, &r))
            return fprintf(stderr, "ledger_load: a load process failed (is the server up?)\n"), 1;
        snprintf(runs + strlen(runs), sizeof runs - strlen(runs), "%s%.0f", i ? "," : "", r.per_s);
        if (r.per_s > best.per_s)
            best = r;
    }
    if (writes)
        printf("{\"bench\":\"ledger\",\"metric\":\"signed_writes\",\"op\":\"%s\",\"per_s\":%.0f,\"p50_ms\":%.2f,"
               "\"p99_ms\":%.2f,\"ok\":%ld,\"refused\":%ld,\"procs\":%d,\"seconds\":%g,\"runs_per_s\":[%s],"
               "\"target_per_s\":2000,\"target_p99_ms\":20,\"uids_weighted\":%d}\n",
               L.op, best.per_s, best.p50_ms, best.p99_ms, best.ok, best.errors, L.procs, L.seconds, runs,
               L.n_uids - L.v_uids);
    else
        printf("{\"bench\":\"ledger\",\"metric\":\"reads\",\"path\":\"%s\",\"per_s\":%.0f,\"p50_ms\":%.3f,"
               "\"p99_ms\":%.3f,\"ok\":%ld,\"errors\":%ld,\"procs\":%d,\"seconds\":%g,\"runs_per_s\":[%s],"
               "\"target_per_s\":20000}\n",
               L.path, best.per_s, best.p50_ms, best.p99_ms, best.ok, best.errors, L.procs, L.seconds, runs);
    return best.errors ? 1 : 0;
}

/* The ceilings: the SQLite work of one transfer as a bare transaction (WAL,
 * synchronous=NORMAL, one thread), and one Ed25519 verification. */
static int cmd_peers(int argc, char **argv)
{
    char db[4096];
    snprintf(db, sizeof db, "%s/peer.db", arg(argc, argv, "--dir", "/tmp"));
    unlink(db);
    sqlite3 *s;
    if (sqlite3_open(db, &s) ||
        sqlite3_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                        "CREATE TABLE a(k BLOB PRIMARY KEY, b INTEGER) WITHOUT ROWID;"
                        "CREATE TABLE x(blk INTEGER, i INTEGER, s BLOB, n INTEGER, p BLOB, PRIMARY KEY(blk, i))"
                        " WITHOUT ROWID; CREATE UNIQUE INDEX xn ON x(s, n);"
                        "INSERT INTO a VALUES(x'01', 1000000000), (x'02', 0);",
                     NULL, NULL, NULL))
        return fprintf(stderr, "ledger_load: sqlite: %s\n", sqlite3_errmsg(s)), 1;
    sqlite3_stmt *q[4];
    const char *sql[4] = {"SELECT b FROM a WHERE k = ?1", "UPDATE a SET b = b - 1 WHERE k = x'01'",
                          "UPDATE a SET b = b + 1 WHERE k = x'02'", "INSERT INTO x VALUES(1, ?1, x'01', ?1, ?2)"};
    for (int i = 0; i < 4; i++)
        sqlite3_prepare_v2(s, sql[i], -1, &q[i], NULL);
    unsigned char payload[139] = {0};
    double t0 = tplr_now();
    long n = 0;
    for (; tplr_now() - t0 < 2; n++) {
        sqlite3_exec(s, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        sqlite3_bind_blob(q[0], 1, "\x01", 1, SQLITE_STATIC);
        sqlite3_bind_int64(q[3], 1, n);
        sqlite3_bind_blob(q[3], 2, payload, sizeof payload, SQLITE_STATIC);
        for (int i = 0; i < 4; i++) {
            while (sqlite3_step(q[i]) == SQLITE_ROW)
                ;
            sqlite3_reset(q[i]);
        }
        sqlite3_exec(s, "COMMIT", NULL, NULL, NULL);
    }
    double tx_s = (double)n / (tplr_now() - t0);
    for (int i = 0; i < 4; i++)
        sqlite3_finalize(q[i]);
    sqlite3_close(s);
    tplr_keypair kp;
    bench_key('c', 0, &kp);
    unsigned char sig[64];
    tplr_key_sign(sig, payload, sizeof payload, kp.sk);
    t0 = tplr_now();
    for (n = 0; tplr_now() - t0 < 1; n++)
        tplr_key_verify(sig, payload, sizeof payload, kp.pk);
    double ver_s = (double)n / (tplr_now() - t0);
    printf("{\"bench\":\"ledger\",\"metric\":\"peer_sqlite_transfer_tx\",\"per_s\":%.0f,\"threads\":1,"
           "\"journal\":\"wal\",\"synchronous\":\"normal\"}\n", tx_s);
    printf("{\"bench\":\"ledger\",\"metric\":\"peer_ed25519_verify\",\"per_s\":%.0f,\"threads\":1,"
           "\"library\":\"libsodium %s\"}\n", ver_s, sodium_version_string());
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    const char *cmd = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "genesis"))
        return cmd_genesis(argc, argv);
    if (!strcmp(cmd, "setup"))
        return cmd_setup(argc, argv);
    if (!strcmp(cmd, "writes"))
        return cmd_run(argc, argv, 1);
    if (!strcmp(cmd, "reads"))
        return cmd_run(argc, argv, 0);
    if (!strcmp(cmd, "peers"))
        return cmd_peers(argc, argv);
    fprintf(stderr, "usage: ledger_load genesis|setup|writes|reads|peers [options] (see bench/ledger/run.sh)\n");
    return 2;
}
