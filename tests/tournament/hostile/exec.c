/* Executes a program. */
#include <unistd.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    char *argv[] = {"/bin/sh", "-c", "echo escaped > /tmp/x", NULL};
    execv("/bin/sh", argv);
    return reference_inner_steps(model, it, opt, n, dev, res);
}
