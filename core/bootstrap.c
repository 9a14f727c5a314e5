/* bootstrap_disk_image_ci (DESIGN §7): checks first, then rotate, then hand to Gitea. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "diskops/auth.h"
#include "diskops/bootstrap.h"
#include "diskops/error.h"
#include "diskops/platform.h"
#include "diskops/webhook.h"

#define READ_TOKEN_SECRET "PLATFORM_READ_TOKEN"

static void
forget(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* Records a step; an allocation failure loses the row, never the bootstrap. */
static void
step(dk_bootstrap_result *r, const char *name, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
step(dk_bootstrap_result *r, const char *name, const char *detail, const char *fmt, ...)
{
	dk_bootstrap_step *grown, *s;
	va_list ap;

	grown = realloc(r->steps, (r->nsteps + 1) * sizeof(*r->steps));
	if (!grown)
		return;
	r->steps = grown;
	s = &r->steps[r->nsteps];
	memset(s, 0, sizeof(*s));
	va_start(ap, fmt);
	if (vasprintf(&s->status, fmt, ap) < 0)
		s->status = NULL;
	va_end(ap);
	s->name = strdup(name);
	s->detail = detail ? strdup(detail) : NULL;
	if (!s->status || !s->name) {
		free(s->status);
		free(s->name);
		free(s->detail);
		return;
	}
	if (strncmp(s->status, "error", 5) == 0)
		r->failed = true;
	r->nsteps++;
}

/* A step that failed with the current error; returns its code. */
static int
step_error(dk_bootstrap_result *r, const char *name)
{
	const dk_error *e = dk_error_last();
	int code = e->code ? e->code : DK_ERROR;

	step(r, name, NULL, "error: %s", e->message);
	return code;
}

/* --- checks: nothing changes here, anywhere --- */

static int
check_gitea(dk_bootstrap_result *r, dk_gitea *g)
{
	dk_gitea_version v;
	char detail[200];
	int rc;

	if ((rc = dk_gitea_server_version(g, &v)) < 0 || (rc = dk_gitea_whoami(g, &r->login)) < 0)
		return step_error(r, "gitea credential");
	snprintf(detail, sizeof(detail), "%s on Gitea %s", r->login, v.text);
	if (!dk_gitea_has(g, DK_GITEA_RUNS_API))
		step(r, "gitea credential", detail, "ok (Gitea %s has no runs API: dispatch and "
		     "logs need 1.25+)", v.text);
	else
		step(r, "gitea credential", detail, "ok");
	return 0;
}

static int
ensure_repo(dk_bootstrap_result *r, dk_gitea *g, const dk_bootstrap_opts *o, bool create,
	    bool *pushable)
{
	dk_gitea_repo *repo = NULL;
	dk_gitea_secret_list *secrets = NULL;
	char name[300];
	const char *status = "ok";
	int rc;

	snprintf(name, sizeof(name), "repo %s/%s", o->owner, o->repo);
	rc = dk_gitea_repo_get(g, &repo, o->owner, o->repo);
	if (rc == DK_ENOTFOUND && create) {
		dk_gitea_repo_spec spec = { .name = o->repo, .private = true, .auto_init = true,
					    .default_branch = "main",
					    .description = "Disk image builds (diskops)" };
		const char *under = strcasecmp(o->owner, r->login) == 0 ? NULL : o->owner;

		if ((rc = dk_gitea_repo_create(g, &repo, under, &spec)) < 0) {
			dk_error_prefix("%s does not exist and cannot be created", name);
			return step_error(r, name);
		}
		status = "created";
	} else if (rc < 0) {
		return step_error(r, name);
	}
	if (repo->archived) {
		rc = dk_error_set(DK_ESTATE, "%s is archived: unarchive it on Gitea first", name);
		goto fail;
	}
	/* Secrets, variables and runners are owner-only routes: ask one that changes nothing. */
	if ((rc = dk_gitea_secret_list_get(g, &secrets, o->owner, o->repo)) < 0) {
		if (rc == DK_EAUTH)
			rc = dk_error_set(DK_EAUTH, "%s: %s may not set its Actions secrets, variables "
					  "and runners: they need the repo owner, an org owner or a "
					  "site admin (Gitea answered 403)", name, r->login);
		goto fail;
	}
	if (!repo->has_actions && create) {
		if ((rc = dk_gitea_repo_enable_actions(g, o->owner, o->repo)) < 0)
			goto fail;
		step(r, name, "Actions were off: turned on", "%s", status);
	} else {
		step(r, name, repo->html_url, "%s", status);
	}
	*pushable = repo->can_push || strcmp(status, "created") == 0;
	dk_gitea_secret_list_free(secrets);
	dk_gitea_repo_free(repo);
	return 0;
fail:
	dk_gitea_secret_list_free(secrets);
	dk_gitea_repo_free(repo);
	return step_error(r, name);
}

/* --- the changes --- */

static int
rotate_webhook(dk_bootstrap_result *r, dk_store *store, dk_secret_box *box,
	       const char *account_id, const dk_bootstrap_opts *o, dk_webhook *existing)
{
	dk_webhook *w = NULL;
	char name[200];
	int rc;

	snprintf(name, sizeof(name), "webhook %s", o->label);
	if (existing)
		rc = dk_webhook_rotate(store, box, &w, &r->webhook_secret, account_id, existing->id,
				       o->actor);
	else
		rc = dk_webhook_create(store, box, &w, &r->webhook_secret, account_id, o->label,
				       o->actor);
	if (rc < 0)
		return step_error(r, name);
	r->webhook_id = strdup(w->id);
	r->webhook_url = dk_webhook_url(o->api_base, w->id);
	r->webhook_action = strdup(existing ? "rotated_secret_for_existing" : "created_new");
	step(r, name, r->webhook_url, "%s", existing ? "rotated" : "created");
	dk_webhook_free(w);
	return r->webhook_id && r->webhook_url && r->webhook_action ? 0 :
	       dk_error_set(DK_ENOMEM, "out of memory");
}

static int
rotate_worker(dk_bootstrap_result *r, dk_store *store, const char *account_id,
	      const dk_bootstrap_opts *o)
{
	dk_worker *w = NULL, *found = NULL;
	char name[200];
	bool exists;
	int rc;

	snprintf(name, sizeof(name), "ci worker %s", o->label);
	rc = dk_store_worker_find(store, &found, account_id, o->label);
	if (rc < 0 && rc != DK_ENOTFOUND)
		return step_error(r, name);
	/* Only a worker of exactly this name: an id or prefix match is someone else's. */
	exists = found && strcmp(found->name, o->label) == 0;
	if (exists)
		rc = dk_worker_rotate(store, &w, &r->worker_token, account_id, found->id, o->actor);
	else
		rc = dk_worker_create(store, &w, &r->worker_token, account_id, o->label, o->actor);
	dk_worker_free(found);
	if (rc < 0)
		return step_error(r, name);
	r->worker_id = strdup(w->id);
	r->worker_action = strdup(exists ? "rotated_token_for_existing" : "created_new");
	step(r, name, w->id, "%s", exists ? "rotated" : "created");
	dk_worker_free(w);
	return r->worker_id && r->worker_action ? 0 : dk_error_set(DK_ENOMEM, "out of memory");
}

static void
set_secret(dk_bootstrap_result *r, dk_gitea *g, const char *owner, const char *repo,
	   const char *secret, const char *value)
{
	char name[200];
	bool created = false;

	snprintf(name, sizeof(name), "secret %s", secret);
	if (dk_gitea_secret_set(g, &created, owner, repo, secret, value,
				"set by diskops bootstrap") < 0)
		step_error(r, name);
	else
		step(r, name, NULL, "%s", created ? "created" : "ok");
}

int
dk_bootstrap_check(dk_bootstrap_result *r, dk_gitea *g, const char *owner, const char *repo)
{
	dk_bootstrap_opts o = { .owner = owner, .repo = repo };
	bool pushable;
	int rc;

	if ((rc = check_gitea(r, g)) < 0)
		return rc;
	return ensure_repo(r, g, &o, false, &pushable);
}

int
dk_bootstrap_set_secrets(dk_bootstrap_result *r, dk_gitea *g, const char *owner,
			 const char *repo, const char *webhook_url, const char *webhook_secret,
			 const char *worker_token, const char *api_base)
{
	size_t before = r->nsteps;

	set_secret(r, g, owner, repo, "POWERNODE_DISK_IMAGE_WEBHOOK_URL", webhook_url);
	set_secret(r, g, owner, repo, "POWERNODE_DISK_IMAGE_WEBHOOK_SECRET", webhook_secret);
	if (worker_token)
		set_secret(r, g, owner, repo, "POWERNODE_CI_WORKER_TOKEN", worker_token);
	set_secret(r, g, owner, repo, "POWERNODE_API_BASE", api_base);
	for (size_t i = before; i < r->nsteps; i++) {
		if (strncmp(r->steps[i].status, "error", 5) == 0)
			return dk_error_set(DK_ERROR, "%s: %s", r->steps[i].name, r->steps[i].status + 7);
	}
	return 0;
}

static void
set_variable(dk_bootstrap_result *r, dk_gitea *g, const dk_bootstrap_opts *o,
	     const char *variable, const char *value, const char *why_unset)
{
	char name[200];
	bool created = false;

	snprintf(name, sizeof(name), "variable %s", variable);
	if (!value || !*value) {
		step(r, name, why_unset, "skipped");
		return;
	}
	if (dk_gitea_variable_set(g, &created, o->owner, o->repo, variable, value) < 0)
		step_error(r, name);
	else
		step(r, name, value, "%s", created ? "created" : "ok");
}

static void
read_token(dk_bootstrap_result *r, dk_gitea *g, const dk_bootstrap_opts *o)
{
	static const char *const scopes[] = { "read:repository", "read:user", NULL };
	dk_gitea_access_token *t = NULL;
	char name[200];

	if (asprintf(&r->read_token_name, "%s-platform-ci-readonly", o->label) < 0) {
		r->read_token_name = NULL;
		step(r, "platform read token", NULL, "error: out of memory");
		return;
	}
	snprintf(name, sizeof(name), "secret %s", READ_TOKEN_SECRET);
	if (!o->gitea_password || !*o->gitea_password) {
		step(r, "platform read token", NULL, "error: Gitea mints tokens only with the "
		     "account password (DISKOPS_GITEA_PASSWORD or stdin)");
		return;
	}
	/* A token's value is shown once by Gitea: the old one of this name is replaced. */
	if (dk_gitea_token_delete(g, r->login, o->gitea_password, r->read_token_name) < 0)
		dk_error_clear();
	if (dk_gitea_token_create(g, &t, r->login, o->gitea_password, r->read_token_name,
				  scopes) < 0) {
		step_error(r, "platform read token");
		return;
	}
	step(r, "platform read token", r->read_token_name, "created");
	set_secret(r, g, o->owner, o->repo, READ_TOKEN_SECRET, t->token);
	dk_gitea_access_token_free(t);
}

static void
runner(dk_bootstrap_result *r, dk_gitea *g, const dk_bootstrap_opts *o, const char *labels)
{
	dk_gitea_runner_list *l = NULL;
	char detail[300] = "";
	int online = 0;

	if (dk_gitea_runner_token(g, &r->registration_token, o->owner, o->repo) < 0) {
		step_error(r, "runner registration token");
	} else {
		if (asprintf(&r->runner_command, "act_runner register --instance %s --token %s "
			     "--labels %s --no-interactive", o->gitea_url, r->registration_token,
			     labels) < 0)
			r->runner_command = NULL;
		step(r, "runner registration token", NULL, "ok");
	}
	if (dk_gitea_runner_list_get(g, &l, o->owner, o->repo) < 0) {
		step_error(r, "runners");
		return;
	}
	for (size_t i = 0; i < l->count; i++) {
		const dk_gitea_runner *rn = &l->items[i];
		bool all = true;
		char *want = strdup(labels), *save = NULL;

		if (!want)
			break;
		for (char *t = strtok_r(want, ",", &save); t && all; t = strtok_r(NULL, ",", &save)) {
			bool has = false;

			for (size_t k = 0; k < rn->nlabels; k++)
				has = has || strcmp(rn->labels[k], t) == 0;
			all = has;
		}
		free(want);
		if (all && strcmp(rn->status, "online") == 0 && !rn->disabled) {
			if (online++ == 0)
				snprintf(detail, sizeof(detail), "%s online", rn->name);
		}
	}
	dk_gitea_runner_list_free(l);
	if (online)
		step(r, "runners", detail, "ok");
	else
		step(r, "runners", "no online runner has these labels: register one with the "
		     "act_runner line below", "skipped");
}

static void
workflow(dk_bootstrap_result *r, dk_gitops *git, dk_gitea *g, const dk_bootstrap_opts *o,
	 const char *arch, const char *labels)
{
	dk_gitops_template t = { .platform = o->platform, .arch = arch, .labels = labels };
	dk_gitea_content *c = NULL;
	char sha[41];
	int written = 0;

	if (!git) {
		if (dk_gitea_content_get(g, &c, o->owner, o->repo, DK_GITOPS_WORKFLOW_PATH, NULL) == 0)
			step(r, "workflow", DK_GITOPS_WORKFLOW_PATH, "ok");
		else if (dk_error_last()->code == DK_ENOTFOUND)
			step(r, "workflow", "not in the repo: add it with --commit-workflow",
			     "skipped");
		else
			step_error(r, "workflow");
		dk_gitea_content_free(c);
		return;
	}
	if (dk_gitops_write_template(git, &written, &t, o->force) < 0 ||
	    dk_gitops_commit(git, sha, o->force ? "Update the disk image workflow (diskops)"
						: "Add the disk image workflow (diskops)", o->author) < 0) {
		step_error(r, "workflow");
		return;
	}
	if (!sha[0]) {
		step(r, "workflow", written ? "unchanged" : "present: kept (--force rewrites it)",
		     "ok");
		return;
	}
	if (dk_gitops_push(git) < 0) {
		step_error(r, "workflow");
		return;
	}
	r->workflow_commit = strdup(sha);
	step(r, "workflow", sha, "created");
}

static void
link_platform(dk_bootstrap_result *r, dk_store *store, const char *account_id,
	      const dk_bootstrap_opts *o, const dk_platform *p)
{
	dk_platform_spec spec = { 0 };
	dk_platform *updated = NULL;
	char repo[300];

	snprintf(repo, sizeof(repo), "%s/%s", o->owner, o->repo);
	if (p->build_repo && strcmp(p->build_repo, repo) == 0) {
		step(r, "platform build repo", repo, "ok");
		return;
	}
	spec.set = DK_PLATFORM_BUILD_REPO;
	spec.build_repo = repo;
	if (dk_platform_update(store, &updated, account_id, p->id, &spec, o->actor) < 0)
		step_error(r, "platform build repo");
	else
		step(r, "platform build repo", repo, "ok");
	dk_platform_free(updated);
}

static int
required(const char *what, const char *v)
{
	if (!v || !*v)
		return dk_error_set(DK_EINVALID, "owner/repo/label all required (%s is missing)", what);
	return 0;
}

int
dk_bootstrap(dk_bootstrap_result **out, dk_store *store, dk_secret_box *box, dk_gitea *g,
	     const char *account_id, const dk_bootstrap_opts *o)
{
	dk_bootstrap_result *r = calloc(1, sizeof(*r));
	dk_webhook *hook = NULL;
	dk_platform *platform = NULL;
	dk_gitops *git = NULL;
	const char *arch = "amd64";
	char labels[200], what[400];
	bool pushable = false;
	int rc;

	*out = r;
	if (!r)
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = required("owner", o->owner)) < 0 || (rc = required("repo", o->repo)) < 0 ||
	    (rc = required("label", o->label)) < 0)
		return rc;
	if (!o->api_base || !*o->api_base)
		return dk_error_set(DK_EINVALID, "no API base: give --api-base URL or set "
				    "[serve] public_url");
	if (o->platform && *o->platform) {
		if ((rc = dk_store_platform_find(store, &platform, account_id, o->platform)) < 0)
			return rc;
		arch = platform->arch;
	}
	if (o->runner_labels && *o->runner_labels)
		snprintf(labels, sizeof(labels), "%s", o->runner_labels);
	else
		snprintf(labels, sizeof(labels), "disk-image-builder,%s", arch);

	/* 1. Checks. A failure here leaves every secret and token as it was. */
	if ((rc = check_gitea(r, g)) < 0 || (rc = ensure_repo(r, g, o, true, &pushable)) < 0)
		goto done;
	rc = dk_store_webhook_find(store, &hook, account_id, o->label);
	if (rc == DK_ENOTFOUND) {
		dk_error_clear();
		rc = 0;
	} else if (rc < 0) {
		goto done;
	} else if (strcasecmp(hook->label, o->label) != 0) {
		/* An id or id prefix matched, not the label: a new webhook it is. */
		dk_webhook_free(hook);
		hook = NULL;
	} else if (strcmp(hook->status, "revoked") == 0) {
		rc = dk_error_set(DK_ESTATE, "webhook %s is revoked and stays so: bootstrap with "
				  "another --label", hook->label);
		step_error(r, "webhook");
		goto done;
	}
	if (o->commit_workflow) {
		if (!pushable) {
			rc = dk_error_set(DK_EAUTH, "%s may not push to %s/%s: --commit-workflow needs "
					  "write access", r->login, o->owner, o->repo);
			step_error(r, "workflow");
			goto done;
		}
		if ((rc = dk_gitops_open_gitea(&git, g, o->gitea_token, o->state_dir, o->owner,
					       o->repo, o->clone_url, o->ssh_key)) < 0) {
			step_error(r, "workflow");
			goto done;
		}
	}
	if (o->confirm) {
		snprintf(what, sizeof(what), "%s webhook %s and %s CI worker %s, then set them as "
			 "Actions secrets of %s/%s", hook ? "Rotate the secret of" : "Create",
			 o->label, hook ? "rotate the token of" : "create", o->label, o->owner,
			 o->repo);
		if ((rc = o->confirm(o->confirm_payload, what)) != 0)
			goto done;
	}

	/* 2. Rotate (or create), then hand everything to Gitea. */
	if ((rc = rotate_webhook(r, store, box, account_id, o, hook)) < 0 ||
	    (rc = rotate_worker(r, store, account_id, o)) < 0)
		goto done;
	dk_bootstrap_set_secrets(r, g, o->owner, o->repo, r->webhook_url, r->webhook_secret,
				 r->worker_token, o->api_base);
	if (o->read_token)
		read_token(r, g, o);
	set_variable(r, g, o, "POWERNODE_OCI_REGISTRY", o->registry,
		     "no registry: set [registry] host");
	set_variable(r, g, o, "POWERNODE_PLATFORM", platform ? platform->name : NULL,
		     "no --platform");
	set_variable(r, g, o, "POWERNODE_ARCH", platform ? platform->arch : NULL, "no --platform");
	runner(r, g, o, labels);
	workflow(r, git, g, o, arch, labels);
	if (platform)
		link_platform(r, store, account_id, o, platform);
	rc = 0;
done:
	dk_gitops_free(git);
	dk_platform_free(platform);
	dk_webhook_free(hook);
	return rc;
}

void
dk_bootstrap_result_free(dk_bootstrap_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nsteps; i++) {
		free(r->steps[i].name);
		free(r->steps[i].status);
		free(r->steps[i].detail);
	}
	free(r->steps);
	free(r->login);
	free(r->webhook_id);
	free(r->webhook_url);
	free(r->webhook_action);
	free(r->worker_id);
	free(r->worker_action);
	forget(r->webhook_secret);
	forget(r->worker_token);
	forget(r->registration_token);
	forget(r->runner_command);
	free(r->workflow_commit);
	free(r->read_token_name);
	free(r);
}
