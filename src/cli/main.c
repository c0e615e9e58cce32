/* tplr: the command-line entry point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tplr/kernels.h"

#define TPLR_VERSION "0.1.0"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"model", cmd_model, "create and inspect model checkpoints (model init, model info)"},
    {"train", cmd_train, "train a model on token samples on this machine"},
    {"eval", cmd_eval, "mean loss and perplexity of a model on token samples"},
    {"data", cmd_data, "prepare and inspect token samples (data prepare, bytes, info, pool)"},
    {"generate", cmd_generate, "continue a prompt with a trained model (KV cache, streaming)"},
    {"tokenizer", cmd_tokenizer, "byte-level BPE: train, encode, decode (GPT-2 compatible)"},
    {"codec", cmd_codec, "compress, inspect, decode and aggregate pseudo-gradients"},
    {"store", cmd_store, "objects in S3 buckets and folders (store put, get, ls, rm, head)"},
    {"wallet", cmd_wallet, "create and show Ed25519 wallets (wallet new, list, show)"},
    {"chain", cmd_chain, "run the ledger and write its genesis file (chain serve, genesis)"},
    {"register", cmd_register, "register a hotkey on the subnet"},
    {"stake", cmd_stake, "stake to a hotkey, or take stake back (stake add, remove)"},
    {"transfer", cmd_transfer, "send base units, or look a transfer up (transfer send, show)"},
    {"commit", cmd_commit, "publish a hotkey's commitment, or list them (commit set, show)"},
    {"weights", cmd_weights, "set a validator's weights, or show them (weights set, show)"},
    {"metagraph", cmd_metagraph, "the subnet: uids, keys, stake, incentive, dividends, emission"},
    {"block", cmd_block, "the ledger's current block"},
    {"balance", cmd_balance, "a coldkey's balance and stake"},
    {"miner", cmd_miner, "run a miner: train, upload pseudo-gradients, gather, outer step"},
    {"validator", cmd_validator, "run a validator: gather, evaluate, score, set weights, checkpoint"},
    {"config", cmd_config, "the node config: show the effective one, or document every field"},
    {"tournament", cmd_tournament, "the training-speed tournament: eval, submit, serve, leaderboard"},
    {"localnet", cmd_localnet, "run a whole network here: ledger, miners, validators, live table, report"},
    {"status", cmd_status, "the nodes of a running or finished localnet"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: tplr <command> [options]\n\n"
                 "tplr trains Llama-style language models, alone or as a decentralized network.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun `tplr <command> --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
    tplr_blas_restart_if_generic(argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        if (argc > 2 && strcmp(name, "help") == 0)
            for (size_t i = 0; i < N_COMMANDS; i++)
                if (!strcmp(commands[i].name, argv[2])) {
                    char *help_argv[] = {argv[2], "--help", NULL};
                    return commands[i].run(2, help_argv);
                }
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("tplr %s\n", TPLR_VERSION);
        const char *forced = getenv("OPENBLAS_CORETYPE");
        printf("OpenBLAS kernels: %s%s\n", tplr_blas_core(), forced ? " (OPENBLAS_CORETYPE)" : "");
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "tplr: unknown command '%s'\n\n", name);
    usage(stderr);
    return 2;
}
