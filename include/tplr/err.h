/* Errors: one enum for every failure, plus a per-thread message that says what
 * went wrong and what to do about it. Functions that can fail return tplr_err;
 * on failure the message is readable with tplr_errmsg(). */
#ifndef TPLR_ERR_H
#define TPLR_ERR_H

typedef enum tplr_err {
    TPLR_OK = 0,
    TPLR_EINVAL,      /* a bad argument, flag or config value */
    TPLR_EIO,         /* the OS refused a file or system operation */
    TPLR_ENOMEM,      /* an allocation failed */
    TPLR_EFORMAT,     /* a file or payload is malformed or truncated */
    TPLR_ENOTFOUND,   /* a file, key or tensor does not exist */
    TPLR_EMISMATCH,   /* names, shapes, versions or hashes disagree */
    TPLR_ENUMERIC,    /* a NaN or infinity where a finite number is needed */
    TPLR_EINTERRUPTED, /* stopped by a signal */
    TPLR_EFORBIDDEN,   /* the server refused our credentials or permissions */
    TPLR_ETOOLARGE,    /* an object or payload is larger than its cap */
    TPLR_ETIMEOUT,     /* a deadline passed (connect, transfer or a hung server) */
    TPLR_ESERVER,      /* the server failed (HTTP 5xx or 429), retries exhausted */
    TPLR_EBADRESPONSE, /* a reply was malformed, cut short or not what was asked */
    TPLR_EUNREACHABLE, /* could not connect to the endpoint */
    TPLR_EREFUSED      /* a server (the ledger) understood the request and refused it */
} tplr_err;

#define TPLR_ERRMSG_MAX 1024

/* Sets the message and returns code, so that `return tplr_fail(...)` reads well. */
tplr_err tplr_fail(tplr_err code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like tplr_fail(TPLR_EIO, ...) with ": <strerror(errno)>" appended. */
tplr_err tplr_fail_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prepends context ("loading x: ") to the current message and returns code. */
tplr_err tplr_fail_ctx(tplr_err code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *tplr_errmsg(void);
const char *tplr_err_name(tplr_err code);
void tplr_err_clear(void);

/* Propagates a failure: `TPLR_TRY(f(x));` returns f's error code. */
#define TPLR_TRY(expr)                      \
    do {                                    \
        tplr_err tplr_try_e_ = (expr);      \
        if (tplr_try_e_ != TPLR_OK)         \
            return tplr_try_e_;             \
    } while (0)

#endif
