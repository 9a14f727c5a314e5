/* /version, /user, repositories, contents and access tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator.h"

static bool
owns(const struct repo *repo, const struct user *u)
{
	const struct org *o;

	if (u->admin || strcasecmp(repo->owner, u->login) == 0)
		return true;
	o = org_find(repo->owner);
	return o && strcasecmp(o->owner, u->login) == 0;
}

/*
 * Gitea's permission model, cut down: private repos are visible to their owner only
 * (404 to anyone else, as Gitea hides them); writes need the owner; the secrets,
 * variables and runners routes are mounted with reqOwner().
 */
struct repo *
req_repo(struct req *r, bool need_write, bool need_owner)
{
	struct repo *repo = repo_find(r->params[0], r->params[1]);

	if (!repo || (repo->private && !owns(repo, r->user))) {
		reply_error(r, 404, "repository does not exist [id: 0, uid: 0, owner_name: %s, "
			    "name: %s]", r->params[0], r->params[1]);
		return NULL;
	}
	if (need_owner && !owns(repo, r->user)) {
		reply_error(r, 403, "user should be the owner of the repo");
		return NULL;
	}
	if (need_write && !owns(repo, r->user)) {
		reply_error(r, 403, "user should have specific permission or be a site admin");
		return NULL;
	}
	return repo;
}

static void
h_version(struct req *r)
{
	reply(r, 200, json_pack("{s:s}", "version", emu.version_text));
}

static void
h_user(struct req *r)
{
	reply(r, 200, user_json(r->user));
}

static void
h_repo_get(struct req *r)
{
	struct repo *repo = req_repo(r, false, false);

	if (repo)
		reply(r, 200, repo_json(repo, r->user));
}

static void
h_repo_patch(struct req *r)
{
	struct repo *repo = req_repo(r, true, false);
	json_t *v;

	if (!repo)
		return;
	if ((v = json_object_get(r->json, "has_actions")))
		repo->has_actions = json_is_true(v);
	if ((v = json_object_get(r->json, "private")))
		repo->private = json_is_true(v);
	reply(r, 200, repo_json(repo, r->user));
}

static bool
valid_name(const char *s)
{
	if (!s || !*s || strlen(s) > 100 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	}
	return true;
}

static void
create_repo(struct req *r, const char *owner)
{
	const char *name = json_string_value(json_object_get(r->json, "name"));
	const char *branch = json_string_value(json_object_get(r->json, "default_branch"));
	const char *desc = json_string_value(json_object_get(r->json, "description"));
	struct repo *repo;

	if (!name) {
		reply_error(r, 422, "[Name]: Required");
		return;
	}
	if (!valid_name(name)) {
		reply_error(r, 422, "[Name]: invalid repository name");
		return;
	}
	if (repo_find(owner, name)) {
		reply_error(r, 409, "The repository with the same name already exists.");
		return;
	}
	repo = calloc(1, sizeof(*repo));
	repo->id = emu.next_id++;
	repo->owner = strdup(owner);
	repo->name = strdup(name);
	repo->default_branch = strdup(branch && *branch ? branch : "main");
	repo->description = strdup(desc ? desc : "");
	repo->private = json_is_true(json_object_get(r->json, "private"));
	repo->has_actions = true;
	repo->next_run_number = 1;
	if (git_init_repo(repo, json_is_true(json_object_get(r->json, "auto_init"))) < 0) {
		reply_error(r, 500, "cannot create the repository");
		return;
	}
	emu.repos = realloc(emu.repos, (emu.nrepos + 1) * sizeof(*emu.repos));
	emu.repos[emu.nrepos++] = repo;
	reply(r, 201, repo_json(repo, r->user));
}

static void
h_user_repo_create(struct req *r)
{
	create_repo(r, r->user->login);
}

static void
h_org_repo_create(struct req *r)
{
	struct org *o = org_find(r->params[0]);

	if (!o) {
		reply_error(r, 404, "org does not exist [id: 0, name: %s]", r->params[0]);
		return;
	}
	if (!r->user->admin && strcasecmp(o->owner, r->user->login) != 0) {
		reply_error(r, 403, "Given user is not allowed to create repository in organization %s.",
			    o->name);
		return;
	}
	create_repo(r, o->name);
}

