#include "test_util.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

double tu_max_rel_diff(const float *a, const float *b, size_t n)
{
    double mx = 0, scale = 1e-30;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > mx || isnan(d))
            mx = isnan(d) ? INFINITY : d;
        if (fabs(b[i]) > scale)
            scale = fabs(b[i]);
    }
    return mx / scale;
}

double tu_rel_l2(const float *a, const float *b, size_t n)
{
    double num = 0, den = 1e-300;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return isnan(num) ? INFINITY : sqrt(num / den);
}

const char *tu_tmpdir(const char *tag, char *buf, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, cap, "%s/tplr-%s-XXXXXX", base ? base : "/tmp", tag);
    if (!mkdtemp(buf))
        fail_msg("mkdtemp %s failed", buf);
    return buf;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void tu_rmtree(const char *path) { nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

const char *tu_src_dir(void) { return TPLR_TEST_SRC_DIR; }
