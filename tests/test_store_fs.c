/* The filesystem store, the key rules and key scheme, retention, and gather
 * over folders: outcomes, time bounds, polling, reserves and caps. */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store_fixture.h"
#include "test_util.h"
#include "tplr/fileio.h"
#include "tplr/gather.h"
#include "tplr/store.h"
#include "tplr/store_keys.h"
#include "tplr/timeutil.h"

static void expect_error(tplr_err got, tplr_err want, const char *needle)
{
    if (got != want)
        fail_msg("expected %s, got %s (%s)", tplr_err_name(want), tplr_err_name(got), tplr_errmsg());
    if (needle && !strstr(tplr_errmsg(), needle))
        fail_msg("message '%s' lacks '%s'", tplr_errmsg(), needle);
}

static tplr_store *open_dir(const char *tag, char *dir, size_t cap)
{
    tu_tmpdir(tag, dir, cap);
    tplr_store *s;
    ASSERT_OK(tplr_store_open(dir, NULL, &s));
    return s;
}

static void put_text(tplr_store *s, const char *key, const char *text)
{
    ASSERT_OK(tplr_store_put(s, key, text, strlen(text)));
}

static void test_key_rules(void **state)
{
    (void)state;
    const char *good[] = {"a", "gradient-5-3-v1.0.tplr", "checkpoints/1.0/12/model.safetensors", "a b", "..a", "a.."};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ASSERT_OK(tplr_store_check_key(good[i]));
    const char *bad[] = {"", "/abs", "a/../b", "..", "./a", "a//b", "a/", "tab\there", "x.tplr-tmp-123"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(tplr_store_check_key(bad[i]), TPLR_EINVAL);
    char longkey[1100];
    memset(longkey, 'k', 1025);
    longkey[1025] = '\0';
    expect_error(tplr_store_check_key(longkey), TPLR_EINVAL, "1025 bytes");
}

static void test_split_url(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"s3://b/a/k", "s3://b", "a/k"},   {"s3://b", "s3://b", ""},         {"s3://b/", "s3://b", ""},
        {"/d/e/k", "/d/e", "k"},           {"file:///d/e/k", "file:///d/e", "k"}, {"/k", "/", "k"},
        {"file:///k", "file:///", "k"},    {"rel/dir/", "rel/dir", ""},      {"name", ".", "name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char root[256], key[256];
        ASSERT_OK(tplr_store_split_url(cases[i][0], root, sizeof root, key, sizeof key));
        assert_string_equal(root, cases[i][1]);
        assert_string_equal(key, cases[i][2]);
    }
    tplr_store *s;
    expect_error(tplr_store_open("ftp://host/x", NULL, &s), TPLR_EINVAL, "unsupported URL scheme");
    expect_error(tplr_store_open("file://host/x", NULL, &s), TPLR_EINVAL, "local absolute path");
    expect_error(tplr_store_open("s3://bad bucket/x", NULL, &s), TPLR_EINVAL, "bucket names");
}

static void test_roundtrip(void **state)
{
    (void)state;
    char dir[4096];
    tplr_store *s = open_dir("store-rt", dir, sizeof dir);
    double before = tplr_wall_time();
    put_text(s, "a/b/c.bin", "hello");
    put_text(s, "a/b/c.bin", "hello, again"); /* overwrite */
    put_text(s, "top", "");
    unsigned char *data;
    size_t n;
    tplr_obj_info info;
    ASSERT_OK(tplr_store_get(s, "a/b/c.bin", 100, &data, &n, &info));
    assert_int_equal(n, 12);
    assert_memory_equal(data, "hello, again", 12);
    assert_int_equal(data[n], 0); /* NUL-terminated for convenience */
    free(data);
    assert_true(info.last_modified >= floor(before) && info.last_modified <= tplr_wall_time() + 1);
    ASSERT_OK(tplr_store_get(s, "top", 100, &data, &n, NULL));
    assert_int_equal(n, 0);
    free(data);
    ASSERT_OK(tplr_store_head(s, "a/b/c.bin", &info));
    assert_int_equal(info.size, 12);

    expect_error(tplr_store_get(s, "a/b/c.bin", 11, &data, &n, NULL), TPLR_ETOOLARGE, "12 bytes");
    expect_error(tplr_store_get(s, "a/b", 100, &data, &n, NULL), TPLR_ENOTFOUND, "no object 'a/b'");
    expect_error(tplr_store_head(s, "nope", &info), TPLR_ENOTFOUND, dir);
    expect_error(tplr_store_put(s, "../escape", "x", 1), TPLR_EINVAL, "'..'");

    ASSERT_OK(tplr_store_delete(s, "a/b/c.bin"));
    ASSERT_OK(tplr_store_delete(s, "a/b/c.bin")); /* missing: fine, as on S3 */
    char path[4200];
    snprintf(path, sizeof path, "%s/a", dir);
    assert_false(tplr_path_exists(path)); /* emptied folders go too */
    tplr_store_close(s);
}

