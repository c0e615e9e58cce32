/* The trusted harness: starts a compiled submission in the sandbox, hands
 * out batches on request (and counts every token it hands out), times the
 * run from the first request to the last byte of the result, and reads the
 * result through the pipe with every length checked against what it must be. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tour_internal.h"
#include "tplr/fileio.h"
#include "tplr/timeutil.h"
#include "tplr/tour_sandbox.h"

#define IO_OK 0
#define IO_EOF (-1)
#define IO_TIMEOUT (-2)

static int wait_fd(int fd, short ev, double deadline)
{
    for (;;) {
        double left = deadline - tplr_now();
        if (left <= 0)
            return IO_TIMEOUT;
        struct pollfd p = {fd, ev, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return IO_EOF;
        if (r > 0)
            return IO_OK;
    }
}

static int read_full(int fd, void *buf, size_t n, double deadline)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k > 0) {
            p += k, n -= (size_t)k;
            continue;
        }
        if (k == 0)
            return IO_EOF;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return IO_EOF;
        int w = wait_fd(fd, POLLIN, deadline);
        if (w)
            return w;
    }
    return IO_OK;
}

static int write_full(int fd, const void *buf, size_t n, double deadline)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k > 0) {
            p += k, n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno != EAGAIN)
            return IO_EOF;
        int w = wait_fd(fd, POLLOUT, deadline);
        if (w)
            return w;
    }
    return IO_OK;
}

static int send_record(int fd, uint32_t type, const void *payload, size_t n, double deadline)
{
    uint8_t h[TPLR_TOUR_HDR_BYTES];
    tplr_tour_hdr_encode(h, type, n);
    int r = write_full(fd, h, sizeof h, deadline);
    return r ? r : (n ? write_full(fd, payload, n, deadline) : IO_OK);
}

void tplr_tour_exec_free(tplr_tour_exec *x)
{
    free(x->logits);
    free(x->weights);
    x->logits = x->weights = NULL;
}

typedef struct session {
    const tplr_tour_init *init;
    tplr_tour_exec *out;
    tplr_tour_expect ex;
    int up, down;
    double t_spawn, t_first, deadline;
    int32_t *batch;
    char error_msg[TPLR_TOUR_ERROR_MAX + 1];
} session;

enum { S_RESULT, S_FAULT, S_EOF, S_TIMEOUT };

static int set_fault(session *s, tplr_tour_verdict v, const char *what)
{
    s->out->verdict = v;
    snprintf(s->out->detail, sizeof s->out->detail, "%.1000s", what);
    return S_FAULT;
}

static int io_end(int r) { return r == IO_TIMEOUT ? S_TIMEOUT : S_EOF; }

static int on_request(session *s)
{
    const tplr_tour_init *in = s->init;
    if (s->out->batches >= in->steps) {
        char msg[256];
        snprintf(msg, sizeof msg, "asked for batch %d of a %d-step run: a submission takes exactly num_steps "
                 "batches (likely causes: an extra warm-up step, a loop bound off by one)", s->out->batches + 1,
                 in->steps);
        return set_fault(s, TPLR_TOUR_TOKEN_COUNT_MISMATCH, msg);
    }
    if (s->out->batches == 0)
        s->t_first = tplr_now();
    size_t n = (size_t)in->batch * (size_t)in->seq;
    tplr_tour_batch_tokens(in->seed, s->out->batches, in->batch, in->seq, in->cfg.vocab, s->batch);
    s->out->batches++;
    s->out->tokens += n;
    int r = send_record(s->down, TPLR_TOUR_MSG_BATCH, s->batch, n * sizeof(int32_t), s->deadline);
    return r ? io_end(r) : -1;
}

static int on_result(session *s)
{
    uint8_t head[TPLR_TOUR_RESULT_HEAD_BYTES];
    int r = read_full(s->up, head, sizeof head, s->deadline);
    if (r)
        return io_end(r);
    if (tplr_tour_result_head_parse(head, &s->ex, &s->out->head)) {
        char msg[TPLR_ERRMSG_MAX + 64];
        snprintf(msg, sizeof msg, "malformed result: %s", tplr_errmsg());
        return set_fault(s, TPLR_TOUR_SANDBOX_VIOLATION, msg);
    }
    s->out->logits = malloc(sizeof(float) * s->ex.n_logits);
    s->out->weights = malloc(sizeof(float) * s->ex.n_weights);
    if (!s->out->logits || !s->out->weights)
        return set_fault(s, TPLR_TOUR_CRASH, "the harness could not allocate the result buffers");
    r = read_full(s->up, s->out->logits, sizeof(float) * s->ex.n_logits, s->deadline);
    if (!r)
        r = read_full(s->up, s->out->weights, sizeof(float) * s->ex.n_weights, s->deadline);
    if (r)
        return io_end(r);
    s->out->seconds = tplr_now() - s->t_first;
    return S_RESULT;
}

/* Serves records until the result, a fault, the end of the pipe or the deadline. */
static int serve(session *s)
{
    uint8_t ib[TPLR_TOUR_INIT_BYTES];
    tplr_tour_init sent = *s->init;
    sent.seed = tplr_tour_weight_seed(s->init->seed); /* the batches' seed stays here */
    tplr_tour_init_encode(ib, &sent);
    int r = send_record(s->down, TPLR_TOUR_MSG_INIT, ib, sizeof ib, s->deadline);
    if (r)
        return io_end(r);
    for (;;) {
        uint8_t hb[TPLR_TOUR_HDR_BYTES];
        tplr_tour_hdr h;
        r = read_full(s->up, hb, sizeof hb, s->deadline);
        if (r)
            return io_end(r);
        if (tplr_tour_hdr_parse_up(hb, &s->ex, &h)) {
            char msg[TPLR_ERRMSG_MAX + 64];
            snprintf(msg, sizeof msg, "broke the pipe protocol: %s", tplr_errmsg());
            return set_fault(s, TPLR_TOUR_SANDBOX_VIOLATION, msg);
        }
        if (h.type == TPLR_TOUR_MSG_REQUEST) {
            int v = on_request(s);
            if (v >= 0)
                return v;
        } else if (h.type == TPLR_TOUR_MSG_ERROR) {
            uint8_t text[TPLR_TOUR_ERROR_MAX];
            r = read_full(s->up, text, (size_t)h.len, s->deadline);
            if (r)
                return io_end(r);
            tplr_tour_error_text(text, (size_t)h.len, s->error_msg, sizeof s->error_msg);
        } else {
            if (s->out->batches == 0)
                s->t_first = tplr_now();
            return on_result(s);
        }
    }
}

