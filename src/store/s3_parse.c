#include "s3_parse.h"

#include <string.h>

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static const char *find_char(const char *p, const char *end, char c)
{
    return p < end ? memchr(p, c, (size_t)(end - p)) : NULL;
}

/* Does `<name` start at p (followed by '>', '/' or a space)? */
static int tag_at(const char *p, const char *end, const char *name, size_t len, int closing)
{
    size_t skip = closing ? 2 : 1;
    if ((size_t)(end - p) < skip + len + 1 || p[0] != '<' || (closing && p[1] != '/'))
        return 0;
    if (memcmp(p + skip, name, len) != 0)
        return 0;
    char c = p[skip + len];
    return c == '>' || is_space(c) || (!closing && c == '/');
}

int xml_element(xml_span in, const char *name, xml_span *inner, xml_span *after)
{
    const char *p = in.p, *end = in.p + in.n;
    size_t len = strlen(name);
    for (; (p = find_char(p, end, '<')); p++) {
        if (!tag_at(p, end, name, len, 0))
            continue;
        const char *gt = find_char(p + 1 + len, end, '>');
        if (!gt)
            return 0;
        if (gt[-1] == '/') { /* <name/> */
            *inner = (xml_span){gt, 0};
            *after = (xml_span){gt + 1, (size_t)(end - gt - 1)};
            return 1;
        }
        const char *body = gt + 1;
        for (const char *q = body; (q = find_char(q, end, '<')); q++) {
            if (!tag_at(q, end, name, len, 1))
                continue;
            const char *close = find_char(q + 2 + len, end, '>');
            if (!close)
                return 0;
            *inner = (xml_span){body, (size_t)(q - body)};
            *after = (xml_span){close + 1, (size_t)(end - close - 1)};
            return 1;
        }
        return 0;
    }
    return 0;
}

/* Appends code point cp as UTF-8; 0 if it does not fit or is not a character. */
static int put_utf8(unsigned long cp, char *out, size_t cap, size_t *o)
{
    unsigned char b[4];
    size_t k;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (*o + k >= cap)
        return 0;
    memcpy(out + *o, b, k);
    *o += k;
    return 1;
}

/* Decodes the entity at p ('&' .. ';'), at most 12 bytes; returns its length or 0. */
static size_t entity(const char *p, const char *end, char *out, size_t cap, size_t *o)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
    size_t avail = (size_t)(end - p) - 1;
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t l = strlen(named[i].name);
        if (avail >= l && memcmp(p + 1, named[i].name, l) == 0) {
            if (*o + 1 >= cap)
                return 0;
            out[(*o)++] = named[i].c;
            return l + 1;
        }
    }
    if (avail < 3 || p[1] != '#')
        return 0;
    int hex = p[2] == 'x';
    const char *q = p + 2 + hex;
    unsigned long cp = 0;
    size_t digits = 0;
    for (; q < end && *q != ';'; q++, digits++) {
        int d;
        if (*q >= '0' && *q <= '9')
            d = *q - '0';
        else if (hex && *q >= 'a' && *q <= 'f')
            d = *q - 'a' + 10;
        else if (hex && *q >= 'A' && *q <= 'F')
            d = *q - 'A' + 10;
        else
            return 0;
        if (digits >= 8)
            return 0;
        cp = cp * (hex ? 16u : 10u) + (unsigned long)d;
    }
    if (q == end || digits == 0 || !put_utf8(cp, out, cap, o))
        return 0;
    return (size_t)(q - p) + 1;
}

tplr_err xml_text(xml_span in, char *out, size_t cap, size_t *len)
{
    size_t o = 0;
    const char *p = in.p, *end = in.p + in.n;
    if (cap == 0)
        return tplr_fail(TPLR_EBADRESPONSE, "no room for XML text");
    while (p < end) {
        if (*p == '<' || *p == '\0')
            return tplr_fail(TPLR_EBADRESPONSE, "markup or a NUL byte inside XML text");
        if (*p == '&') {
            size_t used = entity(p, end, out, cap, &o);
            if (!used)
                return tplr_fail(TPLR_EBADRESPONSE, "bad entity or text too long in XML");
            p += used;
            continue;
        }
        if (o + 1 >= cap)
            return tplr_fail(TPLR_EBADRESPONSE, "XML text longer than %zu bytes", cap - 1);
        out[o++] = *p++;
    }
    out[o] = '\0';
    if (len)
        *len = o;
    return TPLR_OK;
}

int xml_child_text(xml_span in, const char *name, char *out, size_t cap)
{
    xml_span inner, after;
    if (!xml_element(in, name, &inner, &after))
        return 0;
    return xml_text(inner, out, cap, NULL) == TPLR_OK ? 1 : -1;
}