static void test_get_file_atomic(void **state)
{
    (void)state;
    char dir[4096], out[4200];
    tplr_store *s = open_dir("store-gf", dir, sizeof dir);
    unsigned char big[300000];
    fx_fill(big, sizeof big, 1);
    ASSERT_OK(tplr_store_put(s, "big", big, sizeof big));
    snprintf(out, sizeof out, "%s/out.bin", dir);
    ASSERT_OK(tplr_store_get_file(s, "big", out, sizeof big, NULL));
    char *back;
    size_t n;
    ASSERT_OK(tplr_read_file(out, sizeof big, &back, &n));
    assert_int_equal(n, sizeof big);
    assert_memory_equal(back, big, n);
    free(back);
    /* failures leave the destination as it was: absent, or the old file */
    expect_error(tplr_store_get_file(s, "big", out, 1000, NULL), TPLR_ETOOLARGE, NULL);
    ASSERT_OK(tplr_read_file(out, sizeof big, &back, &n));
    assert_int_equal(n, sizeof big);
    free(back);
    snprintf(out, sizeof out, "%s/absent.bin", dir);
    expect_error(tplr_store_get_file(s, "missing", out, 1000, NULL), TPLR_ENOTFOUND, NULL);
    assert_false(tplr_path_exists(out));
    tplr_obj_list l;
    ASSERT_OK(tplr_store_list(s, "", &l));
    assert_int_equal(l.n, 2); /* big and out.bin: no temporary files left */
    tplr_obj_list_free(&l);
    tplr_store_close(s);
}

static void test_list_prefixes(void **state)
{
    (void)state;
    char dir[4096];
    tplr_store *s = open_dir("store-ls", dir, sizeof dir);
    const char *keys[] = {"b", "a/b/c", "ab", "a/bc", "a/b/d/e"};
    for (int i = 0; i < 5; i++)
        put_text(s, keys[i], keys[i]);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/a/x.tplr-tmp-abc123", dir); /* a writer's temporary file */
    ASSERT_OK(tplr_write_file_atomic(tmp, "t", 1));
    tplr_obj_list l;
    ASSERT_OK(tplr_store_list(s, "a/b", &l));
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].key, "a/b/c");
    assert_string_equal(l.items[1].key, "a/b/d/e");
    assert_string_equal(l.items[2].key, "a/bc");
    assert_int_equal(l.items[2].info.size, 4);
    tplr_obj_list_free(&l);
    ASSERT_OK(tplr_store_list(s, "", &l));
    assert_int_equal(l.n, 5);
    for (size_t i = 1; i < l.n; i++)
        assert_true(strcmp(l.items[i - 1].key, l.items[i].key) < 0);
    tplr_obj_list_free(&l);
    ASSERT_OK(tplr_store_list(s, "zzz", &l));
    assert_int_equal(l.n, 0);
    tplr_obj_list_free(&l);
    tplr_store_close(s);
    ASSERT_OK(tplr_store_open("/nonexistent/tplr/store", NULL, &s)); /* nothing there yet: empty */
    ASSERT_OK(tplr_store_list(s, "", &l));
    assert_int_equal(l.n, 0);
    tplr_store_close(s);
}

