/* Repo Actions secrets (write-only values) and variables (readable values). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "gitea_internal.h"

/* Gitea's rule (services/secrets/validation.go), checked here so a bad name is refused
 * before anything is sent: ^[A-Z_][A-Z0-9_]*$ without a GITEA_ or GITHUB_ prefix. */
static int
check_name(const char *kind, const char *name)
{
	bool ok = name && *name && !(name[0] >= '0' && name[0] <= '9') &&
		  strncasecmp(name, "GITEA_", 6) != 0 && strncasecmp(name, "GITHUB_", 7) != 0;

	for (const char *p = name; ok && *p; p++)
		ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		     (*p >= '0' && *p <= '9') || *p == '_';
	if (!ok)
		return dk_error_set(DK_EINVALID, "%s name \"%s\": letters, digits and _ only, not "
				    "starting with a digit, GITEA_ or GITHUB_", kind, name ? name : "");
	return 0;
}

int
dk_gitea_secret_set(dk_gitea *g, bool *created, const char *owner, const char *repo,
		    const char *name, const char *value, const char *description)
{
	struct gitea_call call = { .method = "PUT" };
	char *esc = NULL, *path = NULL, what[400];
	int rc;

	if (created)
		*created = false;
	if ((rc = check_name("secret", name)) < 0)
		return rc;
	if (!value)
		return dk_error_set(DK_EINVALID, "secret %s: no value", name);
	if (strlen(value) > 65536)
		return dk_error_set(DK_EINVALID, "secret %s: %zu bytes, Gitea keeps at most 65536",
				    name, strlen(value));
	if (!(esc = gitea_escape(name)) ||
	    !(path = gitea_repo_path(owner, repo, "/actions/secrets/%s", esc)) ||
	    !(call.body = json_pack("{s:s}", "data", value))) {
		rc = gitea_oom();
		goto done;
	}
	if (description)
		json_object_set_new(call.body, "description", json_string(description));
	/* The message names the secret, never its value. */
	snprintf(what, sizeof(what), "set secret %s in %s/%s", name, owner, repo);
	if ((rc = gitea_do(g, NULL, path, &call, (const long[]){ 201, 204, 0 }, what,
			   GITEA_OWNER_ONLY)) < 0)
		goto done;
	if (created)
		*created = rc == 201;
	rc = 0;
done:
	json_decref(call.body);
	free(path);
	free(esc);
	return rc;
}

int
dk_gitea_secret_delete(dk_gitea *g, const char *owner, const char *repo, const char *name)
{
	struct gitea_call call = { .method = "DELETE" };
	char *esc = gitea_escape(name), *path = NULL, what[400];
	int rc;

	if (!esc || !(path = gitea_repo_path(owner, repo, "/actions/secrets/%s", esc))) {
		rc = gitea_oom();
		goto done;
	}
	snprintf(what, sizeof(what), "secret %s in %s/%s", name, owner, repo);
	rc = gitea_do(g, NULL, path, &call, (const long[]){ 204, 200, 0 }, what, GITEA_OWNER_ONLY);
	rc = rc < 0 ? rc : 0;
done:
	free(path);
	free(esc);
	return rc;
}

void
dk_gitea_secret_list_free(dk_gitea_secret_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].description);
	}
	free(l->items);
	free(l);
}

static int
add_secret(json_t *item, void *ctx)
{
	dk_gitea_secret_list *l = ctx;
	dk_gitea_secret *grown = realloc(l->items, (l->count + 1) * sizeof(*grown)), *s;

	if (!grown)
		return gitea_oom();
	l->items = grown;
	s = &l->items[l->count++];
	s->name = gitea_jstr(item, "name");
	s->description = gitea_jstr(item, "description");
	s->created_at = gitea_jtime(item, "created_at");
	return s->name && s->description ? 0 : gitea_oom();
}

int
dk_gitea_secret_list_get(dk_gitea *g, dk_gitea_secret_list **out, const char *owner,
			 const char *repo)
{
	dk_gitea_secret_list *l = calloc(1, sizeof(*l));
	char *path = gitea_repo_path(owner, repo, "/actions/secrets"), what[300];
	int rc;

	*out = NULL;
	if (!l || !path) {
		rc = gitea_oom();
		goto done;
	}
	snprintf(what, sizeof(what), "secrets of %s/%s", owner, repo);
	if ((rc = gitea_list(g, path, NULL, 0, add_secret, l, NULL, what, GITEA_OWNER_ONLY)) < 0)
		goto done;
	*out = l;
	l = NULL;
done:
	dk_gitea_secret_list_free(l);
	free(path);
	return rc;
}

/* POST creates (201) and answers 409 when the name exists; PUT updates (204) and answers
 * 404 when it does not. So: POST, and on 409 PUT. */
int
dk_gitea_variable_set(dk_gitea *g, bool *created, const char *owner, const char *repo,
		      const char *name, const char *value)
{
	struct gitea_call call = { .method = "POST" };
	char *esc = NULL, *path = NULL, what[400];
	int rc;

	if (created)
		*created = false;
	if ((rc = check_name("variable", name)) < 0)
		return rc;
	if (!value)
		return dk_error_set(DK_EINVALID, "variable %s: no value", name);
	if (!(esc = gitea_escape(name)) ||
	    !(path = gitea_repo_path(owner, repo, "/actions/variables/%s", esc)) ||
	    !(call.body = json_pack("{s:s}", "value", value))) {
		rc = gitea_oom();
		goto done;
	}
	snprintf(what, sizeof(what), "set variable %s in %s/%s", name, owner, repo);
	rc = gitea_do(g, NULL, path, &call, (const long[]){ 201, 204, 0 }, what, GITEA_OWNER_ONLY);
	if (rc >= 0) {
		/* Before 1.25 an existing name may answer 204 instead of 409. */
		if (created)
			*created = rc == 201;
		rc = 0;
		goto done;
	}
	if (rc != DK_ECONFLICT)
		goto done;
	call.method = "PUT";
	rc = gitea_do(g, NULL, path, &call, (const long[]){ 204, 200, 201, 0 }, what,
		      GITEA_OWNER_ONLY);
	rc = rc < 0 ? rc : 0;
done:
	json_decref(call.body);
	free(path);
	free(esc);
	return rc;
}

int
dk_gitea_variable_get(dk_gitea *g, char **out, const char *owner, const char *repo,
		      const char *name)
{
	char *esc = gitea_escape(name), *path = NULL, what[400];
	json_t *j = NULL;
	int rc;

	*out = NULL;
	if (!esc || !(path = gitea_repo_path(owner, repo, "/actions/variables/%s", esc))) {
		rc = gitea_oom();
		goto done;
	}
	snprintf(what, sizeof(what), "variable %s in %s/%s", name, owner, repo);
	if ((rc = gitea_do(g, &j, path, NULL, (const long[]){ 200, 0 }, what, GITEA_OWNER_ONLY)) < 0)
		goto done;
	rc = (*out = gitea_jstr(j, "data")) ? 0 : gitea_oom();
done:
	json_decref(j);
	free(path);
	free(esc);
	return rc;
}
