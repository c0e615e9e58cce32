/* Child processes of `tplr localnet`: each in one process group (the first
 * child's), stdin from /dev/null, stdout and stderr to its own log file, and
 * killed by the kernel if localnet itself dies (PR_SET_PDEATHSIG), so no
 * child outlives it. */
#ifndef TPLR_LOCALNET_PROC_H
#define TPLR_LOCALNET_PROC_H

#include <sys/types.h>

#include "tplr/err.h"

typedef struct ln_child {
    char name[64];
    char log[4096];
    char out[4096]; /* "" : stdout to the log too; else stdout to this file (truncated) */
    pid_t pid;    /* 0: not running (never started, or reaped) */
    int exited;   /* reaped */
    int status;   /* wait status once exited */
} ln_child;

/* Starts argv (argv[0]: the program path) in process group *pgid (0: a new
 * group, whose id is stored in *pgid). */
tplr_err ln_spawn(ln_child *c, char *const argv[], pid_t *pgid);
/* Runs argv to its end (its own process group); fails with the log's tail
 * unless it exits with status 0. */
tplr_err ln_run(ln_child *c, char *const argv[]);
/* Reaps c if it has exited; returns 1 when it is no longer running. */
int ln_poll(ln_child *c);
/* SIGTERM to every running child of the list, then waits up to grace_s for
 * them to exit, then SIGKILL and a blocking wait. */
void ln_stop(ln_child *const *cs, int n, double grace_s);
/* SIGKILL to whatever is left of the process group, reaping our children. */
void ln_kill_group(pid_t pgid);
/* "exit status 3", "killed by signal 9", ... */
void ln_describe_exit(const ln_child *c, char *buf, size_t cap);
/* The last lines of a child's log (at most max_bytes), for an error message. */
void ln_log_tail(const ln_child *c, char *buf, size_t cap);

#endif
