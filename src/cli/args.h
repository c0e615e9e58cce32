/* Command-line options: a table per command gives parsing, validation and
 * the --help text, so every command behaves the same way. */
#ifndef TPLR_CLI_ARGS_H
#define TPLR_CLI_ARGS_H

#include <stdint.h>

typedef enum { OPT_STR, OPT_INT, OPT_I64, OPT_U64, OPT_DOUBLE, OPT_FLAG, OPT_LIST } cli_opt_kind;

#define CLI_LIST_MAX 64

typedef struct cli_list {
    int n;
    const char *items[CLI_LIST_MAX];
} cli_list;

typedef struct cli_opt {
    const char *name;    /* without the leading "--" */
    cli_opt_kind kind;
    void *dst;           /* char**, int*, int64_t*, uint64_t*, double*, int* (flag), cli_list* */
    const char *metavar; /* NULL for flags */
    const char *help;
    int required;
    int given;           /* set by the parser */
} cli_opt;

typedef struct cli_cmd {
    const char *name;    /* "tplr train" */
    const char *args;    /* positional part of the usage line, or NULL */
    const char *summary;
    const char *details; /* extra text after the options, or NULL */
    cli_opt *opts;
    int n_opts;
    int min_pos, max_pos;
} cli_cmd;

/* Parses argv[1..]. Positional arguments go to pos (max_pos of them).
 * Returns 0 to go on, -1 after printing --help (exit 0), or 2 after printing
 * a usage error. */
int cli_parse(cli_cmd *cmd, int argc, char **argv, const char **pos, int *n_pos);
void cli_print_help(const cli_cmd *cmd);
/* Prints "tplr: error: <msg>" and returns 1 (for failures after parsing). */
int cli_fail(const char *msg);
/* The number of online CPUs: the default for --threads. */
int cli_default_threads(void);
/* Exit code for a cli_parse result: -1 → 0, else unchanged. */
#define CLI_EXIT(r) ((r) < 0 ? 0 : (r))
int cli_given(const cli_cmd *cmd, const char *name);

#endif
