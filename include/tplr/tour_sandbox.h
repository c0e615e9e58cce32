/* Running untrusted code: bubblewrap (new user, PID, network, IPC, UTS and
 * mount namespaces; read-only /usr, a private /tmp, nothing else of the host),
 * a seccomp filter (libseccomp, handed to bwrap), rlimits, and the user
 * nobody when the caller is root. The caller enforces the wall clock. */
#ifndef TPLR_TOUR_SANDBOX_H
#define TPLR_TOUR_SANDBOX_H

#include <stdint.h>
#include <sys/types.h>

#include "tplr/err.h"

typedef enum tplr_sbx_policy {
    TPLR_SBX_COMPILE, /* the compiler: may fork and exec; no sockets, ptrace, clocks, mounts */
    TPLR_SBX_RUN      /* a submission: an allow-list; threads but no processes, no exec */
} tplr_sbx_policy;

typedef struct tplr_sbx_bind {
    const char *src, *dst;
    int writable;
} tplr_sbx_bind;

#define TPLR_SBX_MAX_BINDS 8

typedef struct tplr_sbx_spec {
    tplr_sbx_policy policy;
    const char *const *argv; /* inside the sandbox, NULL-terminated */
    tplr_sbx_bind binds[TPLR_SBX_MAX_BINDS];
    int n_binds;
    const char *chdir;
    int fd_down, fd_up;   /* become fds 3 (read) and 4 (write) inside; -1: none */
    const char *log_path; /* stdout and stderr */
    uint64_t mem_bytes;   /* RLIMIT_AS */
    uint64_t fsize_bytes; /* RLIMIT_FSIZE */
    uint64_t tmp_bytes;   /* size of the private /tmp */
    int cpu_s, nproc, nofile;
} tplr_sbx_spec;

/* Defaults for a policy: 2 GiB memory, 64 MiB files and /tmp, 120 s CPU, 64 processes, 64 files. */
void tplr_sbx_spec_default(tplr_sbx_spec *s, tplr_sbx_policy policy);
tplr_err tplr_sbx_add_bind(tplr_sbx_spec *s, const char *src, const char *dst, int writable);

/* Starts the sandbox; *pid is the bwrap process (kill it to end everything
 * inside); *status_fd reads bwrap's status (tplr_sbx_started). */
tplr_err tplr_sbx_spawn(const tplr_sbx_spec *s, pid_t *pid, int *status_fd);
/* After the sandbox ended: whether bwrap got as far as starting the program
 * (if not, the fault is the machine's, not the program's). Closes status_fd. */
int tplr_sbx_started(int status_fd);

typedef struct tplr_sbx_exit {
    int timed_out; /* killed at the deadline */
    int code;      /* exit code, or −1 */
    int sig;       /* the signal that ended the sandboxed program, or 0 */
} tplr_sbx_exit;

/* Waits for pid until deadline (tplr_now() seconds), killing it then. */
void tplr_sbx_wait(pid_t pid, double deadline, tplr_sbx_exit *x);
/* "killed by a forbidden system call (SIGSYS, seccomp)", "exit status 3", ... */
void tplr_sbx_describe(const tplr_sbx_exit *x, char *out, size_t cap);
/* Fails, saying what to do, when the sandbox's user cannot reach path
 * (every folder on the way must be searchable by it). */
tplr_err tplr_sbx_check_reachable(const char *path);
/* Makes path (a directory, or a file) usable by the sandbox's user. */
tplr_err tplr_sbx_grant(const char *path);
/* Which user the sandbox runs as ("nobody (65534)" or the caller's uid). */
const char *tplr_sbx_user(void);

#endif
