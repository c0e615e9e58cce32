/* Logging to stderr. The level comes from TPLR_LOG (debug, info, warn, error;
 * default info) or tplr_log_set_level. */
#ifndef TPLR_LOG_H
#define TPLR_LOG_H

typedef enum { TPLR_LOG_DEBUG, TPLR_LOG_INFO, TPLR_LOG_WARN, TPLR_LOG_ERROR } tplr_log_level;

void tplr_log_set_level(tplr_log_level level);
void tplr_log(tplr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define tplr_debug(...) tplr_log(TPLR_LOG_DEBUG, __VA_ARGS__)
#define tplr_info(...) tplr_log(TPLR_LOG_INFO, __VA_ARGS__)
#define tplr_warn(...) tplr_log(TPLR_LOG_WARN, __VA_ARGS__)
#define tplr_error(...) tplr_log(TPLR_LOG_ERROR, __VA_ARGS__)

#endif
