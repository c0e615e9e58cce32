/* Files: whole-file reads with a size cap, read-only memory maps, and atomic
 * writes (temporary name, fsync, rename, fsync of the folder) so that a crash
 * never leaves a half-written file under the final name. */
#ifndef TPLR_FILEIO_H
#define TPLR_FILEIO_H

#include <stdio.h>
#include <stddef.h>

#include "tplr/err.h"

/* Reads at most max_bytes of path into a NUL-terminated malloc'd buffer. */
tplr_err tplr_read_file(const char *path, size_t max_bytes, char **out, size_t *len);

typedef struct tplr_mmap {
    const unsigned char *data;
    size_t size;
} tplr_mmap;

tplr_err tplr_mmap_open(const char *path, tplr_mmap *m);
void tplr_mmap_close(tplr_mmap *m);

typedef struct tplr_atomic_file {
    FILE *fp;
    char path[4096];
    char tmp_path[4096];
} tplr_atomic_file;

/* Opens "<path>.tmp-<pid>" for writing. */
tplr_err tplr_atomic_open(tplr_atomic_file *f, const char *path);
/* Writes n bytes; on failure the file is aborted. */
tplr_err tplr_atomic_write(tplr_atomic_file *f, const void *buf, size_t n);
/* Flushes, fsyncs and renames onto the final path. Aborts on failure. */
tplr_err tplr_atomic_commit(tplr_atomic_file *f);
/* Closes and removes the temporary file. Safe to call twice. */
void tplr_atomic_abort(tplr_atomic_file *f);

/* Writes a whole buffer atomically. */
tplr_err tplr_write_file_atomic(const char *path, const void *buf, size_t n);

/* Creates a directory and its parents (like mkdir -p). */
tplr_err tplr_mkdirs(const char *path);
/* Joins dir and name into out (cap bytes); fails if it does not fit. */
tplr_err tplr_path_join(char *out, size_t cap, const char *dir, const char *name);
int tplr_path_exists(const char *path);

#endif