/* --- contents --- */

static char *
blob_sha(const struct repo *repo, const char *ref, const char *path)
{
	struct buf out = { 0 };
	char spec[2048];
	const char *args[] = { "rev-parse", "--verify", "-q", spec, NULL };

	snprintf(spec, sizeof(spec), "%s:%s", ref, path);
	if (git_run(&out, repo->dir, NULL, 0, args) != 0) {
		buf_free(&out);
		return NULL;
	}
	while (out.len && out.data[out.len - 1] == '\n')
		out.data[--out.len] = '\0';
	return out.data;
}

static json_t *
content_json(const struct repo *repo, const char *path, const char *sha, bool with_content)
{
	struct buf data = { 0 };
	const char *args[] = { "cat-file", "blob", sha, NULL };
	const char *name = strrchr(path, '/');
	json_t *j;
	char *b64;

	git_run(&data, repo->dir, NULL, 0, args);
	b64 = b64_encode(data.data ? data.data : "", data.len);
	j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", name ? name + 1 : path, "path", path,
		      "sha", sha, "type", "file", "size", (json_int_t)data.len);
	if (with_content) {
		json_object_set_new(j, "encoding", json_string("base64"));
		json_object_set_new(j, "content", json_string(b64));
	}
	free(b64);
	buf_free(&data);
	return j;
}

static void
h_contents_get(struct req *r)
{
	struct repo *repo = req_repo(r, false, false);
	const char *ref = req_arg(r, "ref");
	char *sha;

	if (!repo)
		return;
	if (!ref || !*ref)
		ref = repo->default_branch;
	if (!(sha = blob_sha(repo, ref, r->params[2]))) {
		reply_error(r, 404, "object does not exist [id: , rel_path: %s]", r->params[2]);
		return;
	}
	reply(r, 200, content_json(repo, r->params[2], sha, true));
	free(sha);
}

/* POST creates (422 when the file exists); PUT updates with the blob sha, or from 1.26
 * creates when no sha is given. */
static void
write_contents(struct req *r, bool put)
{
	struct repo *repo = req_repo(r, true, false);
	const char *content = json_string_value(json_object_get(r->json, "content"));
	const char *branch = json_string_value(json_object_get(r->json, "branch"));
	const char *message = json_string_value(json_object_get(r->json, "message"));
	const char *sha = json_string_value(json_object_get(r->json, "sha"));
	char *existing, *data, *commit, *now;
	const char *path;
	size_t len;
	bool created;

	if (!repo)
		return;
	path = r->params[2];
	if (!content) {
		reply_error(r, 422, "[Content]: Required");
		return;
	}
	if (!branch || !*branch)
		branch = repo->default_branch;
	existing = blob_sha(repo, branch, path);
	if (!put && existing) {
		free(existing);
		reply_error(r, 422, "repository file already exists [path: %s]", path);
		return;
	}
	if (put && !sha && (emu.version < 126 || existing)) {
		free(existing);
		reply_error(r, 422, "[SHA]: Required");
		return;
	}
	if (put && sha && (!existing || strcmp(sha, existing) != 0)) {
		reply_error(r, 409, "sha does not match [given: %s, expected: %s]", sha,
			    existing ? existing : "");
		free(existing);
		return;
	}
	created = !existing;
	free(existing);
	if (!(data = b64_decode(content, &len))) {
		reply_error(r, 422, "invalid base64 content");
		return;
	}
	commit = git_commit_file(repo, branch, path, data, len,
				 message && *message ? message : (created ? "Add file" : "Update file"));
	free(data);
	if (!commit) {
		reply_error(r, 500, "cannot commit %s", path);
		return;
	}
	existing = blob_sha(repo, commit, path);
	now = iso_time(now_unix());
	reply(r, put && !created ? 200 : 201,
	      json_pack("{s:o, s:{s:s, s:s}}", "content", content_json(repo, path, existing, false),
			"commit", "sha", commit, "created", now));
	free(now);
	free(existing);
	free(commit);
}

