#include "tplr/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int current_level = -1;

void tplr_log_set_level(tplr_log_level level) { current_level = (int)level; }

static int level_from_env(void)
{
    const char *v = getenv("TPLR_LOG");
    if (!v)
        return TPLR_LOG_INFO;
    if (!strcmp(v, "debug")) return TPLR_LOG_DEBUG;
    if (!strcmp(v, "warn")) return TPLR_LOG_WARN;
    if (!strcmp(v, "error")) return TPLR_LOG_ERROR;
    return TPLR_LOG_INFO;
}

void tplr_log(tplr_log_level level, const char *fmt, ...)
{
    if (current_level < 0)
        current_level = level_from_env();
    if ((int)level < current_level)
        return;
    static const char *const tags[] = {"debug", "info", "warning", "error"};
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tplr %s: %s\n", tags[level], line);
}
