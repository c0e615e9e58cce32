/* Spawning, watching and stopping localnet's children. */
#include "localnet_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tplr/timeutil.h"

tplr_err ln_spawn(ln_child *c, char *const argv[], pid_t *pgid)
{
    int logfd = open(c->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0)
        return tplr_fail_errno("creating the log file %s", c->log);
    int outfd = c->out[0] ? open(c->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : logfd;
    if (outfd < 0) {
        close(logfd);
        return tplr_fail_errno("creating %s", c->out);
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(logfd);
        if (outfd != logfd)
            close(outfd);
        return tplr_fail_errno("starting %s", c->name);
    }
    if (pid == 0) {
        setpgid(0, *pgid);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) /* localnet died before the line above */
            _exit(1);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int nul = open("/dev/null", O_RDONLY);
        if (nul < 0 || dup2(nul, 0) < 0 || dup2(outfd, 1) < 0 || dup2(logfd, 2) < 0)
            _exit(127);
        execv(argv[0], argv);
        dprintf(2, "tplr localnet: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(logfd);
    if (outfd != logfd)
        close(outfd);
    setpgid(pid, *pgid ? *pgid : pid); /* also here: no race with the child's own call */
    if (!*pgid)
        *pgid = pid;
    c->pid = pid;
    c->exited = 0;
    c->status = 0;
    return TPLR_OK;
}

tplr_err ln_run(ln_child *c, char *const argv[])
{
    pid_t pgid = 0;
    TPLR_TRY(ln_spawn(c, argv, &pgid));
    int status;
    while (waitpid(c->pid, &status, 0) < 0)
        if (errno != EINTR) {
            status = -1;
            break;
        }
    c->pid = 0;
    c->exited = 1;
    c->status = status;
    if (status == 0)
        return TPLR_OK;
    char how[64], tail[1024];
    ln_describe_exit(c, how, sizeof how);
    ln_log_tail(c, tail, sizeof tail);
    return tplr_fail(TPLR_EIO, "%s failed (%s); the end of %s:\n%s", c->name, how, c->log, tail);
}

int ln_poll(ln_child *c)
{
    if (c->pid <= 0)
        return 1;
    int status;
    pid_t r = waitpid(c->pid, &status, WNOHANG);
    if (r == c->pid || (r < 0 && errno == ECHILD)) {
        c->exited = 1;
        c->status = r == c->pid ? status : 0;
        c->pid = 0;
        return 1;
    }
    return 0;
}

static void sleep_s(double s)
{
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

void ln_stop(ln_child *const *cs, int n, double grace_s)
{
    for (int i = 0; i < n; i++)
        if (!ln_poll(cs[i]))
            kill(cs[i]->pid, SIGTERM);
    double t0 = tplr_now();
    for (;;) {
        int running = 0;
        for (int i = 0; i < n; i++)
            running += !ln_poll(cs[i]);
        if (!running)
            return;
        if (tplr_now() - t0 > grace_s)
            break;
        sleep_s(0.05);
    }
    for (int i = 0; i < n; i++)
        if (!ln_poll(cs[i])) {
            kill(cs[i]->pid, SIGKILL);
            int status;
            if (waitpid(cs[i]->pid, &status, 0) == cs[i]->pid)
                cs[i]->status = status;
            cs[i]->pid = 0;
            cs[i]->exited = 1;
        }
}

void ln_kill_group(pid_t pgid)
{
    if (pgid <= 0)
        return;
    kill(-pgid, SIGKILL);
    while (waitpid(-pgid, NULL, WNOHANG) > 0) {
    }
}

void ln_describe_exit(const ln_child *c, char *buf, size_t cap)
{
    if (!c->exited)
        snprintf(buf, cap, "running");
    else if (WIFEXITED(c->status))
        snprintf(buf, cap, "exit status %d", WEXITSTATUS(c->status));
    else if (WIFSIGNALED(c->status))
        snprintf(buf, cap, "killed by signal %d", WTERMSIG(c->status));
    else
        snprintf(buf, cap, "ended (status %d)", c->status);
}

void ln_log_tail(const ln_child *c, char *buf, size_t cap)
{
    buf[0] = 0;
    FILE *f = fopen(c->log, "rb");
    if (!f || cap < 2)
        goto done;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long start = size > (long)cap - 1 ? size - (long)cap + 1 : 0;
    fseek(f, start, SEEK_SET);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    if (start > 0) { /* begin at a line */
        char *nl = strchr(buf, '\n');
        if (nl)
            memmove(buf, nl + 1, strlen(nl + 1) + 1);
    }
done:
    if (f)
        fclose(f);
}
