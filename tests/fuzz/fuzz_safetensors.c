/* libFuzzer target: the safetensors parser on arbitrary bytes. Every tensor
 * it accepts must lie inside the input, and reading it must be safe. */
#include <stdlib.h>
#include <string.h>

#include "tplr/safetensors.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    tplr_safetensors st;
    if (tplr_st_parse(data, size, "fuzz", &st) != TPLR_OK)
        return 0;
    for (int i = 0; i < st.n_tensors; i++) {
        const tplr_st_tensor *t = &st.tensors[i];
        if (t->data < data || t->data + t->nbytes > data + size)
            abort();
        if (t->numel <= 4096) {
            float *buf = malloc(sizeof(float) * (t->numel ? t->numel : 1));
            tplr_st_read_f32(&st, t, buf, t->numel);
            free(buf);
        }
    }
    tplr_st_meta_get(&st, "format");
    tplr_st_close(&st);
    return 0;
}
