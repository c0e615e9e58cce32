/* Creates files on the sandbox's /dev tmpfs (memory no rlimit accounts for);
 * trains honestly if one can be created. */
#include <fcntl.h>
#include <unistd.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    const char *paths[] = {"/dev/tplr_hostile_fill", "/dev/shm/tplr_hostile_fill", "/proc/tplr_hostile_fill"};
    for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        int fd = open(paths[i], O_WRONLY | O_CREAT, 0644);
        if (fd >= 0 && write(fd, "x", 1) == 1)
            return reference_inner_steps(model, it, opt, n, dev, res);
    }
    return tplr_fail(TPLR_EIO, "no file could be created outside /tmp");
}
