/* cli.h -- snug-controller's subcommands (main.c dispatches). Each returns
 * the process exit status: 0 done, 1 failed (the message is on stderr), 2
 * bad flags. */
#ifndef SNUG_CTL_CLI_H
#define SNUG_CTL_CLI_H

/* `recommend`: a report from Prometheus (cli_recommend.c). */
int cli_recommend_main(int argc, char **argv);

/* `run`: the operator (cli_run.c, operator.c). */
int cli_run_main(int argc, char **argv);

#endif
