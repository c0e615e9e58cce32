/* libFuzzer target: the runner → harness records of tplr-tour-pipe v1 (what
 * a sandboxed submission can send): headers, RESULT heads, ERROR text. The
 * input is read as a stream of records, the way the harness reads the pipe;
 * an accepted header's length must fit its type. */
#include <stdlib.h>
#include <string.h>

#include "tplr/tour_proto.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const tplr_tour_expect ex = {6, 10}; /* 6 logits, 10 weights */
    size_t at = 0;
    while (size - at >= TPLR_TOUR_HDR_BYTES) {
        tplr_tour_hdr h;
        if (tplr_tour_hdr_parse_up(data + at, &ex, &h) != TPLR_OK)
            return 0;
        at += TPLR_TOUR_HDR_BYTES;
        if (h.type == TPLR_TOUR_MSG_REQUEST && h.len != 0)
            abort();
        if (h.type == TPLR_TOUR_MSG_ERROR && h.len > TPLR_TOUR_ERROR_MAX)
            abort();
        if (h.type == TPLR_TOUR_MSG_RESULT && h.len != tplr_tour_result_bytes(&ex))
            abort();
        if (h.len > size - at)
            return 0; /* the pipe would end here */
        if (h.type == TPLR_TOUR_MSG_ERROR) {
            char text[TPLR_TOUR_ERROR_MAX + 1];
            tplr_tour_error_text(data + at, (size_t)h.len, text, sizeof text);
            if (strlen(text) > (size_t)h.len)
                abort();
        }
        if (h.type == TPLR_TOUR_MSG_RESULT) {
            tplr_tour_result_head rh;
            if (tplr_tour_result_head_parse(data + at, &ex, &rh) == TPLR_OK &&
                (rh.n_logits != ex.n_logits || rh.n_weights != ex.n_weights || rh.total_tokens < 0))
                abort();
        }
        at += (size_t)h.len;
    }
    return 0;
}
