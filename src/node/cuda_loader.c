/* Opens the CUDA plugin (tplr/cuda_plugin.h): libtplr_cuda.so beside the
 * executable or $TPLR_CUDA_PLUGIN, with its version checked. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "tplr/cuda_plugin.h"

/* The file next to /proc/self/exe into path. */
static tplr_err plugin_beside_exe(char *path, size_t cap, char *exe_dir, size_t dir_cap)
{
    ssize_t n = readlink("/proc/self/exe", exe_dir, dir_cap - 1);
    if (n <= 0)
        return tplr_fail_errno("finding this executable (/proc/self/exe) to load " TPLR_CUDA_PLUGIN_FILE
                               " beside it; set TPLR_CUDA_PLUGIN to its path");
    exe_dir[n] = '\0';
    char *slash = strrchr(exe_dir, '/');
    if (slash)
        *slash = '\0';
    if ((size_t)snprintf(path, cap, "%s/%s", exe_dir, TPLR_CUDA_PLUGIN_FILE) >= cap)
        return tplr_fail(TPLR_EINVAL, "the path of %s beside %s is too long; set TPLR_CUDA_PLUGIN",
                         TPLR_CUDA_PLUGIN_FILE, exe_dir);
    return TPLR_OK;
}

static tplr_err plugin_open(const tplr_cuda_plugin **out)
{
    char path[PATH_MAX], exe_dir[PATH_MAX];
    const char *env = getenv("TPLR_CUDA_PLUGIN");
    if (env && *env) {
        if ((size_t)snprintf(path, sizeof path, "%s", env) >= sizeof path)
            return tplr_fail(TPLR_EINVAL, "TPLR_CUDA_PLUGIN is longer than %d bytes", PATH_MAX - 1);
        if (access(path, R_OK) != 0)
            return tplr_fail_errno("TPLR_CUDA_PLUGIN=%s: cannot read the CUDA plugin; point it at a "
                                   TPLR_CUDA_PLUGIN_FILE " or unset it", path);
    } else {
        TPLR_TRY(plugin_beside_exe(path, sizeof path, exe_dir, sizeof exe_dir));
        if (access(path, R_OK) != 0) {
#ifdef TPLR_HAVE_CUDA
            return tplr_fail(TPLR_ENOTFOUND, "%s not found next to %s: rebuild with nvcc (make build builds "
                             "it beside tplr), set TPLR_CUDA_PLUGIN to its path, or train with --device cpu",
                             TPLR_CUDA_PLUGIN_FILE, exe_dir);
#else
            return tplr_fail(TPLR_ENOTFOUND, "this tplr was built without CUDA (no %s next to %s): install "
                             "nvcc and rebuild, or train with --device cpu", TPLR_CUDA_PLUGIN_FILE, exe_dir);
#endif
        }
    }
    /* never closed: the CUDA runtime does not support being unloaded */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return tplr_fail(TPLR_EIO, "cannot load the CUDA plugin %s: %s; rebuild tplr and the plugin from the "
                         "same tree", path, dlerror());
    tplr_cuda_plugin_entry_fn entry;
    void *sym = dlsym(h, TPLR_CUDA_PLUGIN_ENTRY);
    memcpy(&entry, &sym, sizeof entry); /* ISO C has no object-to-function pointer cast */
    if (!sym)
        return tplr_fail(TPLR_EFORMAT, "%s is not a tplr CUDA plugin (no %s); rebuild tplr with nvcc", path,
                         TPLR_CUDA_PLUGIN_ENTRY);
    const tplr_cuda_plugin *p = entry();
    if (!p || p->abi != TPLR_CUDA_PLUGIN_ABI || p->size != sizeof *p)
        return tplr_fail(TPLR_EMISMATCH, "the CUDA plugin %s is of version %u (table of %u bytes) but this tplr "
                         "needs version %u (%zu bytes): rebuild tplr and %s from the same tree", path,
                         p ? p->abi : 0u, p ? p->size : 0u, TPLR_CUDA_PLUGIN_ABI, sizeof *p,
                         TPLR_CUDA_PLUGIN_FILE);
    *out = p;
    return TPLR_OK;
}

tplr_err tplr_cuda_plugin_load(const tplr_cuda_plugin **out)
{
    static const tplr_cuda_plugin *loaded;
    if (!loaded)
        TPLR_TRY(plugin_open(&loaded));
    *out = loaded;
    return TPLR_OK;
}
