/* What the Gitea commands share: the client from the config, and which repo to act on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_gitea.h"
#include "diskops/clock.h"
#include "diskops/error.h"

int
cli_gitea_open(struct cli *c, dk_gitea **out)
{
	*out = NULL;
	if (!c->cfg->gitea_url || !*c->cfg->gitea_url)
		return dk_error_set(DK_EINVALID, "no Gitea URL: set [gitea] url in the config file or "
				    "DISKOPS_GITEA_URL");
	if (!c->cfg->gitea_token || !*c->cfg->gitea_token)
		return dk_error_set(DK_EAUTH, "no Gitea token: set [gitea] token in the config file "
				    "(mode 0600) or DISKOPS_GITEA_TOKEN");
	return dk_gitea_open(out, c->cfg->gitea_url, c->cfg->gitea_token);
}

void
cli_repo_clear(struct cli_repo *r)
{
	free(r->owner);
	free(r->name);
	free(r->workflow);
	memset(r, 0, sizeof(*r));
}

static int
from_platform(struct cli_repo *out, const dk_platform *p)
{
	int rc;

	if (!p->build_repo || !*p->build_repo)
		return dk_error_set(DK_EINVALID, "platform %s has no build repo: set one with "
				    "`diskops platform set %s --build-repo OWNER/REPO`", p->name,
				    p->name);
	if ((rc = dk_gitea_split_repo(&out->owner, &out->name, p->build_repo)) < 0)
		return rc;
	out->workflow = strdup(p->workflow_file && *p->workflow_file ? p->workflow_file
				: ".gitea/workflows/build-disk-image.yml");
	return out->workflow ? 0 : dk_error_set(DK_ENOMEM, "out of memory");
}

int
cli_gitea_repo(struct cli *c, struct cli_repo *out, const char *repo, const char *platform)
{
	dk_platform_list *l = NULL;
	dk_platform *p = NULL;
	const dk_platform *only = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (repo && platform)
		return cli_usage_error(c, "--repo and --platform exclude each other");
	if (repo) {
		if ((rc = dk_gitea_split_repo(&out->owner, &out->name, repo)) < 0)
			return cli_usage_error(c, "%s", dk_error_last()->message);
		out->workflow = strdup(".gitea/workflows/build-disk-image.yml");
		return out->workflow ? 0 : dk_error_set(DK_ENOMEM, "out of memory");
	}
	if (platform) {
		if ((rc = cli_account(c)) < 0 ||
		    (rc = dk_store_platform_find(c->store, &p, c->account->id, platform)) < 0)
			return rc;
		rc = from_platform(out, p);
		dk_platform_free(p);
		return rc;
	}
	/* Neither: fine when exactly one platform has a build repo. */
	if (cli_account(c) < 0 || dk_store_platform_list(c->store, &l, c->account->id) < 0) {
		dk_error_clear();
		return cli_usage_error(c, "give --repo OWNER/REPO or --platform NAME");
	}
	for (size_t i = 0; i < l->count; i++) {
		if (!l->items[i].build_repo || !*l->items[i].build_repo)
			continue;
		if (only) {
			dk_platform_list_free(l);
			return cli_usage_error(c, "several platforms have a build repo: give "
					       "--platform NAME or --repo OWNER/REPO");
		}
		only = &l->items[i];
	}
	rc = only ? from_platform(out, only)
		  : cli_usage_error(c, "give --repo OWNER/REPO or --platform NAME");
	dk_platform_list_free(l);
	return rc;
}

const char *
cli_duration(char *buf, int64_t from, int64_t to)
{
	int64_t s;

	if (from <= 0 || to <= 0 || to < from) {
		snprintf(buf, 16, "-");
		return buf;
	}
	/* Capped so the text always fits: a run longer than 99 days is not a real case. */
	s = to - from > 99 * 86400 ? 99 * 86400 : to - from;
	if (s >= 3600)
		snprintf(buf, 16, "%dh%02dm", (int)(s / 3600), (int)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, 16, "%dm%02ds", (int)(s / 60), (int)(s % 60));
	else
		snprintf(buf, 16, "%ds", (int)s);
	return buf;
}
