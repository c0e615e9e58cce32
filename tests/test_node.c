/* The node's config (defaults, file, --set, rejections, docs/config.md in
 * sync), its metrics lines and Prometheus text, and the node files
 * (written, read back, malformed ones refused field by field). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/fileio.h"
#include "tplr/metrics.h"
#include "tplr/node_config.h"
#include "tplr/node_files.h"

static void test_defaults(void **state)
{
    (void)state;
    tplr_node_config c;
    tplr_node_config_defaults(&c);
    assert_int_equal(c.blocks_per_window, 115);
    assert_int_equal(c.inner_steps, 30);
    assert_int_equal(c.batch, 192);
    assert_int_equal(c.seq, 2048);
    assert_true(c.inner_lr == 1.17e-4);
    assert_true(c.outer_lr == 0.4);
    assert_string_equal(c.outer_optimizer, "sgd");
    assert_int_equal(c.codec_topk, 64);
    assert_true(c.time_window_delta_s == 70);
    assert_int_equal(c.windows_per_weights, 3);
    assert_int_equal(c.checkpoint_frequency, 10);
    assert_int_equal(c.null_rounds, 2);
    assert_true(c.eval_lr_factor == 0.2);
    assert_int_equal(c.scoring.gather_peer_count, 20);
    assert_int_equal(c.scoring.uids_per_window, 20);
    assert_true(c.scoring.burn_rate == 0.5);
    ASSERT_OK(tplr_node_config_check(&c));
}

static void test_file_and_overrides(void **state)
{
    (void)state;
    tplr_node_config c;
    tplr_node_config_defaults(&c);
    const char *json = "{\"inner_steps\": 4, \"model_preset\": \"tiny\", \"model_overrides\": \"vocab=256\","
                       " \"seq\": 32, \"outer_lr\": 0.9, \"uids_per_window\": 3}";
    ASSERT_OK(tplr_node_config_apply_json(&c, json, strlen(json), "test.json"));
    assert_int_equal(c.inner_steps, 4);
    assert_true(c.outer_lr == 0.9);
    assert_int_equal(c.scoring.uids_per_window, 3);
    assert_int_equal(c.batch, 192); /* untouched */
    ASSERT_OK(tplr_node_config_set(&c, "inner_steps=7"));
    ASSERT_OK(tplr_node_config_set(&c, "burn_rate=0.25"));
    ASSERT_OK(tplr_node_config_set(&c, "outer_optimizer=nesterov"));
    assert_int_equal(c.inner_steps, 7);
    assert_true(c.scoring.burn_rate == 0.25);
    ASSERT_OK(tplr_node_config_check(&c));
    tplr_model_config m;
    ASSERT_OK(tplr_node_config_model(&c, &m));
    assert_int_equal(m.vocab, 256);
    /* the JSON form reads back to the same config */
    char *text;
    ASSERT_OK(tplr_node_config_to_json(&c, &text));
    tplr_node_config d;
    tplr_node_config_defaults(&d);
    ASSERT_OK(tplr_node_config_apply_json(&d, text, strlen(text), "roundtrip"));
    assert_memory_equal(&c, &d, sizeof c);
    free(text);
}

static void expect_json_refused(const char *json, const char *needle)
{
    tplr_node_config c, before;
    tplr_node_config_defaults(&c);
    before = c;
    tplr_err e = tplr_node_config_apply_json(&c, json, strlen(json), "bad.json");
    if (e == TPLR_OK)
        fail_msg("accepted %s", json);
    if (!strstr(tplr_errmsg(), needle))
        fail_msg("message for %s lacks '%s': %s", json, needle, tplr_errmsg());
    assert_memory_equal(&c, &before, sizeof c); /* unchanged */
}

static void test_rejections(void **state)
{
    (void)state;
    expect_json_refused("{\"inner_steps\": 4, \"inner_stepz\": 3}", "unknown config key 'inner_stepz'");
    expect_json_refused("{\"inner_steps\": \"4\"}", "inner_steps must be a number");
    expect_json_refused("{\"inner_steps\": 4.5}", "whole number");
    expect_json_refused("{\"inner_steps\": 0}", "outside");
    expect_json_refused("{\"model_preset\": 3}", "must be a string");
    expect_json_refused("{\"burn_rate\": 2}", "burn_rate");
    expect_json_refused("[1, 2]", "one JSON object");
    expect_json_refused("{\"inner_steps\": 4", "not valid JSON");
    expect_json_refused("{\"batch\": 4, \"batch\": 5}", "not valid JSON");
    tplr_node_config c;
    tplr_node_config_defaults(&c);
    assert_int_not_equal(tplr_node_config_set(&c, "nope=1"), TPLR_OK);
    assert_non_null(strstr(tplr_errmsg(), "unknown config key 'nope'"));
    assert_int_not_equal(tplr_node_config_set(&c, "batch"), TPLR_OK);
    assert_int_not_equal(tplr_node_config_set(&c, "batch=x"), TPLR_OK);
    ASSERT_OK(tplr_node_config_set(&c, "model_preset=huge"));
    assert_int_not_equal(tplr_node_config_check(&c), TPLR_OK);
    assert_non_null(strstr(tplr_errmsg(), "preset"));
    tplr_node_config_defaults(&c);
    ASSERT_OK(tplr_node_config_set(&c, "outer_optimizer=adam"));
    assert_int_not_equal(tplr_node_config_check(&c), TPLR_OK);
    tplr_node_config_defaults(&c);
    ASSERT_OK(tplr_node_config_set(&c, "network_version=../x"));
    assert_int_not_equal(tplr_node_config_check(&c), TPLR_OK);
}

