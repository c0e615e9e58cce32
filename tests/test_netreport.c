/* The summary and report builder of `tplr localnet` (src/node/netreport_*.c)
 * on metrics lines written here: a network of three miners (one of them an
 * adversary that is penalized) and a validator over four windows. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/fileio.h"
#include "tplr/netreport.h"

#define WINDOWS 4

/* The fixture: honest miners 1 and 2, a "late" miner 3, validator 0. */
static void miner_line(char *buf, size_t cap, int uid, int w)
{
    double loss = 6.0 - 0.5 * w + 0.01 * uid;
    snprintf(buf, cap,
             "{\"t\":%d.5,\"node\":\"miner\",\"uid\":%d,\"window\":%d,\"event\":\"window\",\"loss\":%.3f,"
             "\"inner_steps\":4,\"tokens\":2048,\"compute_s\":0.8,\"window_s\":1.0,\"bytes_up\":1000,"
             "\"bytes_down\":3000,\"uploaded\":%s,\"peers_applied\":2,\"fingerprint\":\"ab%02d\",\"extra\":[1]}",
             100 + w, uid, w, loss, uid == 3 ? "false" : "true", w);
}

static void validator_line(char *buf, size_t cap, int w)
{
    snprintf(buf, cap,
             "{\"t\":%d.9,\"node\":\"validator\",\"uid\":0,\"window\":%d,\"event\":\"window\",\"eval_loss\":%.3f,"
             "\"fingerprint\":\"ab%02d\",\"bytes_up\":0,\"bytes_down\":3000,\"evaluated\":[1,2,3],"
             "\"gradient_score\":{\"1\":0.2,\"2\":0.1,\"3\":0},\"final_score\":{\"1\":%.2f,\"2\":%.2f,\"3\":0},"
             "\"weight\":{\"1\":0.6,\"2\":0.4,\"3\":0},\"penalties\":{\"3\":[\"late\"]},\"weights_set\":true}",
             100 + w, w, 6.1 - 0.5 * w, w, 0.1 * (w + 1), 0.05 * (w + 1));
}

static tplr_netmetrics *fixture(void)
{
    tplr_netmetrics *m;
    ASSERT_OK(tplr_netmetrics_create(&m));
    ASSERT_OK(tplr_netmetrics_add_node(m, "validator", 0, "validator-0", NULL));
    ASSERT_OK(tplr_netmetrics_add_node(m, "miner", 1, "miner-1", ""));
    ASSERT_OK(tplr_netmetrics_add_node(m, "miner", 2, "miner-2", ""));
    ASSERT_OK(tplr_netmetrics_add_node(m, "miner", 3, "miner-3", "late"));
    char line[2048];
    const char *start = "{\"t\":99.0,\"node\":\"miner\",\"uid\":1,\"event\":\"start\"}";
    ASSERT_OK(tplr_netmetrics_add_line(m, start, strlen(start), "fixture"));
    for (int w = 0; w < WINDOWS; w++) {
        for (int uid = 1; uid <= 3; uid++) {
            miner_line(line, sizeof line, uid, w);
            ASSERT_OK(tplr_netmetrics_add_line(m, line, strlen(line), "fixture"));
        }
        validator_line(line, sizeof line, w);
        ASSERT_OK(tplr_netmetrics_add_line(m, line, strlen(line), "fixture"));
    }
    const char *stop = "{\"t\":200.0,\"node\":\"miner\",\"uid\":1,\"window\":3,\"event\":\"stop\"}";
    ASSERT_OK(tplr_netmetrics_add_line(m, stop, strlen(stop), "fixture"));
    return m;
}

static json_t *summary_of(tplr_netmetrics *m)
{
    char *text;
    ASSERT_OK(tplr_netmetrics_summary(m, "{\"ledger\":{\"block\":42}}", &text));
    json_error_t jerr;
    json_t *s = json_loads(text, 0, &jerr);
    free(text);
    assert_non_null(s);
    return s;
}

