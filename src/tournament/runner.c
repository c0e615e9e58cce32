/* The sandbox side of a run: reads the settings from the harness, builds
 * the model and optimizer, calls the submission's inner_steps with a data
 * iterator that asks the harness for every batch, and sends the result back.
 * Linked into each submission's binary; nothing here is trusted by the
 * harness. File descriptors: 3 reads from the harness, 4 writes to it. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tplr/tour_proto.h"
#include "tplr/tour_runner.h"
#include "tplr/tournament.h"

#define FD_DOWN 3
#define FD_UP 4

struct tplr_tour_data {
    int B, S, V;
    int32_t *batch;
    int failed;
};

/* Moves all n bytes (reading from or writing to fd); −1 on end of pipe or error. */
static int move_all(int fd, void *buf, size_t n, int writing)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t k = writing ? write(fd, p, n) : read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k, n -= (size_t)k;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t n) { return move_all(fd, buf, n, 0); }
static int write_all(int fd, const void *buf, size_t n) { return move_all(fd, (void *)buf, n, 1); }

static int send_record(uint32_t type, const void *payload, size_t n)
{
    uint8_t h[TPLR_TOUR_HDR_BYTES];
    tplr_tour_hdr_encode(h, type, n);
    return write_all(FD_UP, h, sizeof h) || (n && write_all(FD_UP, payload, n)) ? -1 : 0;
}

const int32_t *tplr_tour_next_batch(tplr_tour_data *it)
{
    if (it->failed || send_record(TPLR_TOUR_MSG_REQUEST, NULL, 0)) {
        it->failed = 1;
        return NULL;
    }
    uint8_t hb[TPLR_TOUR_HDR_BYTES];
    tplr_tour_hdr h;
    size_t want = sizeof(int32_t) * (size_t)it->B * (size_t)it->S;
    if (read_all(FD_DOWN, hb, sizeof hb) || tplr_tour_hdr_parse_down(hb, &h) || h.type != TPLR_TOUR_MSG_BATCH ||
        h.len != want || read_all(FD_DOWN, it->batch, want)) {
        it->failed = 1;
        return NULL;
    }
    return it->batch;
}

int tplr_tour_batch_rows(const tplr_tour_data *it) { return it->B; }
int tplr_tour_batch_len(const tplr_tour_data *it) { return it->S; }

/* After this, no program can be executed (the sandbox's own filter has to let
 * the runner itself start). */
static int forbid_exec(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = (unsigned short)(sizeof f / sizeof f[0]), .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static int fail_run(const char *what)
{
    char msg[TPLR_TOUR_ERROR_MAX];
    snprintf(msg, sizeof msg, "%s: %s", what, tplr_errmsg());
    send_record(TPLR_TOUR_MSG_ERROR, msg, strlen(msg));
    fprintf(stderr, "runner: %s\n", msg);
    return 1;
}

static int send_result(const tplr_model *m, const tplr_inner_steps_result *r, uint64_t n_logits)
{
    tplr_tour_expect ex = {n_logits, m->n_params};
    uint8_t h[TPLR_TOUR_HDR_BYTES], head[TPLR_TOUR_RESULT_HEAD_BYTES];
    tplr_tour_result_head rh = {r->total_tokens, r->final_loss, n_logits, m->n_params};
    tplr_tour_hdr_encode(h, TPLR_TOUR_MSG_RESULT, tplr_tour_result_bytes(&ex));
    tplr_tour_result_head_encode(head, &rh);
    if (write_all(FD_UP, h, sizeof h) || write_all(FD_UP, head, sizeof head) ||
        write_all(FD_UP, r->final_logits, 4 * n_logits) || write_all(FD_UP, m->params, 4 * m->n_params))
        return 1;
    return 0;
}

int tplr_tour_runner_main(void)
{
    if (forbid_exec()) {
        tplr_fail_errno("installing the exec filter");
        return fail_run("runner");
    }
    uint8_t hb[TPLR_TOUR_HDR_BYTES], ib[TPLR_TOUR_INIT_BYTES];
    tplr_tour_hdr h;
    tplr_tour_init in;
    if (read_all(FD_DOWN, hb, sizeof hb) || tplr_tour_hdr_parse_down(hb, &h) || h.type != TPLR_TOUR_MSG_INIT ||
        h.len != TPLR_TOUR_INIT_BYTES || read_all(FD_DOWN, ib, sizeof ib)) {
        tplr_fail(TPLR_EFORMAT, "no INIT record from the harness");
        return fail_run("runner");
    }
    if (tplr_tour_init_parse(ib, &in))
        return fail_run("runner: INIT");
    tplr_k_set_threads(in.threads);
    tplr_model *m = NULL;
    tplr_adamw *opt = NULL;
    if (tplr_model_create(&in.cfg, &m))
        return fail_run("runner: model");
    tplr_tour_init_weights(m, in.seed);
    if (tplr_adamw_create(m, &in.hp, &opt))
        return fail_run("runner: optimizer");
    uint64_t n_logits = (uint64_t)in.batch * (uint64_t)(in.seq - 1) * (uint64_t)in.cfg.vocab;
    tplr_tour_data it = {in.batch, in.seq, in.cfg.vocab, NULL, 0};
    tplr_inner_steps_result res = {0};
    it.batch = malloc(sizeof(int32_t) * (size_t)in.batch * (size_t)in.seq);
    res.final_logits = calloc(n_logits, sizeof(float));
    if (!it.batch || !res.final_logits) {
        tplr_fail(TPLR_ENOMEM, "allocating the batch and logits buffers");
        return fail_run("runner");
    }
    tplr_tour_device dev = {in.threads};
    tplr_err_clear();
    if (inner_steps(m, &it, opt, in.steps, &dev, &res))
        return fail_run("inner_steps failed");
    if (send_result(m, &res, n_logits))
        return 1;
    close(FD_UP);
    free(it.batch);
    free(res.final_logits);
    tplr_adamw_free(opt);
    tplr_model_free(m);
    return 0;
}
