#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/policy.h"

enum { OPT_ALL = CLI_OPT__COMMAND, OPT_REASON };

int
cmd_policy_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	static const char *const headers[] = { "CATEGORY", "OPERATOR", "AGENT", "SOURCE" };
	struct table *t = NULL;
	json_t *arr = json_array();
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0 || (rc = cli_account(c)) < 0)
		goto done;
	t = table_new(4, headers);
	for (int i = 0; i < DK_POLICY__COUNT; i++) {
		dk_policy_mode op, ag;
		bool dflt;
		const char *row[4];

		if ((rc = dk_policy_mode_for(c->store, &op, &dflt, c->account->id, (dk_policy_category)i,
					     DK_ACTOR_OPERATOR)) < 0 ||
		    (rc = dk_policy_mode_for(c->store, &ag, NULL, c->account->id, (dk_policy_category)i,
					     DK_ACTOR_AGENT)) < 0)
			goto done;
		row[0] = dk_policy_category_name((dk_policy_category)i);
		row[1] = dk_policy_mode_name(op);
		row[2] = dk_policy_mode_name(ag);
		row[3] = dflt ? "default" : "set";
		table_add(t, row);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "category", row[0],
						     "operator", row[1], "agent", row[2], "default", dflt));
	}
	if (c->json) {
		cli_print_json(arr);
		arr = NULL;
	} else {
		table_print(t, stdout);
	}
done:
	table_free(t);
	json_decref(arr);
	return rc;
}

int
cmd_policy_set(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_policy_category cat;
	dk_policy_mode mode;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 2)
		return cli_usage_error(c, "give a CATEGORY and a MODE");
	if ((rc = dk_policy_category_parse(&cat, argv[optind])) < 0 ||
	    (rc = dk_policy_mode_parse(&mode, argv[optind + 1])) < 0 ||
	    (rc = cli_account(c)) < 0 ||
	    (rc = dk_policy_set(c->store, c->account->id, cat, mode, cli_actor())) < 0)
		return rc;
	if (!c->json)
		printf("policy %s is now %s\n", argv[optind], argv[optind + 1]);
	else
		cli_print_json(json_pack("{s:s, s:s}", "category", argv[optind], "mode", argv[optind + 1]));
	return 0;
}

static json_t *
approval_json(const dk_approval *a)
{
	char t1[32], t2[32], t3[32];
	json_t *params = json_loads(a->params ? a->params : "{}", 0, NULL);

	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:s, s:s}", "id", a->id,
			 "category", a->category, "params", params ? params : json_object(),
			 "requested_by", a->requested_by, "state", a->state,
			 "decided_by", a->decided_by ? json_string(a->decided_by) : json_null(),
			 "reason", a->reason ? json_string(a->reason) : json_null(),
			 "decided_at", a->decided_at ? json_string(dk_clock_iso(t1, a->decided_at)) : json_null(),
			 "expires_at", dk_clock_iso(t2, a->expires_at),
			 "created_at", dk_clock_iso(t3, a->created_at));
}

static int
list_option(struct cli *c, int opt, const char *arg, void *ctx)
{
	(void)c;
	(void)arg;
	if (opt == OPT_ALL)
		*(bool *)ctx = true;
	return 0;
}

int
cmd_approvals_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "all", no_argument, NULL, OPT_ALL }, CLI_COMMON_OPTIONS };
	static const char *const headers[] = { "ID", "CATEGORY", "STATE", "REQUESTED BY", "AGE", "EXPIRES", "WHAT" };
	dk_approval_list *l = NULL;
	bool all = false;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, list_option, &all)) != 0 || (rc = cli_account(c)) < 0 ||
	    (rc = dk_approval_list_load(c->store, &l, c->account->id, all)) < 0)
		return rc;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, approval_json(&l->items[i]));
		cli_print_json(arr);
	} else if (l->count == 0) {
		fprintf(stderr, all ? "no approvals\n" : "no pending approvals\n");
	} else {
		struct table *t = table_new(7, headers);

		for (size_t i = 0; i < l->count; i++) {
			const dk_approval *a = &l->items[i];
			json_t *p = json_loads(a->params ? a->params : "{}", 0, NULL);
			char id[9], age[24], exp[32], what[160];
			const char *row[7];

			snprintf(what, sizeof(what), "%s%s%s",
				 json_string_value(json_object_get(p, "target_publication_id")) ? "target " : "",
				 json_string_value(json_object_get(p, "target_publication_id")) ?
				 json_string_value(json_object_get(p, "target_publication_id")) : "",
				 json_string_value(json_object_get(p, "reason")) ? " (reason given)" : "");
			json_decref(p);
			row[0] = cli_short(id, a->id, 8);
			row[1] = a->category;
			row[2] = a->state;
			row[3] = a->requested_by;
			row[4] = dk_clock_age(age, a->created_at);
			row[5] = dk_clock_iso(exp, a->expires_at);
			row[6] = what;
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	dk_approval_list_free(l);
	return 0;
}

static int
reason_option(struct cli *c, int opt, const char *arg, void *ctx)
{
	(void)c;
	if (opt == OPT_REASON)
		*(const char **)ctx = arg;
	return 0;
}

static int
decide(struct cli *c, int argc, char **argv, bool approve)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, OPT_REASON }, CLI_COMMON_OPTIONS
	};
	const char *reason = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, reason_option, &reason)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one approval ID");
	if (!approve && !reason)
		return cli_usage_error(c, "--reason is required to reject");
	if ((rc = cli_account(c)) < 0)
		return rc;
	rc = approve ? dk_approval_approve(c->store, c->account->id, argv[optind], cli_actor())
		     : dk_approval_reject(c->store, c->account->id, argv[optind], cli_actor(), reason);
	if (rc == 0 && !c->json)
		printf("approval %s %s\n", argv[optind], approve ? "approved and carried out" : "rejected");
	else if (rc == 0)
		cli_print_json(json_pack("{s:s, s:s}", "id", argv[optind], "state",
					 approve ? "approved" : "rejected"));
	return rc;
}

int
cmd_approvals_approve(struct cli *c, int argc, char **argv)
{
	return decide(c, argc, argv, true);
}

int
cmd_approvals_reject(struct cli *c, int argc, char **argv)
{
	return decide(c, argc, argv, false);
}
