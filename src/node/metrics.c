/* Metrics: JSON lines for files and tools, the latest window's numbers as
 * Prometheus gauges over HTTP (civetweb). */
#include <civetweb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/metrics.h"
#include "tplr/http_reply.h"
#include "tplr/timeutil.h"

struct tplr_metrics {
    FILE *fp;
    char node[16];
    int uid;
    struct mg_context *ctx;
    int port;
    pthread_mutex_t lock;
    char *prom; /* the last exposition text */
};

char *tplr_metrics_line(double t, const char *node, int uid, int64_t window, const char *event,
                        const json_t *fields)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "t", json_real(t));
    json_object_set_new(o, "node", json_string(node));
    json_object_set_new(o, "uid", json_integer(uid));
    json_object_set_new(o, "window", json_integer((json_int_t)window));
    json_object_set_new(o, "event", json_string(event));
    const char *k;
    json_t *v;
    if (fields)
        json_object_foreach((json_t *)fields, k, v)
        {
            if (strcmp(k, "t") && strcmp(k, "node") && strcmp(k, "uid") && strcmp(k, "window") &&
                strcmp(k, "event"))
                json_object_set(o, k, v);
        }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(o);
    return s;
}

/* A metric name from a key: letters, digits and '_' only. */
static void metric_name(char *out, size_t cap, const char *key)
{
    size_t n = (size_t)snprintf(out, cap, "tplr_%s", key);
    for (size_t i = 5; i < n && i < cap; i++) {
        char ch = out[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            out[i] = '_';
    }
}

static int append(char **buf, size_t *n, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int append(char **buf, size_t *n, size_t *cap, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof line)
        return 0; /* an absurdly long label: skipped */
    if (*n + (size_t)k + 1 > *cap) {
        size_t c = (*cap ? *cap * 2 : 1024) + (size_t)k;
        char *p = realloc(*buf, c);
        if (!p)
            return -1;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *n, line, (size_t)k + 1);
    *n += (size_t)k;
    return 0;
}

char *tplr_metrics_prometheus(const char *node, int uid, int64_t window, const json_t *fields)
{
    char *buf = NULL, name[160];
    size_t n = 0, cap = 0;
    int bad = append(&buf, &n, &cap, "# TYPE tplr_window gauge\ntplr_window{node=\"%s\",uid=\"%d\"} %lld\n", node,
                     uid, (long long)window);
    const char *k;
    json_t *v;
    if (fields)
        json_object_foreach((json_t *)fields, k, v)
        {
            metric_name(name, sizeof name, k);
            if (json_is_number(v) || json_is_boolean(v)) {
                double x = json_is_boolean(v) ? (json_is_true(v) ? 1 : 0) : json_number_value(v);
                bad |= append(&buf, &n, &cap, "# TYPE %s gauge\n%s{node=\"%s\",uid=\"%d\"} %.10g\n", name, name,
                              node, uid, x);
            } else if (json_is_object(v) && json_object_size(v) > 0) {
                bad |= append(&buf, &n, &cap, "# TYPE %s gauge\n", name);
                const char *pk;
                json_t *pv;
                json_object_foreach(v, pk, pv)
                {
                    char *end;
                    long peer = strtol(pk, &end, 10);
                    if (json_is_number(pv) && *pk && !*end)
                        bad |= append(&buf, &n, &cap, "%s{node=\"%s\",uid=\"%d\",peer=\"%ld\"} %.10g\n", name, node,
                                      uid, peer, json_number_value(pv));
                }
            }
        }
    if (bad || !buf) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int handle(struct mg_connection *conn, void *data)
{
    tplr_metrics *m = data;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (strcmp(ri->request_method, "GET") || strcmp(ri->local_uri, "/metrics")) {
        mg_printf(conn, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nnot found\n");
        return 404;
    }
    pthread_mutex_lock(&m->lock);
    const char *body = m->prom ? m->prom : "";
    size_t len = strlen(body);
    mg_printf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
                    "Cache-Control: no-store\r\n\r\n", len);
    mg_write(conn, body, len);
    pthread_mutex_unlock(&m->lock);
    return 200;
}

static tplr_err serve(tplr_metrics *m, const char *listen)
{
    return tplr_http_start(listen, 2, 10000, handle, m, &m->ctx, &m->port);
}

tplr_err tplr_metrics_open(const char *path, const char *node, int uid, const char *listen, tplr_metrics **out)
{
    tplr_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return tplr_fail(TPLR_ENOMEM, "metrics: out of memory");
    pthread_mutex_init(&m->lock, NULL);
    snprintf(m->node, sizeof m->node, "%s", node);
    m->uid = uid;
    m->fp = fopen(path, "a");
    if (!m->fp) {
        tplr_metrics_close(m);
        return tplr_fail_errno("cannot open the metrics file %s", path);
    }
    if (listen) {
        tplr_err e = serve(m, listen);
        if (e) {
            tplr_metrics_close(m);
            return e;
        }
    }
    *out = m;
    return TPLR_OK;
}

void tplr_metrics_close(tplr_metrics *m)
{
    if (!m)
        return;
    if (m->ctx)
        mg_stop(m->ctx);
    if (m->fp)
        fclose(m->fp);
    free(m->prom);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

int tplr_metrics_port(const tplr_metrics *m) { return m ? m->port : 0; }

void tplr_metrics_set_uid(tplr_metrics *m, int uid) { m->uid = uid; }

tplr_err tplr_metrics_emit(tplr_metrics *m, int64_t window, const char *event, json_t *fields)
{
    char *line = tplr_metrics_line(tplr_wall_time(), m->node, m->uid, window, event, fields);
    tplr_err e = TPLR_OK;
    if (!line)
        e = tplr_fail(TPLR_ENOMEM, "metrics: out of memory");
    else if (fprintf(m->fp, "%s\n", line) < 0 || fflush(m->fp) != 0)
        e = tplr_fail_errno("writing the metrics file");
    free(line);
    if (!e && !strcmp(event, "window")) {
        char *prom = tplr_metrics_prometheus(m->node, m->uid, window, fields);
        if (prom) {
            pthread_mutex_lock(&m->lock);
            free(m->prom);
            m->prom = prom;
            pthread_mutex_unlock(&m->lock);
        }
    }
    json_decref(fields);
    return e;
}
