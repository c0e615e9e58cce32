#include "tplr/mem.h"

#include <stdlib.h>
#include <string.h>

tplr_err tplr_alloc(void **out, size_t n, const char *what)
{
    *out = NULL;
    size_t rounded = (n + 63u) & ~(size_t)63u;
    if (rounded < n)
        return tplr_fail(TPLR_ENOMEM, "allocating %s: size %zu overflows", what, n);
    if (rounded == 0)
        rounded = 64;
    void *p = aligned_alloc(64, rounded);
    if (!p)
        return tplr_fail(TPLR_ENOMEM, "allocating %.1f MiB for %s failed: free memory or use a smaller "
                         "model, batch or sequence", (double)n / (1024.0 * 1024.0), what);
    memset(p, 0, rounded);
    *out = p;
    return TPLR_OK;
}

void tplr_free(void *p) { free(p); }

int tplr_mul_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}
