/* The seccomp filters of the sandbox (libseccomp), exported as BPF into a
 * memory file that bwrap loads (--seccomp FD). */
#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "tour_internal.h"

/* Never allowed: a call of one of these ends the program with SIGSYS, which
 * the harness reports as a sandbox violation. */
static const char *const forbidden[] = {
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto", "recvfrom", "sendmsg",
    "recvmsg", "sendmmsg", "recvmmsg", "ptrace", "process_vm_readv", "process_vm_writev", "kill", "tkill",
    "clock_settime", "clock_adjtime", "settimeofday", "adjtimex", "stime", "mount", "umount2", "pivot_root",
    "chroot", "unshare", "setns", "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "init_module",
    "finit_module", "delete_module", "reboot", "kexec_load", "kexec_file_load", "swapon", "swapoff",
    "sethostname", "setdomainname", "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
    "personality", "iopl", "ioperm", "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "open_by_handle_at",
    "name_to_handle_at", "fanotify_init", "quotactl", "acct", "vhangup", "lookup_dcookie", "syslog",
    "move_pages", "migrate_pages", "kcmp", "fsopen", "fsmount", "fsconfig", "move_mount", "open_tree",
    "mount_setattr"};

/* Also forbidden to a submission (the compiler needs them). */
static const char *const forbidden_run[] = {
    "fork", "vfork", "execveat", "memfd_create", "setuid", "setgid", "setreuid", "setregid", "setresuid",
    "setresgid", "setgroups", "setfsuid", "setfsgid", "chmod", "fchmod", "fchmodat", "chown", "fchown",
    "lchown", "fchownat", "link", "linkat", "symlink", "symlinkat", "mknod", "mknodat", "capset",
    "sched_setscheduler", "sched_setparam", "setpriority", "ioprio_set"};

/* What a submission may do: compute, threads, memory, its pipes, files in /tmp. */
static const char *const allowed_run[] = {
    "read", "write", "readv", "writev", "pread64", "pwrite64", "close", "fstat", "stat", "lstat", "newfstatat",
    "statx", "lseek", "mmap", "munmap", "mprotect", "mremap", "brk", "madvise", "msync", "mlock", "munlock",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigsuspend", "sigaltstack",
    "futex", "futex_waitv", "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "exit",
    "exit_group", "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
    "getresuid", "getresgid", "getpgrp", "getpgid", "getsid", "getrandom", "clock_gettime", "clock_getres",
    "gettimeofday", "time", "clock_nanosleep", "nanosleep", "sched_yield", "sched_getaffinity",
    "sched_setaffinity", "sched_getparam", "sched_getscheduler", "sched_get_priority_max",
    "sched_get_priority_min", "getpriority", "uname", "getcwd", "chdir", "fchdir", "open", "openat", "openat2",
    "creat", "access", "faccessat", "faccessat2", "readlink", "readlinkat", "fcntl", "dup", "dup2", "dup3",
    "pipe", "pipe2", "poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "eventfd2", "getdents64", "sysinfo", "getrlimit", "prlimit64", "getrusage", "times",
    "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "ftruncate",
    "truncate", "fallocate", "fsync", "fdatasync", "umask", "seccomp", "tgkill", "restart_syscall",
    "membarrier", "get_mempolicy", "execve", "wait4", "waitid", "alarm", "getitimer", "setitimer",
    "timer_create", "timer_settime", "timer_gettime", "timer_delete", "timerfd_create", "timerfd_settime",
    "timerfd_gettime", "statfs", "fstatfs", "arch_prctl", "mincore", "close_range", "sched_getattr"};

static int add_list(scmp_filter_ctx ctx, uint32_t action, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        if (nr == __NR_SCMP_ERROR)
            continue; /* not a system call on this architecture */
        if (seccomp_rule_add(ctx, action, nr, 0))
            return -1;
    }
    return 0;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int run_rules(scmp_filter_ctx ctx)
{
    if (add_list(ctx, SCMP_ACT_ALLOW, allowed_run, N(allowed_run)) ||
        add_list(ctx, SCMP_ACT_KILL_PROCESS, forbidden_run, N(forbidden_run)))
        return -1;
    /* clone: threads only; a new process is a violation */
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) ||
        seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)))
        return -1;
    /* glibc falls back to clone, whose flags a filter can see */
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0))
        return -1;
    const unsigned long prctls[] = {PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_SET_NAME, PR_GET_NAME,
                                    PR_GET_NO_NEW_PRIVS, PR_GET_SECCOMP, PR_GET_DUMPABLE};
    for (size_t i = 0; i < N(prctls); i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, prctls[i])))
            return -1;
    const unsigned long ioctls[] = {TCGETS, FIONREAD, TIOCGWINSZ};
    for (size_t i = 0; i < N(ioctls); i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, ioctls[i])))
            return -1;
    return 0;
}

int tplr_tour_filter_fd(int policy_run)
{
    /* anything else fails with EPERM (libraries cope); the listed calls kill */
    scmp_filter_ctx ctx = seccomp_init(policy_run ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW);
    if (!ctx)
        return -1;
    int fd = -1;
    int bad = add_list(ctx, SCMP_ACT_KILL_PROCESS, forbidden, N(forbidden)) || (policy_run && run_rules(ctx));
    if (!bad)
        fd = memfd_create("tplr-seccomp", 0);
    if (fd >= 0 && (seccomp_export_bpf(ctx, fd) || lseek(fd, 0, SEEK_SET) != 0)) {
        close(fd);
        fd = -1;
    }
    seccomp_release(ctx);
    return fd;
}