int s3_parse_error(const char *body, size_t len, s3_error *out)
{
    xml_span inner, after;
    out->code[0] = out->message[0] = '\0';
    if (!xml_element((xml_span){body, len}, "Error", &inner, &after))
        return 0;
    if (xml_child_text(inner, "Code", out->code, sizeof out->code) < 0)
        out->code[0] = '\0';
    if (xml_child_text(inner, "Message", out->message, sizeof out->message) < 0)
        out->message[0] = '\0';
    return 1;
}

/* A decimal unsigned integer that is the whole of s[0..n). */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

void s3_copy_etag(const char *s, size_t n, char out[72])
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < 71; i++)
        if (s[i] != '"' && s[i] > 0x20 && s[i] < 0x7f)
            out[o++] = s[i];
    out[o] = '\0';
}

static tplr_err list_entry(xml_span c, s3_list_entry *e)
{
    char num[32], date[64], etag[160];
    if (xml_child_text(c, "Key", e->key, sizeof e->key) != 1 || !e->key[0])
        return tplr_fail(TPLR_EBADRESPONSE, "a listed object has no valid <Key>");
    size_t nlen;
    xml_span inner, after;
    if (!xml_element(c, "Size", &inner, &after) || xml_text(inner, num, sizeof num, &nlen) ||
        !parse_u64(num, nlen, &e->size))
        return tplr_fail(TPLR_EBADRESPONSE, "listed object '%s' has no valid <Size>", e->key);
    if (xml_child_text(c, "LastModified", date, sizeof date) != 1 ||
        s3_parse_iso8601(date, strlen(date), &e->last_modified))
        return tplr_fail(TPLR_EBADRESPONSE, "listed object '%s' has no valid <LastModified>", e->key);
    e->etag[0] = '\0';
    if (xml_child_text(c, "ETag", etag, sizeof etag) == 1)
        s3_copy_etag(etag, strlen(etag), e->etag);
    return TPLR_OK;
}

tplr_err s3_parse_list(const char *body, size_t len, s3_list_page *page, s3_list_cb cb, void *ctx)
{
    xml_span doc, rest, c;
    memset(page, 0, sizeof *page);
    if (!xml_element((xml_span){body, len}, "ListBucketResult", &doc, &rest))
        return tplr_fail(TPLR_EBADRESPONSE, "the reply is not a ListBucketResult");
    char flag[8];
    if (xml_child_text(doc, "IsTruncated", flag, sizeof flag) == 1)
        page->truncated = !strcmp(flag, "true");
    if (xml_child_text(doc, "NextContinuationToken", page->next_token, sizeof page->next_token) < 0)
        return tplr_fail(TPLR_EBADRESPONSE, "bad <NextContinuationToken>");
    if (page->truncated && !page->next_token[0])
        return tplr_fail(TPLR_EBADRESPONSE, "a truncated list without <NextContinuationToken>");
    s3_list_entry e;
    for (rest = doc; xml_element(rest, "Contents", &c, &rest); page->n_entries++) {
        TPLR_TRY(list_entry(c, &e));
        TPLR_TRY(cb(&e, ctx));
    }
    return TPLR_OK;
}