static void test_docs_in_sync(void **state)
{
    (void)state;
    char *want, *have, path[4096];
    size_t len;
    ASSERT_OK(tplr_node_config_docs(&want));
    snprintf(path, sizeof path, "%s/../docs/config.md", tu_src_dir());
    ASSERT_OK(tplr_read_file(path, 1 << 20, &have, &len));
    if (strcmp(want, have))
        fail_msg("docs/config.md is out of date: run `tplr config docs > docs/config.md`");
    /* every field is documented */
    tplr_node_config c;
    tplr_node_config_defaults(&c);
    char *json;
    ASSERT_OK(tplr_node_config_to_json(&c, &json));
    int n = 0;
    for (const char *p = strstr(json, "\n  \""); p; p = strstr(p + 1, "\n  \"")) {
        char key[128];
        const char *q = p + 4, *end = strchr(q, '"');
        snprintf(key, sizeof key, "| `%.*s` |", (int)(end - q), q);
        if (!strstr(have, key))
            fail_msg("docs/config.md lacks %s", key);
        n++;
    }
    assert_true(n > 60);
    free(json);
    free(want);
    free(have);
}

static void test_metrics_line(void **state)
{
    (void)state;
    json_t *f = json_pack("{s:f,s:b,s:{s:f},s:[i,i],s:s}", "loss", 3.25, "uploaded", 1, "final_score", "7", 0.5,
                          "evaluated", 1, 2, "fingerprint", "ab");
    char *line = tplr_metrics_line(1700000000.5, "miner", 3, 42, "window", f);
    assert_string_equal(line, "{\"t\":1700000000.5,\"node\":\"miner\",\"uid\":3,\"window\":42,\"event\":\"window\","
                              "\"loss\":3.25,\"uploaded\":true,\"final_score\":{\"7\":0.5},\"evaluated\":[1,2],"
                              "\"fingerprint\":\"ab\"}");
    free(line);
    char *prom = tplr_metrics_prometheus("validator", 0, 42, f);
    assert_non_null(strstr(prom, "tplr_window{node=\"validator\",uid=\"0\"} 42\n"));
    assert_non_null(strstr(prom, "# TYPE tplr_loss gauge\ntplr_loss{node=\"validator\",uid=\"0\"} 3.25\n"));
    assert_non_null(strstr(prom, "tplr_uploaded{node=\"validator\",uid=\"0\"} 1\n"));
    assert_non_null(strstr(prom, "tplr_final_score{node=\"validator\",uid=\"0\",peer=\"7\"} 0.5\n"));
    assert_null(strstr(prom, "fingerprint"));
    free(prom);
    /* the common keys cannot be overridden by fields */
    json_t *g = json_pack("{s:s,s:i}", "node", "evil", "x", 1);
    line = tplr_metrics_line(1, "miner", 1, 2, "start", g);
    assert_string_equal(line, "{\"t\":1.0,\"node\":\"miner\",\"uid\":1,\"window\":2,\"event\":\"start\",\"x\":1}");
    free(line);
    json_decref(f);
    json_decref(g);
}

static void test_metrics_file(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    tu_tmpdir("metrics", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.jsonl", dir);
    tplr_metrics *m;
    ASSERT_OK(tplr_metrics_open(path, "validator", -1, NULL, &m));
    tplr_metrics_set_uid(m, 4);
    ASSERT_OK(tplr_metrics_emit(m, 9, "start", NULL));
    /* flushed per line: readable before close */
    char *text;
    size_t len;
    ASSERT_OK(tplr_read_file(path, 1 << 16, &text, &len));
    assert_non_null(strstr(text, "\"node\":\"validator\",\"uid\":4,\"window\":9,\"event\":\"start\"}\n"));
    free(text);
    ASSERT_OK(tplr_metrics_emit(m, 10, "window", json_pack("{s:f}", "eval_loss", 2.5)));
    tplr_metrics_close(m);
    ASSERT_OK(tplr_read_file(path, 1 << 16, &text, &len));
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2);
    free(text);
    tu_rmtree(dir);
}

static void refused(tplr_err e, const char *needle)
{
    if (e == TPLR_OK)
        fail_msg("accepted a file that should fail with '%s'", needle);
    if (!strstr(tplr_errmsg(), needle))
        fail_msg("message lacks '%s': %s", needle, tplr_errmsg());
}

