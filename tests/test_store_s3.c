/* The S3 backend against a real S3 endpoint: moto_server, started on a free
 * port for this test and stopped by its PID. Round trips, listing across
 * pages, multipart uploads, ranged downloads, missing buckets, unreachable
 * endpoints, and gather over several buckets (and a folder) at once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_fixture.h"
#include "test_util.h"
#include "tplr/fileio.h"
#include "tplr/gather.h"
#include "tplr/store.h"
#include "tplr/timeutil.h"

#define MIB (1024u * 1024u)

static fx_server moto;
static tplr_s3_config cfg;

static int start_moto(void **state)
{
    (void)state;
    fx_start_moto(&moto);
    fx_s3_config(&cfg, moto.endpoint);
    fx_create_bucket(&cfg, "tplr-a");
    fx_create_bucket(&cfg, "tplr-b");
    return 0;
}

static int stop_moto(void **state)
{
    (void)state;
    fx_stop(&moto);
    return 0;
}

static void expect_error(tplr_err got, tplr_err want, const char *needle)
{
    if (got != want)
        fail_msg("expected %s, got %s (%s)", tplr_err_name(want), tplr_err_name(got), tplr_errmsg());
    if (needle && !strstr(tplr_errmsg(), needle))
        fail_msg("message '%s' lacks '%s'", tplr_errmsg(), needle);
}

static tplr_store *open_s3(const char *url, const tplr_s3_config *c)
{
    tplr_store *s;
    ASSERT_OK(tplr_store_open(url, c ? c : &cfg, &s));
    return s;
}

static void test_roundtrip(void **state)
{
    (void)state;
    tplr_store *s = open_s3("s3://tplr-a", NULL);
    unsigned char buf[70000];
    fx_fill(buf, sizeof buf, 7);
    double before = floor(tplr_wall_time());
    ASSERT_OK(tplr_store_put(s, "dir/obj.bin", buf, sizeof buf));
    ASSERT_OK(tplr_store_put(s, "empty", "", 0));
    tplr_obj_info info;
    ASSERT_OK(tplr_store_head(s, "dir/obj.bin", &info));
    assert_int_equal(info.size, sizeof buf);
    assert_true(info.last_modified >= before && info.last_modified <= tplr_wall_time() + 1);
    assert_true(strlen(info.etag) > 0);
    unsigned char *data;
    size_t n;
    ASSERT_OK(tplr_store_get(s, "dir/obj.bin", sizeof buf, &data, &n, &info));
    assert_int_equal(n, sizeof buf);
    assert_memory_equal(data, buf, n);
    free(data);
    ASSERT_OK(tplr_store_get(s, "empty", 10, &data, &n, NULL));
    assert_int_equal(n, 0);
    free(data);
    tplr_store_stats st;
    tplr_store_get_stats(s, &st);
    uint64_t received = st.bytes_received;
    /* over the cap: refused from the headers, without the body */
    expect_error(tplr_store_get(s, "dir/obj.bin", 1000, &data, &n, NULL), TPLR_ETOOLARGE, "s3://tplr-a/dir/obj.bin");
    tplr_store_get_stats(s, &st);
    assert_true(st.bytes_received - received < sizeof buf / 2);
    expect_error(tplr_store_get(s, "nope", 10, &data, &n, NULL), TPLR_ENOTFOUND, "NoSuchKey");
    ASSERT_OK(tplr_store_delete(s, "dir/obj.bin"));
    ASSERT_OK(tplr_store_delete(s, "dir/obj.bin"));
    expect_error(tplr_store_head(s, "dir/obj.bin", &info), TPLR_ENOTFOUND, moto.endpoint);
    tplr_store_close(s);
}

static void test_missing_bucket_and_endpoint(void **state)
{
    (void)state;
    tplr_store *s = open_s3("s3://no-such-bucket/pre", NULL);
    unsigned char *data;
    size_t n;
    expect_error(tplr_store_get(s, "k", 10, &data, &n, NULL), TPLR_ENOTFOUND, "NoSuchBucket");
    assert_non_null(strstr(tplr_errmsg(), "s3://no-such-bucket/pre/k"));
    expect_error(tplr_store_put(s, "k", "x", 1), TPLR_ENOTFOUND, "no-such-bucket");
    tplr_obj_list l;
    expect_error(tplr_store_list(s, "", &l), TPLR_ENOTFOUND, "NoSuchBucket");
    tplr_store_close(s);

    tplr_s3_config c = cfg;
    snprintf(c.endpoint, sizeof c.endpoint, "http://127.0.0.1:%d", fx_free_port());
    c.max_retries = 2;
    s = open_s3("s3://tplr-a", &c);
    expect_error(tplr_store_get(s, "k", 10, &data, &n, NULL), TPLR_EUNREACHABLE, c.endpoint);
    assert_non_null(strstr(tplr_errmsg(), "after 3 attempts"));
    tplr_store_stats st;
    tplr_store_get_stats(s, &st);
    assert_int_equal(st.retries, 2);
    tplr_store_close(s);
}

