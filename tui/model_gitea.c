/*
 * The console's calls into gitops and Gitea for its dialogs: the commits between two
 * publications (the build repo's clone, read as it is: no fetch on the input path), the
 * build workflow's dispatch inputs and the dispatch itself (on the Gitea worker thread,
 * with its handle). The same core functions the CLI's `dispatch` and `trigger` use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "diskops/error.h"

/* dk_gitops_log names the missing end "from …" or "to …"; the dialog names its row. */
static int
log_between(dk_gitops_commit_list **out, dk_gitops *g, const char *from_sha,
	    const char *to_sha, const char *where)
{
	int rc = dk_gitops_log(out, g, from_sha, to_sha);

	if (rc == DK_ENOTFOUND)
		rc = dk_error_set(DK_ENOTFOUND, "%s not in %s",
				  strncmp(dk_error_last()->message, "from ", 5) == 0 ?
				  "the current sha" : "the target sha", where);
	return rc;
}

int
console_model_rollback_commits(const char *state_dir, const char *build_repo,
			       const char *from_sha, const char *to_sha,
			       dk_gitops_commit_list **out)
{
	char *owner = NULL, *name = NULL, *dir = NULL, where[512];
	dk_gitops *g = NULL;
	int rc;

	*out = NULL;
	if (!build_repo || !*build_repo)
		return dk_error_set(DK_ENOTFOUND, "the platform has no build repo (platform set "
				    "--build-repo OWNER/REPO)");
	if (!from_sha || !*from_sha || !to_sha || !*to_sha)
		return dk_error_set(DK_ENOTFOUND, "a publication without a git sha");
	if ((rc = dk_gitea_split_repo(&owner, &name, build_repo)) < 0)
		goto done;
	if (!(dir = dk_gitops_clone_dir(state_dir, owner, name))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = dk_gitops_open_local(&g, dir)) < 0) {
		rc = dk_error_set(DK_ENOTFOUND, "no clone of %s here yet (diskops trigger or "
				  "bootstrap --commit-workflow makes it)", build_repo);
		goto done;
	}
	snprintf(where, sizeof(where), "the clone of %s (fetched by the last trigger)",
		 build_repo);
	rc = log_between(out, g, from_sha, to_sha, where);
done:
	dk_gitops_free(g);
	free(dir);
	free(owner);
	free(name);
	return rc;
}

int
console_model_rollback_commits_fetch(dk_gitea *g, const char *token, const char *state_dir,
				     const char *ssh_key, const char *build_repo,
				     const char *from_sha, const char *to_sha,
				     dk_gitops_commit_list **out)
{
	char *owner = NULL, *name = NULL;
	dk_gitops *git = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_gitea_split_repo(&owner, &name, build_repo)) < 0 ||
	    (rc = dk_gitops_open_gitea(&git, g, token, state_dir, owner, name, NULL, ssh_key)) < 0)
		goto done;
	rc = log_between(out, git, from_sha, to_sha, build_repo);
done:
	dk_gitops_free(git);
	free(owner);
	free(name);
	return rc;
}

int
console_model_workflow(dk_gitea *g, const char *build_repo, const char *workflow,
		       char **out_ref, dk_gitops_input_list **out)
{
	char *owner = NULL, *name = NULL;
	dk_gitea_repo *repo = NULL;
	dk_gitea_content *file = NULL;
	int rc;

	*out = NULL;
	*out_ref = NULL;
	if ((rc = dk_gitea_split_repo(&owner, &name, build_repo)) < 0 ||
	    (rc = dk_gitea_repo_get(g, &repo, owner, name)) < 0)
		goto done;
	/* The branch a dispatch starts from by default: the repo's own. */
	if (asprintf(out_ref, "refs/heads/%s", repo->default_branch && *repo->default_branch
		     ? repo->default_branch : "main") < 0) {
		*out_ref = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = dk_gitea_content_get(g, &file, owner, name, workflow, NULL)) < 0) {
		dk_error_prefix("workflow %s", workflow);
		goto done;
	}
	rc = dk_gitops_workflow_inputs(out, (const char *)file->data);
done:
	dk_gitea_content_free(file);
	dk_gitea_repo_free(repo);
	free(owner);
	free(name);
	return rc;
}

int
console_model_dispatch(dk_gitea *g, const char *build_repo, const char *workflow,
		       const char *ref, const char *const *inputs,
		       dk_gitea_dispatch_result **out)
{
	dk_gitea_dispatch_opts o = { .ref = ref, .inputs = inputs };
	char *owner = NULL, *name = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_gitea_split_repo(&owner, &name, build_repo)) == 0)
		rc = dk_gitea_dispatch(g, out, owner, name, workflow, &o);
	free(owner);
	free(name);
	return rc;
}
