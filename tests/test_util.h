/* Helpers shared by the C tests. */
#ifndef TPLR_TEST_UTIL_H
#define TPLR_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tplr/err.h"

/* Fails the test with the library's message when e is not TPLR_OK. */
#define ASSERT_OK(expr)                                                                    \
    do {                                                                                   \
        tplr_err assert_ok_e_ = (expr);                                                    \
        if (assert_ok_e_ != TPLR_OK)                                                       \
            fail_msg("%s failed: %s (%s)", #expr, tplr_errmsg(), tplr_err_name(assert_ok_e_)); \
    } while (0)

/* max |a-b| / (max |b| + tiny) over n values. */
double tu_max_rel_diff(const float *a, const float *b, size_t n);
/* ||a-b|| / ||b|| over n values. */
double tu_rel_l2(const float *a, const float *b, size_t n);
/* A fresh directory under $TMPDIR (or /tmp); the path is static storage per call slot. */
const char *tu_tmpdir(const char *tag, char *buf, size_t cap);
/* Removes a directory and everything in it (for a test's teardown). */
void tu_rmtree(const char *path);
/* Source directory of the tests (compiled in). */
const char *tu_src_dir(void);

#endif
