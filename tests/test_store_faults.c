/* The S3 backend against a misbehaving endpoint (tests/store/fake_s3.py):
 * retries with backoff on 5xx, 429 and dropped connections, none on other
 * 4xx; timeouts on hung and trickling servers; truncated and oversized
 * replies; connection reuse; and that failed downloads leave no file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixture.h"
#include "test_util.h"
#include "tplr/fileio.h"
#include "tplr/gather.h"
#include "tplr/store.h"
#include "tplr/timeutil.h"

static fx_server fake;
static tplr_s3_config cfg;
static char dir[4096];

static int start_fake(void **state)
{
    (void)state;
    fx_start_fake(&fake);
    fx_s3_config(&cfg, fake.endpoint);
    cfg.max_retries = 3;
    cfg.low_speed_time_s = 1; /* hung servers give up after a second */
    cfg.low_speed_bytes = 100;
    tu_tmpdir("store-faults", dir, sizeof dir);
    return 0;
}

static int stop_fake(void **state)
{
    (void)state;
    fx_stop(&fake);
    return 0;
}

typedef struct outcome {
    tplr_err err;
    uint64_t retries, requests, connections;
    double seconds;
    char msg[TPLR_ERRMSG_MAX];
} outcome;

/* GETs key (to a file when to_file) on a fresh store; no file may remain on failure. */
static outcome get(const char *key, uint64_t cap, int to_file, const tplr_s3_config *c)
{
    outcome o;
    tplr_store *s;
    ASSERT_OK(tplr_store_open("s3://bkt", c ? c : &cfg, &s));
    char path[4200];
    int n = snprintf(path, sizeof path, "%s/out-", dir);
    for (const char *k = key; *k && n < (int)sizeof path - 1; k++)
        path[n++] = *k == '/' ? '_' : *k;
    path[n] = '\0';
    double t0 = tplr_now();
    if (to_file) {
        o.err = tplr_store_get_file(s, key, path, cap, NULL);
    } else {
        unsigned char *data = NULL;
        size_t n;
        o.err = tplr_store_get(s, key, cap, &data, &n, NULL);
        free(data);
    }
    o.seconds = tplr_now() - t0;
    snprintf(o.msg, sizeof o.msg, "%s", tplr_errmsg());
    tplr_store_stats st;
    tplr_store_get_stats(s, &st);
    o.retries = st.retries;
    o.requests = st.requests;
    o.connections = st.connections;
    tplr_store_close(s);
    if (o.err && tplr_path_exists(path))
        fail_msg("a failed download of %s left %s behind", key, path);
    return o;
}

static void expect(const outcome *o, tplr_err want, const char *needle)
{
    if (o->err != want)
        fail_msg("expected %s, got %s (%s)", tplr_err_name(want), tplr_err_name(o->err), o->msg);
    if (needle && !strstr(o->msg, needle))
        fail_msg("message '%s' lacks '%s'", o->msg, needle);
}

static void test_retries_then_success(void **state)
{
    (void)state;
    outcome o = get("flaky-2/a", 10000, 1, NULL);
    expect(&o, TPLR_OK, NULL);
    assert_int_equal(o.retries, 2);
    o = get("slowdown-1/a", 10000, 0, NULL);
    expect(&o, TPLR_OK, NULL);
    assert_int_equal(o.retries, 1);
    o = get("delay-300/a", 10000, 0, NULL);
    expect(&o, TPLR_OK, NULL);
    assert_int_equal(o.retries, 0);
}

static void test_server_errors(void **state)
{
    (void)state;
    outcome o = get("err500/a", 10000, 1, NULL);
    expect(&o, TPLR_ESERVER, "HTTP 500 InternalError");
    assert_int_equal(o.requests, 4); /* 1 + max_retries */
    assert_non_null(strstr(o.msg, "after 4 attempts"));
    assert_non_null(strstr(o.msg, "s3://bkt/err500/a"));
    assert_non_null(strstr(o.msg, fake.endpoint));
    o = get("flaky-9/a", 10000, 0, NULL);
    expect(&o, TPLR_ESERVER, "SlowDown");
}

static void test_client_errors_not_retried(void **state)
{
    (void)state;
    outcome o = get("forbidden/a", 10000, 1, NULL);
    expect(&o, TPLR_EFORBIDDEN, "AccessDenied");
    assert_int_equal(o.requests, 1);
    o = get("bad400/a", 10000, 0, NULL);
    expect(&o, TPLR_EINVAL, "InvalidArgument");
    assert_int_equal(o.requests, 1);
    o = get("ok/absent", 10000, 1, NULL);
    expect(&o, TPLR_ENOTFOUND, "NoSuchKey");
    assert_int_equal(o.requests, 1);
}

