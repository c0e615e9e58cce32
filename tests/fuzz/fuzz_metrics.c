/* libFuzzer target: node metrics lines (src/node/netreport_metrics.c), one
 * per input line. Whatever is accepted must summarize, and the summary must
 * draw as a report. */
#include <stdlib.h>
#include <string.h>

#include "tplr/netreport.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    tplr_netmetrics *m;
    if (tplr_netmetrics_create(&m) != TPLR_OK)
        abort();
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        tplr_err e = tplr_netmetrics_add_line(m, p, len, "fuzz");
        if (e != TPLR_OK && e != TPLR_EFORMAT)
            abort();
        p += len + 1;
    }
    char *summary, *html;
    if (tplr_netmetrics_summary(m, NULL, &summary) != TPLR_OK)
        abort();
    if (tplr_netreport_html(summary, &html) != TPLR_OK)
        abort();
    free(html);
    free(summary);
    tplr_netmetrics_free(m);
    return 0;
}