/* Object bytes that say which writer made them: every byte derives from the first. */
static void make_version(unsigned char *buf, size_t n, unsigned char tag)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(tag + i * 31);
}

static int whole_version(const unsigned char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != (unsigned char)(buf[0] + i * 31))
            return 0;
    return 1;
}

/* Two processes write the same key over and over while both read it: every
 * read sees one writer's bytes, whole; no temporary file is left. */
static void test_concurrent_processes(void **state)
{
    (void)state;
    enum { SIZE = 1 << 18, ROUNDS = 150 };
    char dir[4096];
    tplr_store *s = open_dir("store-conc", dir, sizeof dir);
    unsigned char *mine = malloc(SIZE);
    make_version(mine, SIZE, 1);
    ASSERT_OK(tplr_store_put(s, "shared/obj", mine, SIZE));
    pid_t child = fork();
    assert_true(child >= 0);
    int bad = 0;
    unsigned char tag = child == 0 ? 100 : 1;
    for (int r = 0; r < ROUNDS; r++) {
        make_version(mine, SIZE, (unsigned char)(tag + r % 50));
        if (tplr_store_put(s, "shared/obj", mine, SIZE))
            bad++;
        unsigned char *got;
        size_t n;
        if (tplr_store_get(s, "shared/obj", SIZE, &got, &n, NULL) || n != SIZE || !whole_version(got, n))
            bad++;
        else
            free(got);
    }
    if (child == 0)
        _exit(bad ? 1 : 0);
    int status;
    waitpid(child, &status, 0);
    assert_int_equal(bad, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tplr_obj_list l;
    ASSERT_OK(tplr_store_list(s, "", &l));
    assert_int_equal(l.n, 1);
    tplr_obj_list_free(&l);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "ls -a %s/shared | grep -q tplr-tmp", dir);
    assert_int_not_equal(system(cmd), 0);
    free(mine);
    tplr_store_close(s);
}

static void test_key_scheme(void **state)
{
    (void)state;
    char k[TPLR_KEY_MAX];
    ASSERT_OK(tplr_key_gradient(k, sizeof k, 5120, 17, "2.1.18"));
    assert_string_equal(k, "gradient-5120-17-v2.1.18.tplr");
    ASSERT_OK(tplr_key_aggregator(k, sizeof k, 5120, "2.1.18"));
    assert_string_equal(k, "aggregator-5120-v2.1.18.tplr");
    ASSERT_OK(tplr_key_debug(k, sizeof k, 5120, 17, "2.1.18"));
    assert_string_equal(k, "debug-5120-17-v2.1.18.json");
    ASSERT_OK(tplr_key_peers(k, sizeof k, 5121, "2.1.18"));
    assert_string_equal(k, "peers_5121_v2.1.18.json");
    ASSERT_OK(tplr_key_start_window(k, sizeof k, "2.1.18"));
    assert_string_equal(k, "start_window_v2.1.18.json");
    ASSERT_OK(tplr_key_checkpoint(k, sizeof k, "2.1.18", 62834, "model.safetensors"));
    assert_string_equal(k, "checkpoints/2.1.18/62834/model.safetensors");
    ASSERT_OK(tplr_key_checkpoint_latest(k, sizeof k, "2.1.18"));
    assert_string_equal(k, "checkpoints/2.1.18/_LATEST.json");
    expect_error(tplr_key_gradient(k, sizeof k, 1, 2, "1/2"), TPLR_EINVAL, "version tag");
    expect_error(tplr_key_gradient(k, sizeof k, 1, 2, ""), TPLR_EINVAL, "version tag");
    expect_error(tplr_key_checkpoint(k, sizeof k, "1", 2, "../x"), TPLR_EINVAL, "one path segment");
    expect_error(tplr_key_gradient(k, 10, 1, 2, "1"), TPLR_EINVAL, "longer than");

    tplr_key_kind kind;
    uint64_t w, u;
    char v[40];
    assert_true(tplr_key_parse_miner("gradient-5120-17-v2.1.18.tplr", &kind, &w, &u, v, sizeof v));
    assert_int_equal(kind, TPLR_KEY_GRADIENT);
    assert_int_equal(w, 5120);
    assert_int_equal(u, 17);
    assert_string_equal(v, "2.1.18");
    assert_true(tplr_key_parse_miner("debug-0-0-vX.json", &kind, &w, &u, v, sizeof v) && kind == TPLR_KEY_DEBUG);
    const char *not_miner[] = {"gradient-5-3-v1.pt", "gradient-05-3-v1.tplr", "gradient--3-v1.tplr",
                               "gradient-5-3-1.tplr", "gradient-5-3-v.tplr", "aggregator-5-v1.tplr",
                               "gradient-99999999999999999999-3-v1.tplr", "gradient-5-3-v1/x.tplr"};
    for (size_t i = 0; i < sizeof not_miner / sizeof not_miner[0]; i++)
        assert_false(tplr_key_parse_miner(not_miner[i], &kind, &w, &u, v, sizeof v));
}