static void test_summary(void **state)
{
    (void)state;
    tplr_netmetrics *m = fixture();
    int64_t *ws;
    int nw, nm, nv;
    ASSERT_OK(tplr_netmetrics_windows(m, &ws, &nw));
    assert_int_equal(nw, WINDOWS);
    for (int i = 0; i < nw; i++)
        assert_int_equal(ws[i], i);
    free(ws);
    tplr_netmetrics_window_count(m, 2, &nm, &nv);
    assert_int_equal(nm, 3);
    assert_int_equal(nv, 1);
    int64_t last;
    int stopped;
    tplr_netmetrics_node_progress(m, "miner", 1, &last, &stopped);
    assert_int_equal(last, 3);
    assert_true(stopped);
    tplr_netmetrics_node_progress(m, "miner", 2, &last, &stopped);
    assert_false(stopped);

    json_t *s = summary_of(m);
    assert_string_equal(json_string_value(json_object_get(s, "format")), "tplr-localnet-summary");
    assert_int_equal(json_integer_value(json_object_get(s, "version")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "ledger"), "block")), 42);
    assert_int_equal(json_array_size(json_object_get(s, "nodes")), 4);
    json_t *windows = json_object_get(s, "windows");
    assert_int_equal(json_array_size(windows), WINDOWS);
    /* unknown fields are dropped, the known ones kept */
    json_t *w0m1 = json_object_get(json_object_get(json_array_get(windows, 0), "miners"), "1");
    assert_null(json_object_get(w0m1, "extra"));
    assert_true(json_is_true(json_object_get(w0m1, "uploaded")));
    assert_true(json_is_true(json_object_get(json_array_get(windows, 1), "fingerprints_agree")));

    json_t *uids = json_object_get(s, "uids");
    json_t *u1 = json_object_get(uids, "1"), *u3 = json_object_get(uids, "3"), *u0 = json_object_get(uids, "0");
    json_t *loss = json_object_get(u1, "loss");
    assert_int_equal(json_array_size(loss), WINDOWS);
    double first = json_real_value(json_array_get(json_array_get(loss, 0), 1));
    double lastl = json_real_value(json_array_get(json_array_get(loss, WINDOWS - 1), 1));
    assert_true(fabs(first - 6.01) < 1e-9 && fabs(lastl - 4.51) < 1e-9);
    assert_int_equal(json_array_size(json_object_get(u0, "eval_loss")), WINDOWS);
    assert_true(fabs(json_real_value(json_object_get(u1, "last_weight")) - 0.6) < 1e-12);
    assert_true(fabs(json_real_value(json_object_get(u3, "last_weight"))) < 1e-12);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(u3, "penalties"), "late")), WINDOWS);
    assert_int_equal(json_object_size(json_object_get(u1, "penalties")), 0);
    assert_string_equal(json_string_value(json_object_get(u3, "adversary")), "late");
    assert_true(fabs(json_real_value(json_object_get(u1, "bytes_up")) - WINDOWS * 1000.0) < 1e-9);
    json_t *fs = json_object_get(json_object_get(uids, "2"), "final_score");
    assert_int_equal(json_array_size(fs), WINDOWS);
    assert_true(fabs(json_real_value(json_array_get(json_array_get(fs, WINDOWS - 1), 1)) - 0.2) < 1e-9);
    json_t *tot = json_object_get(s, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "windows")), WINDOWS);
    assert_true(fabs(json_real_value(json_object_get(tot, "bytes_up")) - WINDOWS * 3000.0) < 1e-9);
    assert_true(fabs(json_real_value(json_object_get(tot, "bytes_down")) - WINDOWS * 12000.0) < 1e-9);
    assert_true(fabs(json_real_value(json_object_get(tot, "utilization")) - 0.8) < 1e-9);
    json_decref(s);
    tplr_netmetrics_free(m);
}

/* A node that moved off the others' model breaks the window's agreement;
 * an adversary's fingerprint does not count. */
