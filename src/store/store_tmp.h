/* Temporary files that become their destination only when complete: created
 * beside it as "<dest>.tplr-tmp-XXXXXX" (unique, so concurrent writers in
 * several threads or processes never share one), fsynced, renamed over the
 * destination, and the folder fsynced. Readers see the old file or the new
 * one, never a partial one. */
#ifndef TPLR_STORE_TMP_H
#define TPLR_STORE_TMP_H

#include <stddef.h>

#include "tplr/err.h"

typedef struct store_tmp {
    int fd;              /* -1 when closed */
    char dest[4096];
    char path[4200];     /* the temporary name; "" once renamed or removed */
} store_tmp;

/* Creates the temporary file; with make_dirs, creates dest's folders first. */
tplr_err store_tmp_open(store_tmp *t, const char *dest, int make_dirs);
/* Appends n bytes (after a failure, call store_tmp_abort). */
tplr_err store_tmp_write(store_tmp *t, const void *buf, size_t n);
/* Writes n bytes at offset, for out-of-order ranged downloads (likewise). */
tplr_err store_tmp_pwrite(store_tmp *t, const void *buf, size_t n, unsigned long long offset);
/* Sets the final size, fsyncs, renames onto dest. On failure the file is removed. */
tplr_err store_tmp_commit(store_tmp *t, unsigned long long size);
/* Closes and removes the temporary file; safe to call twice. */
void store_tmp_abort(store_tmp *t);

#endif