static void test_retention(void **state)
{
    (void)state;
    char dir[4096], k[TPLR_KEY_MAX];
    tplr_store *s = open_dir("store-prune", dir, sizeof dir);
    for (uint64_t w = 0; w < 10; w++)
        for (uint64_t uid = 1; uid <= 2; uid++) {
            ASSERT_OK(tplr_key_gradient(k, sizeof k, w, uid, "1.0"));
            put_text(s, k, "g");
            ASSERT_OK(tplr_key_debug(k, sizeof k, w, uid, "1.0"));
            put_text(s, k, "d");
            ASSERT_OK(tplr_key_gradient(k, sizeof k, w, uid, "0.9"));
            put_text(s, k, "old version");
        }
    put_text(s, "gradient-notes.txt", "not a gradient key");
    int deleted = -1;
    ASSERT_OK(tplr_store_prune_own(s, 1, "1.0", 10, 3, &deleted));
    assert_int_equal(deleted, 14); /* windows 0..6, gradient and debug */
    tplr_obj_list l;
    ASSERT_OK(tplr_store_list(s, "", &l));
    assert_int_equal(l.n, 60 + 1 - 14);
    tplr_obj_list_free(&l);
    ASSERT_OK(tplr_key_gradient(k, sizeof k, 6, 1, "1.0"));
    assert_int_equal(tplr_store_head(s, k, &(tplr_obj_info){0}), TPLR_ENOTFOUND);
    ASSERT_OK(tplr_key_gradient(k, sizeof k, 7, 1, "1.0"));
    ASSERT_OK(tplr_store_head(s, k, &(tplr_obj_info){0}));
    ASSERT_OK(tplr_store_prune_own(s, 1, "1.0", 2, 3, &deleted)); /* nothing old enough */
    assert_int_equal(deleted, 0);
    tplr_store_close(s);
}

/* ---- gather over folders ---- */

static char gdir[2][4096];
static tplr_store *gstore[2];

static int gather_setup(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        tu_tmpdir("store-gather", gdir[i], sizeof gdir[i]);
        if (tplr_store_open(gdir[i], NULL, &gstore[i]))
            return -1;
    }
    return 0;
}

static int gather_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        tplr_store_close(gstore[i]);
    return 0;
}

