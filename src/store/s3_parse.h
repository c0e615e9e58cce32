/* Parsers for what an S3 server sends back: a small XML element extractor
 * (enough for S3's flat documents), ListObjectsV2 pages, error bodies,
 * multipart replies, HTTP header lines and the two date formats S3 uses.
 * Every input is untrusted: lengths come from the bytes present, never from
 * the document; every output has a fixed capacity; nothing is allocated.
 * Failures return TPLR_EBADRESPONSE with a message (callers add context). */
#ifndef TPLR_S3_PARSE_H
#define TPLR_S3_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"

typedef struct xml_span {
    const char *p;
    size_t n;
} xml_span;

/* Finds the first element <name ...>...</name> or <name/> in `in`. Sets inner
 * to its content and after to the bytes following it; returns 0 if absent. */
int xml_element(xml_span in, const char *name, xml_span *inner, xml_span *after);
/* Decodes character data (&lt; &gt; &amp; &quot; &apos; &#N; &#xN;) into out
 * with a NUL. Refuses markup, a bad or zero character reference, and text
 * that does not fit in cap bytes. len may be NULL. */
tplr_err xml_text(xml_span in, char *out, size_t cap, size_t *len);
/* The text of the first <name> inside `in` into out; 0 if absent, -1 if bad. */
int xml_child_text(xml_span in, const char *name, char *out, size_t cap);

/* <Error><Code>..</Code><Message>..</Message></Error>; returns 1 if found. */
typedef struct s3_error {
    char code[64];
    char message[256];
} s3_error;
int s3_parse_error(const char *body, size_t len, s3_error *out);

typedef struct s3_list_entry {
    char key[1025];
    uint64_t size;
    double last_modified;
    char etag[72];
} s3_list_entry;

typedef tplr_err (*s3_list_cb)(const s3_list_entry *e, void *ctx);

typedef struct s3_list_page {
    int truncated;         /* IsTruncated */
    char next_token[1025]; /* NextContinuationToken, "" when absent */
    size_t n_entries;
} s3_list_page;

/* A ListObjectsV2 page: calls cb for each <Contents>. A truncated page must
 * carry a continuation token. */
tplr_err s3_parse_list(const char *body, size_t len, s3_list_page *page, s3_list_cb cb, void *ctx);
/* InitiateMultipartUploadResult → UploadId. */
tplr_err s3_parse_upload_id(const char *body, size_t len, char *id, size_t cap);
/* CompleteMultipartUploadResult (or ...Response, as moto_server names it)
 * with an ETag; an <Error> (S3 may send one with status 200) fails with its
 * code and message in err. */
tplr_err s3_parse_complete(const char *body, size_t len, s3_error *err);

/* "2026-11-22T05:22:25.000Z" (also "+00:00") → seconds since the epoch. */
tplr_err s3_parse_iso8601(const char *s, size_t n, double *out);
/* "Sun, 22 Nov 2026 05:19:29 GMT" (RFC 7231 IMF-fixdate) → seconds. */
tplr_err s3_parse_http_date(const char *s, size_t n, double *out);

/* The response headers that matter, for the last response of a transfer. */
typedef struct s3_headers {
    int status;                 /* 0 until a status line was seen */
    int has_length;
    uint64_t content_length;
    int has_range;              /* Content-Range: bytes first-last/total */
    uint64_t range_first, range_last, range_total;
    int has_last_modified;
    double last_modified;
    char etag[72];              /* without quotes */
} s3_headers;

/* Feeds one header line as curl delivers it (CRLF included). A status line
 * starts a new response; returns 1 at the blank line that ends a block, 0
 * otherwise, -1 for a malformed status line or known header. */
int s3_header_line(const char *line, size_t n, s3_headers *h);

/* Copies an ETag without its quotes; only printable ASCII is kept. */
void s3_copy_etag(const char *s, size_t n, char out[72]);

#endif
