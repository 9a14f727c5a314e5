#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "console.h"
#include "diskops/error.h"

enum {
	OPT_READ_ONLY = CLI_OPT__COMMAND,
	OPT_NO_COLOR,
	OPT_ASCII,
	OPT_MOUSE,
	OPT_LOG
};

static int
each(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct console_opts *o = ctx;

	(void)c;
	(void)arg;
	switch (opt) {
	case OPT_READ_ONLY: o->read_only = true; break;
	case OPT_NO_COLOR: o->no_color = true; break;
	case OPT_ASCII: o->ascii = true; break;
	case OPT_MOUSE: o->mouse = true; break;
	case OPT_LOG: o->log_file = arg; break;
	}
	return 0;
}

static int
open_store(void *arg, dk_store **store, const dk_account **account)
{
	struct cli *c = arg;
	int rc;

	if ((rc = cli_account(c)) < 0)
		return rc;
	*store = c->store;
	*account = c->account;
	return 0;
}

int
cmd_console(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "mouse", no_argument, NULL, OPT_MOUSE },
		{ "log", required_argument, NULL, OPT_LOG },
		CLI_COMMON_OPTIONS
	};
	struct console_opts o = { 0 };
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, each, &o)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	/* A log that cannot be read is said before the screen is taken over. */
	if (o.log_file && access(o.log_file, R_OK) < 0)
		return dk_error_set(errno == ENOENT ? DK_ENOTFOUND : DK_EINVALID, "--log %s: %s",
				    o.log_file, strerror(errno));
	/* Scripts want the headless commands; a console on a pipe would only hang. */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return cli_usage_error(c, "the console needs a terminal; scripts use the headless "
				       "commands (diskops --help)");
	/* Deferred past the first paint with --log, but a missing store is still said first. */
	if (o.log_file && (rc = cli_store_exists(c)) < 0)
		return rc;
	return dk_console_run(&o, c->cfg, open_store, c);
}
