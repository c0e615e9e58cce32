/* The subcommands of `tplr tournament`, one file each (cmd_tournament_*.c).
 * To add one: declare it here and add a row to tournament_subcommands[] in
 * cmd_tournament.c. */
#ifndef TPLR_CLI_TOURNAMENT_CMDS_H
#define TPLR_CLI_TOURNAMENT_CMDS_H

typedef struct tournament_subcommand {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
    const char *summary;
} tournament_subcommand;

int tournament_eval(int argc, char **argv); /* cmd_tournament_eval.c */
int tournament_serve(int argc, char **argv);       /* cmd_tournament_serve.c */
int tournament_submit(int argc, char **argv);      /* cmd_tournament_submit.c */
int tournament_leaderboard(int argc, char **argv); /* cmd_tournament_submit.c */

#endif
