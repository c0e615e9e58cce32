/* A few reader threads that run blocking tplr_store_get calls for gather
 * (folder stores have no asynchronous interface), and hand the finished jobs
 * back to the gathering thread, which they wake with a callback. */
#ifndef TPLR_FETCH_POOL_H
#define TPLR_FETCH_POOL_H

#include <pthread.h>

#include "tplr/store.h"

#define FETCH_POOL_MAX_THREADS 8

typedef struct fetch_job {
    /* in */
    tplr_store *store;
    const char *key;
    uint64_t max_bytes;
    void *owner;
    /* out */
    tplr_err err;
    char msg[512];
    unsigned char *data; /* malloc'd; the taker frees it */
    size_t len;
    tplr_obj_info info;
    struct fetch_job *next;
} fetch_job;

typedef struct fetch_pool {
    pthread_t threads[FETCH_POOL_MAX_THREADS];
    int n_threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fetch_job *todo, *todo_tail, *done;
    int stopping;
    void (*wake)(void *ctx);
    void *wake_ctx;
} fetch_pool;

/* Starts n_threads (1..FETCH_POOL_MAX_THREADS) readers. */
tplr_err fetch_pool_start(fetch_pool *p, int n_threads, void (*wake)(void *), void *wake_ctx);
void fetch_pool_push(fetch_pool *p, fetch_job *j);
/* The jobs finished since the last call, as a list (next), or NULL. */
fetch_job *fetch_pool_take_done(fetch_pool *p);
/* Drops the queued jobs (returned as a list), lets the running ones finish,
 * and joins the threads; their jobs are then in fetch_pool_take_done. */
fetch_job *fetch_pool_stop(fetch_pool *p);
/* Releases the lock and condition of a stopped pool. */
void fetch_pool_free(fetch_pool *p);

#endif
