#include "tplr/wallet.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "tplr/fileio.h"

#define PATH_CAP 4096
#define KEYFILE_MAX_BYTES 65536

tplr_err tplr_wallets_dir(char *out, size_t cap)
{
    const char *home = getenv("TPLR_HOME");
    int n;
    if (home && *home)
        n = snprintf(out, cap, "%s/wallets", home);
    else if ((home = getenv("HOME")) && *home)
        n = snprintf(out, cap, "%s/.tplr/wallets", home);
    else
        return tplr_fail(TPLR_EINVAL, "neither TPLR_HOME nor HOME is set: set TPLR_HOME to the folder for tplr's "
                         "wallets");
    if (n < 0 || (size_t)n >= cap)
        return tplr_fail(TPLR_EINVAL, "the wallets folder's path is too long");
    return TPLR_OK;
}

tplr_err tplr_wallet_check_name(const char *what, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > TPLR_WALLET_NAME_MAX || name[0] == '.')
        return tplr_fail(TPLR_EINVAL, "bad %s name '%s': use 1 to %d letters, digits, '_', '.' or '-', not "
                         "starting with '.'", what, name ? name : "", TPLR_WALLET_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return tplr_fail(TPLR_EINVAL, "bad %s name '%s': only letters, digits, '_', '.' and '-' are allowed",
                             what, name);
    }
    return TPLR_OK;
}

/* The path of a wallet's folder, coldkey file (hotkey NULL) or hotkey file. */
static tplr_err key_path(char *out, const char *wallet, const char *hotkey)
{
    TPLR_TRY(tplr_wallet_check_name("wallet", wallet));
    if (hotkey)
        TPLR_TRY(tplr_wallet_check_name("hotkey", hotkey));
    char dir[PATH_CAP];
    TPLR_TRY(tplr_wallets_dir(dir, sizeof dir));
    int n = hotkey ? snprintf(out, PATH_CAP, "%s/%s/hotkeys/%s.json", dir, wallet, hotkey)
                   : snprintf(out, PATH_CAP, "%s/%s/coldkey.json", dir, wallet);
    if (n < 0 || n >= PATH_CAP)
        return tplr_fail(TPLR_EINVAL, "wallet path too long");
    return TPLR_OK;
}

/* Creates path's folder and its parents; the folders tplr owns (the wallets
 * folder and everything in it) get mode 0700. */
static tplr_err make_private_dirs(const char *file)
{
    char wallets[PATH_CAP], dir[PATH_CAP];
    TPLR_TRY(tplr_wallets_dir(wallets, sizeof wallets));
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    TPLR_TRY(tplr_mkdirs(dir));
    size_t root = strlen(wallets);
    for (;;) { /* chmod from the key's folder up to the wallets folder */
        if (chmod(dir, 0700) != 0)
            return tplr_fail_errno("cannot restrict %s to its owner", dir);
        if (strlen(dir) <= root || !(slash = strrchr(dir, '/')))
            break;
        *slash = '\0';
    }
    return TPLR_OK;
}

