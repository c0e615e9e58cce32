/* The tournament's pure rules: anti-copy fingerprints and similarity,
 * the winner rule (incumbency threshold, ties), and the signed submission
 * request (round trip, signature, every refused field). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/address.h"
#include "tplr/tour_request.h"
#include "tplr/tour_similar.h"
#include "tplr/tour_winner.h"

static const char original[] =
    "#include \"tplr/tournament.h\"\n"
    "/* the reference loop */\n"
    "tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int num_steps,\n"
    "                     const tplr_tour_device *dev, tplr_inner_steps_result *res)\n"
    "{\n"
    "    int64_t total = 0;\n"
    "    for (int step = 0; step < num_steps; step++) {\n"
    "        const int32_t *batch = tplr_tour_next_batch(it);\n"
    "        if (!batch)\n"
    "            return tplr_fail(TPLR_EINVAL, \"no batch at step %d\", step);\n"
    "        double loss = 0;\n"
    "        TPLR_TRY(tplr_model_step(model, batch, &loss));\n"
    "        total += (int64_t)tplr_tour_batch_rows(it) * tplr_tour_batch_len(it);\n"
    "        res->final_loss = loss * 1.0;\n"
    "    }\n"
    "    res->total_tokens = total;\n"
    "    return TPLR_OK;\n"
    "}\n";

/* The same program: identifiers renamed, literals changed, comments and layout rewritten. */
static const char renamed[] =
    "#include \"tplr/tournament.h\"\n"
    "// my very own fast loop\n"
    "tplr_err inner_steps(tplr_model *m, tplr_tour_data *d, tplr_adamw *o, int n, const tplr_tour_device *x,\n"
    "  tplr_inner_steps_result *r) { int64_t count = 0; for (int i = 0; i < n; i++) {\n"
    "  const int32_t *b = tplr_tour_next_batch(d); if (!b) return tplr_fail(TPLR_EINVAL, \"out of data %d\", i);\n"
    "  double l = 0; TPLR_TRY(tplr_model_step(m, b, &l));\n"
    "  count += (int64_t)tplr_tour_batch_rows(d) * tplr_tour_batch_len(d); r->final_loss = l * 2.5; }\n"
    "  r->total_tokens = count; return TPLR_OK; }\n";

/* Different work: a prefetching loop with its own structure. */
static const char different[] =
    "#include <string.h>\n"
    "static void copy_rows(float *dst, const float *src, size_t n) { while (n--) *dst++ = *src++ * 0.5f; }\n"
    "struct ring { float *slots[4]; unsigned head, tail; };\n"
    "static unsigned ring_next(struct ring *r) { r->head = (r->head + 1u) & 3u; return r->head; }\n"
    "int prefetch(struct ring *r, const float *src, size_t n) {\n"
    "    switch (ring_next(r)) { case 0: copy_rows(r->slots[0], src, n); break;\n"
    "    default: memcpy(r->slots[r->head], src, n * sizeof(float)); }\n"
    "    return r->tail == r->head ? -1 : (int)r->head; }\n";

static double sim(const char *a, const char *b)
{
    tplr_tour_fp fa, fb;
    ASSERT_OK(tplr_tour_fingerprint(a, strlen(a), &fa));
    ASSERT_OK(tplr_tour_fingerprint(b, strlen(b), &fb));
    double s = tplr_tour_similarity(&fa, &fb);
    assert_true(s >= 0 && s <= 1);
    assert_true(s == tplr_tour_similarity(&fb, &fa)); /* symmetric */
    tplr_tour_fp_free(&fa);
    tplr_tour_fp_free(&fb);
    return s;
}

static void test_similarity(void **state)
{
    (void)state;
    assert_true(sim(original, original) == 1.0);
    assert_true(sim(original, renamed) == 1.0); /* renaming, literals, comments and layout change nothing */
    double d = sim(original, different);
    assert_true(d < 0.05);
    /* half of one program appended to another: clearly related, clearly not the same */
    char mixed[4096];
    snprintf(mixed, sizeof mixed, "%s%.*s", different, (int)(sizeof original / 2), original);
    double m = sim(original, mixed);
    if (!(m > 0.1 && m < 0.6))
        fail_msg("half a program appended to another: similarity %g", m);
    /* one changed operator changes only the n-grams around it */
    char edited[sizeof original];
    memcpy(edited, original, sizeof original);
    char *p = strstr(edited, "step < num_steps");
    p[5] = '>';
    double e = sim(original, edited);
    assert_true(e > 0.7 && e < 1.0);
    /* a comment that never ends, an unterminated string, empty input: no crash, sensible sets */
    assert_true(sim("", "") == 1.0);
    assert_true(sim("", "x") == 0.0);
    assert_true(sim("int a; /* never closed", "int b; /* other text") == 1.0);
    assert_true(sim("char *s = \"never closed", "char *t = \"x") == 1.0);
}

