/* Inside the store layer: the backend table behind tplr_store. Each backend
 * embeds struct tplr_store as its first member. Keys reaching a backend have
 * passed tplr_store_check_key. */
#ifndef TPLR_STORE_IMPL_H
#define TPLR_STORE_IMPL_H

#include "tplr/store.h"

typedef enum { STORE_FS, STORE_S3 } store_kind;

typedef struct store_ops {
    tplr_err (*put)(tplr_store *s, const char *key, const void *data, size_t n);
    tplr_err (*put_file)(tplr_store *s, const char *key, const char *path);
    tplr_err (*get)(tplr_store *s, const char *key, uint64_t max_bytes, unsigned char **data, size_t *n,
                    tplr_obj_info *info);
    tplr_err (*get_file)(tplr_store *s, const char *key, const char *path, uint64_t max_bytes,
                         tplr_obj_info *info);
    tplr_err (*head)(tplr_store *s, const char *key, tplr_obj_info *info);
    tplr_err (*list)(tplr_store *s, const char *prefix, tplr_obj_list *out);
    tplr_err (*del)(tplr_store *s, const char *key);
    void (*close)(tplr_store *s);
} store_ops;

struct tplr_store {
    const store_ops *ops;
    store_kind kind;
    char desc[3200]; /* tplr_store_describe */
    tplr_store_stats stats;
};

/* Backend constructors (root: the folder; bucket and prefix without slashes at the ends). */
tplr_err store_fs_open(const char *root, tplr_store **out);
tplr_err store_s3_open(const char *bucket, const char *prefix, const tplr_s3_config *cfg, tplr_store **out);

/* Appends one entry (the key is copied). */
tplr_err store_list_add(tplr_obj_list *l, const char *key, const tplr_obj_info *info);
/* Sorts the entries by key, bytewise (the order S3 lists in). */
void store_list_sort(tplr_obj_list *l);

#endif
