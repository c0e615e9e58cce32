#include "tplr/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

tplr_err tplr_read_file(const char *path, size_t max_bytes, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return errno == ENOENT ? tplr_fail(TPLR_ENOTFOUND, "%s: no such file", path)
                               : tplr_fail_errno("cannot open %s", path);
    struct stat st;
    if (fstat(fileno(fp), &st) != 0) {
        fclose(fp);
        return tplr_fail_errno("cannot stat %s", path);
    }
    if ((size_t)st.st_size > max_bytes) {
        fclose(fp);
        return tplr_fail(TPLR_EFORMAT, "%s is %lld bytes, more than the %zu allowed", path,
                         (long long)st.st_size, max_bytes);
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        fclose(fp);
        return tplr_fail(TPLR_ENOMEM, "reading %s: out of memory", path);
    }
    size_t got = fread(buf, 1, (size_t)st.st_size, fp);
    int failed = ferror(fp);
    fclose(fp);
    if (failed || got != (size_t)st.st_size) {
        free(buf);
        return tplr_fail(TPLR_EIO, "reading %s: short read (%zu of %lld bytes)", path, got,
                         (long long)st.st_size);
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return TPLR_OK;
}

tplr_err tplr_mmap_open(const char *path, tplr_mmap *m)
{
    m->data = NULL;
    m->size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? tplr_fail(TPLR_ENOTFOUND, "%s: no such file", path)
                               : tplr_fail_errno("cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return tplr_fail_errno("cannot stat %s", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return tplr_fail(TPLR_EINVAL, "%s is not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return TPLR_OK; /* an empty map: data NULL, size 0 */
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return tplr_fail_errno("cannot map %s", path);
    m->data = p;
    m->size = (size_t)st.st_size;
    return TPLR_OK;
}

void tplr_mmap_close(tplr_mmap *m)
{
    if (m->data)
        munmap((void *)m->data, m->size);
    m->data = NULL;
    m->size = 0;
}

tplr_err tplr_atomic_open(tplr_atomic_file *f, const char *path)
{
    f->fp = NULL;
    if (strlen(path) + 32 >= sizeof f->tmp_path)
        return tplr_fail(TPLR_EINVAL, "path too long: %s", path);
    snprintf(f->path, sizeof f->path, "%s", path);
    /* Unique per process and per call, so threads writing the same path
     * never share a temporary file. */
    static _Atomic unsigned long counter;
    snprintf(f->tmp_path, sizeof f->tmp_path, "%s.tmp-%ld-%lu", path, (long)getpid(), ++counter);
    int fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || !(f->fp = fdopen(fd, "wb"))) {
        tplr_err e = tplr_fail_errno("cannot create %s", f->tmp_path);
        if (fd >= 0) {
            close(fd);
            unlink(f->tmp_path);
        }
        f->tmp_path[0] = '\0';
        return e;
    }
    return TPLR_OK;
}

tplr_err tplr_atomic_write(tplr_atomic_file *f, const void *buf, size_t n)
{
    if (n && fwrite(buf, 1, n, f->fp) != n) {
        tplr_err e = tplr_fail_errno("writing %s", f->path);
        tplr_atomic_abort(f);
        return e;
    }
    return TPLR_OK;
}

static void fsync_parent(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

tplr_err tplr_atomic_commit(tplr_atomic_file *f)
{
    if (fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0) {
        tplr_err e = tplr_fail_errno("writing %s", f->path);
        tplr_atomic_abort(f);
        return e;
    }
    if (fclose(f->fp) != 0) {
        f->fp = NULL;
        tplr_err e = tplr_fail_errno("closing %s", f->path);
        tplr_atomic_abort(f);
        return e;
    }
    f->fp = NULL;
    if (rename(f->tmp_path, f->path) != 0) {
        tplr_err e = tplr_fail_errno("renaming %s to %s", f->tmp_path, f->path);
        tplr_atomic_abort(f);
        return e;
    }
    fsync_parent(f->path);
    f->tmp_path[0] = '\0';
    return TPLR_OK;
}

void tplr_atomic_abort(tplr_atomic_file *f)
{
    if (f->fp) {
        fclose(f->fp);
        f->fp = NULL;
    }
    if (f->tmp_path[0]) {
        unlink(f->tmp_path);
        f->tmp_path[0] = '\0';
    }
}

tplr_err tplr_write_file_atomic(const char *path, const void *buf, size_t n)
{
    tplr_atomic_file f;
    TPLR_TRY(tplr_atomic_open(&f, path));
    TPLR_TRY(tplr_atomic_write(&f, buf, n));
    return tplr_atomic_commit(&f);
}

tplr_err tplr_mkdirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return tplr_fail(TPLR_EINVAL, "bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char saved = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return tplr_fail_errno("cannot create directory %s", buf);
            buf[i] = saved;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return tplr_fail(TPLR_EIO, "%s exists and is not a directory", path);
    return TPLR_OK;
}

tplr_err tplr_path_join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return tplr_fail(TPLR_EINVAL, "path too long: %s/%s", dir, name);
    return TPLR_OK;
}

int tplr_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}
