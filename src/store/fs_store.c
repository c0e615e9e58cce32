/* The filesystem backend: a key is a file under the root folder (nested keys
 * are subfolders). Puts go through a unique temporary file renamed into place,
 * so any number of processes may read and write the same keys at once: a
 * reader opens either the old inode or the new one, whole. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_impl.h"
#include "store_tmp.h"
#include "tplr/fileio.h"

#define COPY_CHUNK (1u << 20)
#define TMP_MARK ".tplr-tmp-"

typedef struct fs_store {
    struct tplr_store base;
    char root[3000];
} fs_store;

static fs_store *as_fs(tplr_store *s) { return (fs_store *)s; }

/* Gather's reader threads share a folder store: counters are atomic. */
static void count(uint64_t *counter, uint64_t n) { __atomic_fetch_add(counter, n, __ATOMIC_RELAXED); }

static tplr_err key_path(const fs_store *fs, const char *key, char *out, size_t cap)
{
    return tplr_path_join(out, cap, fs->root, key);
}

static void fill_info(const struct stat *st, tplr_obj_info *info)
{
    info->size = (uint64_t)st->st_size;
    info->last_modified = (double)st->st_mtim.tv_sec + (double)st->st_mtim.tv_nsec * 1e-9;
    info->etag[0] = '\0';
}

static tplr_err not_found(const fs_store *fs, const char *key)
{
    return tplr_fail(TPLR_ENOTFOUND, "%s: no object '%s'", fs->base.desc, key);
}

/* Opens key for reading and checks it is a regular file of at most max_bytes. */
static tplr_err open_object(const fs_store *fs, const char *key, uint64_t max_bytes, int *fd_out,
                            tplr_obj_info *info)
{
    char path[4200];
    TPLR_TRY(key_path(fs, key, path, sizeof path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? not_found(fs, key) : tplr_fail_errno("cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        tplr_err e = tplr_fail_errno("cannot stat %s", path);
        close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return not_found(fs, key);
    }
    fill_info(&st, info);
    if (info->size > max_bytes) {
        close(fd);
        return tplr_fail(TPLR_ETOOLARGE, "%s: object '%s' is %llu bytes, more than the %llu allowed", fs->base.desc,
                         key, (unsigned long long)info->size, (unsigned long long)max_bytes);
    }
    *fd_out = fd;
    return TPLR_OK;
}

/* Reads exactly n bytes (the file cannot shrink: writers never modify a
 * published inode, they replace it). */
static tplr_err read_exact(int fd, unsigned char *buf, size_t n, const char *what)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return tplr_fail_errno("reading %s", what);
        if (r == 0)
            return tplr_fail(TPLR_EIO, "reading %s: the file shrank to %zu of %zu bytes while read", what, got, n);
        got += (size_t)r;
    }
    return TPLR_OK;
}

static tplr_err fs_put(tplr_store *s, const char *key, const void *data, size_t n)
{
    fs_store *fs = as_fs(s);
    char path[4200];
    TPLR_TRY(key_path(fs, key, path, sizeof path));
    store_tmp t;
    TPLR_TRY(store_tmp_open(&t, path, 1));
    tplr_err e = store_tmp_write(&t, data, n);
    if (e) {
        store_tmp_abort(&t);
        return e;
    }
    TPLR_TRY(store_tmp_commit(&t, n));
    count(&s->stats.bytes_sent, n);
    return TPLR_OK;
}

static tplr_err fs_put_file(tplr_store *s, const char *key, const char *src)
{
    tplr_mmap m;
    TPLR_TRY(tplr_mmap_open(src, &m));
    tplr_err e = fs_put(s, key, m.data, m.size);
    tplr_mmap_close(&m);
    return e;
}

static tplr_err fs_get(tplr_store *s, const char *key, uint64_t max_bytes, unsigned char **data, size_t *n,
                       tplr_obj_info *info)
{
    fs_store *fs = as_fs(s);
    int fd;
    TPLR_TRY(open_object(fs, key, max_bytes, &fd, info));
    if (info->size > SIZE_MAX - 1) {
        close(fd);
        return tplr_fail(TPLR_ETOOLARGE, "%s: object '%s' does not fit in memory", fs->base.desc, key);
    }
    unsigned char *buf = malloc((size_t)info->size + 1);
    if (!buf) {
        close(fd);
        return tplr_fail(TPLR_ENOMEM, "%s: no memory for the %llu bytes of '%s'", fs->base.desc,
                         (unsigned long long)info->size, key);
    }
    tplr_err e = read_exact(fd, buf, (size_t)info->size, key);
    close(fd);
    if (e) {
        free(buf);
        return e;
    }
    buf[info->size] = '\0';
    *data = buf;
    *n = (size_t)info->size;
    count(&s->stats.bytes_received, info->size);
    return TPLR_OK;
}

