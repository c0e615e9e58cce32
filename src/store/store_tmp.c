#include "store_tmp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tplr/fileio.h"

/* The folder part of path into out ("." when there is none). */
static void parent_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

tplr_err store_tmp_open(store_tmp *t, const char *dest, int make_dirs)
{
    t->fd = -1;
    t->path[0] = '\0';
    if (snprintf(t->dest, sizeof t->dest, "%s", dest) >= (int)sizeof t->dest)
        return tplr_fail(TPLR_EINVAL, "path too long: %s", dest);
    /* A concurrent delete may remove an emptied folder between mkdirs and
     * mkostemp: create it again a few times. */
    for (int tries = 0;; tries++) {
        if (make_dirs) {
            char dir[4096];
            parent_of(dest, dir, sizeof dir);
            TPLR_TRY(tplr_mkdirs(dir));
        }
        snprintf(t->path, sizeof t->path, "%s.tplr-tmp-XXXXXX", dest);
        t->fd = mkostemp(t->path, O_CLOEXEC);
        if (t->fd >= 0)
            return TPLR_OK;
        if (errno != ENOENT || !make_dirs || tries == 5) {
            tplr_err e = tplr_fail_errno("cannot create a temporary file beside %s", dest);
            t->path[0] = '\0';
            return e;
        }
    }
}

tplr_err store_tmp_pwrite(store_tmp *t, const void *buf, size_t n, unsigned long long offset)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t w = pwrite(t->fd, p, n, (off_t)offset);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return tplr_fail_errno("writing %s", t->path);
        p += w;
        n -= (size_t)w;
        offset += (unsigned long long)w;
    }
    return TPLR_OK;
}

tplr_err store_tmp_write(store_tmp *t, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t w = write(t->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return tplr_fail_errno("writing %s", t->path);
        p += w;
        n -= (size_t)w;
    }
    return TPLR_OK;
}

static void fsync_folder_of(const char *path)
{
    char dir[4096];
    parent_of(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

tplr_err store_tmp_commit(store_tmp *t, unsigned long long size)
{
    tplr_err e = TPLR_OK;
    if (ftruncate(t->fd, (off_t)size) != 0 || fsync(t->fd) != 0)
        e = tplr_fail_errno("writing %s", t->path);
    else if (close(t->fd) != 0)
        e = tplr_fail_errno("closing %s", t->path);
    t->fd = -1;
    if (!e && rename(t->path, t->dest) != 0)
        e = tplr_fail_errno("renaming %s to %s", t->path, t->dest);
    if (e) {
        store_tmp_abort(t);
        return e;
    }
    t->path[0] = '\0';
    fsync_folder_of(t->dest);
    return TPLR_OK;
}

void store_tmp_abort(store_tmp *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    if (t->path[0])
        unlink(t->path);
    t->path[0] = '\0';
}
