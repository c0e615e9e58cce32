/* Trains, then sleeps far past the wall-clock limit before returning. */
#include <time.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    TPLR_TRY(reference_inner_steps(model, it, opt, n, dev, res));
    struct timespec t = {3600, 0};
    nanosleep(&t, NULL);
    return TPLR_OK;
}