static void test_list_pages(void **state)
{
    (void)state;
    tplr_s3_config c = cfg;
    c.list_page_size = 3;
    tplr_store *s = open_s3("s3://tplr-b/run1", &c);
    tplr_store *outside = open_s3("s3://tplr-b", NULL);
    ASSERT_OK(tplr_store_put(outside, "run10/x", "not under run1/", 15));
    char key[64];
    for (int i = 9; i >= 0; i--) {
        snprintf(key, sizeof key, "grad/%02d", i);
        ASSERT_OK(tplr_store_put(s, key, key, strlen(key)));
    }
    ASSERT_OK(tplr_store_put(s, "other", "o", 1));
    tplr_store_stats before, after;
    tplr_store_get_stats(s, &before);
    tplr_obj_list l;
    ASSERT_OK(tplr_store_list(s, "grad/", &l));
    tplr_store_get_stats(s, &after);
    assert_int_equal(l.n, 10);
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "grad/%02d", i);
        assert_string_equal(l.items[i].key, key);
        assert_int_equal(l.items[i].info.size, 7);
        assert_true(l.items[i].info.last_modified > 1.7e9);
    }
    assert_int_equal(after.requests - before.requests, 4); /* pages of 3 */
    tplr_obj_list_free(&l);
    ASSERT_OK(tplr_store_list(s, "", &l));
    assert_int_equal(l.n, 11); /* run10/x is another prefix */
    tplr_obj_list_free(&l);
    tplr_store_close(s);
    tplr_store_close(outside);
}

