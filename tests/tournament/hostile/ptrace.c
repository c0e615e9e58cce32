/* Attaches a debugger to pid 1 of its namespace (to read or steer it). */
#include <sys/ptrace.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    ptrace(PTRACE_ATTACH, 1, 0, 0);
    return reference_inner_steps(model, it, opt, n, dev, res);
}
