/* Answers from a civetweb request handler, shared by the ledger server and
 * the tournament's API: a whole reply in one write, JSON errors of the form
 * {"error": "what is wrong and what to do", "code": "reason"}, and a request
 * body read with a size cap. */
#ifndef TPLR_HTTP_REPLY_H
#define TPLR_HTTP_REPLY_H

#include <stddef.h>

#include "tplr/err.h"

struct mg_connection;
struct mg_context;

/* Starts civetweb on listen (HOST:PORT; port 0: any free one) with threads
 * workers, keep-alive, and request_timeout_ms per request; every path goes
 * to handler(conn, data). *port is the bound port. Stop with mg_stop. */
tplr_err tplr_http_start(const char *listen, int threads, long request_timeout_ms,
                         int (*handler)(struct mg_connection *conn, void *data), void *data,
                         struct mg_context **ctx, int *port);

const char *tplr_http_status_text(int status);
/* Header and body in one write; close adds "Connection: close". Returns status. */
int tplr_http_send(struct mg_connection *conn, int status, const char *content_type, const char *body, size_t len,
                   int close);
int tplr_http_send_json(struct mg_connection *conn, int status, const char *body, size_t len, int close);
/* A JSON error (msg is escaped); close also turns keep-alive off. Returns status. */
int tplr_http_send_error(struct mg_connection *conn, int status, const char *code, const char *msg, int close);
/* Reads the request body into buf (cap+1 bytes of room): its length, or -1
 * when the declared or the actual length is larger than cap. */
long tplr_http_read_body(struct mg_connection *conn, long long declared, char *buf, size_t cap);
/* The whole body in a malloc'd buffer (*n bytes and a NUL); when it is larger
 * than cap (or memory runs out) the error reply (413, 500) is sent, *status
 * set, and NULL returned. */
char *tplr_http_take_body(struct mg_connection *conn, long long declared, size_t cap, long *n, int *status);

#endif
