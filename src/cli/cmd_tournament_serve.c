/* tplr tournament serve: the validator's API, evaluation worker and weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tournament_cmds.h"
#include "ledger_cli.h"
#include "tplr/log.h"
#include "tplr/signals.h"
#include "tplr/tour_payment.h"
#include "tplr/tour_service.h"
#include "tplr/wallet.h"

int tournament_serve(int argc, char **argv)
{
    tplr_tour_serve_opts o;
    memset(&o, 0, sizeof o);
    tplr_tour_eval_opts_default(&o.eval);
    const char *wallet = NULL, *hotkey = "default", *listen = "127.0.0.1:8000";
    double fee = (double)TPLR_TOUR_FEE_DEFAULT / 1e9;
    int weights_every = 100, threads = 8;
    uint64_t seed = 0;
    o.api.copy_threshold = TPLR_TOUR_COPY_THRESHOLD_DEFAULT;
    o.api.win_threshold = TPLR_TOUR_THRESHOLD_DEFAULT;
    cli_opt opts[] = {
        {"db", OPT_STR, &o.db_path, "FILE", "the tournament database (SQLite; created if absent)", 1, 0},
        {"chain", OPT_STR, &o.api.ledger_url, "URL",
         "the ledger's URL (default $TPLR_LEDGER; else " TPLR_LEDGER_URL_DEFAULT " when there is a fee)", 0, 0},
        {"ledger", OPT_STR, &o.api.ledger_url, "URL", "the same as --chain", 0, 0},
        {"listen", OPT_STR, &listen, "HOST:PORT", "where the API listens (default 127.0.0.1:8000; port 0: any)", 0, 0},
        {"port-file", OPT_STR, &o.port_file, "FILE", "write the bound port there once listening", 0, 0},
        {"wallet", OPT_STR, &wallet, "NAME", "the validator's wallet: its coldkey receives the fees", 1, 0},
        {"hotkey", OPT_STR, &hotkey, "NAME", "the hotkey that sets the weights (default: default)", 0, 0},
        {"fee", OPT_DOUBLE, &fee, "TOKENS", "the submission fee in tokens (default 0.1; 0: free, no ledger needed)", 0, 0},
        {"evals", OPT_INT, &o.eval.evals, "N", "evaluation runs per submission; the median counts (default 3)", 0, 0},
        {"preset", OPT_STR, &o.eval.preset, "NAME", "model preset: tiny, small (default), 150M", 0, 0},
        {"steps", OPT_INT, &o.eval.steps, "N", "training steps per run (default 20)", 0, 0},
        {"batch", OPT_INT, &o.eval.batch, "B", "rows per batch (default 4)", 0, 0},
        {"seq", OPT_INT, &o.eval.seq, "S", "tokens per row, the model sees S-1 (default 129)", 0, 0},
        {"timeout", OPT_DOUBLE, &o.eval.timeout_s, "SECONDS", "wall clock per run (default 600)", 0, 0},
        {"threads", OPT_INT, &o.eval.threads, "N", "cores per run (0: all)", 0, 0},
        {"mem", OPT_DOUBLE, &o.eval.mem_gib, "GIB", "address-space limit of a run (default: sized from the model)", 0, 0},
        {"seed", OPT_U64, &seed, "N", "first seed (run k uses N+k; default: fresh random seeds)", 0, 0},
        {"work", OPT_STR, &o.eval.work_dir, "DIR", "build folders and submitted sources (default /tmp/tplr-tour-work)", 0, 0},
        {"cache", OPT_STR, &o.eval.cache_dir, "DIR", "reference runs (default /var/tmp/tplr-tour-cache)", 0, 0},
        {"weights-every", OPT_INT, &weights_every, "BLOCKS", "set weights every N blocks (default 100; 0: never)", 0, 0},
        {"burn-uid", OPT_INT, &o.burn_uid, "UID", "the uid that gets the weight without a winner (default 0)", 0, 0},
        {"copy-threshold", OPT_DOUBLE, &o.api.copy_threshold, "X",
         "refuse code at least this similar to another miner's earlier code (default 0.9)", 0, 0},
        {"win-threshold", OPT_DOUBLE, &o.api.win_threshold, "X",
         "how much better a newcomer must be to take the lead (default 0.01: 1%)", 0, 0},
        {"http-threads", OPT_INT, &threads, "N", "HTTP worker threads (default 8)", 0, 0},
    };
    cli_cmd cmd = {"tplr tournament serve", NULL,
                   "Runs a tournament validator: the REST API and leaderboard page (docs/tournament_service.md),\n"
                   "one evaluation at a time of the pending submissions (sandboxed, verified against the\n"
                   "reference, timed), and winner-takes-all weights on the ledger every --weights-every blocks.\n"
                   "Stops cleanly on SIGINT or SIGTERM after the evaluation in progress.",
                   NULL, opts, (int)(sizeof opts / sizeof opts[0]), 0, 0};
    const char *pos[1];
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    if (!(fee >= 0 && fee <= 1e9))
        return cli_fail("--fee must be from 0 to 1e9 tokens");
    if (o.eval.evals < 1 || o.eval.evals > TPLR_TOUR_MAX_EVALS)
        return cli_fail("--evals must be from 1 to 16");
    if (weights_every < 0)
        return cli_fail("--weights-every cannot be negative");
    if (!(o.api.win_threshold >= 0 && o.api.win_threshold < 10))
        return cli_fail("--win-threshold must be from 0 to 10");
    if (cli_given(&cmd, "seed"))
        o.eval.seed = seed;
    o.api.fee = llround(fee * 1e9);
    if (!o.api.ledger_url)
        o.api.ledger_url = getenv(TPLR_LEDGER_URL_ENV) ? getenv(TPLR_LEDGER_URL_ENV)
                           : o.api.fee > 0                 ? TPLR_LEDGER_URL_DEFAULT
                                                          : NULL;
    o.api.listen = listen;
    o.api.threads = threads;
    o.api.preset = o.eval.preset;
    o.api.evals = o.eval.evals;
    o.weights_every = o.api.ledger_url ? weights_every : 0;
    if (weights_every > 0 && !o.api.ledger_url)
        tplr_warn("tournament: no --chain: no weights will be set");
    if (tplr_wallet_coldkey_public(wallet, o.api.payee, NULL) || cli_load_hotkey(wallet, hotkey, &o.hotkey))
        return cli_fail(tplr_errmsg());
    memcpy(o.api.hotkey, o.hotkey.pk, 32);
    tplr_signals_install();
    tplr_err e = tplr_tour_serve(&o);
    tplr_secret_wipe(&o.hotkey, sizeof o.hotkey);
    return e ? cli_fail(tplr_errmsg()) : 0;
}
