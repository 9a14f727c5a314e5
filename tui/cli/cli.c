#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actor.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "diskops/process.h"
#include "diskops/account.h"
#include "diskops/error.h"
#include "diskops/init.h"
#include "diskops/log.h"

static const struct cli_command commands[] = {
#define X(id, noun, verb, fn, args, summary, help) { noun, verb, fn, args, summary, help },
	CLI_COMMANDS(X)
#undef X
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char global_help[] =
	"Global flags (anywhere on the line):\n"
	"  --json             machine-readable output on reads\n"
	"  --account NAME     act in this account (default: [account] default, \"default\")\n"
	"  --config FILE      configuration file (default $XDG_CONFIG_HOME/diskops/config.ini)\n"
	"  --state-dir DIR    state directory (default $XDG_STATE_HOME/diskops)\n"
	"  --yes              confirm changes without a prompt (required without a terminal)\n"
	"  --log-level LEVEL  debug, info, warn, error or off\n"
	"\n"
	"Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 verification failed,\n"
	"            5 approval pending, 6 conflict\n";

static void
print_command_line(FILE *out, const struct cli_command *cmd)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s%s", cmd->noun, cmd->verb ? " " : "",
		 cmd->verb ? cmd->verb : "");
	fprintf(out, "  %-20s %s\n", name, cmd->summary);
}

static void
print_main_help(FILE *out)
{
	fprintf(out, "diskops %s — operator console and engine for signed disk-image builds\n\n"
		"Usage: diskops <noun> <verb> [flags]\n\nCommands:\n", DK_VERSION);
	for (size_t i = 0; i < N_COMMANDS; i++)
		print_command_line(out, &commands[i]);
	fprintf(out, "\n%s\nRun `diskops <noun> --help` for a command's flags.\n", global_help);
}

static void
print_noun_help(FILE *out, const char *noun)
{
	fprintf(out, "Usage: diskops %s <verb> [flags]\n\nVerbs:\n", noun);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].noun, noun) == 0)
			print_command_line(out, &commands[i]);
	}
	fprintf(out, "\nRun `diskops %s <verb> --help` for a verb's flags.\n", noun);
}

static void
print_usage(FILE *out, const struct cli_command *cmd)
{
	fprintf(out, "Usage: diskops %s%s%s %s\n", cmd->noun, cmd->verb ? " " : "",
		cmd->verb ? cmd->verb : "", cmd->args);
}

static void
print_command_help(FILE *out, const struct cli_command *cmd)
{
	print_usage(out, cmd);
	fprintf(out, "\n%s\n", cmd->summary);
	if (cmd->help && *cmd->help)
		fprintf(out, "\n%s", cmd->help);
	fprintf(out, "\n%s", global_help);
}

static const char *
command_name(const struct cli *c, char *buf, size_t len)
{
	if (!c->cmd)
		return "diskops";
	snprintf(buf, len, "%s%s%s", c->cmd->noun, c->cmd->verb ? " " : "",
		 c->cmd->verb ? c->cmd->verb : "");
	return buf;
}

int
cli_usage_error(struct cli *c, const char *fmt, ...)
{
	char name[64], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "diskops: %s: %s\n", command_name(c, name, sizeof(name)), msg);
	if (c->cmd)
		print_usage(stderr, c->cmd);
	fprintf(stderr, "Run `diskops %s --help` for more.\n", c->cmd ? name : "");
	return dk_error_set(DK_EUSAGE, "%s", msg);
}

