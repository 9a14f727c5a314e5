/* `diskops ingest`: a publication from an OCI reference, without a webhook. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_ingest.h"
#include "diskops/error.h"
#include "diskops/model_json.h"

enum { OPT_PLATFORM = CLI_OPT__COMMAND, OPT_GIT_SHA };

struct ingest_args {
	const char *platform;
	const char *git_sha;
};

static int
ingest_option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct ingest_args *a = ctx;

	(void)c;
	if (opt == OPT_PLATFORM)
		a->platform = arg;
	else if (opt == OPT_GIT_SHA)
		a->git_sha = arg;
	return 0;
}

int
cli_ingest_report(struct cli *c, const dk_ingest_outcome *o, json_t *extra)
{
	if (c->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o}",
				      "publication_id", o->publication_id, "platform", o->platform_name,
				      "git_sha", o->git_sha, "oci_ref", o->oci_ref,
				      "oci_digest", o->oci_digest,
				      "publication_status", dk_pub_status_name(o->status),
				      "created", o->created, "idempotent_hit", o->idempotent_hit,
				      "error", dk_json_str(o->error_message));

		if (extra)
			json_object_update(j, extra);
		cli_print_json(j);
	} else if (o->idempotent_hit) {
		printf("publication %s (%s, git sha %s) is published already with %s; nothing to do\n",
		       o->publication_id, o->platform_name, o->git_sha, o->oci_digest);
	} else {
		printf("publication %s (%s, git sha %s): %s%s%s\n", o->publication_id,
		       o->platform_name, o->git_sha, dk_pub_status_name(o->status),
		       o->error_message ? ": " : "", o->error_message ? o->error_message : "");
		if (o->status == DK_PUB_PUBLISHED)
			printf("default image of %s is now %s\n", o->platform_name, o->oci_ref);
	}
	if (o->status == DK_PUB_FAILED)
		return dk_error_set(DK_EVERIFY, "publication %s failed: %s", o->publication_id,
				    o->error_message ? o->error_message : "not published");
	return 0;
}

/* A registry failure in the middle: say what was kept and how it will be retried. */
int
cli_ingest_retry_note(const dk_ingest_outcome *o, int rc)
{
	if (o->publication_id && o->retry_job > 0)
		return dk_error_prefix("publication %s left verifying, queued for `diskops serve` "
				       "to retry (job %lld), or run this again", o->publication_id,
				       (long long)o->retry_job);
	return rc;
}

int
cmd_ingest(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "git-sha", required_argument, NULL, OPT_GIT_SHA },
		CLI_COMMON_OPTIONS
	};
	struct ingest_args a = { 0 };
	dk_ingest_request req = { 0 };
	dk_ingest_outcome o = { 0 };
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, ingest_option, &a)) != 0)
		return rc;
	if (!a.platform)
		return cli_usage_error(c, "needs --platform NAME|ID");
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one OCI reference (REGISTRY/REPO:TAG or "
				       "REGISTRY/REPO@sha256:…)");
	if (a.git_sha && !dk_git_sha_valid(a.git_sha))
		return cli_usage_error(c, "--git-sha \"%s\" must be 1-128 characters of "
				       "[0-9A-Za-z._:-]", a.git_sha);
	if ((rc = cli_account(c)) < 0)
		return rc;
	req.platform = a.platform;
	req.oci_ref = argv[optind];
	req.git_sha = a.git_sha;
	req.actor = cli_actor();
	req.cfg = c->cfg;
	if ((rc = dk_ingest_ref(c->store, &o, c->account->id, &req)) < 0)
		rc = cli_ingest_retry_note(&o, rc);
	else
		rc = cli_ingest_report(c, &o, NULL);
	dk_ingest_outcome_clear(&o);
	return rc;
}