static void test_fingerprints(void **state)
{
    (void)state;
    tplr_netmetrics *m = fixture();
    const char *off = "{\"t\":1,\"node\":\"miner\",\"uid\":3,\"window\":1,\"event\":\"window\",\"fingerprint\":\"ff\"}";
    ASSERT_OK(tplr_netmetrics_add_line(m, off, strlen(off), "t"));
    const char *honest = "{\"t\":1,\"node\":\"miner\",\"uid\":2,\"window\":2,\"event\":\"window\",\"fingerprint\":\"ff\"}";
    ASSERT_OK(tplr_netmetrics_add_line(m, honest, strlen(honest), "t"));
    json_t *s = summary_of(m), *windows = json_object_get(s, "windows");
    assert_true(json_is_true(json_object_get(json_array_get(windows, 1), "fingerprints_agree")));
    assert_true(json_is_false(json_object_get(json_array_get(windows, 2), "fingerprints_agree")));
    /* the later line replaced the earlier one */
    json_t *l = json_object_get(json_object_get(json_array_get(windows, 2), "miners"), "2");
    assert_null(json_object_get(l, "loss"));
    json_decref(s);
    tplr_netmetrics_free(m);
}

static void test_bad_lines(void **state)
{
    (void)state;
    tplr_netmetrics *m;
    ASSERT_OK(tplr_netmetrics_create(&m));
    static const char *const bad[] = {
        "not json",
        "[1,2]",
        "{\"t\":1,\"node\":\"miner\",\"uid\":1,\"window\":0}",
        "{\"t\":1,\"node\":\"router\",\"uid\":1,\"window\":0,\"event\":\"window\"}",
        "{\"t\":1,\"node\":\"miner\",\"uid\":-2,\"window\":0,\"event\":\"window\"}",
        "{\"t\":1,\"node\":\"miner\",\"uid\":70000,\"window\":0,\"event\":\"window\"}",
        "{\"t\":\"x\",\"node\":\"miner\",\"uid\":1,\"window\":0,\"event\":\"window\"}",
        "{\"t\":1,\"node\":\"miner\",\"uid\":1,\"event\":\"window\"}",
        "{\"t\":1,\"node\":\"miner\",\"uid\":1,\"window\":-3,\"event\":\"window\"}",
        "{\"t\":1,\"node\":\"miner\",\"uid\":1,\"window\":0,\"event\":\"window\",\"loss\":\"low\"}",
        "{\"t\":1,\"node\":\"miner\",\"uid\":1,\"window\":0,\"event\":\"window\",\"bytes_up\":-5}",
        "{\"t\":1,\"node\":\"miner\",\"uid\":1,\"window\":0,\"event\":\"window\",\"fingerprint\":\"xyz\"}",
        "{\"t\":1,\"node\":\"validator\",\"uid\":0,\"window\":0,\"event\":\"window\",\"weight\":{\"a\":1}}",
        "{\"t\":1,\"node\":\"validator\",\"uid\":0,\"window\":0,\"event\":\"window\",\"weight\":{\"01\":1}}",
        "{\"t\":1,\"node\":\"validator\",\"uid\":0,\"window\":0,\"event\":\"window\",\"penalties\":{\"1\":[\"<b>\"]}}",
        "{\"t\":1,\"node\":\"validator\",\"uid\":0,\"window\":0,\"event\":\"window\",\"evaluated\":[1,\"2\"]}",
        "{\"t\":1,\"t\":2,\"node\":\"miner\",\"uid\":1,\"window\":0,\"event\":\"window\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tplr_err e = tplr_netmetrics_add_line(m, bad[i], strlen(bad[i]), "bad");
        if (e != TPLR_EFORMAT)
            fail_msg("line %zu accepted: %s", i, bad[i]);
    }
    /* a line from before registration is taken and filed nowhere */
    const char *unregistered = "{\"t\":1,\"node\":\"miner\",\"uid\":-1,\"window\":0,\"event\":\"window\"}";
    ASSERT_OK(tplr_netmetrics_add_line(m, unregistered, strlen(unregistered), "ok"));
    int64_t *ws;
    int nw;
    ASSERT_OK(tplr_netmetrics_windows(m, &ws, &nw));
    assert_int_equal(nw, 0);
    free(ws);
    assert_int_equal(tplr_netmetrics_add_node(m, "router", 1, "x", NULL), TPLR_EINVAL);
    tplr_netmetrics_free(m);
}

