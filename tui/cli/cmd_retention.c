#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "diskops/error.h"
#include "diskops/retention.h"
#include "diskops/valid.h"

enum { OPT_PLATFORM = CLI_OPT__COMMAND, OPT_DRY_RUN, OPT_COUNT };

struct args {
	const char *platform;
	bool dry_run;
	int count;
	bool have_count;
};

static int
option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct args *a = ctx;

	(void)c;
	switch (opt) {
	case OPT_PLATFORM: a->platform = arg; break;
	case OPT_DRY_RUN: a->dry_run = true; break;
	case OPT_COUNT:
		a->have_count = true;
		/* any integer parses, so the range message is the retention rule's own */
		return dk_parse_int(&a->count, "count", arg, -1000000, 1000000);
	}
	return 0;
}

int
cmd_retention_sweep(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		CLI_COMMON_OPTIONS
	};
	static const char *const headers[] = { "PLATFORM", "PUBLICATION", "GIT SHA", "ACTION", "DETAIL" };
	struct args a = { 0 };
	dk_retention_options o = { 0 };
	dk_retention_report r = { 0 };
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cli_account(c)) < 0)
		return rc;
	o.platform = a.platform;
	o.dry_run = a.dry_run;
	o.grace_days = c->cfg->grace_days;
	o.actor = cli_actor();
	o.delete_manifest = dk_retention_registry_delete;
	o.payload = c->cfg;
	if ((rc = dk_retention_sweep(c->store, &r, c->account->id, &o)) < 0)
		goto done;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < r.count; i++) {
			const dk_retention_item *it = &r.items[i];

			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o, s:s, s:o}",
				"platform", it->platform_name, "publication_id", it->publication_id,
				"git_sha", it->git_sha, "digest", it->digest ? json_string(it->digest) : json_null(),
				"action", dk_retention_action_name(it->action),
				"error", it->error ? json_string(it->error) : json_null()));
		}
		cli_print_json(json_pack("{s:b, s:i, s:i, s:i, s:i, s:i, s:o}", "dry_run", a.dry_run,
					 "retired", r.retired, "purged", r.purged, "deleted", r.deleted,
					 "pending", r.pending, "errors", r.errors, "items", arr));
	} else {
		struct table *t = table_new(5, headers);

		for (size_t i = 0; i < r.count; i++) {
			const dk_retention_item *it = &r.items[i];
			char id[9], sha[13];
			const char *row[5] = { it->platform_name, cli_short(id, it->publication_id, 8),
					       cli_short(sha, it->git_sha, 12),
					       dk_retention_action_name(it->action),
					       it->error ? it->error : it->digest };

			table_add(t, row);
		}
		if (r.count)
			table_print(t, stdout);
		table_free(t);
		printf("%s%d retired, %d purged (%d manifests deleted), %d waiting for approval, "
		       "%d errors\n", a.dry_run ? "dry run, nothing changed: would have " : "",
		       r.retired, r.purged, r.deleted, r.pending, r.errors);
	}
	if (r.errors)
		rc = dk_error_set(DK_ERROR, "%d publication%s could not be retired or purged; they "
				  "stay as they were", r.errors, r.errors == 1 ? "" : "s");
done:
	dk_retention_report_clear(&r);
	return rc;
}

int
cmd_retention_set(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "count", required_argument, NULL, OPT_COUNT },
		CLI_COMMON_OPTIONS
	};
	struct args a = { 0 };
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if (!a.platform || !a.have_count)
		return cli_usage_error(c, "--platform and --count are required");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_retention_set(c->store, c->account->id, a.platform, a.count, cli_actor(),
				   DK_ACTOR_OPERATOR)) < 0)
		return rc;
	if (c->json)
		cli_print_json(json_pack("{s:s, s:i}", "platform", a.platform, "retention_count", a.count));
	else
		printf("%s keeps %d published image%s\n", a.platform, a.count, a.count == 1 ? "" : "s");
	return 0;
}
