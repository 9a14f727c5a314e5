/* Gitea repositories and the contents API (one file, one commit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "diskops/error.h"
#include "gitea_internal.h"

void
dk_gitea_repo_free(dk_gitea_repo *r)
{
	if (!r)
		return;
	free(r->owner);
	free(r->name);
	free(r->full_name);
	free(r->default_branch);
	free(r->clone_url);
	free(r->html_url);
	free(r->description);
	free(r);
}

static int
repo_from_json(dk_gitea_repo **out, json_t *j)
{
	dk_gitea_repo *r = calloc(1, sizeof(*r));
	json_t *perm = json_object_get(j, "permissions");

	*out = NULL;
	if (!r)
		return gitea_oom();
	r->id = gitea_jint(j, "id");
	r->owner = gitea_jstr(json_object_get(j, "owner"), "login");
	r->name = gitea_jstr(j, "name");
	r->full_name = gitea_jstr(j, "full_name");
	r->default_branch = gitea_jstr(j, "default_branch");
	r->clone_url = gitea_jstr(j, "clone_url");
	r->html_url = gitea_jstr(j, "html_url");
	r->description = gitea_jstr(j, "description");
	r->private = gitea_jbool(j, "private");
	r->empty = gitea_jbool(j, "empty");
	r->archived = gitea_jbool(j, "archived");
	r->has_actions = gitea_jbool(j, "has_actions");
	r->can_admin = gitea_jbool(perm, "admin");
	r->can_push = gitea_jbool(perm, "push");
	r->can_pull = gitea_jbool(perm, "pull");
	if (!r->owner || !r->name || !r->full_name || !r->default_branch || !r->clone_url ||
	    !r->html_url || !r->description) {
		dk_gitea_repo_free(r);
		return gitea_oom();
	}
	*out = r;
	return 0;
}

int
dk_gitea_repo_get(dk_gitea *g, dk_gitea_repo **out, const char *owner, const char *repo)
{
	char *path = gitea_repo_path(owner, repo, "%s", ""), what[300];
	json_t *j = NULL;
	int rc;

	*out = NULL;
	if (!path)
		return gitea_oom();
	snprintf(what, sizeof(what), "repository %s/%s", owner, repo);
	if ((rc = gitea_do(g, &j, path, NULL, (const long[]){ 200, 0 }, what, 0)) >= 0)
		rc = repo_from_json(out, j);
	json_decref(j);
	free(path);
	return rc;
}

int
dk_gitea_repo_create(dk_gitea *g, dk_gitea_repo **out, const char *owner,
		     const dk_gitea_repo_spec *spec)
{
	struct gitea_call call = { .method = "POST" };
	char *login = NULL, *path = NULL, *esc = NULL, what[300];
	json_t *j = NULL;
	bool org;
	int rc;

	*out = NULL;
	if (!spec || !spec->name || !*spec->name)
		return dk_error_set(DK_EINVALID, "a repository needs a name");
	if ((rc = dk_gitea_whoami(g, &login)) < 0)
		return rc;
	org = owner && *owner && strcasecmp(owner, login) != 0;
	snprintf(what, sizeof(what), "create repository %s/%s", org ? owner : login, spec->name);
	if (org) {
		if (!(esc = gitea_escape(owner)) || asprintf(&path, "/orgs/%s/repos", esc) < 0) {
			path = NULL;
			rc = gitea_oom();
			goto done;
		}
	} else if (!(path = strdup("/user/repos"))) {
		rc = gitea_oom();
		goto done;
	}
	call.body = json_pack("{s:s, s:s, s:s, s:b, s:b}", "name", spec->name,
			      "description", spec->description ? spec->description : "",
			      "default_branch", spec->default_branch ? spec->default_branch : "main",
			      "private", spec->private, "auto_init", spec->auto_init);
	if (!call.body) {
		rc = gitea_oom();
		goto done;
	}
	if ((rc = gitea_do(g, &j, path, &call, (const long[]){ 201, 0 }, what, 0)) >= 0)
		rc = repo_from_json(out, j);
done:
	json_decref(call.body);
	json_decref(j);
	free(path);
	free(esc);
	free(login);
	return rc;
}

int
dk_gitea_repo_enable_actions(dk_gitea *g, const char *owner, const char *repo)
{
	struct gitea_call call = { .method = "PATCH" };
	char *path = gitea_repo_path(owner, repo, "%s", ""), what[300];
	int rc;

	if (!path || !(call.body = json_pack("{s:b}", "has_actions", 1))) {
		rc = gitea_oom();
		goto done;
	}
	snprintf(what, sizeof(what), "enable Actions on %s/%s", owner, repo);
	rc = gitea_do(g, NULL, path, &call, (const long[]){ 200, 0 }, what, 0);
	rc = rc < 0 ? rc : 0;
done:
	json_decref(call.body);
	free(path);
	return rc;
}

/* --- contents --- */

void
dk_gitea_content_free(dk_gitea_content *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->sha);
	free(c->data);
	free(c);
}

/* A file path escaped segment by segment: the slashes stay. */
static char *
escape_path(const char *path)
{
	char *copy = strdup(path), *save = NULL, *out = calloc(1, strlen(path) * 3 + 2);
	size_t n = 0;

	if (!copy || !out) {
		free(copy);
		free(out);
		return NULL;
	}
	for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		char *e = gitea_escape(seg);

		if (!e) {
			free(copy);
			free(out);
			return NULL;
		}
		n += (size_t)sprintf(out + n, "%s%s", n ? "/" : "", e);
		free(e);
	}
	free(copy);
	return out;
}

