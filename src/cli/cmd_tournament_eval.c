/* tplr tournament eval train.c: what a validator would say about a submission. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "tournament_cmds.h"
#include "tplr/tour_eval.h"

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static void print_json(const tplr_tour_report *r)
{
    json_t *runs = json_array();
    for (int i = 0; i < r->n_runs; i++) {
        const tplr_tour_run *u = &r->runs[i];
        json_t *o = json_object();
        json_object_set_new(o, "verdict", json_string(tplr_tour_verdict_name(u->verdict)));
        json_object_set_new(o, "seed", json_integer((json_int_t)u->seed));
        json_object_set_new(o, "tokens", json_integer((json_int_t)u->tokens));
        json_object_set_new(o, "seconds", num(u->seconds));
        json_object_set_new(o, "tps", num(u->tps));
        json_object_set_new(o, "startup_s", num(u->startup_s));
        json_object_set_new(o, "loss", num(u->loss));
        json_object_set_new(o, "ref_loss", num(u->ref_loss));
        json_object_set_new(o, "logits_diff", num(u->logits_diff));
        json_object_set_new(o, "weights_rel_l2", num(u->weights_rel_l2));
        json_object_set_new(o, "detail", json_string(u->detail));
        json_array_append_new(runs, o);
    }
    json_t *top = json_pack("{s:s, s:o, s:i, s:o}", "verdict", tplr_tour_verdict_name(r->verdict), "median_tps",
                            num(r->median_tps), "n_runs", r->n_runs, "runs", runs);
    char *text = top ? json_dumps(top, JSON_COMPACT) : NULL;
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(top);
}

static void print_text(const tplr_tour_report *r)
{
    for (int i = 0; i < r->n_runs; i++) {
        const tplr_tour_run *u = &r->runs[i];
        printf("run %d  seed %llu  %s", i + 1, (unsigned long long)u->seed, tplr_tour_verdict_name(u->verdict));
        if (u->verdict == 0)
            printf("  %.0f tok/s  (%llu tokens in %.3f s, start-up %.3f s)", u->tps, (unsigned long long)u->tokens,
                   u->seconds, u->startup_s);
        printf("\n  %s\n", u->detail);
    }
    printf("verdict: %s", tplr_tour_verdict_name(r->verdict));
    if (r->verdict == 0)
        printf("  median %.0f tok/s", r->median_tps);
    printf("\n");
}

int tournament_eval(int argc, char **argv)
{
    tplr_tour_eval_opts o;
    tplr_tour_eval_opts_default(&o);
    int json = 0;
    char *preset = (char *)o.preset, *cache = (char *)o.cache_dir, *work = (char *)o.work_dir, *ref = NULL;
    uint64_t seed = 0;
    cli_opt opts[] = {
        {"preset", OPT_STR, &preset, "NAME", "model preset: tiny, small (default), 150M", 0, 0},
        {"steps", OPT_INT, &o.steps, "N", "training steps per evaluation (default 20)", 0, 0},
        {"batch", OPT_INT, &o.batch, "B", "rows per batch (default 4)", 0, 0},
        {"seq", OPT_INT, &o.seq, "S", "tokens per row, the model sees S-1 (default 129)", 0, 0},
        {"evals", OPT_INT, &o.evals, "K", "evaluations, each on a fresh seed; the median TPS counts (default 3)", 0, 0},
        {"timeout", OPT_DOUBLE, &o.timeout_s, "SECONDS", "wall clock per run (default 600)", 0, 0},
        {"threads", OPT_INT, &o.threads, "N", "cores given to the run (default: all)", 0, 0},
        {"mem", OPT_DOUBLE, &o.mem_gib, "GIB", "address-space limit of the run (default: sized from the model)", 0, 0},
        {"seed", OPT_U64, &seed, "N", "first seed (evaluation k uses N+k; default: fresh random seeds)", 0, 0},
        {"cache", OPT_STR, &cache, "DIR", "reference runs (default /var/tmp/tplr-tour-cache)", 0, 0},
        {"work", OPT_STR, &work, "DIR", "build folders (default /tmp/tplr-tour-work)", 0, 0},
        {"reference", OPT_STR, &ref, "FILE", "the reference submission (default tournament/reference_train.c)", 0, 0},
        {"json", OPT_FLAG, &json, NULL, "print one JSON object", 0, 0},
    };
    cli_cmd cmd = {"tplr tournament eval", "train.c",
                   "Compiles a submission, runs it in the sandbox against the trusted harness, verifies it "
                   "against the reference run on the same seed and measures its tokens per second.",
                   "Exit status: 0 when every evaluation passed, 3 when the submission failed one (the verdict\n"
                   "says why: CompileError, Timeout, Crash, SandboxViolation, TokenCountMismatchError,\n"
                   "LossMismatchError, LogitsMismatchError, WeightsMismatchError), 1 when the evaluation itself\n"
                   "could not run, 2 on a usage error. See docs/tournament.md.",
                   opts, (int)(sizeof opts / sizeof opts[0]), 1, 1};
    const char *pos[1];
    int n_pos = 0;
    int pr = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (pr)
        return CLI_EXIT(pr);
    o.preset = preset, o.cache_dir = cache, o.work_dir = work, o.seed = seed, o.reference_path = ref;
    tplr_tour_report r;
    tplr_err e = tplr_tour_evaluate(pos[0], &o, &r);
    if (e)
        return cli_fail(tplr_errmsg());
    if (json)
        print_json(&r);
    else
        print_text(&r);
    return r.verdict == TPLR_TOUR_PASS ? 0 : 3;
}