static void set_mtime(int which, const char *key, double t)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", gdir[which], key);
    struct timespec ts[2] = {{(time_t)t, 0}, {(time_t)t, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Refuses objects whose first byte is 'X'. */
static tplr_err refuse_x(const unsigned char *data, size_t len, uint64_t uid, void *ctx)
{
    int *calls = ctx;
    (*calls)++;
    if (len && data[0] == 'X')
        return tplr_fail(TPLR_EFORMAT, "uid %llu: bad magic", (unsigned long long)uid);
    return TPLR_OK;
}

static tplr_gather_opts fast_opts(void)
{
    tplr_gather_opts o;
    tplr_gather_opts_defaults(&o);
    o.poll_interval_s = 0.05;
    o.peer_timeout_s = 0.4;
    o.total_timeout_s = 10;
    return o;
}

static void test_gather_outcomes(void **state)
{
    (void)state;
    double now = floor(tplr_wall_time());
    put_text(gstore[0], "g1", "one");
    put_text(gstore[1], "g2", "two");
    put_text(gstore[0], "g3", "Xbad");
    put_text(gstore[1], "g4", "early");
    put_text(gstore[0], "g5", "late");
    set_mtime(1, "g4", now - 100);
    set_mtime(0, "g5", now + 100);
    tplr_gather_peer peers[] = {{1, gstore[0], "g1"}, {2, gstore[1], "g2"}, {3, gstore[0], "g3"},
                                {4, gstore[1], "g4"}, {5, gstore[0], "g5"}, {6, gstore[1], "g6-missing"}};
    int calls = 0;
    tplr_gather_opts o = fast_opts();
    o.time_min = now - 50;
    o.time_max = now + 50;
    o.validate = refuse_x;
    o.validate_ctx = &calls;
    tplr_gather_result r;
    ASSERT_OK(tplr_gather(peers, 6, &o, &r));
    assert_int_equal(r.n_items, 6);
    tplr_peer_outcome want[] = {TPLR_PEER_OK,    TPLR_PEER_OK,   TPLR_PEER_INVALID,
                                TPLR_PEER_EARLY, TPLR_PEER_LATE, TPLR_PEER_MISSING};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(r.items[i].uid, peers[i].uid);
        if (r.items[i].outcome != want[i])
            fail_msg("uid %d: %s (%s), expected %s", i + 1, tplr_peer_outcome_name(r.items[i].outcome),
                     r.items[i].reason, tplr_peer_outcome_name(want[i]));
    }
    assert_memory_equal(r.items[1].data, "two", 3);
    assert_int_equal(r.items[2].err, TPLR_EFORMAT);
    assert_non_null(strstr(r.items[2].reason, "bad magic"));
    assert_non_null(strstr(r.items[3].reason, "before time_min"));
    assert_non_null(strstr(r.items[4].reason, "after time_max"));
    assert_true(r.items[5].requests >= 4); /* polled while missing */
    assert_true(r.items[5].seconds >= 0.35);
    assert_int_equal(calls, 3); /* early/late are rejected before validation */
    assert_int_equal(r.n_ok, 2);
    assert_true(fabs(r.success_rate - 2.0 / 6) < 1e-9);
    assert_int_equal(r.bytes, 6);
    tplr_gather_result_free(&r);
}

static void test_gather_polls_until_present(void **state)
{
    (void)state;
    pid_t child = fork();
    if (child == 0) {
        usleep(300000);
        _exit(tplr_store_put(gstore[1], "appears", "late arrival", 12) ? 1 : 0);
    }
    tplr_gather_peer peer = {9, gstore[1], "appears"};
    tplr_gather_opts o = fast_opts();
    o.peer_timeout_s = 5;
    tplr_gather_result r;
    ASSERT_OK(tplr_gather(&peer, 1, &o, &r));
    waitpid(child, NULL, 0);
    assert_int_equal(r.items[0].outcome, TPLR_PEER_OK);
    assert_true(r.items[0].requests > 1);
    assert_true(r.items[0].seconds >= 0.25 && r.items[0].seconds < 3);
    tplr_gather_result_free(&r);
}

static void test_gather_with_reserve(void **state)
{
    (void)state;
    put_text(gstore[0], "r1", "p1");
    put_text(gstore[1], "r2", "p2");
    put_text(gstore[0], "r4", "Xinvalid");
    put_text(gstore[1], "r5", "reserve5");
    put_text(gstore[0], "r7", "reserve7");
    put_text(gstore[1], "r8", "reserve8");
    tplr_gather_peer primary[] = {{1, gstore[0], "r1"}, {2, gstore[1], "r2"}, {3, gstore[0], "r3-missing"},
                                  {4, gstore[0], "r4"}};
    tplr_gather_peer reserve[] = {{5, gstore[1], "r5"}, {6, gstore[1], "r6-missing"}, {7, gstore[0], "r7"},
                                  {8, gstore[1], "r8"}};
    int calls = 0;
    tplr_gather_opts o = fast_opts();
    o.validate = refuse_x;
    o.validate_ctx = &calls;
    tplr_gather_result r;
    ASSERT_OK(tplr_gather_with_reserve(primary, 4, reserve, 4, &o, &r));
    /* 4 (invalid) and 3 (missing) fail: reserves 5 and 6 step in; 6 is missing, so 7 follows; 8 is never needed */
    assert_int_equal(r.n_primary, 4);
    assert_int_equal(r.n_items, 7);
    uint64_t uids[] = {1, 2, 3, 4, 5, 6, 7};
    tplr_peer_outcome want[] = {TPLR_PEER_OK, TPLR_PEER_OK, TPLR_PEER_MISSING, TPLR_PEER_INVALID,
                                TPLR_PEER_OK, TPLR_PEER_MISSING, TPLR_PEER_OK};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(r.items[i].uid, uids[i]);
        assert_int_equal(r.items[i].outcome, want[i]);
        assert_int_equal(r.items[i].is_reserve, i >= 4);
    }
    assert_int_equal(r.n_ok, 4);
    assert_true(fabs(r.success_rate - 1.0) < 1e-9);
    tplr_gather_result_free(&r);
}

