#ifndef DISKOPS_CLI_H
#define DISKOPS_CLI_H

/* Headless front end: `diskops <noun> <verb> [flags]`. Returns the process exit code. */
int dk_cli_main(int argc, char **argv);

#endif
