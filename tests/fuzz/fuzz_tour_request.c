/* libFuzzer target: the tournament's submission request parser (the untrusted
 * body of POST /submissions) and the anti-copy tokenizer. An accepted request
 * must survive the round trip body -> struct -> JSON -> struct with the same
 * canonical signed text, and verifying its signature must not crash. The raw
 * input is also fingerprinted as source code. */
#include <stdlib.h>
#include <string.h>

#include "tplr/tour_request.h"
#include "tplr/tour_similar.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    tplr_tour_fp fp;
    if (tplr_tour_fingerprint((const char *)data, size, &fp) == TPLR_OK) {
        for (size_t i = 1; i < fp.n; i++)
            if (fp.h[i - 1] >= fp.h[i])
                abort();
        if (tplr_tour_similarity(&fp, &fp) != 1.0)
            abort();
        tplr_tour_fp_free(&fp);
    }
    tplr_tour_request r, back;
    if (tplr_tour_request_parse((const char *)data, size, &r) != TPLR_OK)
        return 0;
    (void)tplr_tour_request_verify(&r);
    char *json = tplr_tour_request_to_json(&r);
    if (!json || tplr_tour_request_parse(json, strlen(json), &back) != TPLR_OK)
        abort();
    char a[TPLR_TOUR_MESSAGE_MAX], b[TPLR_TOUR_MESSAGE_MAX];
    size_t na = tplr_tour_request_message(&r, a), nb = tplr_tour_request_message(&back, b);
    if (na != nb || memcmp(a, b, na) || r.code_len != back.code_len || memcmp(r.code, back.code, r.code_len) ||
        memcmp(r.signature, back.signature, sizeof r.signature))
        abort();
    free(json);
    tplr_tour_request_free(&back);
    tplr_tour_request_free(&r);
    return 0;
}
