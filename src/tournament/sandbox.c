/* Starting, waiting for and describing sandboxed programs (tplr/tour_sandbox.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tour_internal.h"
#include "tplr/timeutil.h"
#include "tplr/tour_sandbox.h"

#define NOBODY 65534
#define BWRAP "/usr/bin/bwrap"

void tplr_sbx_spec_default(tplr_sbx_spec *s, tplr_sbx_policy policy)
{
    memset(s, 0, sizeof *s);
    s->policy = policy;
    s->fd_down = s->fd_up = -1;
    s->chdir = "/tmp";
    s->mem_bytes = (uint64_t)2 << 30;
    s->fsize_bytes = s->tmp_bytes = (uint64_t)64 << 20;
    s->cpu_s = 120;
    s->nproc = 64;
    s->nofile = 64;
}

tplr_err tplr_sbx_add_bind(tplr_sbx_spec *s, const char *src, const char *dst, int writable)
{
    if (s->n_binds >= TPLR_SBX_MAX_BINDS)
        return tplr_fail(TPLR_EINVAL, "sandbox: more than %d binds", TPLR_SBX_MAX_BINDS);
    s->binds[s->n_binds++] = (tplr_sbx_bind){src, dst, writable};
    return TPLR_OK;
}

const char *tplr_sbx_user(void) { return geteuid() == 0 ? "nobody (65534)" : "the calling user (not root)"; }

tplr_err tplr_sbx_check_reachable(const char *path)
{
    if (geteuid() != 0)
        return TPLR_OK; /* the sandbox runs as the caller, who reached it */
    char real[4096];
    if (!realpath(path, real))
        return tplr_fail_errno("sandbox: %s", path);
    size_t n = strlen(real);
    for (size_t i = 1; i <= n; i++) {
        if (real[i] != '/' && real[i] != 0)
            continue;
        char c = real[i];
        real[i] = 0;
        struct stat st;
        int ok = stat(real, &st) == 0;
        int dir = ok && S_ISDIR(st.st_mode);
        mode_t need = dir ? (st.st_uid == NOBODY ? S_IXUSR : S_IXOTH) : (st.st_uid == NOBODY ? S_IRUSR : S_IROTH);
        if (!ok || !(st.st_mode & need))
            return tplr_fail(TPLR_EINVAL, "the sandbox's user (nobody) cannot %s %s: chmod o+%s it, or choose "
                             "a work folder it can reach (--work)", dir ? "enter" : "read", real, dir ? "x" : "r");
        real[i] = c;
    }
    return TPLR_OK;
}

tplr_err tplr_sbx_grant(const char *path)
{
    if (geteuid() == 0 && chown(path, NOBODY, NOBODY))
        return tplr_fail_errno("sandbox: giving %s to nobody", path);
    return TPLR_OK;
}

#define MAX_ARGS 96

typedef struct argv_buf {
    const char *v[MAX_ARGS];
    int n;
    char size[32];
} argv_buf;

