/* Which kernels OpenBLAS runs. Debian 12's OpenBLAS 0.3.21 (DYNAMIC_ARCH)
 * picks its kernels from CPUID when the library loads; on a CPU it does not
 * know (a Sapphire Rapids under some hypervisors, for one) it falls back to
 * its generic SSE3 "Prescott" kernels, and sgemm runs 5-6x slower than with
 * the AVX-512 ones. OPENBLAS_CORETYPE overrides the choice, but only when it
 * is in the environment as the library loads, so a program that finds the
 * fallback sets it and starts itself again. */
#include <cblas.h>
#include <cpuid.h>
#include <omp.h>
#include <sched.h> /* sched_setaffinity, CPU_SET: _GNU_SOURCE comes from the build */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tplr/kernels.h"

const char *tplr_blas_core(void)
{
    const char *c = openblas_get_corename();
    return c ? c : "unknown";
}

#if defined(__x86_64__)
/* The OS saves the AVX (and, with avx512, the AVX-512) registers: XCR0. */
static int os_saves(unsigned mask)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
        return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & mask) == mask;
}

static const char *best_core(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && os_saves(0xe6))
        return __builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && os_saves(0x6))
        return __builtin_cpu_is("amd") ? "Zen" : "Haswell";
    return NULL;
}
#else
static const char *best_core(void) { return NULL; }
#endif

const char *tplr_blas_forced_core(void)
{
    if (getenv("OPENBLAS_CORETYPE"))
        return NULL; /* chosen by the user (or by an earlier start) */
    static const char *const generic[] = {"Prescott", "Core2", "Katmai", "Coppermine", "Northwood", "Banias", "Atom"};
    const char *now = tplr_blas_core();
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        if (!strcmp(now, generic[i]))
            return best_core();
    return NULL;
}

/* With OMP_PROC_BIND set, the OpenMP runtime pins the starting thread to its
 * first place as the program loads, and a new image inherits that one-place
 * mask: every thread of the restarted program would share one core. The
 * places the runtime found hold the CPUs the program was started with, so
 * the mask is widened back to them before the restart. */
static void unpin_for_exec(void)
{
    int n = omp_get_num_places();
    if (n < 2)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int p = 0; p < n; p++) {
        int ids[CPU_SETSIZE], k = omp_get_place_num_procs(p);
        if (k < 0 || k > CPU_SETSIZE)
            return;
        omp_get_place_proc_ids(p, ids);
        for (int i = 0; i < k; i++)
            if (ids[i] >= 0 && ids[i] < CPU_SETSIZE)
                CPU_SET(ids[i], &set);
    }
    (void)sched_setaffinity(0, sizeof set, &set);
}

void tplr_blas_restart_if_generic(char **argv)
{
    const char *core = tplr_blas_forced_core();
    if (!core || setenv("OPENBLAS_CORETYPE", core, 1))
        return;
    unpin_for_exec();
    execv("/proc/self/exe", argv);
    unsetenv("OPENBLAS_CORETYPE"); /* no restart: go on with the generic kernels */
}