static void test_broken_replies(void **state)
{
    (void)state;
    outcome o = get("trunc/a", 1 << 20, 1, NULL);
    expect(&o, TPLR_EBADRESPONSE, "before the reply was complete");
    assert_int_equal(o.requests, 4);
    o = get("drop/a", 1 << 20, 0, NULL);
    expect(&o, TPLR_EBADRESPONSE, NULL);
    assert_int_equal(o.requests, 4);
    o = get("huge/a", 1 << 20, 1, NULL);
    expect(&o, TPLR_ETOOLARGE, "1000000000000 bytes");
    assert_int_equal(o.requests, 1);
    /* a server that ignores Range: the large-object path refuses the whole body */
    tplr_s3_config c = cfg;
    c.ranged_get_threshold = 64 * 1024;
    c.range_size = 64 * 1024;
    o = get("norange/a", 1 << 20, 1, &c);
    expect(&o, TPLR_EBADRESPONSE, "100000 bytes, more than the 65536 asked for");
    o = get("badrange/a", 1 << 20, 0, &c);
    expect(&o, TPLR_EBADRESPONSE, "asked for bytes 0-65535 of 100000, got HTTP 206 with Content-Range 1-65536/100001");
}

static void test_hung_servers_time_out(void **state)
{
    (void)state;
    tplr_s3_config c = cfg;
    c.max_retries = 1;
    outcome o = get("hang/a", 1 << 20, 1, &c);
    expect(&o, TPLR_ETIMEOUT, "timed out");
    assert_int_equal(o.requests, 2);
    assert_true(o.seconds >= 1.5 && o.seconds < 8);
    o = get("trickle/a", 1 << 20, 1, &c);
    expect(&o, TPLR_ETIMEOUT, NULL);
    c.low_speed_time_s = 0;
    c.request_timeout_s = 0.5;
    c.max_retries = 0;
    o = get("hang/b", 1 << 20, 0, &c);
    expect(&o, TPLR_ETIMEOUT, NULL);
    assert_true(o.seconds < 3);
}

static void test_connection_reuse(void **state)
{
    (void)state;
    tplr_store *s;
    ASSERT_OK(tplr_store_open("s3://bkt/ok", &cfg, &s));
    for (int i = 0; i < 5; i++) {
        char key[32], body[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(body, sizeof body, "body %d", i);
        ASSERT_OK(tplr_store_put(s, key, body, strlen(body)));
        unsigned char *data;
        size_t n;
        ASSERT_OK(tplr_store_get(s, key, 100, &data, &n, NULL));
        assert_int_equal(n, strlen(body));
        free(data);
    }
    tplr_store_stats st;
    tplr_store_get_stats(s, &st);
    assert_int_equal(st.requests, 10);
    assert_int_equal(st.connections, 1); /* keep-alive: ten requests on one connection */
    tplr_store_close(s);
}

static void test_gather_with_a_hung_peer(void **state)
{
    (void)state;
    tplr_s3_config c = cfg;
    c.low_speed_time_s = 0; /* only the gather's per-peer timeout applies */
    tplr_store *s;
    ASSERT_OK(tplr_store_open("s3://bkt", &c, &s));
    tplr_gather_peer peers[] = {{1, s, "gen-5000/g"}, {2, s, "hang/g"}, {3, s, "flaky-1/g"}, {4, s, "forbidden/g"}};
    tplr_gather_opts o;
    tplr_gather_opts_defaults(&o);
    o.peer_timeout_s = 1.0;
    tplr_gather_result r;
    double t0 = tplr_now();
    ASSERT_OK(tplr_gather(peers, 4, &o, &r));
    double took = tplr_now() - t0;
    assert_true(took >= 0.9 && took < 4);
    assert_int_equal(r.items[0].outcome, TPLR_PEER_OK);
    assert_int_equal(r.items[0].len, 5000);
    assert_int_equal(r.items[1].outcome, TPLR_PEER_ERROR);
    assert_int_equal(r.items[1].err, TPLR_ETIMEOUT);
    assert_int_equal(r.items[2].outcome, TPLR_PEER_OK); /* after one retry */
    assert_int_equal(r.items[2].requests, 2);
    assert_int_equal(r.items[3].outcome, TPLR_PEER_ERROR);
    assert_int_equal(r.items[3].err, TPLR_EFORBIDDEN);
    assert_true(r.items[0].seconds < 0.9); /* the others did not wait for the hung peer */
    tplr_gather_result_free(&r);
    tplr_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retries_then_success),
        cmocka_unit_test(test_server_errors),
        cmocka_unit_test(test_client_errors_not_retried),
        cmocka_unit_test(test_broken_replies),
        cmocka_unit_test(test_hung_servers_time_out),
        cmocka_unit_test(test_connection_reuse),
        cmocka_unit_test(test_gather_with_a_hung_peer),
    };
    return cmocka_run_group_tests(tests, start_fake, stop_fake);
}
