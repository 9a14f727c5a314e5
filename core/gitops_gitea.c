/* The build repo's clone as Gitea describes it: URL, default branch, the token's user. */
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/gitea.h"
#include "diskops/gitops.h"

int
dk_gitops_open_gitea(dk_gitops **out, dk_gitea *gitea, const char *token, const char *state_dir,
		     const char *owner, const char *repo, const char *clone_url,
		     const char *ssh_key)
{
	dk_gitops_remote r = { 0 };
	dk_gitea_repo *info = NULL;
	char *login = NULL, *dir = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_gitea_whoami(gitea, &login)) < 0 ||
	    (rc = dk_gitea_repo_get(gitea, &info, owner, repo)) < 0)
		goto done;
	if (!(dir = dk_gitops_clone_dir(state_dir, owner, repo))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	r.url = clone_url && *clone_url ? clone_url : info->clone_url;
	if (!r.url || !*r.url) {
		rc = dk_error_set(DK_ERROR, "Gitea gave no clone URL for %s/%s", owner, repo);
		goto done;
	}
	r.username = login;
	r.token = token;
	r.ssh_key = ssh_key;
	/* An empty repo has no branch yet: the first commit makes the default one. */
	r.branch = info->default_branch && *info->default_branch ? info->default_branch : "main";
	rc = dk_gitops_open(out, dir, &r);
done:
	dk_gitea_repo_free(info);
	free(login);
	free(dir);
	return rc;
}
