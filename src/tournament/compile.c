/* Compiling a submission, inside the sandbox (the compiler reads untrusted
 * source: it sees only /usr, the engine's headers and library, and its own
 * build folder). The flags are fixed and documented in docs/tournament.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tour_internal.h"
#include "tplr/fileio.h"
#include "tplr/timeutil.h"
#include "tplr/tour_sandbox.h"

#define SOURCE_MAX (1u << 20)

tplr_err tplr_tour_compile(const char *source_path, const char *dir, double timeout_s, tplr_tour_verdict *verdict,
                           char *detail, size_t cap)
{
    *verdict = TPLR_TOUR_PASS;
    detail[0] = 0;
    char *src = NULL;
    size_t len = 0;
    if (tplr_read_file(source_path, SOURCE_MAX, &src, &len)) {
        *verdict = TPLR_TOUR_COMPILE_ERROR;
        snprintf(detail, cap, "cannot read the submission: %s (a submission is one C file of at most 1 MiB)",
                 tplr_errmsg());
        return TPLR_OK;
    }
    char path[4096], log[4096], runner[4096];
    TPLR_TRY(tplr_path_join(path, sizeof path, dir, "train.c"));
    TPLR_TRY(tplr_path_join(log, sizeof log, dir, "compile.log"));
    TPLR_TRY(tplr_path_join(runner, sizeof runner, dir, "runner"));
    tplr_err e = tplr_write_file_atomic(path, src, len);
    free(src);
    TPLR_TRY(e);
    TPLR_TRY(tplr_sbx_grant(dir));
    tplr_sbx_spec s;
    tplr_sbx_spec_default(&s, TPLR_SBX_COMPILE);
    s.cpu_s = (int)timeout_s + 5;
    s.nproc = 256;
    s.mem_bytes = (uint64_t)4 << 30;
    s.fsize_bytes = (uint64_t)256 << 20;
    s.log_path = log;
    s.chdir = "/build";
    TPLR_TRY(tplr_sbx_add_bind(&s, TPLR_TOUR_INCLUDE_DIR, "/tplr/include", 0));
    TPLR_TRY(tplr_sbx_add_bind(&s, TPLR_TOUR_LIB_FILE, "/tplr/libtplr.a", 0));
    TPLR_TRY(tplr_sbx_add_bind(&s, TPLR_TOUR_RUNNER_MAIN, "/tplr/runner_main.c", 0));
    TPLR_TRY(tplr_sbx_add_bind(&s, dir, "/build", 1));
    const char *argv[] = {TPLR_TOUR_CC, "-std=c11", "-O3", "-march=native", "-fopenmp", "-ffp-contract=fast",
                          "-fno-math-errno", "-fno-trapping-math", "-D_GNU_SOURCE", "-Wall",
                          "-I/tplr/include", "-o", "/build/runner", "/build/train.c", "/tplr/runner_main.c",
                          "/tplr/libtplr.a", "-Wl,--as-needed", "-Wl,-rpath," TPLR_TOUR_BLAS_DIR,
                          TPLR_TOUR_BLAS_LIB, "-ljansson", "-lsodium", "-lcurl", "-lsqlite3", "-lcivetweb",
                          "-lpthread", "-lm", NULL};
    s.argv = argv;
    remove(runner);
    pid_t pid;
    int status_fd;
    TPLR_TRY(tplr_sbx_spawn(&s, &pid, &status_fd));
    tplr_sbx_exit x;
    tplr_sbx_wait(pid, tplr_now() + timeout_s, &x);
    int started = tplr_sbx_started(status_fd);
    struct stat st;
    if (!x.timed_out && x.code == 0 && !x.sig && stat(runner, &st) == 0)
        return TPLR_OK;
    char how[160], tail[700];
    if (!started && !x.timed_out) {
        tplr_tour_log_tail(log, tail, sizeof tail);
        return tplr_fail(TPLR_EIO, "the compiler's sandbox did not start (bubblewrap): %s", tail);
    }
    tplr_sbx_describe(&x, how, sizeof how);
    tplr_tour_log_tail(log, tail, sizeof tail);
    *verdict = TPLR_TOUR_COMPILE_ERROR;
    snprintf(detail, cap, "compilation failed (%s; flags in docs/tournament.md):\n%s", how, tail);
    return TPLR_OK;
}
