/* Runners, runner registration tokens, and user access tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "gitea_internal.h"

void
dk_gitea_runner_list_free(dk_gitea_runner_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].status);
		for (size_t k = 0; k < l->items[i].nlabels; k++)
			free(l->items[i].labels[k]);
		free(l->items[i].labels);
	}
	free(l->items);
	free(l);
}

static int
add_runner(json_t *item, void *ctx)
{
	dk_gitea_runner_list *l = ctx;
	dk_gitea_runner *grown = realloc(l->items, (l->count + 1) * sizeof(*grown)), *r;
	json_t *labels = json_object_get(item, "labels");

	if (!grown)
		return gitea_oom();
	l->items = grown;
	r = &l->items[l->count++];
	memset(r, 0, sizeof(*r));
	r->id = gitea_jint(item, "id");
	r->name = gitea_jstr(item, "name");
	r->status = gitea_jstr(item, "status");
	r->busy = gitea_jbool(item, "busy");
	r->disabled = gitea_jbool(item, "disabled");
	r->ephemeral = gitea_jbool(item, "ephemeral");
	if (!r->name || !r->status)
		return gitea_oom();
	if (json_array_size(labels) && !(r->labels = calloc(json_array_size(labels), sizeof(char *))))
		return gitea_oom();
	for (size_t i = 0; i < json_array_size(labels); i++) {
		/* Labels are {id, name, type} objects. */
		if (!(r->labels[r->nlabels++] = gitea_jstr(json_array_get(labels, i), "name")))
			return gitea_oom();
	}
	return 0;
}

int
dk_gitea_runner_list_get(dk_gitea *g, dk_gitea_runner_list **out, const char *owner,
			 const char *repo)
{
	dk_gitea_runner_list *l = calloc(1, sizeof(*l));
	char *path = gitea_repo_path(owner, repo, "/actions/runners"), what[300];
	int rc;

	*out = NULL;
	if (!l || !path) {
		rc = gitea_oom();
		goto done;
	}
	snprintf(what, sizeof(what), "runners of %s/%s", owner, repo);
	/* The swagger omits page/limit here, but the handler honours them. */
	if ((rc = gitea_list(g, path, "runners", 0, add_runner, l, NULL, what,
			     GITEA_OWNER_ONLY)) < 0)
		goto done;
	*out = l;
	l = NULL;
done:
	dk_gitea_runner_list_free(l);
	free(path);
	return rc;
}

int
dk_gitea_runner_token(dk_gitea *g, char **out, const char *owner, const char *repo)
{
	struct gitea_call call = { .method = "POST" };
	char *path = NULL, what[300];
	json_t *j = NULL;
	int rc;

	*out = NULL;
	/* POST from 1.24; the GET older servers had was removed in 1.26. */
	if ((rc = gitea_require(g, DK_GITEA_REGISTRATION_POST, "a runner registration token")) < 0)
		return rc;
	if (!(path = gitea_repo_path(owner, repo, "/actions/runners/registration-token")))
		return gitea_oom();
	snprintf(what, sizeof(what), "runner registration token of %s/%s", owner, repo);
	if ((rc = gitea_do(g, &j, path, &call, (const long[]){ 200, 201, 0 }, what,
			   GITEA_OWNER_ONLY)) < 0)
		goto done;
	/* In the body, whatever the swagger says about a header. */
	if (!(*out = gitea_jstr(j, "token"))) {
		rc = gitea_oom();
		goto done;
	}
	if (!**out) {
		free(*out);
		*out = NULL;
		rc = dk_error_set(DK_ERROR, "%s: Gitea's reply has no token", what);
		goto done;
	}
	rc = 0;
done:
	json_decref(j);
	free(path);
	return rc;
}

void
dk_gitea_access_token_free(dk_gitea_access_token *t)
{
	if (!t)
		return;
	free(t->name);
	if (t->token) {
		memset(t->token, 0, strlen(t->token));
		free(t->token);
	}
	free(t);
}

int
dk_gitea_token_create(dk_gitea *g, dk_gitea_access_token **out, const char *username,
		      const char *password, const char *name, const char *const *scopes)
{
	struct gitea_call call = { .method = "POST", .basic_user = username,
				   .basic_password = password };
	dk_gitea_access_token *t = NULL;
	char *esc = gitea_escape(username), *path = NULL, what[300];
	json_t *j = NULL, *sc = json_array();
	int rc;

	*out = NULL;
	if (!esc || !sc || asprintf(&path, "/users/%s/tokens", esc) < 0) {
		path = NULL;
		rc = gitea_oom();
		goto done;
	}
	for (size_t i = 0; scopes && scopes[i]; i++)
		json_array_append_new(sc, json_string(scopes[i]));
	if (!(call.body = json_pack("{s:s, s:O}", "name", name, "scopes", sc))) {
		rc = gitea_oom();
		goto done;
	}
	snprintf(what, sizeof(what), "create access token %s for %s", name, username);
	if ((rc = gitea_do(g, &j, path, &call, (const long[]){ 201, 0 }, what, 0)) < 0)
		goto done;
	if (!(t = calloc(1, sizeof(*t)))) {
		rc = gitea_oom();
		goto done;
	}
	t->id = gitea_jint(j, "id");
	t->name = gitea_jstr(j, "name");
	t->token = gitea_jstr(j, "sha1");
	if (!t->name || !t->token) {
		rc = gitea_oom();
		goto done;
	}
	*out = t;
	t = NULL;
	rc = 0;
done:
	dk_gitea_access_token_free(t);
	json_decref(call.body);
	json_decref(sc);
	json_decref(j);
	free(path);
	free(esc);
	return rc;
}

int
dk_gitea_token_delete(dk_gitea *g, const char *username, const char *password,
		      const char *name_or_id)
{
	struct gitea_call call = { .method = "DELETE", .basic_user = username,
				   .basic_password = password };
	char *u = gitea_escape(username), *n = gitea_escape(name_or_id), *path = NULL, what[300];
	int rc;

	if (!u || !n || asprintf(&path, "/users/%s/tokens/%s", u, n) < 0) {
		path = NULL;
		rc = gitea_oom();
		goto done;
	}
	snprintf(what, sizeof(what), "access token %s of %s", name_or_id, username);
	rc = gitea_do(g, NULL, path, &call, (const long[]){ 204, 0 }, what, 0);
	rc = rc < 0 ? rc : 0;
done:
	free(path);
	free(u);
	free(n);
	return rc;
}
