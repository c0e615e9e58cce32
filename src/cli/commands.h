/* The subcommands of `tplr`: each takes the arguments after its name. */
#ifndef TPLR_CLI_COMMANDS_H
#define TPLR_CLI_COMMANDS_H

int cmd_model(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_data(int argc, char **argv);
int data_prepare(int argc, char **argv); /* tplr data prepare (cmd_data_prepare.c) */
int cmd_generate(int argc, char **argv);
int cmd_tokenizer(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_wallet(int argc, char **argv);
int cmd_chain(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_stake(int argc, char **argv);
int cmd_transfer(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_weights(int argc, char **argv);
int cmd_metagraph(int argc, char **argv);
int cmd_block(int argc, char **argv);
int cmd_balance(int argc, char **argv);
int cmd_codec(int argc, char **argv);
int cmd_miner(int argc, char **argv);     /* cmd_node.c */
int cmd_validator(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_tournament(int argc, char **argv); /* subcommands: tournament_cmds.h */
int cmd_localnet(int argc, char **argv);
int cmd_status(int argc, char **argv);

#endif