static tplr_err open_pipes(int down[2], int up[2])
{
    if (pipe2(down, O_CLOEXEC))
        return tplr_fail_errno("harness: pipe");
    if (pipe2(up, O_CLOEXEC)) {
        close(down[0]), close(down[1]);
        return tplr_fail_errno("harness: pipe");
    }
    fcntl(down[1], F_SETFL, O_NONBLOCK);
    fcntl(up[0], F_SETFL, O_NONBLOCK);
    return TPLR_OK;
}

/* After the conversation: how the program ended decides faults the pipe could not show. */
static void conclude(session *s, int how, pid_t pid, const char *log)
{
    tplr_tour_exec *o = s->out;
    double grace = how == S_RESULT ? 5.0 : (how == S_TIMEOUT ? 0.0 : 2.0);
    double deadline = how == S_TIMEOUT ? 0 : (s->deadline < tplr_now() + grace ? s->deadline : tplr_now() + grace);
    if (how == S_FAULT)
        deadline = 0; /* already decided: end it now */
    tplr_sbx_exit x;
    tplr_sbx_wait(pid, deadline, &x);
    char ending[160], tail[600];
    tplr_sbx_describe(&x, ending, sizeof ending);
    tplr_tour_log_tail(log, tail, sizeof tail);
    if (how == S_FAULT)
        return;
    if (x.sig == SIGSYS) {
        o->verdict = TPLR_TOUR_SANDBOX_VIOLATION;
        snprintf(o->detail, sizeof o->detail, "the submission was %s: no sockets, processes, exec, ptrace, signals "
                 "to others or clock changes are allowed (docs/tournament.md, sandbox policy)\n%s", ending, tail);
        return;
    }
    if (how == S_RESULT)
        return; /* o->verdict stays PASS: verification decides */
    if (how == S_TIMEOUT || x.sig == SIGXCPU) {
        o->verdict = TPLR_TOUR_TIMEOUT;
        snprintf(o->detail, sizeof o->detail, "no result within %.0f s (%s; %d of %d batches taken). Likely causes: "
                 "an endless loop, a deadlock, sleeping, or too slow a step", s->deadline - s->t_spawn, ending,
                 o->batches, s->init->steps);
        return;
    }
    o->verdict = TPLR_TOUR_CRASH;
    snprintf(o->detail, sizeof o->detail, "the run ended without a result: %s after %d of %d batches%s%.300s\n%.400s", ending,
             o->batches, s->init->steps, s->error_msg[0] ? "; it reported: " : "", s->error_msg, tail);
}