/* Writes text to path with mode 0600, atomically, never replacing a file. */
static tplr_err write_new_secret_file(const char *path, const char *text)
{
    char tmp[PATH_CAP + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return tplr_fail_errno("cannot create %s", tmp);
    size_t n = strlen(text), done = 0;
    while (done < n) {
        ssize_t w = write(fd, text + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int ok = done == n && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        tplr_err e = tplr_fail_errno("writing %s", tmp);
        unlink(tmp);
        return e;
    }
    int linked = link(tmp, path); /* fails if path exists: never overwrite a key */
    int saved = errno;
    unlink(tmp);
    if (linked != 0) {
        errno = saved;
        return saved == EEXIST ? tplr_fail(TPLR_EINVAL, "%s already exists; tplr never replaces a key (move it "
                                           "away first if you really mean to)", path)
                               : tplr_fail_errno("cannot create %s", path);
    }
    return TPLR_OK;
}

static tplr_err create_key(const char *path, const char *kind, const char *passphrase,
                           unsigned char pk[TPLR_KEY_PUBLIC])
{
    if (tplr_path_exists(path))
        return tplr_fail(TPLR_EINVAL, "%s already exists; tplr never replaces a key", path);
    TPLR_TRY(make_private_dirs(path));
    tplr_keypair kp;
    unsigned char seed[TPLR_KEY_SEED];
    TPLR_TRY(tplr_keypair_random(&kp, seed));
    char *text = NULL;
    tplr_err e = keyfile_render(kind, seed, passphrase, &text);
    tplr_secret_wipe(seed, sizeof seed);
    if (!e)
        e = write_new_secret_file(path, text);
    if (text) {
        tplr_secret_wipe(text, strlen(text));
        free(text);
    }
    if (!e)
        memcpy(pk, kp.pk, TPLR_KEY_PUBLIC);
    tplr_secret_wipe(&kp, sizeof kp);
    return e;
}

tplr_err tplr_wallet_create_coldkey(const char *wallet, const char *passphrase, unsigned char pk[TPLR_KEY_PUBLIC])
{
    char path[PATH_CAP];
    TPLR_TRY(key_path(path, wallet, NULL));
    return create_key(path, "coldkey", passphrase, pk);
}

tplr_err tplr_wallet_create_hotkey(const char *wallet, const char *hotkey, unsigned char pk[TPLR_KEY_PUBLIC])
{
    char path[PATH_CAP];
    TPLR_TRY(key_path(path, wallet, hotkey));
    return create_key(path, "hotkey", NULL, pk);
}

/* Reads and checks a key file; with sk non-NULL also the secret key. */
static tplr_err load_key(const char *path, const char *kind, const char *passphrase, unsigned char *sk,
                         unsigned char pk[TPLR_KEY_PUBLIC], int *encrypted)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? tplr_fail(TPLR_ENOTFOUND, "no %s at %s (create one with `tplr wallet new`)", kind,
                                           path)
                               : tplr_fail_errno("cannot read %s", path);
    if (st.st_mode & 077)
        return tplr_fail(TPLR_EINVAL, "%s can be read by other users (mode %03o): run `chmod 600 %s`", path,
                         (unsigned)(st.st_mode & 0777), path);
    char *text;
    size_t len;
    TPLR_TRY(tplr_read_file(path, KEYFILE_MAX_BYTES, &text, &len));
    keyfile_info info;
    unsigned char seed[TPLR_KEY_SEED];
    tplr_err e = keyfile_parse(path, text, kind, passphrase, &info, sk ? seed : NULL);
    tplr_secret_wipe(text, len);
    free(text);
    if (!e && sk) {
        tplr_keypair kp;
        e = tplr_keypair_from_seed(seed, &kp);
        if (!e)
            memcpy(sk, kp.sk, TPLR_KEY_SECRET);
        tplr_secret_wipe(&kp, sizeof kp);
        tplr_secret_wipe(seed, sizeof seed);
    }
    if (!e) {
        memcpy(pk, info.pk, TPLR_KEY_PUBLIC);
        if (encrypted)
            *encrypted = info.encrypted;
    }
    return e;
}

tplr_err tplr_wallet_load_hotkey(const char *wallet, const char *hotkey, unsigned char sk[TPLR_KEY_SECRET],
                                 unsigned char pk[TPLR_KEY_PUBLIC])
{
    char path[PATH_CAP];
    TPLR_TRY(key_path(path, wallet, hotkey));
    return load_key(path, "hotkey", NULL, sk, pk, NULL);
}

tplr_err tplr_wallet_load_coldkey(const char *wallet, const char *passphrase, unsigned char sk[TPLR_KEY_SECRET],
                                  unsigned char pk[TPLR_KEY_PUBLIC])
{
    char path[PATH_CAP];
    TPLR_TRY(key_path(path, wallet, NULL));
    if (!passphrase)
        passphrase = getenv(TPLR_PASSPHRASE_ENV);
    return load_key(path, "coldkey", passphrase, sk, pk, NULL);
}

tplr_err tplr_wallet_coldkey_public(const char *wallet, unsigned char pk[TPLR_KEY_PUBLIC], int *encrypted)
{
    char path[PATH_CAP];
    TPLR_TRY(key_path(path, wallet, NULL));
    return load_key(path, "coldkey", NULL, NULL, pk, encrypted);
}

tplr_err tplr_wallet_hotkey_public(const char *wallet, const char *hotkey, unsigned char pk[TPLR_KEY_PUBLIC])
{
    char path[PATH_CAP];
    TPLR_TRY(key_path(path, wallet, hotkey));
    return load_key(path, "hotkey", NULL, NULL, pk, NULL);
}

static int compare_names(const void *a, const void *b) { return strcmp(a, b); }

/* Entries of dir with a valid name (minus suffix, if given; entries without
 * it are skipped), sorted. A missing folder gives an empty list. */
static tplr_err list_dir(const char *dir, const char *suffix, tplr_names *out)
{
    out->n = 0;
    out->names = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? TPLR_OK : tplr_fail_errno("cannot list %s", dir);
    int cap = 0;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        char name[TPLR_WALLET_NAME_MAX + 16];
        size_t n = strlen(ent->d_name), sl = suffix ? strlen(suffix) : 0;
        if (n >= sizeof name || n <= sl || (suffix && strcmp(ent->d_name + n - sl, suffix)))
            continue;
        memcpy(name, ent->d_name, n - sl);
        name[n - sl] = '\0';
        tplr_err_clear();
        if (tplr_wallet_check_name("wallet", name) != TPLR_OK)
            continue;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 16;
            void *grown = realloc(out->names, (size_t)cap * sizeof *out->names);
            if (!grown) {
                closedir(d);
                tplr_names_free(out);
                return tplr_fail(TPLR_ENOMEM, "listing %s: out of memory", dir);
            }
            out->names = grown;
        }
        memcpy(out->names[out->n++], name, n - sl + 1);
    }
    closedir(d);
    if (out->n)
        qsort(out->names, (size_t)out->n, sizeof *out->names, compare_names);
    return TPLR_OK;
}

tplr_err tplr_wallet_list(tplr_names *wallets)
{
    char dir[PATH_CAP];
    TPLR_TRY(tplr_wallets_dir(dir, sizeof dir));
    return list_dir(dir, NULL, wallets);
}

tplr_err tplr_wallet_hotkeys(const char *wallet, tplr_names *hotkeys)
{
    char path[PATH_CAP], dir[PATH_CAP + 16];
    TPLR_TRY(key_path(path, wallet, NULL));
    snprintf(dir, sizeof dir, "%.*s/hotkeys", (int)(strrchr(path, '/') - path), path);
    return list_dir(dir, ".json", hotkeys);
}

void tplr_names_free(tplr_names *names)
{
    free(names->names);
    names->names = NULL;
    names->n = 0;
}