tplr_err s3_parse_upload_id(const char *body, size_t len, char *id, size_t cap)
{
    xml_span doc, after;
    if (!xml_element((xml_span){body, len}, "InitiateMultipartUploadResult", &doc, &after))
        return tplr_fail(TPLR_EBADRESPONSE, "the reply is not an InitiateMultipartUploadResult");
    if (xml_child_text(doc, "UploadId", id, cap) != 1 || !id[0])
        return tplr_fail(TPLR_EBADRESPONSE, "no valid <UploadId> in the reply");
    for (const char *p = id; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return tplr_fail(TPLR_EBADRESPONSE, "the <UploadId> holds spaces or control characters");
    return TPLR_OK;
}

tplr_err s3_parse_complete(const char *body, size_t len, s3_error *err)
{
    xml_span doc, after;
    if (s3_parse_error(body, len, err))
        return tplr_fail(TPLR_EBADRESPONSE, "%s: %s", err->code, err->message);
    /* AWS documents ...Result; moto_server sends ...Response */
    if (!xml_element((xml_span){body, len}, "CompleteMultipartUploadResult", &doc, &after) &&
        !xml_element((xml_span){body, len}, "CompleteMultipartUploadResponse", &doc, &after))
        return tplr_fail(TPLR_EBADRESPONSE, "the reply is not a CompleteMultipartUploadResult");
    char etag[160];
    if (xml_child_text(doc, "ETag", etag, sizeof etag) != 1 || !etag[0])
        return tplr_fail(TPLR_EBADRESPONSE, "no <ETag> in the CompleteMultipartUploadResult");
    return TPLR_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at s as an int in [lo, hi]; -1 if not. */
static int digits(const char *s, int n, int lo, int hi)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

static tplr_err to_epoch(int y, int mo, int d, int h, int mi, int s, double *out)
{
    if (y < 0 || mo < 0 || d < 1 || h < 0 || mi < 0 || s < 0 || d > days_in_month(y, mo))
        return tplr_fail(TPLR_EBADRESPONSE, "a date field is out of range");
    *out = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s);
    return TPLR_OK;
}

tplr_err s3_parse_iso8601(const char *s, size_t n, double *out)
{
    /* YYYY-MM-DDTHH:MM:SS[.f+](Z|+00:00) */
    if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return tplr_fail(TPLR_EBADRESPONSE, "not an ISO 8601 timestamp");
    int y = digits(s, 4, 1970, 9999), mo = digits(s + 5, 2, 1, 12), d = digits(s + 8, 2, 1, 31);
    int h = digits(s + 11, 2, 0, 23), mi = digits(s + 14, 2, 0, 59), sec = digits(s + 17, 2, 0, 60);
    size_t i = 19;
    double frac = 0, scale = 0.1;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        for (; i < n && s[i] >= '0' && s[i] <= '9' && i - start < 9; i++, scale *= 0.1)
            frac += (s[i] - '0') * scale;
        if (i == start)
            return tplr_fail(TPLR_EBADRESPONSE, "bad fraction in an ISO 8601 timestamp");
    }
    int utc = (n - i == 1 && s[i] == 'Z') || (n - i == 6 && !memcmp(s + i, "+00:00", 6));
    if (!utc)
        return tplr_fail(TPLR_EBADRESPONSE, "an ISO 8601 timestamp not in UTC");
    TPLR_TRY(to_epoch(y, mo, d, h, mi, sec, out));
    *out += frac;
    return TPLR_OK;
}

tplr_err s3_parse_http_date(const char *s, size_t n, double *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    /* "Sun, 06 Nov 1994 08:49:37 GMT": 29 bytes */
    if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
        s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0)
        return tplr_fail(TPLR_EBADRESPONSE, "not an HTTP date");
    int mo = -1;
    for (int i = 0; i < 12; i++)
        if (!memcmp(s + 8, months + 3 * i, 3))
            mo = i + 1;
    return to_epoch(digits(s + 12, 4, 1970, 9999), mo, digits(s + 5, 2, 1, 31), digits(s + 17, 2, 0, 23),
                    digits(s + 20, 2, 0, 59), digits(s + 23, 2, 0, 60), out);
}

/* "bytes first-last/total" (total may be '*': then unknown, refused). */
static int parse_content_range(const char *v, size_t n, s3_headers *h)
{
    if (n < 6 || memcmp(v, "bytes ", 6) != 0)
        return 0;
    const char *p = v + 6, *end = v + n;
    const char *dash = find_char(p, end, '-');
    const char *slash = dash ? find_char(dash, end, '/') : NULL;
    if (!slash || !parse_u64(p, (size_t)(dash - p), &h->range_first) ||
        !parse_u64(dash + 1, (size_t)(slash - dash - 1), &h->range_last) ||
        !parse_u64(slash + 1, (size_t)(end - slash - 1), &h->range_total))
        return 0;
    return h->range_first <= h->range_last && h->range_last < h->range_total;
}

static int header_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

int s3_header_line(const char *line, size_t n, s3_headers *h)
{
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    if (n == 0)
        return h->status ? 1 : 0;
    if (n >= 5 && !memcmp(line, "HTTP/", 5)) {
        memset(h, 0, sizeof *h);
        const char *sp = find_char(line, line + n, ' ');
        int code = sp && line + n - sp > 3 ? digits(sp + 1, 3, 100, 599) : -1;
        if (code < 0 || (line + n - sp > 4 && sp[4] != ' '))
            return -1;
        h->status = code;
        return 0;
    }
    const char *colon = find_char(line, line + n, ':');
    if (!colon)
        return 0; /* not a header: ignore */
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + n;
    while (v < end && is_space(*v))
        v++;
    while (end > v && is_space(end[-1]))
        end--;
    size_t vn = (size_t)(end - v);
    if (header_is(line, name_len, "content-length")) {
        if (!parse_u64(v, vn, &h->content_length))
            return -1;
        h->has_length = 1;
    } else if (header_is(line, name_len, "content-range")) {
        h->has_range = parse_content_range(v, vn, h);
        if (!h->has_range)
            return -1;
    } else if (header_is(line, name_len, "last-modified")) {
        /* an unreadable date is left unknown: the callers that need one refuse its absence */
        h->has_last_modified = s3_parse_http_date(v, vn, &h->last_modified) == TPLR_OK;
    } else if (header_is(line, name_len, "etag")) {
        s3_copy_etag(v, vn, h->etag);
    }
    return 0;
}
