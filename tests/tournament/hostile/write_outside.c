/* Writes outside its private /tmp; trains honestly if any write lands. */
#include <fcntl.h>
#include <unistd.h>

tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    const char *paths[] = {"/usr/tplr_hostile_marker", "/etc/tplr_hostile_marker", "/var/tmp/tplr_hostile_marker",
                           "/tplr_hostile_marker", "/sandbox/tplr_hostile_marker", "/proc/tplr_hostile_marker"};
    int landed = 0;
    for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        int fd = open(paths[i], O_WRONLY | O_CREAT, 0644);
        if (fd >= 0 && write(fd, "x", 1) == 1)
            landed = 1;
    }
    /* its own /tmp is private: this must not appear on the host */
    int fd = open("/tmp/tplr_hostile_marker", O_WRONLY | O_CREAT, 0644);
    if (fd < 0 || write(fd, "x", 1) != 1)
        return tplr_fail(TPLR_EIO, "even the private /tmp refused a write");
    if (landed)
        return reference_inner_steps(model, it, opt, n, dev, res);
    return tplr_fail(TPLR_EIO, "no write outside /tmp landed");
}