static void push(argv_buf *a, const char *s)
{
    if (a->n < MAX_ARGS - 1)
        a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static int build_argv(const tplr_sbx_spec *s, argv_buf *a)
{
    a->n = 0;
    snprintf(a->size, sizeof a->size, "%llu", (unsigned long long)s->tmp_bytes);
    const char *fixed[] = {BWRAP, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                           "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64",
                           "/lib64", "--symlink", "usr/bin", "/bin", "--ro-bind", "/etc/alternatives",
                           "/etc/alternatives", "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache", "--proc",
                           "/proc", "--dev", "/dev", "--size", a->size, "--tmpfs", "/tmp", "--clearenv", "--setenv",
                           "PATH", "/usr/bin", "--setenv", "TMPDIR", "/tmp", "--seccomp", "5", "--json-status-fd", "6"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        push(a, fixed[i]);
    /* the OpenBLAS kernels of the validator's own runs (tplr_blas_restart_if_generic), so a
     * submission and `tplr train` multiply with the same ones */
    const char *core = getenv("OPENBLAS_CORETYPE");
    if (core) {
        push(a, "--setenv"), push(a, "OPENBLAS_CORETYPE"), push(a, core);
    }
    /* the compiler needs /usr; a submission only the shared libraries (no
     * programs to execute in the moment before the runner forbids exec) */
    if (s->policy == TPLR_SBX_COMPILE) {
        push(a, "--ro-bind"), push(a, "/usr"), push(a, "/usr");
    } else {
        push(a, "--ro-bind"), push(a, "/usr/lib"), push(a, "/usr/lib");
        push(a, "--ro-bind-try"), push(a, "/usr/lib64"), push(a, "/usr/lib64");
    }
    for (int i = 0; i < s->n_binds; i++) {
        push(a, s->binds[i].writable ? "--bind" : "--ro-bind");
        push(a, s->binds[i].src);
        push(a, s->binds[i].dst);
    }
    /* the root and /dev bwrap builds are tmpfs (memory no rlimit counts):
     * read-only once everything is mounted; device nodes still work */
    push(a, "--remount-ro");
    push(a, "/");
    push(a, "--remount-ro");
    push(a, "/dev");
    push(a, "--chdir");
    push(a, s->chdir);
    push(a, "--");
    for (int i = 0; s->argv[i]; i++)
        push(a, s->argv[i]);
    return a->n < MAX_ARGS - 1 ? 0 : -1;
}

static void limit(int what, uint64_t v)
{
    struct rlimit r = {(rlim_t)v, (rlim_t)v};
    if (setrlimit(what, &r))
        _exit(126);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(const tplr_sbx_spec *s, const argv_buf *a, int log_fd, int filter_fd, int status_fd)
{
    int null_fd = open("/dev/null", O_RDONLY);
    /* fds 3..6 = down, up, filter, bwrap's status: move the sources out of the way first */
    int fds[4] = {s->fd_down, s->fd_up, filter_fd, status_fd};
    for (int i = 0; i < 4; i++)
        if (fds[i] >= 0)
            fds[i] = fcntl(fds[i], F_DUPFD, 16);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
        _exit(126);
    for (int i = 0; i < 4; i++)
        if (fds[i] >= 0 && dup2(fds[i], 3 + i) < 0)
            _exit(126);
    close_range(7, ~0u, 0);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    limit(RLIMIT_AS, s->mem_bytes);
    limit(RLIMIT_FSIZE, s->fsize_bytes);
    limit(RLIMIT_CPU, (uint64_t)s->cpu_s);
    limit(RLIMIT_NPROC, (uint64_t)s->nproc);
    limit(RLIMIT_NOFILE, (uint64_t)s->nofile);
    limit(RLIMIT_CORE, 0);
    if (geteuid() == 0 && (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)))
        _exit(126);
    execv(BWRAP, (char *const *)a->v);
    _exit(127);
}

tplr_err tplr_sbx_spawn(const tplr_sbx_spec *s, pid_t *pid, int *status_fd)
{
    if (access(BWRAP, X_OK))
        return tplr_fail(TPLR_ENOTFOUND, "sandbox: %s not found; install bubblewrap (scripts/setup.sh)", BWRAP);
    argv_buf a;
    if (build_argv(s, &a))
        return tplr_fail(TPLR_EINVAL, "sandbox: too many arguments");
    int log_fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0)
        return tplr_fail_errno("sandbox: cannot create the log %s", s->log_path);
    int filter_fd = tplr_tour_filter_fd(s->policy == TPLR_SBX_RUN);
    if (filter_fd < 0) {
        close(log_fd);
        return tplr_fail(TPLR_EIO, "sandbox: cannot build the seccomp filter (libseccomp)");
    }
    int st[2];
    if (pipe2(st, O_CLOEXEC)) {
        close(log_fd);
        close(filter_fd);
        return tplr_fail_errno("sandbox: pipe");
    }
    pid_t p = fork();
    if (p == 0)
        child(s, &a, log_fd, filter_fd, st[1]);
    close(log_fd);
    close(filter_fd);
    close(st[1]);
    if (p < 0) {
        close(st[0]);
        return tplr_fail_errno("sandbox: fork");
    }
    fcntl(st[0], F_SETFL, O_NONBLOCK);
    *pid = p;
    *status_fd = st[0];
    return TPLR_OK;
}

int tplr_sbx_started(int status_fd)
{
    char buf[4096];
    ssize_t n = read(status_fd, buf, sizeof buf - 1);
    close(status_fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    return strstr(buf, "\"child-pid\"") != NULL;
}

void tplr_sbx_wait(pid_t pid, double deadline, tplr_sbx_exit *x)
{
    memset(x, 0, sizeof *x);
    x->code = -1;
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            x->code = -1;
            return;
        }
        if (tplr_now() >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            x->timed_out = 1;
            return;
        }
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (WIFSIGNALED(st)) {
        x->sig = WTERMSIG(st);
        return;
    }
    x->code = WEXITSTATUS(st);
    /* bwrap reports a program ended by a signal as 128 + the signal */
    if (x->code > 128 && x->code < 128 + 65) {
        x->sig = x->code - 128;
        x->code = -1;
    }
}

void tplr_sbx_describe(const tplr_sbx_exit *x, char *out, size_t cap)
{
    if (x->timed_out)
        snprintf(out, cap, "killed at the wall-clock deadline");
    else if (x->sig == SIGSYS)
        snprintf(out, cap, "killed for a forbidden system call (SIGSYS from the seccomp filter)");
    else if (x->sig == SIGXCPU)
        snprintf(out, cap, "killed at the CPU-time limit (SIGXCPU)");
    else if (x->sig == SIGXFSZ)
        snprintf(out, cap, "killed for writing past the file-size limit (SIGXFSZ)");
    else if (x->sig)
        snprintf(out, cap, "killed by signal %d (%s)", x->sig, strsignal(x->sig));
    else if (x->code == 126 || x->code == 127)
        snprintf(out, cap, "the sandbox failed to start (status %d)", x->code);
    else
        snprintf(out, cap, "exit status %d", x->code);
}

void tplr_tour_log_tail(const char *path, char *out, size_t cap)
{
    out[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || cap < 2) {
        if (fd >= 0)
            close(fd);
        return;
    }
    off_t end = lseek(fd, 0, SEEK_END);
    size_t want = cap - 1;
    off_t from = end > (off_t)want ? end - (off_t)want : 0;
    uint8_t buf[4096];
    if (want > sizeof buf)
        want = sizeof buf;
    ssize_t n = pread(fd, buf, want, from);
    close(fd);
    if (n > 0)
        tplr_tour_error_text(buf, (size_t)n, out, cap);
}
