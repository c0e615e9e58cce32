/* Between the tournament's modules; not part of the public API. */
#ifndef TPLR_TOUR_INTERNAL_H
#define TPLR_TOUR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/tour_eval.h"
#include "tplr/tour_proto.h"

/* A memory file holding the BPF program of a policy (run: 1), or −1. */
int tplr_tour_filter_fd(int policy_run);

/* The last bytes of a log file, printable, into out. */
void tplr_tour_log_tail(const char *path, char *out, size_t cap);

/* Compiles source_path with the submission flags into dir/runner. Faults of
 * the source give *verdict COMPILE_ERROR and a detail; tplr_err is kept for
 * the machine's own failures. */
tplr_err tplr_tour_compile(const char *source_path, const char *dir, double timeout_s, tplr_tour_verdict *verdict,
                           char *detail, size_t cap);

/* What one sandboxed run delivered. */
typedef struct tplr_tour_exec {
    tplr_tour_verdict verdict; /* PASS: a result arrived */
    uint64_t tokens;           /* counted by the harness */
    int batches;
    double seconds;   /* first batch request → result received */
    double startup_s; /* sandbox start → first batch request */
    tplr_tour_result_head head;
    float *logits, *weights; /* malloc'd, owned */
    char detail[1024];
} tplr_tour_exec;

void tplr_tour_exec_free(tplr_tour_exec *x);

/* Runs dir/runner in the sandbox for init (whose seed also picks the
 * batches). mem_bytes: the address-space limit. */
tplr_err tplr_tour_harness_run(const char *dir, const tplr_tour_init *init, double timeout_s, uint64_t mem_bytes,
                               tplr_tour_exec *out);

/* Compares a delivered run with the reference. w0: the initial weights. */
void tplr_tour_verify(const tplr_tour_exec *ref, const tplr_tour_exec *sub, const tplr_tour_init *init,
                      const float *w0, tplr_tour_run *run);

/* The reference cache: key = SHA-256 of the INIT record and the reference
 * source's SHA-256 (hex). */
tplr_err tplr_tour_ref_key(const tplr_tour_init *in, const char *ref_source_sha, char hex[65]);
tplr_err tplr_tour_ref_save(const char *path, const char key[65], const tplr_tour_exec *x, uint64_t n_logits,
                            uint64_t n_weights);
tplr_err tplr_tour_ref_load(const char *path, const char key[65], uint64_t n_logits, uint64_t n_weights,
                            tplr_tour_exec *x);

/* Tolerances (docs/tournament.md). */
#define TPLR_TOUR_LOSS_TOL 1e-3     /* relative |Δloss| / max(1, |ref|) */
#define TPLR_TOUR_LOGITS_TOL 0.01   /* mean|Δ| / mean|ref| */
#define TPLR_TOUR_WEIGHTS_TOL 0.05  /* per tensor ‖w − w_ref‖ / ‖w_ref − w0‖ */

#endif
