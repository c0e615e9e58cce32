#include "fetch_pool.h"

#include <stdio.h>

static void *reader(void *arg)
{
    fetch_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stopping && !p->todo)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stopping)
            break;
        fetch_job *j = p->todo;
        p->todo = j->next;
        if (!p->todo)
            p->todo_tail = NULL;
        pthread_mutex_unlock(&p->mu);

        j->data = NULL;
        j->len = 0;
        j->err = tplr_store_get(j->store, j->key, j->max_bytes, &j->data, &j->len, &j->info);
        snprintf(j->msg, sizeof j->msg, "%s", j->err ? tplr_errmsg() : "");

        pthread_mutex_lock(&p->mu);
        j->next = p->done;
        p->done = j;
        p->wake(p->wake_ctx);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

tplr_err fetch_pool_start(fetch_pool *p, int n_threads, void (*wake)(void *), void *wake_ctx)
{
    p->n_threads = 0;
    p->todo = p->todo_tail = p->done = NULL;
    p->stopping = 0;
    p->wake = wake;
    p->wake_ctx = wake_ctx;
    if (n_threads < 1 || n_threads > FETCH_POOL_MAX_THREADS)
        return tplr_fail(TPLR_EINVAL, "reader threads: %d (1 to %d)", n_threads, FETCH_POOL_MAX_THREADS);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (; p->n_threads < n_threads; p->n_threads++)
        if (pthread_create(&p->threads[p->n_threads], NULL, reader, p) != 0) {
            fetch_pool_stop(p);
            fetch_pool_free(p);
            return tplr_fail(TPLR_EIO, "cannot start reader threads");
        }
    return TPLR_OK;
}

void fetch_pool_push(fetch_pool *p, fetch_job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->todo_tail)
        p->todo_tail->next = j;
    else
        p->todo = j;
    p->todo_tail = j;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

fetch_job *fetch_pool_take_done(fetch_pool *p)
{
    pthread_mutex_lock(&p->mu);
    fetch_job *d = p->done;
    p->done = NULL;
    pthread_mutex_unlock(&p->mu);
    return d;
}

fetch_job *fetch_pool_stop(fetch_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    fetch_job *dropped = p->todo;
    p->todo = p->todo_tail = NULL;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    p->n_threads = 0;
    return dropped;
}

void fetch_pool_free(fetch_pool *p)
{
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}
