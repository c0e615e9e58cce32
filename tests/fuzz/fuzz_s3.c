/* libFuzzer target: everything the S3 backend parses from a server (XML
 * documents, header lines, dates). Accepted results must be self-consistent. */
#include <stdlib.h>
#include <string.h>

#include "s3_parse.h"

static tplr_err check_entry(const s3_list_entry *e, void *ctx)
{
    size_t *count = ctx;
    if (!e->key[0] || strlen(e->key) > 1024 || strlen(e->etag) > 71)
        abort();
    (*count)++;
    return TPLR_OK;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *doc = (const char *)data;
    s3_list_page page;
    size_t count = 0;
    if (s3_parse_list(doc, size, &page, check_entry, &count) == TPLR_OK &&
        (count != page.n_entries || (page.truncated && !page.next_token[0])))
        abort();
    s3_error err;
    if (s3_parse_error(doc, size, &err) && (strlen(err.code) >= sizeof err.code || strlen(err.message) >= 256))
        abort();
    char id[64];
    if (s3_parse_upload_id(doc, size, id, sizeof id) == TPLR_OK && (!id[0] || strlen(id) >= sizeof id))
        abort();
    s3_parse_complete(doc, size, &err);

    char text[128];
    size_t len;
    xml_span all = {doc, size < 200 ? size : 200};
    if (xml_text(all, text, sizeof text, &len) == TPLR_OK && (len >= sizeof text || len > all.n))
        abort();

    /* header lines: the input split at '\n' */
    s3_headers h = {0};
    for (size_t start = 0; start < size;) {
        const char *nl = memchr(doc + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - doc) + 1 : size;
        if (s3_header_line(doc + start, end - start, &h) == 1 && h.status < 100)
            abort();
        if (h.has_range && !(h.range_first <= h.range_last && h.range_last < h.range_total))
            abort();
        start = end;
    }
    double t;
    s3_parse_iso8601(doc, size < 40 ? size : 40, &t);
    s3_parse_http_date(doc, size < 40 ? size : 40, &t);
    return 0;
}