static void test_gather_limits(void **state)
{
    (void)state;
    put_text(gstore[0], "big", "0123456789");
    /* past time_max (plus grace): a missing object is not polled for long */
    tplr_gather_peer p[] = {{1, gstore[0], "never"}, {2, gstore[0], "big"}};
    tplr_gather_opts o = fast_opts();
    o.peer_timeout_s = 30;
    o.time_max = tplr_wall_time() - 10;
    o.max_bytes = 5;
    tplr_gather_result r;
    double t0 = tplr_now();
    ASSERT_OK(tplr_gather(p, 2, &o, &r));
    assert_true(tplr_now() - t0 < 2);
    assert_int_equal(r.items[0].outcome, TPLR_PEER_MISSING);
    assert_non_null(strstr(r.items[0].reason, "time_max passed"));
    assert_int_equal(r.items[1].outcome, TPLR_PEER_ERROR);
    assert_int_equal(r.items[1].err, TPLR_ETOOLARGE);
    tplr_gather_result_free(&r);
    /* the overall cap ends every peer */
    o = fast_opts();
    o.peer_timeout_s = 30;
    o.total_timeout_s = 0.3;
    t0 = tplr_now();
    ASSERT_OK(tplr_gather(p, 1, &o, &r));
    assert_true(tplr_now() - t0 < 1.5);
    assert_int_equal(r.items[0].outcome, TPLR_PEER_MISSING);
    assert_non_null(strstr(r.items[0].reason, "overall time cap"));
    tplr_gather_result_free(&r);
    tplr_gather_peer nokey = {1, gstore[0], "../x"};
    assert_int_equal(tplr_gather(&nokey, 1, &o, &r), TPLR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_rules),
        cmocka_unit_test(test_split_url),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_get_file_atomic),
        cmocka_unit_test(test_list_prefixes),
        cmocka_unit_test(test_concurrent_processes),
        cmocka_unit_test(test_key_scheme),
        cmocka_unit_test(test_retention),
        cmocka_unit_test_setup_teardown(test_gather_outcomes, gather_setup, gather_teardown),
        cmocka_unit_test_setup_teardown(test_gather_polls_until_present, gather_setup, gather_teardown),
        cmocka_unit_test_setup_teardown(test_gather_with_reserve, gather_setup, gather_teardown),
        cmocka_unit_test_setup_teardown(test_gather_limits, gather_setup, gather_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