/* What a submission adds to the reference: a renamed reference adds nothing,
 * the reference plus a new function adds only that function's n-grams. */
static void test_subtract_reference(void **state)
{
    (void)state;
    tplr_tour_fp base, a, b;
    ASSERT_OK(tplr_tour_fingerprint(original, strlen(original), &base));
    ASSERT_OK(tplr_tour_fingerprint(renamed, strlen(renamed), &a));
    tplr_tour_fp_subtract(&a, &base);
    assert_int_equal(a.n, 0);
    char more[4096];
    snprintf(more, sizeof more, "%s%s", original, different);
    ASSERT_OK(tplr_tour_fingerprint(more, strlen(more), &b));
    size_t before = b.n;
    tplr_tour_fp_subtract(&b, &base);
    assert_true(b.n < before && b.n > 0);
    for (size_t i = 1; i < b.n; i++)
        assert_true(b.h[i - 1] < b.h[i]); /* still a sorted set */
    tplr_tour_fp d;
    ASSERT_OK(tplr_tour_fingerprint(different, strlen(different), &d));
    assert_true(tplr_tour_similarity(&b, &d) > 0.8); /* what remains is the added code */
    assert_true(tplr_tour_similarity(&a, &b) == 0.0); /* nothing added vs something added */
    tplr_tour_fp_free(&a), tplr_tour_fp_free(&b), tplr_tour_fp_free(&d), tplr_tour_fp_free(&base);
}

static void test_fingerprint_bytes(void **state)
{
    (void)state;
    tplr_tour_fp fp, back;
    ASSERT_OK(tplr_tour_fingerprint(original, strlen(original), &fp));
    assert_true(fp.n > 50);
    for (size_t i = 1; i < fp.n; i++)
        assert_true(fp.h[i - 1] < fp.h[i]);
    unsigned char *b;
    size_t n;
    ASSERT_OK(tplr_tour_fp_to_bytes(&fp, &b, &n));
    assert_int_equal(n, 8 * fp.n);
    ASSERT_OK(tplr_tour_fp_from_bytes(b, n, &back));
    assert_int_equal(back.n, fp.n);
    assert_memory_equal(back.h, fp.h, 8 * fp.n);
    tplr_tour_fp_free(&back);
    assert_int_equal(tplr_tour_fp_from_bytes(b, n - 3, &back), TPLR_EFORMAT);
    unsigned char swap[8];
    memcpy(swap, b, 8), memcpy(b, b + 8, 8), memcpy(b + 8, swap, 8); /* out of order */
    assert_int_equal(tplr_tour_fp_from_bytes(b, n, &back), TPLR_EFORMAT);
    assert_non_null(strstr(tplr_errmsg(), "ascending"));
    free(b);
    tplr_tour_fp_free(&fp);
}

static int winner(const double *scores, int n)
{
    tplr_tour_scored s[16] = {{0, 0}};
    for (int i = 0; i < n; i++)
        s[i] = (tplr_tour_scored){i + 1, scores[i]};
    return tplr_tour_pick_winner(s, n, TPLR_TOUR_THRESHOLD_DEFAULT);
}

static void test_winner(void **state)
{
    (void)state;
    assert_int_equal(winner(NULL, 0), -1);
    assert_int_equal(winner((double[]){50}, 1), 0);
    assert_int_equal(winner((double[]){100, 100}, 2), 0);      /* a tie goes to the earlier */
    assert_int_equal(winner((double[]){100, 100.99}, 2), 0);   /* under 1% better: the incumbent stays */
    assert_int_equal(winner((double[]){100, 101}, 2), 1);      /* exactly 1% better: the newcomer wins */
    assert_int_equal(winner((double[]){100, 90, 150}, 3), 2);  /* a slower one in between changes nothing */
    assert_int_equal(winner((double[]){100, 200, 201}, 3), 1); /* measured against the leader, not the first */
    assert_int_equal(winner((double[]){100, 200, 201, 202}, 4), 3);
    assert_int_equal(winner((double[]){300, 200, 250, 299}, 4), 0);
    tplr_tour_scored s[2] = {{7, 100}, {9, 100.5}};
    assert_int_equal(tplr_tour_pick_winner(s, 2, 0.0), 1); /* no threshold: any better score wins... */
    s[1].score = 100;
    assert_int_equal(tplr_tour_pick_winner(s, 2, 0.0), 1); /* ...and a tie too: >= 0% better */
}

