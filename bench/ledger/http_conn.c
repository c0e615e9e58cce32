#include "http_conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int http_connect(http_conn *c, const char *host, int port)
{
    memset(c, 0, sizeof *c);
    snprintf(c->host, sizeof c->host, "%s", host);
    c->port = port;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1;
    if (c->fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 || connect(c->fd, (void *)&a, sizeof a) != 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

void http_close(http_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* Reads until buf holds a full response; returns its length, or -1. */
static long read_response(http_conn *c, int *status)
{
    for (;;) {
        char *end = c->have ? memmem(c->buf, c->have, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t head = (size_t)(end - c->buf) + 4;
            char *cl = memmem(c->buf, head, "Content-Length:", 15);
            size_t body = cl ? strtoul(cl + 15, NULL, 10) : 0;
            if (c->have >= head + body) {
                *status = c->have > 12 ? atoi(c->buf + 9) : -1;
                return (long)(head + body);
            }
        }
        if (c->have == sizeof c->buf)
            return -1;
        ssize_t r = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
        if (r <= 0)
            return -1;
        c->have += (size_t)r;
    }
}

int http_request(http_conn *c, const char *method, const char *path, const char *body, size_t body_len)
{
    char head[512];
    int n = body ? snprintf(head, sizeof head,
                            "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                            "Content-Length: %zu\r\n\r\n",
                            method, path, c->host, c->port, body_len)
                 : snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", method, path, c->host,
                            c->port);
    struct iovec iov[2] = {{head, (size_t)n}, {(void *)body, body ? body_len : 0}};
    size_t total = (size_t)n + (body ? body_len : 0), sent = 0;
    while (sent < total) {
        ssize_t w = writev(c->fd, iov, 2);
        if (w <= 0)
            return -1;
        sent += (size_t)w;
        for (int i = 0; i < 2; i++) { /* advance the vectors past what went out */
            size_t d = (size_t)w < iov[i].iov_len ? (size_t)w : iov[i].iov_len;
            iov[i].iov_base = (char *)iov[i].iov_base + d;
            iov[i].iov_len -= d;
            w -= (ssize_t)d;
        }
    }
    int status = -1;
    long len = read_response(c, &status);
    if (len < 0)
        return -1;
    memmove(c->buf, c->buf + len, c->have - (size_t)len);
    c->have -= (size_t)len;
    return status;
}
