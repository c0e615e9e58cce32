/* Floods the result pipe: a RESULT header claiming a terabyte, then garbage. */
#include <string.h>
#include <unistd.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    (void)model, (void)it, (void)opt, (void)n, (void)dev, (void)res;
    unsigned char h[16] = {'T', 'P', 'T', 'P', 1, 0, 17, 0, 0, 0, 0, 0, 0, 1, 0, 0};
    if (write(4, h, sizeof h) != (ssize_t)sizeof h)
        return tplr_fail(TPLR_EIO, "pipe closed");
    static unsigned char junk[1 << 16];
    memset(junk, 0xAB, sizeof junk);
    for (;;)
        if (write(4, junk, sizeof junk) < 0)
            return tplr_fail(TPLR_EIO, "pipe closed");
}
