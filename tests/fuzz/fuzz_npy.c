/* libFuzzer target: the .npy parser on arbitrary bytes; an accepted array's
 * data must lie inside the input. */
#include <stdlib.h>

#include "tplr/npy.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    tplr_npy a;
    if (tplr_npy_parse(data, size, "fuzz", &a) != TPLR_OK)
        return 0;
    const unsigned char *p = a.data;
    if (p < data || p + a.numel * a.elem_size > data + size)
        abort();
    volatile unsigned char sink = 0;
    for (size_t i = 0; i < a.numel * a.elem_size; i++)
        sink ^= p[i];
    (void)sink;
    return 0;
}
