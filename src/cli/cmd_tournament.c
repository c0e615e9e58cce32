/* tplr tournament <subcommand>: the dispatcher (tournament_cmds.h). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tournament_cmds.h"

static const tournament_subcommand tournament_subcommands[] = {
    {"eval", tournament_eval, "compile, sandbox, verify and time a train.c locally"},
    {"submit", tournament_submit, "pay the fee and send a train.c to a validator (signed by the hotkey)"},
    {"serve", tournament_serve, "run a validator: REST API, leaderboard page, evaluations, weights"},
    {"leaderboard", tournament_leaderboard, "a validator's ranking and winner"},
};
#define N_SUB (sizeof tournament_subcommands / sizeof tournament_subcommands[0])

int cmd_tournament(int argc, char **argv)
{
    for (size_t i = 0; i < N_SUB; i++)
        if (argc >= 2 && !strcmp(argv[1], tournament_subcommands[i].name))
            return tournament_subcommands[i].run(argc - 1, argv + 1);
    int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    FILE *out = help ? stdout : stderr;
    if (argc >= 2 && !help)
        fprintf(out, "tplr tournament: unknown subcommand '%s'\n\n", argv[1]);
    fprintf(out, "usage: tplr tournament <subcommand> [options]\n\nThe training-speed tournament: submissions "
                 "are one C file defining inner_steps() (docs/tournament.md).\n\nsubcommands:\n");
    for (size_t i = 0; i < N_SUB; i++)
        fprintf(out, "  %-12s %s\n", tournament_subcommands[i].name, tournament_subcommands[i].summary);
    fprintf(out, "\nRun `tplr tournament <subcommand> --help` for its options.\n");
    return help ? 0 : 2;
}