int
cli_common_option(struct cli *c, int opt, const char *arg)
{
	dk_log_level level;

	switch (opt) {
	case CLI_OPT_JSON: c->json = true; return 0;
	case CLI_OPT_ACCOUNT: c->account_name = arg; return 0;
	case CLI_OPT_CONFIG: c->config_path = arg; return 0;
	case CLI_OPT_STATE_DIR: c->state_dir = arg; return 0;
	case CLI_OPT_YES: c->yes = true; return 0;
	case CLI_OPT_LOG_LEVEL:
		if (dk_log_parse_level(&level, arg) < 0)
			return cli_usage_error(c, "%s", dk_error_last()->message);
		dk_log_set_level(level);
		return 0;
	case CLI_OPT_HELP:
		if (c->cmd)
			print_command_help(stdout, c->cmd);
		else
			print_main_help(stdout);
		return CLI_HELP_SHOWN;
	default:
		return cli_usage_error(c, "unhandled flag");
	}
}

/* Flags beat the environment, which beats the file: applied once every flag is known. */
static int
load_config(struct cli *c)
{
	int rc;

	if (c->cfg)
		return 0;
	if ((rc = dk_config_load(&c->cfg, c->config_path)) < 0)
		return rc;
	if (c->state_dir && (rc = dk_config_set(c->cfg, "state.dir", c->state_dir)) < 0)
		return rc;
	if (c->account_name && (rc = dk_config_set(c->cfg, "account.default", c->account_name)) < 0)
		return rc;
	/* Ingest (jobs run, publication process) reaches registries with these settings. */
	dk_process_set_config(c->cfg);
	return 0;
}

int
cli_parse(struct cli *c, int argc, char **argv, const struct option *opts,
	  int (*each)(struct cli *c, int opt, const char *arg, void *ctx), void *ctx)
{
	int opt, rc;

	/* 0, not 1: glibc re-initialises (argument permutation) only then. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hy", opts, NULL)) != -1) {
		/* optopt names a short flag; a long one is the word getopt just passed. */
		if (opt == ':' && optopt)
			return cli_usage_error(c, "flag -%c needs a value", optopt);
		if (opt == ':')
			return cli_usage_error(c, "flag %s needs a value", argv[optind - 1]);
		if (opt == '?' && optopt)
			return cli_usage_error(c, "unknown flag -%c", optopt);
		if (opt == '?')
			return cli_usage_error(c, "unknown flag %s", argv[optind - 1]);
		if (opt == 'h')
			opt = CLI_OPT_HELP;
		else if (opt == 'y')
			opt = CLI_OPT_YES;
		if (opt >= CLI_OPT__COMMAND && each)
			rc = each(c, opt, optarg, ctx);
		else
			rc = cli_common_option(c, opt, optarg);
		if (rc != 0)
			return rc;
	}
	return load_config(c);
}

int
cli_store_exists(struct cli *c)
{
	char *path;
	int rc = 0;

	if (c->store)
		return 0;
	if ((rc = load_config(c)) < 0)
		return rc;
	if (!(path = dk_init_database_path(c->cfg)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if (access(path, F_OK) < 0)
		rc = dk_error_set(DK_ESTORE, "no database at %s: run `diskops init` first", path);
	free(path);
	return rc;
}

int
cli_store(struct cli *c)
{
	dk_store_options opts = DK_STORE_OPTIONS_INIT;
	char *path;
	int rc;

	if (c->store)
		return 0;
	if ((rc = load_config(c)) < 0)
		return rc;
	if (!(path = dk_init_database_path(c->cfg)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	opts.busy_timeout_ms = c->cfg->busy_timeout_ms;
	opts.no_create = true;
	rc = dk_store_open(&c->store, path, &opts);
	if (rc == DK_ENOTFOUND)
		rc = dk_error_set(DK_ESTORE, "no database at %s: run `diskops init` first", path);
	free(path);
	return rc;
}

int
cli_account(struct cli *c)
{
	int rc;

	if (c->account)
		return 0;
	if ((rc = cli_store(c)) < 0)
		return rc;
	return dk_account_resolve(c->store, &c->account, c->cfg->account);
}

const char *
cli_actor(void)
{
	return tui_actor();
}

static const struct cli_command *
find_command(const char *noun, const char *verb, bool *noun_known)
{
	*noun_known = false;
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].noun, noun) != 0)
			continue;
		*noun_known = true;
		if (!commands[i].verb || (verb && strcmp(commands[i].verb, verb) == 0))
			return &commands[i];
	}
	return NULL;
}