static tplr_keypair hotkey(int tag)
{
    unsigned char seed[32];
    memset(seed, tag, sizeof seed);
    tplr_keypair kp;
    ASSERT_OK(tplr_keypair_from_seed(seed, &kp));
    return kp;
}

static void test_request_roundtrip(void **state)
{
    (void)state;
    tplr_keypair k = hotkey(7);
    tplr_tour_request r, back;
    ASSERT_OK(tplr_tour_request_make(original, strlen(original), &k, 1, 1234, 5, 1700000000000ULL, &r));
    assert_true(tplr_tour_request_verify(&r));
    char *json = tplr_tour_request_to_json(&r);
    assert_non_null(json);
    ASSERT_OK(tplr_tour_request_parse(json, strlen(json), &back));
    assert_true(tplr_tour_request_verify(&back));
    assert_int_equal(back.code_len, strlen(original));
    assert_string_equal(back.code, original);
    assert_memory_equal(back.code_sha256, r.code_sha256, 32);
    assert_true(back.has_payment && back.pay_block == 1234 && back.pay_index == 5);
    char m1[TPLR_TOUR_MESSAGE_MAX], m2[TPLR_TOUR_MESSAGE_MAX];
    size_t n1 = tplr_tour_request_message(&r, m1), n2 = tplr_tour_request_message(&back, m2);
    assert_int_equal(n1, n2);
    assert_memory_equal(m1, m2, n1);
    assert_non_null(strstr(m1, "payment=1234-5\n"));
    assert_true(!strncmp(m1, TPLR_TOUR_DOMAIN "\nhotkey=2", strlen(TPLR_TOUR_DOMAIN) + 9));
    /* every bound field breaks the signature when changed */
    back.pay_index = 6;
    assert_false(tplr_tour_request_verify(&back));
    back.pay_index = 5, back.has_payment = 0;
    assert_false(tplr_tour_request_verify(&back));
    back.has_payment = 1, back.timestamp_ms++;
    assert_false(tplr_tour_request_verify(&back));
    back.timestamp_ms--, back.nonce[3] ^= 1;
    assert_false(tplr_tour_request_verify(&back));
    back.nonce[3] ^= 1, back.code_sha256[0] ^= 1;
    assert_false(tplr_tour_request_verify(&back));
    back.code_sha256[0] ^= 1;
    tplr_keypair other = hotkey(8);
    memcpy(back.hotkey, other.pk, 32);
    assert_false(tplr_tour_request_verify(&back));
    memcpy(back.hotkey, k.pk, 32);
    assert_true(tplr_tour_request_verify(&back));
    tplr_tour_request_free(&back);
    free(json);
    /* without a payment: "none" is signed, and null comes back */
    tplr_tour_request_free(&r);
    ASSERT_OK(tplr_tour_request_make("int x;", 6, &k, 0, 0, 0, 1, &r));
    json = tplr_tour_request_to_json(&r);
    assert_non_null(strstr(json, "\"payment\":null"));
    ASSERT_OK(tplr_tour_request_parse(json, strlen(json), &back));
    assert_false(back.has_payment);
    assert_true(tplr_tour_request_verify(&back));
    tplr_tour_request_free(&back);
    tplr_tour_request_free(&r);
    free(json);
    assert_int_equal(tplr_tour_request_make("", 0, &k, 0, 0, 0, 1, &r), TPLR_EINVAL);
}

/* Parses body; expects a refusal whose message contains needle. */
static void refused(const char *body, const char *needle)
{
    tplr_tour_request r;
    tplr_err e = tplr_tour_request_parse(body, strlen(body), &r);
    if (e == TPLR_OK)
        fail_msg("accepted: %s", body);
    if (!strstr(tplr_errmsg(), needle))
        fail_msg("message \"%s\" lacks \"%s\" for %s", tplr_errmsg(), needle, body);
    assert_null(r.code);
}

