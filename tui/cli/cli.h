#ifndef DISKOPS_CLI_H
#define DISKOPS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "diskops/config.h"
#include "diskops/store.h"

/* Headless front end: `diskops <noun> <verb> [flags]`. Returns the process exit code. */
int dk_cli_main(int argc, char **argv);

struct cli_command;

/* What every command gets: configuration, the store and account opened on demand. */
struct cli {
	dk_config *cfg;
	dk_store *store;
	dk_account *account;
	const struct cli_command *cmd;
	const char *config_path;        /* --config */
	const char *account_name;       /* --account */
	const char *state_dir;          /* --state-dir */
	bool json;                      /* --json */
	bool yes;                       /* --yes */
};

struct cli_command {
	const char *noun;
	const char *verb;               /* NULL for single-word commands */
	int (*run)(struct cli *c, int argc, char **argv);
	const char *args;               /* "NAME --arch amd64|arm64 [--retention N]" */
	const char *summary;            /* one line for the command list */
	const char *help;               /* the flag lines for `--help` */
};

/* Options every command takes; a command's getopt table starts with its own entries
 * then CLI_COMMON_OPTIONS, and hands unknown codes to cli_common_option. */
enum {
	CLI_OPT_JSON = 1000,
	CLI_OPT_ACCOUNT,
	CLI_OPT_CONFIG,
	CLI_OPT_STATE_DIR,
	CLI_OPT_YES,
	CLI_OPT_HELP,
	CLI_OPT_LOG_LEVEL,
	CLI_OPT__COMMAND = 1100         /* commands number their own options from here */
};

#define CLI_COMMON_OPTIONS \
	{ "json", no_argument, NULL, CLI_OPT_JSON }, \
	{ "account", required_argument, NULL, CLI_OPT_ACCOUNT }, \
	{ "config", required_argument, NULL, CLI_OPT_CONFIG }, \
	{ "state-dir", required_argument, NULL, CLI_OPT_STATE_DIR }, \
	{ "yes", no_argument, NULL, CLI_OPT_YES }, \
	{ "help", no_argument, NULL, CLI_OPT_HELP }, \
	{ "log-level", required_argument, NULL, CLI_OPT_LOG_LEVEL }, \
	{ NULL, 0, NULL, 0 }

/*
 * Handles a common option or a getopt error. Returns 0 when handled, a negative code
 * to stop the command (usage error, or CLI_HELP_SHOWN after printing help).
 */
int cli_common_option(struct cli *c, int opt, const char *arg);
#define CLI_HELP_SHOWN 1

/* Runs getopt_long over argv with the command's table; calls `each` for the command's
 * own options. Leaves positional arguments in argv[optind..]. */
int cli_parse(struct cli *c, int argc, char **argv, const struct option *opts,
	      int (*each)(struct cli *c, int opt, const char *arg, void *ctx), void *ctx);

/* Prints "diskops: <cmd>: <why>" and the command's usage; returns DK_EUSAGE. */
int cli_usage_error(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens the store (after `diskops init`), and the account from --account or the config. */
int cli_store(struct cli *c);
/* What cli_store would say about a missing database, without opening it. */
int cli_store_exists(struct cli *c);
int cli_account(struct cli *c);

/* Who is acting, for events: the Unix user, plus the SSH client address when present. */
const char *cli_actor(void);

/* Asks "<question> [y/N]" on a terminal; without one, --yes is required (DK_EUSAGE).
 * Returns 0 to go ahead, DK_EUSAGE when declined (tui/cli/confirm.c). */
int cli_confirm(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The at-rest secret box of the state dir (tui/cli/confirm.c). */
struct dk_secret_box;
int cli_secret_box(struct cli *c, struct dk_secret_box **out);

/* --- output (tui/cli/out.c) --- */

/* Prints a JSON value to stdout (indented, stable key order) and takes the reference. */
void cli_print_json(json_t *value);

struct table;
struct table *table_new(int ncols, const char *const *headers);
/* Adds a row of ncols strings (NULL prints as "-"); values are copied. */
void table_add(struct table *t, const char *const *values);
void table_print(struct table *t, FILE *out);
void table_free(struct table *t);

/* "1.2 GiB", "512 B"; buf at least 16 bytes; "-" for <= 0. */
const char *cli_human_size(char *buf, long long bytes);
/* First n chars of s (or "-"), into buf of at least n+1 bytes. */
const char *cli_short(char *buf, const char *s, size_t n);
/* key: value lines for `show` commands, aligned on the colon. */
void cli_kv(FILE *out, const char *key, const char *value);

#endif