static void test_multipart_and_ranges(void **state)
{
    (void)state;
    tplr_s3_config c = cfg;
    c.multipart_threshold = 5 * MIB;
    c.part_size = 5 * MIB;
    c.ranged_get_threshold = 4 * MIB;
    c.range_size = 3 * MIB;
    c.parallel = 3;
    tplr_store *s = open_s3("s3://tplr-a/mp", &c);
    size_t n = 12 * MIB + 12345;
    unsigned char *buf = malloc(n);
    fx_fill(buf, n, 3);
    tplr_store_stats st0, st1;
    tplr_store_get_stats(s, &st0);
    ASSERT_OK(tplr_store_put(s, "big.bin", buf, n));
    tplr_store_get_stats(s, &st1);
    assert_int_equal(st1.requests - st0.requests, 5); /* initiate, 3 parts, complete */
    tplr_obj_info info;
    ASSERT_OK(tplr_store_head(s, "big.bin", &info));
    assert_int_equal(info.size, n);
    assert_non_null(strstr(info.etag, "-3")); /* a multipart ETag */

    unsigned char *back;
    size_t got;
    tplr_store_get_stats(s, &st0);
    ASSERT_OK(tplr_store_get(s, "big.bin", n, &back, &got, &info));
    tplr_store_get_stats(s, &st1);
    assert_int_equal(got, n);
    assert_memory_equal(back, buf, n);
    assert_int_equal(info.size, n);
    free(back);
    assert_int_equal(st1.requests - st0.requests, 1 + 5); /* the first GET stops at the headers; 5 ranges */

    char dir[4096], path[4200];
    tu_tmpdir("store-s3", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/big.bin", dir);
    ASSERT_OK(tplr_store_get_file(s, "big.bin", path, n, NULL));
    char *file;
    ASSERT_OK(tplr_read_file(path, n, &file, &got));
    assert_int_equal(got, n);
    assert_memory_equal(file, buf, n);
    free(file);
    expect_error(tplr_store_get_file(s, "big.bin", path, n - 1, NULL), TPLR_ETOOLARGE, NULL);
    ASSERT_OK(tplr_read_file(path, n, &file, &got)); /* the old file is untouched */
    assert_int_equal(got, n);
    free(file);
    free(buf);
    tplr_store_close(s);
}

/* Accepts objects that start with "grad". */
static tplr_err starts_with_grad(const unsigned char *data, size_t len, uint64_t uid, void *ctx)
{
    (void)ctx;
    if (len < 4 || memcmp(data, "grad", 4) != 0)
        return tplr_fail(TPLR_EFORMAT, "uid %llu: not a gradient", (unsigned long long)uid);
    return TPLR_OK;
}

static void test_gather(void **state)
{
    (void)state;
    tplr_store *a = open_s3("s3://tplr-a/peers", NULL), *b = open_s3("s3://tplr-b", NULL);
    char dir[4096];
    tu_tmpdir("store-s3-gather", dir, sizeof dir);
    tplr_store *folder;
    ASSERT_OK(tplr_store_open(dir, NULL, &folder));
    unsigned char body[200000];
    memcpy(body, "grad", 4);
    fx_fill(body + 4, sizeof body - 4, 11);
    ASSERT_OK(tplr_store_put(a, "gradient-7-1-v1.tplr", body, sizeof body));
    ASSERT_OK(tplr_store_put(b, "gradient-7-2-v1.tplr", body, sizeof body));
    ASSERT_OK(tplr_store_put(b, "gradient-7-3-v1.tplr", "junk", 4));
    ASSERT_OK(tplr_store_put(folder, "gradient-7-5-v1.tplr", body, sizeof body));
    ASSERT_OK(tplr_store_put(a, "gradient-7-6-v1.tplr", body, sizeof body));
    tplr_gather_peer primary[] = {{1, a, "gradient-7-1-v1.tplr"},
                                  {2, b, "gradient-7-2-v1.tplr"},
                                  {3, b, "gradient-7-3-v1.tplr"},
                                  {4, a, "gradient-7-4-v1.tplr"}};
    tplr_gather_peer reserve[] = {{5, folder, "gradient-7-5-v1.tplr"}, {6, a, "gradient-7-6-v1.tplr"}};
    tplr_gather_opts o;
    tplr_gather_opts_defaults(&o);
    o.poll_interval_s = 0.1;
    o.peer_timeout_s = 0.6;
    o.validate = starts_with_grad;
    o.time_min = tplr_wall_time() - 60;
    o.time_max = tplr_wall_time() + 60;

    pid_t child = fork(); /* peer 4 uploads while the gather polls */
    if (child == 0) {
        usleep(250000);
        tplr_store *own; /* not the parent's: its curl handles stay the parent's */
        _exit(tplr_store_open("s3://tplr-a/peers", &cfg, &own) ||
              tplr_store_put(own, "gradient-7-4-v1.tplr", body, sizeof body));
    }
    tplr_gather_result r;
    ASSERT_OK(tplr_gather_with_reserve(primary, 4, reserve, 2, &o, &r));
    waitpid(child, NULL, 0);
    tplr_peer_outcome want[] = {TPLR_PEER_OK, TPLR_PEER_OK, TPLR_PEER_INVALID, TPLR_PEER_OK, TPLR_PEER_OK};
    assert_int_equal(r.n_items, 5);
    for (int i = 0; i < 5; i++) {
        if (r.items[i].outcome != want[i])
            fail_msg("uid %llu: %s (%s)", (unsigned long long)r.items[i].uid,
                     tplr_peer_outcome_name(r.items[i].outcome), r.items[i].reason);
        if (want[i] == TPLR_PEER_OK) {
            assert_int_equal(r.items[i].len, sizeof body);
            assert_memory_equal(r.items[i].data, body, sizeof body);
        }
    }
    assert_non_null(strstr(r.items[2].reason, "not a gradient"));
    assert_true(r.items[3].requests > 1); /* polled until it appeared */
    /* one connection per request (moto closes each), so one per peer that had one request */
    for (int i = 0; i < 3; i++)
        assert_int_equal(r.items[i].connections, 1);
    assert_int_equal(r.items[4].connections, 0); /* a folder */
    assert_int_equal(r.n_ok, 4);
    assert_true(fabs(r.success_rate - 1.0) < 1e-9);
    tplr_gather_result_free(&r);

    /* every object is older than time_min: all EARLY, nothing downloaded */
    o.time_min = tplr_wall_time() + 30;
    o.time_max = o.time_min + 70;
    ASSERT_OK(tplr_gather(primary, 2, &o, &r));
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r.items[i].outcome, TPLR_PEER_EARLY);
        assert_null(r.items[i].data);
    }
    tplr_gather_result_free(&r);
    o.time_min = tplr_wall_time() - 100;
    o.time_max = o.time_min + 10;
    ASSERT_OK(tplr_gather(primary, 1, &o, &r));
    assert_int_equal(r.items[0].outcome, TPLR_PEER_LATE);
    assert_non_null(strstr(r.items[0].reason, "after time_max"));
    tplr_gather_result_free(&r);

    /* a missing bucket is an error at once, not an object to wait for */
    tplr_store *gone = open_s3("s3://no-such-bucket", NULL);
    tplr_gather_peer lost = {9, gone, "gradient-7-9-v1.tplr"};
    o.time_min = o.time_max = 0;
    o.peer_timeout_s = 5;
    ASSERT_OK(tplr_gather(&lost, 1, &o, &r));
    assert_int_equal(r.items[0].outcome, TPLR_PEER_ERROR);
    assert_int_equal(r.items[0].err, TPLR_ENOTFOUND);
    assert_int_equal(r.items[0].requests, 1);
    assert_non_null(strstr(r.items[0].reason, "NoSuchBucket"));
    tplr_gather_result_free(&r);
    tplr_store_close(gone);
    tplr_store_close(a);
    tplr_store_close(b);
    tplr_store_close(folder);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_missing_bucket_and_endpoint),
        cmocka_unit_test(test_list_pages),
        cmocka_unit_test(test_multipart_and_ranges),
        cmocka_unit_test(test_gather),
    };
    return cmocka_run_group_tests(tests, start_moto, stop_moto);
}