static void test_request_refusals(void **state)
{
    (void)state;
    char addr[TPLR_ADDRESS_MAX];
    tplr_keypair k = hotkey(3);
    tplr_address_encode(k.pk, addr);
    const char *nonce = "00112233445566778899aabbccddeeff";
    char sig[129];
    memset(sig, 'a', 128), sig[128] = 0;
    char good[1024], b[1400];
    snprintf(good, sizeof good,
             "{\"version\":1,\"hotkey\":\"%s\",\"code\":\"int x;\",\"payment\":{\"block\":3,\"index\":0},"
             "\"timestamp_ms\":5,\"nonce\":\"%s\",\"signature\":\"%s\"}", addr, nonce, sig);
    tplr_tour_request r;
    ASSERT_OK(tplr_tour_request_parse(good, strlen(good), &r)); /* well-formed; the signature is checked apart */
    assert_false(tplr_tour_request_verify(&r));
    tplr_tour_request_free(&r);
    refused("", "not JSON");
    refused("[1,2]", "JSON object");
    refused("{\"version\":1,\"version\":1}", "not JSON"); /* duplicate keys */
    snprintf(b, sizeof b, "%.*s,\"extra\":1}", (int)strlen(good) - 1, good);
    refused(b, "unknown field \"extra\"");
#define SWAP(from, to, needle)                                                  \
    do {                                                                        \
        char *at = strstr(good, from);                                          \
        snprintf(b, sizeof b, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from)); \
        refused(b, needle);                                                     \
    } while (0)
    SWAP("\"version\":1", "\"version\":2", "reads version 1");
    SWAP("\"version\":1", "\"version\":\"1\"", "\"version\" must be an integer");
    SWAP("\"version\":1,", "", "\"version\" must be an integer");
    SWAP("\"hotkey\":\"2", "\"hotkey\":\"3", "\"hotkey\"");
    SWAP("\"hotkey\":\"", "\"hotkey\":7,\"x\":\"", "unknown field");
    SWAP("\"code\":\"int x;\"", "\"code\":\"\"", "1 to 262144 bytes");
    SWAP("\"code\":\"int x;\"", "\"code\":\"int\\u0000x;\"", "NUL");
    SWAP("\"code\":\"int x;\"", "\"code\":[1]", "\"code\" must be a string");
    SWAP("{\"block\":3,\"index\":0}", "{\"block\":3}", "payment");
    SWAP("{\"block\":3,\"index\":0}", "{\"block\":-3,\"index\":0}", "payment: field \"block\"");
    SWAP("{\"block\":3,\"index\":0}", "{\"block\":3,\"index\":4294967296}", "field \"index\"");
    SWAP("{\"block\":3,\"index\":0}", "{\"block\":3,\"index\":0,\"x\":1}", "nothing else");
    SWAP("{\"block\":3,\"index\":0}", "\"3-0\"", "payment");
    SWAP("\"timestamp_ms\":5", "\"timestamp_ms\":-5", "timestamp_ms");
    SWAP("\"timestamp_ms\":5", "\"timestamp_ms\":5.5", "timestamp_ms");
    SWAP("00112233445566778899aabbccddeeff", "00112233445566778899aabbccddeef", "\"nonce\" must be exactly 32");
    SWAP("00112233445566778899aabbccddeeff", "0011223344556677889Xaabbccddeeff", "\"nonce\"");
    SWAP(sig, "abcd", "\"signature\" must be exactly 128");
    /* the size cap comes before parsing */
    size_t big = TPLR_TOUR_BODY_MAX + 1;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big), huge[big] = 0;
    assert_int_equal(tplr_tour_request_parse(huge, big, &r), TPLR_ETOOLARGE);
    /* code over the limit inside a body under the cap */
    int n = snprintf(huge, big, "{\"version\":1,\"hotkey\":\"%s\",\"code\":\"", addr);
    memset(huge + n, 'x', TPLR_TOUR_CODE_MAX + 1);
    snprintf(huge + n + TPLR_TOUR_CODE_MAX + 1, big - (size_t)n - TPLR_TOUR_CODE_MAX - 1, "\",\"timestamp_ms\":5,\"nonce\":\"%s\",\"signature\":\"%s\"}", nonce,
             sig);
    assert_int_equal(tplr_tour_request_parse(huge, strlen(huge), &r), TPLR_EFORMAT);
    if (!strstr(tplr_errmsg(), "not 262145")) fail_msg("%s", tplr_errmsg());
    free(huge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_similarity),        cmocka_unit_test(test_fingerprint_bytes),
        cmocka_unit_test(test_subtract_reference),
        cmocka_unit_test(test_winner),            cmocka_unit_test(test_request_roundtrip),
        cmocka_unit_test(test_request_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