#define PARSE_PEERS(s) tplr_peer_list_parse(s, strlen(s), "p", &p)

static void test_peer_list(void **state)
{
    (void)state;
    tplr_peer_list p = {.window = 7, .first_effective_window = 9, .initial = 1, .n_peers = 3, .n_reserve = 1,
                        .peers = {4, 2, 9}, .reserve = {5}};
    char *text;
    ASSERT_OK(tplr_peer_list_to_json(&p, &text));
    tplr_peer_list q;
    ASSERT_OK(tplr_peer_list_parse(text, strlen(text), "p", &q));
    assert_memory_equal(&p, &q, sizeof p);
    free(text);
    refused(PARSE_PEERS("{\"format\":\"tplr-debug\",\"version\":1}"), "not a tplr-peers file");
    refused(PARSE_PEERS("{\"format\":\"tplr-peers\",\"version\":2}"), "version must be 1");
    const char *base = "{\"format\":\"tplr-peers\",\"version\":1,\"window\":1,\"first_effective_window\":3,"
                       "\"initial_selection\":false,";
    char buf[512];
    snprintf(buf, sizeof buf, "%s\"peers\":[1,1],\"reserve_peers\":[]}", base);
    refused(PARSE_PEERS(buf), "twice");
    snprintf(buf, sizeof buf, "%s\"peers\":[1,70000],\"reserve_peers\":[]}", base);
    refused(PARSE_PEERS(buf), "must be a uid");
    snprintf(buf, sizeof buf, "%s\"peers\":[1],\"reserve_peers\":[1]}", base);
    refused(PARSE_PEERS(buf), "both a peer and a reserve");
    snprintf(buf, sizeof buf, "%s\"peers\":[1]}", base);
    refused(PARSE_PEERS(buf), "reserve_peers");
    snprintf(buf, sizeof buf, "%s\"peers\":[-1],\"reserve_peers\":[]}", base);
    refused(PARSE_PEERS(buf), "must be a uid");
}

static void test_fingerprint(void **state)
{
    (void)state;
    tplr_fingerprint *f = calloc(1, sizeof *f), *g = calloc(1, sizeof *g);
    f->window = 12;
    f->uid = 3;
    f->global_step = 10;
    strcpy(f->digest, "00112233445566778899aabbccddeeff");
    f->n_slice = 4;
    f->slice[0] = 0.1f;
    f->slice[1] = -3.4028235e38f;
    f->slice[2] = 1e-40f; /* subnormal */
    f->slice[3] = 0.33333334f;
    char *text;
    ASSERT_OK(tplr_fingerprint_to_json(f, &text));
    ASSERT_OK(tplr_fingerprint_parse(text, strlen(text), "d", g));
    assert_memory_equal(f, g, sizeof *f); /* floats survive exactly */
    free(text);
    const char *bad_digest = "{\"format\":\"tplr-debug\",\"version\":1,\"window\":1,\"uid\":1,\"global_step\":1,"
                             "\"digest\":\"XYZ\",\"slice\":[]}";
    refused(tplr_fingerprint_parse(bad_digest, strlen(bad_digest), "d", g), "digest");
    const char *bad_slice = "{\"format\":\"tplr-debug\",\"version\":1,\"window\":1,\"uid\":1,\"global_step\":1,"
                            "\"digest\":\"00112233445566778899aabbccddeeff\",\"slice\":[1e39]}";
    refused(tplr_fingerprint_parse(bad_slice, strlen(bad_slice), "d", g), "finite float");
    free(f);
    free(g);
}

static void test_pointers(void **state)
{
    (void)state;
    tplr_ckpt_pointer p = {30, 21}, q;
    char *text;
    ASSERT_OK(tplr_ckpt_pointer_to_json(&p, &text));
    ASSERT_OK(tplr_ckpt_pointer_parse(text, strlen(text), "l", &q));
    assert_true(q.latest_window == 30 && q.global_step == 21);
    free(text);
    const char *neg = "{\"format\":\"tplr-checkpoint-latest\",\"version\":1,\"latest_window\":-1,\"global_step\":0}";
    refused(tplr_ckpt_pointer_parse(neg, strlen(neg), "l", &q), "latest_window");
    int64_t w;
    ASSERT_OK(tplr_start_window_to_json(77, &text));
    ASSERT_OK(tplr_start_window_parse(text, strlen(text), "s", &w));
    assert_int_equal(w, 77);
    free(text);
    refused(tplr_start_window_parse("{}", 2, "s", &w), "not a tplr-start-window file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_file_and_overrides),
        cmocka_unit_test(test_rejections),   cmocka_unit_test(test_docs_in_sync),
        cmocka_unit_test(test_metrics_line), cmocka_unit_test(test_metrics_file),
        cmocka_unit_test(test_peer_list),    cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_pointers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
