#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "diskops/agent.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/valid.h"

enum { OPT_ALL = CLI_OPT__COMMAND, OPT_CHECK };

struct list_args {
	bool all;
	bool check;
};

static int
list_option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct list_args *a = ctx;

	(void)c;
	(void)arg;
	if (opt == OPT_ALL)
		a->all = true;
	else if (opt == OPT_CHECK)
		a->check = true;
	return 0;
}

static json_t *
alert_json(const dk_alert *a)
{
	char t1[32], t2[32], t3[32];

	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o}", "id", (json_int_t)a->id,
			 "rule", a->rule, "subject", a->subject, "severity", a->severity,
			 "state", a->state, "detail", a->detail ? a->detail : "",
			 "acked_by", a->acked_by ? json_string(a->acked_by) : json_null(),
			 "first_seen", dk_clock_iso(t1, a->first_seen),
			 "last_seen", dk_clock_iso(t2, a->last_seen),
			 "resolved_at", a->resolved_at ? json_string(dk_clock_iso(t3, a->resolved_at)) : json_null());
}

static int
list(struct cli *c, int argc, char **argv, bool allow_check)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "check", no_argument, NULL, OPT_CHECK },
		CLI_COMMON_OPTIONS
	};
	static const char *const headers[] = { "ID", "SEVERITY", "RULE", "STATE", "SINCE", "DETAIL" };
	struct list_args a = { false, false };
	dk_alert_list *l = NULL;
	size_t open = 0;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, list_option, &a)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if (a.check && !allow_check)
		return cli_usage_error(c, "--check goes with `diskops alerts --check`");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_alert_list_load(c->store, &l, c->account->id, a.all)) < 0)
		return rc;
	for (size_t i = 0; i < l->count; i++)
		open += strcmp(l->items[i].state, "open") == 0;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, alert_json(&l->items[i]));
		cli_print_json(arr);
	} else if (l->count == 0) {
		if (!a.check)
			fprintf(stderr, "no alerts\n");
	} else {
		struct table *t = table_new(6, headers);

		for (size_t i = 0; i < l->count; i++) {
			const dk_alert *x = &l->items[i];
			char id[24], since[24];
			const char *row[6];

			snprintf(id, sizeof(id), "%lld", (long long)x->id);
			row[0] = id;
			row[1] = x->severity;
			row[2] = x->rule;
			row[3] = x->state;
			row[4] = dk_clock_age(since, x->first_seen);
			row[5] = x->detail;
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	dk_alert_list_free(l);
	/* For cron and monitoring: non-zero while anything is open and unacknowledged. */
	if (a.check && open > 0)
		return dk_error_set(DK_ERROR, "%zu open alert%s", open, open == 1 ? "" : "s");
	return 0;
}

int
cmd_alerts(struct cli *c, int argc, char **argv)
{
	return list(c, argc, argv, true);
}

int
cmd_alerts_list(struct cli *c, int argc, char **argv)
{
	return list(c, argc, argv, false);
}

int
cmd_alerts_ack(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	int id, rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one alert ID");
	if ((rc = dk_parse_int(&id, "alert id", argv[optind], 1, 2147483647)) < 0 ||
	    (rc = cli_account(c)) < 0 ||
	    (rc = dk_alert_ack(c->store, c->account->id, id, cli_actor())) < 0)
		return rc;
	if (!c->json)
		printf("alert %d acknowledged; it resolves by itself when its condition clears\n", id);
	return 0;
}

int
cmd_agent_tick(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_agent_report r;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cli_store(c)) < 0 || (rc = dk_agent_tick(c->store, c->cfg, &r)) < 0)
		return rc;
	if (c->json)
		cli_print_json(json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "alerts_opened",
					 r.opened, "alerts_still_open", r.refreshed, "alerts_resolved",
					 r.resolved, "approvals_expired", r.approvals_expired,
					 "stuck_retired", r.stuck_retired, "daily_sweeps", r.swept,
					 "sweep_retired", r.retired, "sweep_purged", r.purged,
					 "sweep_errors", r.sweep_errors));
	else {
		printf("alerts: %d opened, %d still open, %d resolved; approvals expired: %d; "
		       "stuck publications retired: %d\n", r.opened, r.refreshed, r.resolved,
		       r.approvals_expired, r.stuck_retired);
		if (r.swept)
			printf("daily retention sweep (%d account%s): %d retired, %d purged, %d errors\n",
			       r.swept, r.swept == 1 ? "" : "s", r.retired, r.purged, r.sweep_errors);
	}
	return 0;
}
