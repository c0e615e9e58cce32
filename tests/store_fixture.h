/* Servers for the store tests: moto_server (a real S3 endpoint) and the
 * misbehaving fake endpoint tests/store/fake_s3.py, each started on a free
 * port of 127.0.0.1, waited for, and stopped by its PID. */
#ifndef TPLR_STORE_FIXTURE_H
#define TPLR_STORE_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

#include "tplr/store.h"

typedef struct fx_server {
    pid_t pid;
    int port;
    char endpoint[64]; /* "http://127.0.0.1:PORT" */
} fx_server;

/* A TCP port nobody listens on right now. */
int fx_free_port(void);
/* moto_server in its default mode (signatures not checked). Fails the test
 * when moto_server is missing, or skips it when TPLR_SKIP_S3_TESTS=1. */
void fx_start_moto(fx_server *s);
void fx_start_fake(fx_server *s);
void fx_stop(fx_server *s);
/* An S3 config for a local server: test keys, no waiting between retries. */
void fx_s3_config(tplr_s3_config *c, const char *endpoint);
/* Creates a bucket (PUT /bucket), signed like every request. */
void fx_create_bucket(const tplr_s3_config *c, const char *bucket);
/* n bytes of a pattern that depends on seed. */
void fx_fill(unsigned char *buf, size_t n, unsigned seed);

#endif
