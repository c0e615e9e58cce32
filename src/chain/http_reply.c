/* Replies from civetweb handlers (the ledger server, the tournament API). */
#include "tplr/http_reply.h"

#include <civetweb.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tplr_http_status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    }
    return "Internal Server Error";
}

int tplr_http_send(struct mg_connection *conn, int status, const char *content_type, const char *body, size_t len,
                   int close)
{
    char head[320];
    int h = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\n%s\r\n",
                     status, tplr_http_status_text(status), content_type, len, close ? "Connection: close\r\n" : "");
    char *buf = malloc((size_t)h + len);
    if (buf) {
        memcpy(buf, head, (size_t)h);
        memcpy(buf + h, body, len);
        mg_write(conn, buf, (size_t)h + len);
        free(buf);
    }
    return status;
}

int tplr_http_send_json(struct mg_connection *conn, int status, const char *body, size_t len, int close)
{
    return tplr_http_send(conn, status, "application/json", body, len, close);
}

int tplr_http_send_error(struct mg_connection *conn, int status, const char *code, const char *msg, int close)
{
    json_t *j = json_pack("{s:s, s:s}", "error", msg, "code", code);
    char *body = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (close)
        mg_disable_connection_keep_alive(conn);
    static const char fallback[] = "{\"error\":\"out of memory\",\"code\":\"internal\"}";
    int r = body ? tplr_http_send_json(conn, status, body, strlen(body), close)
                 : tplr_http_send_json(conn, 500, fallback, sizeof fallback - 1, 1);
    free(body);
    return r;
}

long tplr_http_read_body(struct mg_connection *conn, long long declared, char *buf, size_t cap)
{
    if (declared > (long long)cap)
        return -1;
    size_t got = 0;
    for (;;) {
        int r = mg_read(conn, buf + got, cap + 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got > cap)
            return -1;
    }
    return (long)got;
}

char *tplr_http_take_body(struct mg_connection *conn, long long declared, size_t cap, long *n, int *status)
{
    char *body = malloc(cap + 1);
    if (!body) {
        *status = tplr_http_send_error(conn, 500, "internal", "out of memory", 1);
        return NULL;
    }
    *n = tplr_http_read_body(conn, declared, body, cap);
    if (*n < 0) {
        free(body);
        char msg[96];
        snprintf(msg, sizeof msg, "the request body is larger than %zu bytes", cap);
        *status = tplr_http_send_error(conn, 413, "too_large", msg, 1);
        return NULL;
    }
    body[*n] = '\0';
    return body;
}

tplr_err tplr_http_start(const char *listen, int threads, long request_timeout_ms,
                         int (*handler)(struct mg_connection *conn, void *data), void *data,
                         struct mg_context **out, int *port)
{
    char nthreads[16], timeout[24];
    snprintf(nthreads, sizeof nthreads, "%d", threads > 0 ? threads : 8);
    snprintf(timeout, sizeof timeout, "%ld", request_timeout_ms);
    const char *options[] = {"listening_ports", listen, "num_threads", nthreads, "enable_keep_alive", "yes",
                             "keep_alive_timeout_ms", "30000", "request_timeout_ms", timeout, "tcp_nodelay", "1",
                             NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    struct mg_init_data init = {&cb, data, options};
    unsigned code = 0;
    char text[256] = "";
    struct mg_error_data err = {&code, text, sizeof text};
    signal(SIGPIPE, SIG_IGN);
    mg_init_library(0);
    struct mg_context *ctx = mg_start2(&init, &err);
    if (!ctx)
        return tplr_fail(TPLR_EIO, "cannot listen on %s: %s (is the port taken? try another --listen)", listen,
                         text[0] ? text : "civetweb failed to start");
    mg_set_request_handler(ctx, "/", handler, data);
    struct mg_server_port ports[4];
    *port = mg_get_server_ports(ctx, 4, ports) > 0 ? ports[0].port : 0;
    *out = ctx;
    return TPLR_OK;
}
