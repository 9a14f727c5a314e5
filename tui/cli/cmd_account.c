#include "cli/cli.h"
#include "diskops/account.h"
#include "diskops/clock.h"
#include "diskops/model_json.h"

int
cmd_account_create(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_account *a = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one account NAME");
	if ((rc = cli_store(c)) < 0 ||
	    (rc = dk_account_create(c->store, &a, argv[optind], cli_actor())) < 0)
		return rc;
	if (c->json)
		cli_print_json(dk_account_to_json(a));
	else
		printf("account %s created (%s)\n", a->name, a->id);
	dk_account_free(a);
	return 0;
}

int
cmd_account_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	static const char *const headers[] = { "NAME", "ID", "CREATED" };
	dk_account_list *l = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cli_store(c)) < 0 || (rc = dk_store_account_list(c->store, &l)) < 0)
		return rc;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, dk_account_to_json(&l->items[i]));
		cli_print_json(arr);
	} else {
		struct table *t = table_new(3, headers);

		for (size_t i = 0; i < l->count; i++) {
			char when[32];
			const char *row[] = { l->items[i].name, l->items[i].id,
					      dk_clock_iso(when, l->items[i].created_at) };

			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	dk_account_list_free(l);
	return 0;
}
