#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "diskops/clock.h"
#include "diskops/model_json.h"
#include "diskops/valid.h"

enum { OPT_PREFIX = CLI_OPT__COMMAND, OPT_LIMIT, OPT_SINCE };

static int
event_option(struct cli *c, int opt, const char *arg, void *ctx)
{
	dk_event_filter *f = ctx;
	int64_t age;
	int rc;

	(void)c;
	switch (opt) {
	case OPT_PREFIX: f->kind_prefix = arg; break;
	case OPT_LIMIT: return dk_parse_int(&f->limit, "limit", arg, 1, 1000);
	case OPT_SINCE:
		if ((rc = dk_clock_parse_duration(&age, arg)) < 0)
			return rc;
		f->since = dk_clock_now() - age;
		break;
	}
	return 0;
}

int
cmd_events(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "since", required_argument, NULL, OPT_SINCE },
		CLI_COMMON_OPTIONS
	};
	static const char *const headers[] = { "TIME", "SEVERITY", "KIND", "SUBJECT", "DETAIL" };
	dk_event_filter f = { 0 };
	dk_event_list *l = NULL;
	int rc;

	f.limit = 50;
	if ((rc = cli_parse(c, argc, argv, opts, event_option, &f)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cli_account(c)) < 0)
		return rc;
	f.account_id = c->account->id;
	if ((rc = dk_store_event_list(c->store, &l, &f)) < 0)
		return rc;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, dk_event_to_json(&l->items[i]));
		cli_print_json(arr);
	} else if (l->count == 0) {
		fprintf(stderr, "no events match\n");
	} else {
		struct table *t = table_new(5, headers);

		for (size_t i = 0; i < l->count; i++) {
			const dk_event *e = &l->items[i];
			char when[32], subject[9], detail[61];
			const char *row[5];

			row[0] = dk_clock_iso(when, e->created_at);
			row[1] = e->severity;
			row[2] = e->kind;
			row[3] = cli_short(subject, e->subject_id, 8);
			/* The payload is JSON; the table shows its start, --json shows it whole. */
			snprintf(detail, sizeof(detail), "%s", e->payload ? e->payload : "");
			if (e->payload && strlen(e->payload) > 60)
				memcpy(detail + 57, "...", 4);
			row[4] = detail;
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	dk_event_list_free(l);
	return 0;
}