/* A file read while it grows: a half-written line waits for its newline. */
static void test_tail(void **state)
{
    (void)state;
    char dir[512];
    tu_tmpdir("netreport", dir, sizeof dir);
    tplr_metrics_tail t = {.offset = 0};
    ASSERT_OK(tplr_path_join(t.path, sizeof t.path, dir, "metrics.jsonl"));
    tplr_netmetrics *m;
    ASSERT_OK(tplr_netmetrics_create(&m));
    int bad = 0;
    ASSERT_OK(tplr_metrics_tail_read(&t, m, &bad)); /* no file yet */
    char l0[2048], l1[2048];
    miner_line(l0, sizeof l0, 1, 0);
    miner_line(l1, sizeof l1, 1, 1);
    FILE *f = fopen(t.path, "w");
    assert_non_null(f);
    fprintf(f, "%s\ngarbage\n%.40s", l0, l1);
    fflush(f);
    ASSERT_OK(tplr_metrics_tail_read(&t, m, &bad));
    int64_t last;
    int stopped;
    tplr_netmetrics_node_progress(m, "miner", 1, &last, &stopped);
    assert_int_equal(last, 0);
    assert_int_equal(bad, 1);
    fprintf(f, "%s\n", l1 + 40);
    fclose(f);
    ASSERT_OK(tplr_metrics_tail_read(&t, m, &bad));
    tplr_netmetrics_node_progress(m, "miner", 1, &last, &stopped);
    assert_int_equal(last, 1);
    assert_int_equal(bad, 1);
    tplr_netmetrics_free(m);
    tu_rmtree(dir);
}

static void test_table(void **state)
{
    (void)state;
    tplr_netmetrics *m = fixture();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tplr_netmetrics_print_header(m, f);
    tplr_netmetrics_print_window(m, 3, f);
    fclose(f);
    assert_non_null(strstr(buf, "loss1"));
    assert_non_null(strstr(buf, "score3"));
    assert_non_null(strstr(buf, "4.510")); /* miner 1's loss in window 3 */
    assert_non_null(strstr(buf, "4.600")); /* the validator's */
    assert_non_null(strstr(buf, "0.600")); /* miner 1's weight */
    assert_non_null(strstr(buf, "0.01 MB")); /* 3 x 4000 + 3000 bytes */
    free(buf);
    tplr_netmetrics_free(m);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_html(void **state)
{
    (void)state;
    tplr_netmetrics *m = fixture();
    char *summary, *html;
    ASSERT_OK(tplr_netmetrics_summary(m, NULL, &summary));
    ASSERT_OK(tplr_netreport_html(summary, &html));
    assert_int_equal(count(html, "<svg"), 3);
    assert_int_equal(count(html, "</svg>"), 3);
    /* 3 miners + 1 validator in the loss plot, 3 miners in scores and weights */
    assert_int_equal(count(html, "<polyline"), 10);
    assert_int_equal(count(html, "stroke-dasharray"), 1);
    assert_non_null(strstr(html, "late &times;4"));
    /* self-contained: nothing loaded from elsewhere */
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "href="));
    assert_null(strstr(html, "@import"));
    assert_int_equal(count(html, "http"), 3); /* the SVG namespace only */
    free(html);
    assert_int_equal(tplr_netreport_html("{\"format\":\"other\",\"uids\":{}}", &html), TPLR_EFORMAT);
    assert_int_equal(tplr_netreport_html("{", &html), TPLR_EFORMAT);
    free(summary);
    tplr_netmetrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary), cmocka_unit_test(test_fingerprints), cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_tail),    cmocka_unit_test(test_table),        cmocka_unit_test(test_html),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