static tplr_err fs_get_file(tplr_store *s, const char *key, const char *dest, uint64_t max_bytes,
                            tplr_obj_info *info)
{
    fs_store *fs = as_fs(s);
    int fd;
    TPLR_TRY(open_object(fs, key, max_bytes, &fd, info));
    store_tmp t;
    tplr_err e = store_tmp_open(&t, dest, 0);
    unsigned char *buf = e ? NULL : malloc(COPY_CHUNK);
    if (!e && !buf)
        e = tplr_fail(TPLR_ENOMEM, "copying '%s': out of memory", key);
    for (uint64_t done = 0; !e && done < info->size;) {
        size_t chunk = info->size - done < COPY_CHUNK ? (size_t)(info->size - done) : COPY_CHUNK;
        e = read_exact(fd, buf, chunk, key);
        if (!e)
            e = store_tmp_write(&t, buf, chunk);
        done += chunk;
    }
    free(buf);
    close(fd);
    if (!e)
        return store_tmp_commit(&t, info->size);
    if (t.fd >= 0 || t.path[0])
        store_tmp_abort(&t);
    return e;
}

static tplr_err fs_head(tplr_store *s, const char *key, tplr_obj_info *info)
{
    fs_store *fs = as_fs(s);
    char path[4200];
    TPLR_TRY(key_path(fs, key, path, sizeof path));
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT || errno == ENOTDIR ? not_found(fs, key) : tplr_fail_errno("cannot stat %s", path);
    if (!S_ISREG(st.st_mode))
        return not_found(fs, key);
    fill_info(&st, info);
    return TPLR_OK;
}

/* Adds every file under dir (whose key starts with rel) matching prefix. */
static tplr_err walk(const fs_store *fs, const char *dir, const char *rel, const char *prefix, tplr_obj_list *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR ? TPLR_OK : tplr_fail_errno("cannot list %s", dir);
    tplr_err e = TPLR_OK;
    struct dirent *ent;
    while (!e && (ent = readdir(d))) {
        const char *name = ent->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..") || strstr(name, TMP_MARK))
            continue;
        char path[4200], key[1100];
        if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
            snprintf(key, sizeof key, "%s%s", rel, name) >= (int)sizeof key)
            continue; /* too long to be a key */
        struct stat st;
        if (lstat(path, &st) != 0)
            continue; /* removed meanwhile */
        size_t klen = strlen(key), plen = strlen(prefix);
        size_t common = klen < plen ? klen : plen;
        if (strncmp(key, prefix, common) != 0)
            continue; /* neither the prefix nor on the way to it */
        if (S_ISDIR(st.st_mode)) {
            char sub[1102];
            snprintf(sub, sizeof sub, "%s/", key);
            e = walk(fs, path, sub, prefix, out);
        } else if (S_ISREG(st.st_mode) && klen >= plen && tplr_store_check_key(key) == TPLR_OK) {
            tplr_obj_info info;
            fill_info(&st, &info);
            e = store_list_add(out, key, &info);
        }
    }
    closedir(d);
    return e;
}

static tplr_err fs_list(tplr_store *s, const char *prefix, tplr_obj_list *out)
{
    fs_store *fs = as_fs(s);
    TPLR_TRY(walk(fs, fs->root[0] ? fs->root : "/", "", prefix, out));
    store_list_sort(out);
    return TPLR_OK;
}

static tplr_err fs_del(tplr_store *s, const char *key)
{
    fs_store *fs = as_fs(s);
    char path[4200];
    TPLR_TRY(key_path(fs, key, path, sizeof path));
    if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR && errno != EISDIR)
        return tplr_fail_errno("cannot delete %s", path);
    /* Folders exist only for their objects: remove the ones left empty. */
    size_t root_len = strlen(fs->root);
    for (char *slash = strrchr(path, '/'); slash && (size_t)(slash - path) > root_len; slash = strrchr(path, '/')) {
        *slash = '\0';
        if (rmdir(path) != 0)
            break;
    }
    return TPLR_OK;
}

static void fs_close(tplr_store *s) { free(s); }

static const store_ops fs_ops = {fs_put, fs_put_file, fs_get, fs_get_file, fs_head, fs_list, fs_del, fs_close};

tplr_err store_fs_open(const char *root, tplr_store **out)
{
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (n == 0)
        return tplr_fail(TPLR_EINVAL, "empty store folder");
    fs_store *fs = calloc(1, sizeof *fs);
    if (!fs)
        return tplr_fail(TPLR_ENOMEM, "opening a store: out of memory");
    if (n >= sizeof fs->root) {
        free(fs);
        return tplr_fail(TPLR_EINVAL, "store folder path too long: %s", root);
    }
    memcpy(fs->root, root, n);
    fs->root[n] = '\0';
    if (n == 1 && root[0] == '/')
        fs->root[0] = '\0'; /* keys join as "/key" */
    fs->base.ops = &fs_ops;
    fs->base.kind = STORE_FS;
    snprintf(fs->base.desc, sizeof fs->base.desc, "%s%s", root[0] == '/' ? "file://" : "",
             fs->root[0] ? fs->root : "/");
    *out = &fs->base;
    return TPLR_OK;
}