tplr_err tplr_tour_harness_run(const char *dir, const tplr_tour_init *init, double timeout_s, uint64_t mem_bytes,
                               tplr_tour_exec *out)
{
    memset(out, 0, sizeof *out);
    char runner[4096], log[4096];
    TPLR_TRY(tplr_path_join(runner, sizeof runner, dir, "runner"));
    TPLR_TRY(tplr_path_join(log, sizeof log, dir, "run.log"));
    session s = {.init = init, .out = out};
    s.ex.n_logits = (uint64_t)init->batch * (uint64_t)(init->seq - 1) * (uint64_t)init->cfg.vocab;
    s.ex.n_weights = 0;
    tplr_model *shapes = NULL;
    TPLR_TRY(tplr_model_create_shapes(&init->cfg, &shapes));
    s.ex.n_weights = shapes->n_params;
    tplr_model_free(shapes);
    s.batch = malloc(sizeof(int32_t) * (size_t)init->batch * (size_t)init->seq);
    if (!s.batch)
        return tplr_fail(TPLR_ENOMEM, "harness: batch buffer");
    int down[2], up[2];
    tplr_err e = open_pipes(down, up);
    if (e) {
        free(s.batch);
        return e;
    }
    tplr_sbx_spec sp;
    tplr_sbx_spec_default(&sp, TPLR_SBX_RUN);
    const char *argv[] = {"/sandbox/runner", NULL};
    sp.argv = argv;
    sp.log_path = log;
    sp.fd_down = down[0];
    sp.fd_up = up[1];
    sp.mem_bytes = mem_bytes;
    sp.cpu_s = (int)(timeout_s * init->threads) + 10;
    sp.nproc = 64 + init->threads;
    tplr_sbx_add_bind(&sp, runner, "/sandbox/runner", 0);
    pid_t pid;
    int status_fd = -1;
    /* ignore SIGPIPE: a runner that closes its end must not kill the harness */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    s.t_spawn = tplr_now();
    s.deadline = s.t_spawn + timeout_s;
    e = tplr_sbx_spawn(&sp, &pid, &status_fd);
    close(down[0]);
    close(up[1]);
    if (!e) {
        s.up = up[0], s.down = down[1];
        int how = serve(&s);
        close(up[0]);
        close(down[1]);
        if (out->batches > 0)
            out->startup_s = s.t_first - s.t_spawn;
        conclude(&s, how, pid, log);
        if (!tplr_sbx_started(status_fd) && how != S_TIMEOUT) {
            char tail[600];
            tplr_tour_log_tail(log, tail, sizeof tail);
            e = tplr_fail(TPLR_EIO, "the sandbox did not start (bubblewrap): %s", tail);
        }
    } else {
        close(up[0]);
        close(down[1]);
    }
    sigaction(SIGPIPE, &old, NULL);
    free(s.batch);
    if (!e && out->verdict != TPLR_TOUR_PASS)
        tplr_tour_exec_free(out);
    return e;
}
