/* Starts a second process (to keep computing after the result, or to dodge limits). */
#include <unistd.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    return reference_inner_steps(model, it, opt, n, dev, res);
}
