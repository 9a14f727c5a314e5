/* diskops trigger: a build by tag push (the workflow's `on: push: tags`). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_gitea.h"
#include "diskops/error.h"
#include "diskops/gitops.h"

enum { OPT_TAG = CLI_OPT__COMMAND, OPT_TARGET, OPT_AUTHOR, OPT_MESSAGE, OPT_CLONE_URL };

struct args {
	const char *repo, *platform, *tag, *target, *author, *message, *clone_url;
};

static int
option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct args *a = ctx;

	(void)c;
	switch (opt) {
	case CLI_GITEA_OPT_REPO: a->repo = arg; break;
	case CLI_GITEA_OPT_PLATFORM: a->platform = arg; break;
	case OPT_TAG: a->tag = arg; break;
	case OPT_TARGET: a->target = arg; break;
	case OPT_AUTHOR: a->author = arg; break;
	case OPT_MESSAGE: a->message = arg; break;
	case OPT_CLONE_URL: a->clone_url = arg; break;
	}
	return 0;
}

/* The run the tag started, when Gitea shows it within a few seconds (1.25+). */
static dk_gitea_run *
find_run(dk_gitea *g, const struct cli_repo *repo, const char *tag, const char *sha)
{
	dk_gitea_run_filter f = { .event = "push", .head_sha = sha, .max = 10 };
	char suffix[300];

	if (!dk_gitea_has(g, DK_GITEA_RUNS_API)) {
		dk_error_clear();
		return NULL;
	}
	snprintf(suffix, sizeof(suffix), "@refs/tags/%s", tag);
	for (int i = 0; i < 20; i++) {
		dk_gitea_run_list *l = NULL;
		dk_gitea_run *found = NULL;

		if (dk_gitea_run_list_get(g, &l, repo->owner, repo->name, &f) < 0) {
			dk_error_clear();
			return NULL;
		}
		for (size_t k = 0; k < l->count && !found; k++) {
			size_t n = strlen(l->items[k].path), m = strlen(suffix);

			if (n >= m && strcmp(l->items[k].path + n - m, suffix) == 0) {
				found = malloc(sizeof(*found));
				if (found) {
					*found = l->items[k];
					memset(&l->items[k], 0, sizeof(l->items[k]));
				}
			}
		}
		dk_gitea_run_list_free(l);
		if (found)
			return found;
		nanosleep(&(struct timespec){ 0, 250 * 1000 * 1000 }, NULL);
	}
	return NULL;
}

int
cmd_trigger(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GITEA_OPTIONS,
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "author", required_argument, NULL, OPT_AUTHOR },
		{ "message", required_argument, NULL, OPT_MESSAGE },
		{ "clone-url", required_argument, NULL, OPT_CLONE_URL },
		CLI_COMMON_OPTIONS
	};
	struct args a = { 0 };
	struct cli_repo repo = { 0 };
	dk_gitops_author author;
	dk_gitops *git = NULL;
	dk_gitea_run *run = NULL;
	dk_gitea *g = NULL;
	char abuf[512], sha[41];
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if (!a.tag)
		return cli_usage_error(c, "give the --tag system-disk-image/vX.Y.Z to push");
	if (dk_gitops_tag_valid(a.tag) < 0)
		return cli_usage_error(c, "%s", dk_error_last()->message);
	if ((a.author ? dk_gitops_author_parse(&author, abuf, sizeof(abuf), a.author)
		      : dk_gitops_author_default(&author, abuf, sizeof(abuf), c->cfg->git_author)) < 0)
		return cli_usage_error(c, "%s", dk_error_last()->message);
	if ((rc = cli_gitea_repo(c, &repo, a.repo, a.platform)) < 0 ||
	    (rc = cli_gitea_open(c, &g)) < 0 || (rc = dk_config_ensure_state_dir(c->cfg)) < 0 ||
	    (rc = dk_gitops_open_gitea(&git, g, c->cfg->gitea_token, c->cfg->state_dir, repo.owner,
				       repo.name, a.clone_url, c->cfg->git_ssh_key)) < 0 ||
	    (rc = dk_gitops_tag_push(git, sha, a.tag, a.target, a.message, &author)) < 0)
		goto done;
	run = find_run(g, &repo, a.tag, sha);
	if (c->json) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "tag", a.tag, "commit", sha, "ref", "");

		json_object_set_new(j, "ref", json_sprintf("refs/tags/%s", a.tag));
		json_object_set_new(j, "repo", json_sprintf("%s/%s", repo.owner, repo.name));
		json_object_set_new(j, "run_id", run ? json_integer(run->id) : json_null());
		json_object_set_new(j, "html_url", run && run->html_url ? json_string(run->html_url)
									 : json_null());
		cli_print_json(j);
	} else {
		printf("tag %s pushed to %s/%s (commit %.12s)\n", a.tag, repo.owner, repo.name, sha);
		if (run)
			printf("run %lld started\n%s\n", (long long)run->id,
			       run->html_url ? run->html_url : "");
		else
			printf("no run seen yet: the workflow needs `on: push: tags: "
			       "[system-disk-image/v*]`; see `diskops runs list`\n");
	}
done:
	if (run) {
		dk_gitea_run_free(run);
	}
	dk_gitops_free(git);
	dk_gitea_free(g);
	cli_repo_clear(&repo);
	return rc;
}
