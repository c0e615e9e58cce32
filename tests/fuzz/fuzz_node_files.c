/* libFuzzer target: the node files peers publish (peer list, fingerprint,
 * checkpoint pointer, start window). Each reader gets every input; an
 * accepted file must write back to the same value. */
#include <stdlib.h>
#include <string.h>

#include "tplr/node_files.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *s = (const char *)data;
    char *text;
    tplr_peer_list p, p2;
    memset(&p, 0, sizeof p);
    memset(&p2, 0, sizeof p2);
    if (tplr_peer_list_parse(s, size, "fuzz", &p) == TPLR_OK) {
        if (tplr_peer_list_to_json(&p, &text) != TPLR_OK || tplr_peer_list_parse(text, strlen(text), "again", &p2) ||
            memcmp(&p, &p2, sizeof p))
            abort();
        free(text);
    }
    static tplr_fingerprint f, f2;
    memset(&f, 0, sizeof f);
    memset(&f2, 0, sizeof f2);
    if (tplr_fingerprint_parse(s, size, "fuzz", &f) == TPLR_OK) {
        if (tplr_fingerprint_to_json(&f, &text) != TPLR_OK ||
            tplr_fingerprint_parse(text, strlen(text), "again", &f2) || memcmp(&f, &f2, sizeof f))
            abort();
        free(text);
    }
    tplr_ckpt_pointer c, c2;
    if (tplr_ckpt_pointer_parse(s, size, "fuzz", &c) == TPLR_OK) {
        if (tplr_ckpt_pointer_to_json(&c, &text) != TPLR_OK ||
            tplr_ckpt_pointer_parse(text, strlen(text), "again", &c2) || c.latest_window != c2.latest_window ||
            c.global_step != c2.global_step)
            abort();
        free(text);
    }
    int64_t w, w2;
    if (tplr_start_window_parse(s, size, "fuzz", &w) == TPLR_OK) {
        if (tplr_start_window_to_json(w, &text) != TPLR_OK || tplr_start_window_parse(text, strlen(text), "again", &w2) ||
            w != w2)
            abort();
        free(text);
    }
    return 0;
}
