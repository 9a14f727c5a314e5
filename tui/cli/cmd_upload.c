/* `diskops upload`: push local files as a signed OCI artifact, then ingest them. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_ingest.h"
#include "diskops/error.h"

enum {
	OPT_PLATFORM = CLI_OPT__COMMAND, OPT_KERNEL, OPT_INITRAMFS, OPT_ROOTFS, OPT_IMAGE,
	OPT_REPO, OPT_TAG, OPT_KEY, OPT_GIT_SHA, OPT_NO_INGEST
};

struct upload_args {
	dk_upload_request req;
	const char *platform;
	bool no_ingest;
};

static int
upload_option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct upload_args *a = ctx;

	(void)c;
	switch (opt) {
	case OPT_PLATFORM: a->platform = arg; break;
	case OPT_KERNEL: a->req.kernel = arg; break;
	case OPT_INITRAMFS: a->req.initramfs = arg; break;
	case OPT_ROOTFS: a->req.rootfs = arg; break;
	case OPT_IMAGE: a->req.image = arg; break;
	case OPT_REPO: a->req.repo = arg; break;
	case OPT_TAG: a->req.tag = arg; break;
	case OPT_KEY: a->req.key = arg; break;
	case OPT_GIT_SHA: a->req.git_sha = arg; break;
	case OPT_NO_INGEST: a->no_ingest = true; break;
	}
	return 0;
}

static json_t *
upload_json(const dk_upload_result *u)
{
	return json_pack("{s:s, s:s, s:s, s:I}", "pinned_ref", u->pinned, "manifest_digest",
			 u->digest, "signature_tag", u->signature_tag, "size_bytes",
			 (json_int_t)u->size);
}

int
cmd_upload(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initramfs", required_argument, NULL, OPT_INITRAMFS },
		{ "rootfs", required_argument, NULL, OPT_ROOTFS },
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "repo", required_argument, NULL, OPT_REPO },
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "git-sha", required_argument, NULL, OPT_GIT_SHA },
		{ "no-ingest", no_argument, NULL, OPT_NO_INGEST },
		CLI_COMMON_OPTIONS
	};
	struct upload_args a = { 0 };
	dk_upload_result u = { 0 };
	dk_ingest_request ir = { 0 };
	dk_ingest_outcome o = { 0 };
	dk_platform *plat = NULL;
	json_t *extra;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, upload_option, &a)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if (!a.platform && !a.no_ingest)
		return cli_usage_error(c, "needs --platform NAME|ID (or --no-ingest to push and "
				       "sign only)");
	if (!a.req.repo || !a.req.tag || !a.req.key)
		return cli_usage_error(c, "needs --repo REGISTRY/REPO, --tag T and --key KEY");
	if (!a.req.image && !a.req.kernel && !a.req.initramfs && !a.req.rootfs)
		return cli_usage_error(c, "needs the files: --kernel F --initramfs F --rootfs F, "
				       "or --image F.img");
	/* The platform first: an unknown one must not leave an artifact behind. */
	if (!a.no_ingest &&
	    ((rc = cli_account(c)) < 0 ||
	     (rc = dk_store_platform_find(c->store, &plat, c->account->id, a.platform)) < 0))
		goto done;
	a.req.cfg = c->cfg;
	if ((rc = dk_upload(&u, &a.req)) < 0)
		goto done;
	if (a.no_ingest) {
		/* One line, the pinned reference: what a CI script captures with $(...). */
		if (c->json)
			cli_print_json(upload_json(&u));
		else
			printf("%s\n", u.pinned);
		goto done;
	}
	if (!c->json)
		printf("pushed %s (signed, %s)\n", u.pinned, u.signature_tag);
	ir.platform = plat->id;
	ir.oci_ref = u.pinned;
	ir.git_sha = a.req.git_sha;
	ir.actor = cli_actor();
	ir.cfg = c->cfg;
	if ((rc = dk_ingest_ref(c->store, &o, c->account->id, &ir)) < 0) {
		rc = cli_ingest_retry_note(&o, rc);
		dk_error_prefix("pushed %s, but ingest", u.pinned);
		goto done;
	}
	extra = json_pack("{s:o}", "upload", upload_json(&u));
	rc = cli_ingest_report(c, &o, extra);
	json_decref(extra);
done:
	dk_ingest_outcome_clear(&o);
	dk_upload_result_clear(&u);
	dk_platform_free(plat);
	return rc;
}