static unsigned char *
b64_decode(const char *in, size_t *len)
{
	size_t n = strlen(in), o = 0;
	char *clean = malloc(n + 1);
	unsigned char *out;
	int dec;

	if (!clean)
		return NULL;
	/* Gitea wraps nothing, but base64 from elsewhere may carry newlines. */
	for (size_t i = 0; i < n; i++) {
		if (in[i] != '\n' && in[i] != '\r')
			clean[o++] = in[i];
	}
	clean[o] = '\0';
	if (o % 4 != 0 || !(out = malloc(o / 4 * 3 + 1))) {
		free(clean);
		return NULL;
	}
	dec = EVP_DecodeBlock(out, (unsigned char *)clean, (int)o);
	if (dec < 0) {
		free(clean);
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as data. */
	if (o >= 1 && clean[o - 1] == '=')
		dec--;
	if (o >= 2 && clean[o - 2] == '=')
		dec--;
	free(clean);
	out[dec] = '\0';
	*len = (size_t)dec;
	return out;
}

int
dk_gitea_content_get(dk_gitea *g, dk_gitea_content **out, const char *owner, const char *repo,
		     const char *path, const char *ref)
{
	char *esc = escape_path(path), *ref_esc = ref ? gitea_escape(ref) : NULL, *url = NULL;
	char what[600];
	dk_gitea_content *c = NULL;
	const char *content;
	json_t *j = NULL;
	int rc;

	*out = NULL;
	if (!esc || (ref && !ref_esc) ||
	    !(url = gitea_repo_path(owner, repo, "/contents/%s%s%s", esc, ref ? "?ref=" : "",
				    ref ? ref_esc : ""))) {
		rc = gitea_oom();
		goto done;
	}
	snprintf(what, sizeof(what), "file %s in %s/%s", path, owner, repo);
	if ((rc = gitea_do(g, &j, url, NULL, (const long[]){ 200, 0 }, what, 0)) < 0)
		goto done;
	content = json_string_value(json_object_get(j, "content"));
	if (!json_is_object(j) || !content) {
		rc = dk_error_set(DK_ERROR, "%s: Gitea's reply has no content (is it a directory?)",
				  what);
		goto done;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		rc = gitea_oom();
		goto done;
	}
	c->path = gitea_jstr(j, "path");
	c->sha = gitea_jstr(j, "sha");
	if (!(c->data = b64_decode(content, &c->size))) {
		rc = dk_error_set(DK_ERROR, "%s: Gitea sent content that is not base64", what);
		goto done;
	}
	*out = c;
	c = NULL;
	rc = 0;
done:
	dk_gitea_content_free(c);
	json_decref(j);
	free(url);
	free(esc);
	free(ref_esc);
	return rc;
}

int
dk_gitea_content_put(dk_gitea *g, char **commit_sha, const char *owner, const char *repo,
		     const char *path, const void *data, size_t len,
		     const dk_gitea_commit_opts *opts)
{
	static const dk_gitea_commit_opts none = { 0 };
	struct gitea_call call = { 0 };
	char *esc = escape_path(path), *url = NULL, *b64 = NULL, what[600];
	json_t *j = NULL;
	int rc;

	if (commit_sha)
		*commit_sha = NULL;
	if (!opts)
		opts = &none;
	if (len > (size_t)1 << 30)
		return dk_error_set(DK_EINVALID, "%s: too large for the contents API", path);
	if (!esc || !(url = gitea_repo_path(owner, repo, "/contents/%s", esc)) ||
	    !(b64 = malloc(len / 3 * 4 + 8))) {
		rc = gitea_oom();
		goto done;
	}
	EVP_EncodeBlock((unsigned char *)b64, data, (int)len);
	call.method = opts->sha ? "PUT" : "POST";
	call.body = json_pack("{s:s, s:s}", "content", b64, "message",
			      opts->message ? opts->message : (opts->sha ? "Update file" : "Add file"));
	if (!call.body) {
		rc = gitea_oom();
		goto done;
	}
	if (opts->branch)
		json_object_set_new(call.body, "branch", json_string(opts->branch));
	if (opts->sha)
		json_object_set_new(call.body, "sha", json_string(opts->sha));
	if (opts->author_name && opts->author_email)
		json_object_set_new(call.body, "author", json_pack("{s:s, s:s}", "name",
								   opts->author_name, "email",
								   opts->author_email));
	snprintf(what, sizeof(what), "%s %s in %s/%s", opts->sha ? "update" : "create", path, owner,
		 repo);
	/* A stale sha is a conflict whichever way a Gitea version words it. */
	if ((rc = gitea_do(g, &j, url, &call, (const long[]){ 200, 201, 0 }, what, 0)) < 0) {
		if (opts->sha && strstr(dk_gitea_last_message(g), "sha does not match"))
			rc = dk_error_set(DK_ECONFLICT, "%s: the file changed since it was read "
					  "(sha does not match); read it again", what);
		goto done;
	}
	rc = 0;
	if (commit_sha &&
	    !(*commit_sha = gitea_jstr(json_object_get(j, "commit"), "sha")))
		rc = gitea_oom();
done:
	json_decref(call.body);
	json_decref(j);
	free(b64);
	free(url);
	free(esc);
	return rc;
}
