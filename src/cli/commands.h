/* The subcommands of `tplr`: each takes the arguments after its name. */
#ifndef TPLR_CLI_COMMANDS_H
#define TPLR_CLI_COMMANDS_H

int cmd_model(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_codec(int argc, char **argv);

#endif
