/* Allocates and touches far more memory than its limit (64 GiB). */
#include <stdlib.h>
#include <string.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    for (int i = 0; i < 64; i++) {
        char *p = malloc((size_t)1 << 30);
        memset(p, 1, (size_t)1 << 30); /* a NULL from the limit faults here */
    }
    return reference_inner_steps(model, it, opt, n, dev, res);
}
