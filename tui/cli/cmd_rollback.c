#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/promote.h"

enum { OPT_PLATFORM = CLI_OPT__COMMAND, OPT_TO, OPT_REASON };

struct args {
	dk_promote_request req;
};

static int
option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct args *a = ctx;

	(void)c;
	switch (opt) {
	case OPT_PLATFORM: a->req.platform = arg; break;
	case OPT_TO: a->req.target = arg; break;
	case OPT_REASON: a->req.reason = arg; break;
	}
	return 0;
}

static void
print_plan(FILE *out, const dk_promote_plan *p, const dk_promote_request *req)
{
	char built[32];

	fprintf(out, "%s %s\n", req->action == DK_PROMOTE_PROMOTE ? "Promote on" : "Roll back",
		p->platform_name);
	fprintf(out, "  current default  %.12s%s\n", p->previous_git_sha ? p->previous_git_sha : "none",
		p->previous_id ? " (will be retired)" : "");
	fprintf(out, "  new default      %.12s  publication %.8s, %s%s\n", p->target_git_sha,
		p->target_id, p->target_status, p->reactivate ? " (will be reactivated)" : "");
	fprintf(out, "  signed by        %s\n", p->target_signer ? p->target_signer : "-");
	fprintf(out, "  built            %s\n", dk_clock_iso(built, p->target_built_at));
	fprintf(out, "  new nodes boot   %s\n", p->pinned_ref ? p->pinned_ref : "-");
}

/* A terminal sees current -> target and is asked; a script must say --yes (DESIGN §10). */
static int
confirm(struct cli *c, const dk_promote_plan *p, const dk_promote_request *req)
{
	if (!c->yes && isatty(STDIN_FILENO) && isatty(STDERR_FILENO))
		print_plan(stderr, p, req);
	return cli_confirm(c, "%s %s to %.12s", req->action == DK_PROMOTE_PROMOTE ? "Promote on"
			   : "Roll back", p->platform_name, p->target_git_sha);
}

static int
run(struct cli *c, int argc, char **argv, dk_promote_action action)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "reason", required_argument, NULL, OPT_REASON },
		CLI_COMMON_OPTIONS
	};
	struct args a = { { 0 } };
	dk_promote_plan seen = { 0 }, plan = { 0 };
	int rc;

	a.req.action = action;
	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (action == DK_PROMOTE_PROMOTE) {
		if (argc - optind != 1)
			return cli_usage_error(c, "give exactly one publication ID");
		a.req.target = argv[optind];
	} else if (optind < argc) {
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	} else if (!a.req.platform) {
		return cli_usage_error(c, "--platform is required");
	}
	a.req.actor = cli_actor();
	a.req.actor_kind = DK_ACTOR_OPERATOR;
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_promote_plan_make(c->store, &seen, c->account->id, &a.req)) < 0 ||
	    (rc = confirm(c, &seen, &a.req)) < 0)
		goto done;
	/* Pin what the operator saw: a concurrent change turns into a conflict, not a surprise. */
	a.req.target = seen.target_id;
	a.req.platform = seen.platform_id;
	a.req.expected_default = seen.previous_id ? seen.previous_id : "";
	rc = dk_promote(c->store, &plan, c->account->id, &a.req);
	if (rc == 0 || rc == DK_EPENDING) {
		if (c->json) {
			cli_print_json(json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o}",
				"status", rc == 0 ? "done" : "pending",
				"platform", plan.platform_name, "activated_publication_id", plan.target_id,
				"previous_publication_id", plan.previous_id ? json_string(plan.previous_id) : json_null(),
				"activated_git_sha", plan.target_git_sha,
				"disk_image_oci_ref", plan.pinned_ref ? json_string(plan.pinned_ref) : json_null(),
				"approval_id", plan.approval_id ? json_string(plan.approval_id) : json_null()));
		} else if (rc == 0) {
			printf("%s now boots %.12s (publication %.8s)%s\n", plan.platform_name,
			       plan.target_git_sha, plan.target_id,
			       plan.previous_id ? "; the previous default is retired" : "");
		}
	}
done:
	dk_promote_plan_clear(&seen);
	dk_promote_plan_clear(&plan);
	return rc;
}

int
cmd_rollback(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, DK_PROMOTE_ROLLBACK);
}

int
cmd_promote(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, DK_PROMOTE_PROMOTE);
}
