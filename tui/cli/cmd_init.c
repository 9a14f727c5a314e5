#include "cli/cli.h"
#include "diskops/init.h"

int
cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_init_report r;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = dk_init(&r, c->cfg)) < 0)
		goto done;
	if (c->json) {
		cli_print_json(json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:b, s:b, s:b, s:b}}",
					 "state_dir", r.state_dir, "database", r.database,
					 "schema_version", r.schema_version, "master_key", r.master_key,
					 "account", r.account, "created",
					 "state_dir", r.created_state_dir, "database", r.created_database,
					 "master_key", r.created_master_key, "account", r.created_account));
	} else {
		printf("state dir   %s (%s)\n", r.state_dir, r.created_state_dir ? "created" : "ok");
		printf("database    %s (schema %d, %s)\n", r.database, r.schema_version,
		       r.created_database ? "created" : "ok");
		printf("master key  %s (%s)\n", r.master_key, r.created_master_key ? "created" : "ok");
		printf("account     %s (%s)\n", r.account, r.created_account ? "created" : "ok");
	}
done:
	dk_init_report_clear(&r);
	return rc;
}