/* Global flags before the noun; stops at the first word. */
static int
parse_leading(struct cli *c, int argc, char **argv, int *first)
{
	static const struct option opts[] = {
		{ "version", no_argument, NULL, 'V' },
		CLI_COMMON_OPTIONS
	};
	int opt, rc;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:hyV", opts, NULL)) != -1) {
		if (opt == ':' || opt == '?') {
			fprintf(stderr, "diskops: %s flag %s; run `diskops --help`\n",
				opt == ':' ? "missing value for" : "unknown", argv[optind - 1]);
			return dk_error_set(DK_EUSAGE, "bad flag");
		}
		if (opt == 'V') {
			printf("diskops %s (%s)\n", DK_VERSION, DK_GITREV);
			return CLI_HELP_SHOWN;
		}
		if (opt == 'h')
			opt = CLI_OPT_HELP;
		if (opt == 'y')
			opt = CLI_OPT_YES;
		if ((rc = cli_common_option(c, opt, optarg)) != 0)
			return rc;
	}
	*first = optind;
	return 0;
}

static void
cli_close(struct cli *c)
{
	dk_account_free(c->account);
	dk_store_free(c->store);
	dk_config_free(c->cfg);
}

int
dk_cli_main(int argc, char **argv)
{
	struct cli c = { 0 };
	const struct cli_command *cmd;
	bool noun_known;
	char name[64];
	int first = 1, rc, sub_argc;
	char **sub_argv, *console_argv[] = { (char *)"console", NULL };

	if ((rc = parse_leading(&c, argc, argv, &first)) != 0)
		goto done;
	if (first >= argc && !(isatty(0) && isatty(1))) {
		print_main_help(isatty(1) ? stdout : stderr);
		rc = isatty(1) ? 0 : dk_error_set(DK_EUSAGE, "no command");
		goto done;
	}
	/* On a terminal, `diskops` alone is the console. */
	if (first >= argc)
		cmd = find_command("console", NULL, &noun_known);
	else
		cmd = find_command(argv[first], first + 1 < argc ? argv[first + 1] : NULL, &noun_known);
	if (!cmd) {
		const char *verb = first + 1 < argc ? argv[first + 1] : NULL;

		if (noun_known && (!verb || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0)) {
			print_noun_help(verb ? stdout : stderr, argv[first]);
			rc = verb ? CLI_HELP_SHOWN : dk_error_set(DK_EUSAGE, "no verb");
		} else if (noun_known) {
			fprintf(stderr, "diskops: %s: unknown verb \"%s\"\n", argv[first], verb);
			print_noun_help(stderr, argv[first]);
			rc = dk_error_set(DK_EUSAGE, "unknown verb");
		} else {
			fprintf(stderr, "diskops: unknown command \"%s\"; run `diskops --help`\n",
				argv[first]);
			rc = dk_error_set(DK_EUSAGE, "unknown command");
		}
		goto done;
	}
	c.cmd = cmd;
	/* The handler sees argv[0] = the command word, then its own arguments. */
	sub_argc = argc - first - (cmd->verb ? 1 : 0);
	sub_argv = argv + first + (cmd->verb ? 1 : 0);
	if (first >= argc) {
		sub_argc = 1;
		sub_argv = console_argv;
	}
	rc = cmd->run(&c, sub_argc, sub_argv);
	if (rc < 0 && rc != DK_EUSAGE)
		fprintf(stderr, "diskops: %s: %s\n", command_name(&c, name, sizeof(name)),
			dk_error_last()->message);
done:
	cli_close(&c);
	if (rc == CLI_HELP_SHOWN)
		return 0;
	return rc < 0 ? dk_error_exit_code(rc) : 0;
}
