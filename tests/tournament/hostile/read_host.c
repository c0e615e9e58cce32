/* Reads host files: the password hashes, the validator's reference cache and
 * work tree. If any is readable it trains honestly (and would pass). */
#include <fcntl.h>
#include <unistd.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    const char *paths[] = {"/etc/shadow", "/etc/passwd", "/var/tmp/tplr-tour-cache", "/work", "/root", "/home",
                           "/proc/1/root/etc/shadow", "/tmp/tplr-tour-work"};
    for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        int fd = open(paths[i], O_RDONLY);
        if (fd >= 0)
            return reference_inner_steps(model, it, opt, n, dev, res);
    }
    return tplr_fail(TPLR_EIO, "no host file was readable");
}
