/* Opens a network socket (then trains honestly: a Pass would mean the network is reachable). */
#include <sys/socket.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return tplr_fail(TPLR_EIO, "socket refused");
    return reference_inner_steps(model, it, opt, n, dev, res);
}
