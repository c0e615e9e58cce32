/* A minimal HTTP/1.1 keep-alive client for the load generator: one socket,
 * one request at a time, Content-Length bodies only. Lean on purpose: the
 * benchmark's client shares two cores with the server it measures. */
#ifndef TPLR_BENCH_HTTP_CONN_H
#define TPLR_BENCH_HTTP_CONN_H

#include <stddef.h>

typedef struct http_conn {
    int fd;
    char host[64];
    int port;
    char buf[1 << 16];
    size_t have; /* bytes buffered past the last response */
} http_conn;

int http_connect(http_conn *c, const char *host, int port);
void http_close(http_conn *c);
/* Sends one request (body NULL for GET) and reads the answer; returns the
 * HTTP status, or -1 when the connection failed. */
int http_request(http_conn *c, const char *method, const char *path, const char *body, size_t body_len);

#endif
