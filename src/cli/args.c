#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_print_help(const cli_cmd *cmd)
{
    printf("usage: %s%s%s%s\n\n%s\n", cmd->name, cmd->n_opts ? " [options]" : "", cmd->args ? " " : "",
           cmd->args ? cmd->args : "", cmd->summary);
    if (cmd->n_opts)
        printf("\noptions:\n");
    for (int i = 0; i < cmd->n_opts; i++) {
        const cli_opt *o = &cmd->opts[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        printf("  %-26s %s%s\n", left, o->help, o->required ? " (required)" : "");
    }
    printf("  %-26s %s\n", "--help", "show this help");
    if (cmd->details)
        printf("\n%s\n", cmd->details);
}

static int usage_error(const cli_cmd *cmd, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "%s: error: ", cmd->name);
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n(run `%s --help` for the options)\n", cmd->name);
    return 2;
}

static int set_value(const cli_cmd *cmd, cli_opt *o, const char *v)
{
    char *end = NULL;
    errno = 0;
    switch (o->kind) {
    case OPT_STR:
        *(const char **)o->dst = v;
        return 0;
    case OPT_LIST: {
        cli_list *l = o->dst;
        if (l->n == CLI_LIST_MAX)
            return usage_error(cmd, "too many --%s options%s", o->name, "");
        l->items[l->n++] = v;
        return 0;
    }
    case OPT_INT: {
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end || x < -2147483647L || x > 2147483647L)
            return usage_error(cmd, "--%s needs an integer, not '%s'", o->name, v);
        *(int *)o->dst = (int)x;
        return 0;
    }
    case OPT_I64: {
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end)
            return usage_error(cmd, "--%s needs an integer, not '%s'", o->name, v);
        *(int64_t *)o->dst = x;
        return 0;
    }
    case OPT_U64: {
        if (*v == '-')
            return usage_error(cmd, "--%s needs a non-negative integer, not '%s'", o->name, v);
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || end == v || *end)
            return usage_error(cmd, "--%s needs a non-negative integer, not '%s'", o->name, v);
        *(uint64_t *)o->dst = x;
        return 0;
    }
    case OPT_DOUBLE: {
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x))
            return usage_error(cmd, "--%s needs a number, not '%s'", o->name, v);
        *(double *)o->dst = x;
        return 0;
    }
    case OPT_FLAG:
        *(int *)o->dst = 1;
        return 0;
    }
    return 2;
}

int cli_parse(cli_cmd *cmd, int argc, char **argv, const char **pos, int *n_pos)
{
    *n_pos = 0;
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] != '-' || a[2] == '\0') {
            if (!only_positional && !strcmp(a, "--")) {
                only_positional = 1;
                continue;
            }
            if (a[0] == '-' && a[1] && !only_positional)
                return usage_error(cmd, "unknown option '%s'%s", a, "");
            if (*n_pos == cmd->max_pos)
                return usage_error(cmd, "unexpected argument '%s'%s", a, "");
            pos[(*n_pos)++] = a;
            continue;
        }
        if (!strcmp(a, "--help")) {
            cli_print_help(cmd);
            return -1;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        cli_opt *o = NULL;
        for (int k = 0; k < cmd->n_opts; k++)
            if (strlen(cmd->opts[k].name) == len && !strncmp(cmd->opts[k].name, name, len))
                o = &cmd->opts[k];
        if (!o)
            return usage_error(cmd, "unknown option '%s'%s", a, "");
        const char *value = NULL;
        if (o->kind == OPT_FLAG) {
            if (eq)
                return usage_error(cmd, "--%s takes no value%s", o->name, "");
        } else if (eq)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return usage_error(cmd, "--%s needs a value (%s)", o->name, o->metavar ? o->metavar : "");
        int r = set_value(cmd, o, value);
        if (r)
            return r;
        o->given = 1;
    }
    for (int k = 0; k < cmd->n_opts; k++)
        if (cmd->opts[k].required && !cmd->opts[k].given)
            return usage_error(cmd, "--%s is required%s", cmd->opts[k].name, "");
    if (*n_pos < cmd->min_pos)
        return usage_error(cmd, "missing argument: %s%s", cmd->args ? cmd->args : "", "");
    return 0;
}

int cli_fail(const char *msg)
{
    fprintf(stderr, "tplr: error: %s\n", msg);
    return 1;
}

int cli_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int cli_given(const cli_cmd *cmd, const char *name)
{
    for (int k = 0; k < cmd->n_opts; k++)
        if (!strcmp(cmd->opts[k].name, name))
            return cmd->opts[k].given;
    return 0;
}