static void
h_contents_post(struct req *r)
{
	write_contents(r, false);
}

static void
h_contents_put(struct req *r)
{
	write_contents(r, true);
}

/* --- access tokens: Gitea wants Basic auth with the password here, never a token --- */

static bool
token_caller_ok(struct req *r)
{
	if (r->token_auth) {
		reply_error(r, 401, "auth method not allowed");
		return false;
	}
	if (!r->user->admin && strcasecmp(r->user->login, r->params[0]) != 0) {
		reply_error(r, 403, "user should be the same as the token owner");
		return false;
	}
	return true;
}

static void
h_token_create(struct req *r)
{
	const char *name = json_string_value(json_object_get(r->json, "name"));
	json_t *scopes = json_object_get(r->json, "scopes");
	struct token *t;
	char value[41];

	if (!token_caller_ok(r))
		return;
	if (!name || !*name) {
		reply_error(r, 422, "[Name]: Required");
		return;
	}
	for (size_t i = 0; i < emu.ntokens; i++) {
		if (strcasecmp(emu.tokens[i].login, r->params[0]) == 0 &&
		    strcmp(emu.tokens[i].name, name) == 0) {
			reply_error(r, 400, "access token name has been used already");
			return;
		}
	}
	emu.tokens = realloc(emu.tokens, (emu.ntokens + 1) * sizeof(*emu.tokens));
	t = &emu.tokens[emu.ntokens++];
	t->id = emu.next_id++;
	snprintf(value, sizeof(value), "%040" PRIx64, (uint64_t)((uint64_t)t->id * 0x9e3779b97f4a7c15ULL));
	t->name = strdup(name);
	t->value = strdup(value);
	t->login = strdup(user_find(r->params[0]) ? user_find(r->params[0])->login : r->params[0]);
	t->scopes = json_is_array(scopes) ? json_deep_copy(scopes) : json_array();
	reply(r, 201, json_pack("{s:I, s:s, s:s, s:s, s:O}", "id", (json_int_t)t->id, "name", t->name,
				"sha1", t->value, "token_last_eight", t->value + 32,
				"scopes", t->scopes));
}

static void
h_token_delete(struct req *r)
{
	char *end;
	long long id = strtoll(r->params[1], &end, 10);

	if (!token_caller_ok(r))
		return;
	for (size_t i = 0; i < emu.ntokens; i++) {
		struct token *t = &emu.tokens[i];

		if (strcasecmp(t->login, r->params[0]) != 0)
			continue;
		if ((*end == '\0' && t->id == id) || strcmp(t->name, r->params[1]) == 0) {
			free(t->name);
			free(t->value);
			free(t->login);
			json_decref(t->scopes);
			memmove(t, t + 1, (emu.ntokens - i - 1) * sizeof(*t));
			emu.ntokens--;
			reply(r, 204, NULL);
			return;
		}
	}
	reply_error(r, 404, "access token does not exist [id: 0]");
}

const struct route repo_routes[] = {
	{ "GET", "/version", h_version, 0, 0 },
	{ "GET", "/user", h_user, 0, 0 },
	{ "GET", "/repos/{owner}/{repo}", h_repo_get, 0, 0 },
	{ "PATCH", "/repos/{owner}/{repo}", h_repo_patch, 0, 0 },
	{ "POST", "/user/repos", h_user_repo_create, 0, 0 },
	{ "POST", "/orgs/{org}/repos", h_org_repo_create, 0, 0 },
	{ "GET", "/repos/{owner}/{repo}/contents/{filepath}", h_contents_get, 0, 0 },
	{ "POST", "/repos/{owner}/{repo}/contents/{filepath}", h_contents_post, 0, 0 },
	{ "PUT", "/repos/{owner}/{repo}/contents/{filepath}", h_contents_put, 0, 0 },
	{ "POST", "/users/{username}/tokens", h_token_create, 0, 0 },
	{ "DELETE", "/users/{username}/tokens/{token}", h_token_delete, 0, 0 },
	{ NULL, NULL, NULL, 0, 0 }
};
