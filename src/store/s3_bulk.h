/* Large objects over S3: multipart uploads (parts sent in parallel, then
 * completed; aborted on failure) and parallel ranged GETs (each range
 * checked against Content-Range, all pinned to one ETag with If-Match). */
#ifndef TPLR_S3_BULK_H
#define TPLR_S3_BULK_H

#include "s3_http.h"

/* What the first GET learned about an object too large for one request. */
typedef struct s3_object_meta {
    uint64_t size;
    int ranged;         /* continue with s3_ranged_get */
    tplr_obj_info info; /* size, LastModified and ETag */
} s3_object_meta;

/* Reads the whole object in ranges of cfg.range_size, cfg.parallel at a time,
 * into buf (meta->size bytes) or, when buf is NULL, into file at its offsets. */
tplr_err s3_ranged_get(s3_store *s, const char *key, const s3_object_meta *meta, unsigned char *buf,
                       store_tmp *file);
/* Uploads n bytes as parts of cfg.part_size, cfg.parallel at a time. */
tplr_err s3_multipart_put(s3_store *s, const char *key, const unsigned char *data, size_t n);

#endif
