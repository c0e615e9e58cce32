#include "tplr/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char msg_buf[TPLR_ERRMSG_MAX];

tplr_err tplr_fail(tplr_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg_buf, sizeof msg_buf, fmt, ap);
    va_end(ap);
    return code;
}

/* Appends ": tail" to msg_buf, truncating if needed. */
static void append_tail(const char *tail)
{
    size_t n = strlen(msg_buf);
    if (n + 2 < sizeof msg_buf) {
        memcpy(msg_buf + n, ": ", 2);
        n += 2;
        size_t room = sizeof msg_buf - n - 1, len = strlen(tail);
        if (len > room)
            len = room;
        memcpy(msg_buf + n, tail, len);
        msg_buf[n + len] = '\0';
    }
}

tplr_err tplr_fail_errno(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg_buf, sizeof msg_buf, fmt, ap);
    va_end(ap);
    append_tail(strerror(saved));
    return TPLR_EIO;
}

tplr_err tplr_fail_ctx(tplr_err code, const char *fmt, ...)
{
    char old[TPLR_ERRMSG_MAX];
    memcpy(old, msg_buf, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg_buf, sizeof msg_buf, fmt, ap);
    va_end(ap);
    append_tail(old);
    return code;
}

const char *tplr_errmsg(void) { return msg_buf; }

void tplr_err_clear(void) { msg_buf[0] = '\0'; }

const char *tplr_err_name(tplr_err code)
{
    switch (code) {
    case TPLR_OK: return "ok";
    case TPLR_EINVAL: return "invalid argument";
    case TPLR_EIO: return "I/O error";
    case TPLR_ENOMEM: return "out of memory";
    case TPLR_EFORMAT: return "bad format";
    case TPLR_ENOTFOUND: return "not found";
    case TPLR_EMISMATCH: return "mismatch";
    case TPLR_ENUMERIC: return "numeric error";
    case TPLR_EINTERRUPTED: return "interrupted";
    case TPLR_EFORBIDDEN: return "forbidden";
    case TPLR_ETOOLARGE: return "too large";
    case TPLR_ETIMEOUT: return "timed out";
    case TPLR_ESERVER: return "server error";
    case TPLR_EBADRESPONSE: return "bad response";
    case TPLR_EUNREACHABLE: return "unreachable";
    case TPLR_EREFUSED: return "refused";
    }
    return "unknown error";
}
