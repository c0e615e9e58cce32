#include "ledger_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "args.h"
#include "tplr/address.h"
#include "tplr/wallet.h"

tplr_err cli_read_passphrase(const char *prompt, char *buf, size_t cap)
{
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty)
        return tplr_fail(TPLR_EINVAL, "a passphrase is needed and there is no terminal to ask it at: set %s",
                         TPLR_PASSPHRASE_ENV);
    struct termios old, quiet;
    int fd = fileno(tty), restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    fputs(prompt, tty);
    fflush(tty);
    int ok = fgets(buf, (int)cap, tty) != NULL;
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    if (!ok)
        return tplr_fail(TPLR_EINVAL, "no passphrase given");
    buf[strcspn(buf, "\r\n")] = '\0';
    return TPLR_OK;
}

tplr_err cli_load_coldkey(const char *wallet, tplr_keypair *kp)
{
    int encrypted = 0;
    TPLR_TRY(tplr_wallet_coldkey_public(wallet, kp->pk, &encrypted));
    char pass[512];
    const char *given = NULL;
    if (encrypted && !getenv(TPLR_PASSPHRASE_ENV)) {
        char prompt[160];
        snprintf(prompt, sizeof prompt, "passphrase of wallet %s's coldkey: ", wallet);
        TPLR_TRY(cli_read_passphrase(prompt, pass, sizeof pass));
        given = pass;
    }
    tplr_err e = tplr_wallet_load_coldkey(wallet, given, kp->sk, kp->pk);
    tplr_secret_wipe(pass, sizeof pass);
    return e;
}

tplr_err cli_load_hotkey(const char *wallet, const char *hotkey, tplr_keypair *kp)
{
    return tplr_wallet_load_hotkey(wallet, hotkey, kp->sk, kp->pk);
}

tplr_err cli_resolve_key(const char *text, const char *wallet, unsigned char pk[32])
{
    if (tplr_address_decode(text, strlen(text), pk) == TPLR_OK)
        return TPLR_OK;
    if (tplr_wallet_check_name("wallet", text) == TPLR_OK) {
        if (wallet && tplr_wallet_hotkey_public(wallet, text, pk) == TPLR_OK)
            return TPLR_OK;
        if (!wallet && tplr_wallet_coldkey_public(text, pk, NULL) == TPLR_OK)
            return TPLR_OK;
    }
    return tplr_fail(TPLR_EINVAL, "'%s' is neither an address nor a local %s", text,
                     wallet ? "hotkey of this wallet" : "wallet");
}

tplr_err cli_connect(const char *url, tplr_chain **c) { return tplr_chain_connect(url, NULL, c); }

int cli_send_tx(tplr_chain *c, tplr_tx *tx, const tplr_keypair *signer, const unsigned char *hotkey_sk,
                int dry_run, const char *what)
{
    if (tplr_chain_prepare(c, tx, signer, hotkey_sk))
        return cli_fail(tplr_errmsg());
    if (dry_run) {
        char *json = tplr_tx_to_json(tx);
        if (!json)
            return cli_fail("out of memory");
        fprintf(stderr, "not sent (--dry-run): POST %s/v1/tx/%s with this body\n", tplr_chain_url(c),
                tplr_tx_op_name(tx->op));
        printf("%s\n", json);
        free(json);
        return 0;
    }
    tplr_extrinsic_id id;
    int uid = -1;
    if (tplr_chain_submit(c, tx, &id, &uid))
        return cli_fail(tplr_errmsg());
    printf("%s: included at block %llu, index %u (extrinsic %llu-%u)", what, (unsigned long long)id.block, id.index,
           (unsigned long long)id.block, id.index);
    if (uid >= 0)
        printf("; uid %d", uid);
    printf("\n");
    return 0;
}

void cli_format_tokens(int64_t units, char *buf, size_t cap)
{
    const char *sign = units < 0 ? "-" : "";
    uint64_t u = units < 0 ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
    snprintf(buf, cap, "%s%llu.%09llu", sign, (unsigned long long)(u / 1000000000ull),
             (unsigned long long)(u % 1000000000ull));
}
