/* diskops bootstrap: a Gitea repo made ready to build and announce disk images. */
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cli_gitea.h"
#include "diskops/bootstrap.h"
#include "diskops/error.h"

enum {
	OPT_OWNER = CLI_OPT__COMMAND,
	OPT_REPO,
	OPT_LABEL,
	OPT_API_BASE,
	OPT_PLATFORM,
	OPT_READ_TOKEN,
	OPT_COMMIT_WORKFLOW,
	OPT_FORCE,
	OPT_AUTHOR,
	OPT_CLONE_URL,
	OPT_RUNNER_LABELS,
};

#define NOTE "Operator's CI workflow can now publish disk images. Trigger via `diskops " \
	     "dispatch` or push a tag (`diskops trigger --tag system-disk-image/vX.Y.Z`)."

struct args {
	const char *owner, *repo, *label, *api_base, *platform, *author, *clone_url, *labels;
	bool read_token, commit_workflow, force;
};

static int
option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct args *a = ctx;

	(void)c;
	switch (opt) {
	case OPT_OWNER: a->owner = arg; break;
	case OPT_REPO: a->repo = arg; break;
	case OPT_LABEL: a->label = arg; break;
	case OPT_API_BASE: a->api_base = arg; break;
	case OPT_PLATFORM: a->platform = arg; break;
	case OPT_READ_TOKEN: a->read_token = true; break;
	case OPT_COMMIT_WORKFLOW: a->commit_workflow = true; break;
	case OPT_FORCE: a->force = true; break;
	case OPT_AUTHOR: a->author = arg; break;
	case OPT_CLONE_URL: a->clone_url = arg; break;
	case OPT_RUNNER_LABELS: a->labels = arg; break;
	}
	return 0;
}

static void
forget(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* Gitea mints tokens only with the account password: $DISKOPS_GITEA_PASSWORD or one
 * line of stdin (never argv); read without echo on a terminal. */
static int
read_password(char **out)
{
	const char *env = getenv("DISKOPS_GITEA_PASSWORD");
	struct termios old, quiet;
	bool tty = isatty(0);
	char line[1024];
	size_t n;

	*out = NULL;
	if (env && *env) {
		*out = strdup(env);
		return *out ? 0 : dk_error_set(DK_ENOMEM, "out of memory");
	}
	if (tty) {
		fprintf(stderr, "Gitea password (for PLATFORM_READ_TOKEN; not shown): ");
		tcgetattr(0, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0)
		return dk_error_set(DK_EINVALID, "--read-token needs the Gitea password: set "
				    "DISKOPS_GITEA_PASSWORD or give it on stdin");
	*out = strdup(line);
	OPENSSL_cleanse(line, sizeof(line));
	return *out ? 0 : dk_error_set(DK_ENOMEM, "out of memory");
}

static int
confirm(void *payload, const char *what)
{
	return cli_confirm(payload, "%s?", what);
}

static json_t *
steps_json(const dk_bootstrap_result *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->nsteps; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s?}", "step", r->steps[i].name,
						   "status", r->steps[i].status,
						   "detail", r->steps[i].detail));
	return a;
}

static void
print_steps(const dk_bootstrap_result *r)
{
	static const char *const headers[] = { "STEP", "STATUS", "DETAIL" };
	struct table *t = table_new(3, headers);

	for (size_t i = 0; i < r->nsteps; i++) {
		const char *row[] = { r->steps[i].name, r->steps[i].status, r->steps[i].detail };

		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
}

static void
print_json(const dk_bootstrap_result *r, const struct args *a, int rc)
{
	json_t *o = json_object(), *secrets = json_object();

	json_object_set_new(o, "success", json_boolean(rc == 0 && !r->failed));
	if (rc < 0)
		json_object_set_new(o, "error", json_string(dk_error_last()->message));
	json_object_set_new(o, "steps", steps_json(r));
	json_object_set_new(o, "gitea_user", r->login ? json_string(r->login) : json_null());
	json_object_set_new(o, "repo", json_sprintf("%s/%s", a->owner, a->repo));
	if (r->webhook_id)
		json_object_set_new(o, "webhook", json_pack("{s:s, s:s, s:s, s:s, s:s?}",
			"id", r->webhook_id, "label", a->label, "action", r->webhook_action,
			"url", r->webhook_url, "secret_plaintext", r->webhook_secret));
	if (r->worker_id)
		json_object_set_new(o, "ci_worker", json_pack("{s:s, s:s, s:s, s:s?}",
			"id", r->worker_id, "name", a->label, "action", r->worker_action,
			"token_plaintext", r->worker_token));
	for (size_t i = 0; i < r->nsteps; i++) {
		if (strncmp(r->steps[i].name, "secret ", 7) == 0)
			json_object_set_new(secrets, r->steps[i].name + 7,
					    json_string(r->steps[i].status));
	}
	json_object_set_new(o, "gitea_secrets_set", secrets);
	if (r->registration_token)
		json_object_set_new(o, "runner", json_pack("{s:s, s:s?}", "registration_token",
			r->registration_token, "register_command", r->runner_command));
	json_object_set_new(o, "workflow_commit", r->workflow_commit ?
			    json_string(r->workflow_commit) : json_null());
	if (r->read_token_name)
		json_object_set_new(o, "platform_read_token", json_pack("{s:s, s:[s,s], s:s}",
			"token_name", r->read_token_name, "scopes", "read:repository", "read:user",
			"plaintext_set_as_secret", "PLATFORM_READ_TOKEN"));
	if (rc == 0)
		json_object_set_new(o, "note", json_string(NOTE));
	cli_print_json(o);
}

static void
print_text(const dk_bootstrap_result *r)
{
	print_steps(r);
	if (r->webhook_secret || r->worker_token)
		printf("\nSaved as Actions secrets of the repo; shown here once:\n");
	if (r->webhook_url)
		cli_kv(stdout, "webhook url", r->webhook_url);
	if (r->webhook_secret)
		cli_kv(stdout, "webhook secret", r->webhook_secret);
	if (r->worker_token)
		cli_kv(stdout, "ci worker token", r->worker_token);
	if (r->runner_command)
		printf("\nRegister a runner on the build machine (the registration token, not the "
		       "worker token):\n  %s\n", r->runner_command);
	if (r->nsteps && !r->failed && r->worker_token)
		printf("\n%s\n", NOTE);
}

int
cmd_bootstrap(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "repo", required_argument, NULL, OPT_REPO },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "api-base", required_argument, NULL, OPT_API_BASE },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "read-token", no_argument, NULL, OPT_READ_TOKEN },
		{ "commit-workflow", no_argument, NULL, OPT_COMMIT_WORKFLOW },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "author", required_argument, NULL, OPT_AUTHOR },
		{ "clone-url", required_argument, NULL, OPT_CLONE_URL },
		{ "runner-labels", required_argument, NULL, OPT_RUNNER_LABELS },
		CLI_COMMON_OPTIONS
	};
	struct args a = { 0 };
	dk_bootstrap_opts o = { 0 };
	dk_bootstrap_result *r = NULL;
	dk_gitops_author author;
	dk_secret_box *box = NULL;
	dk_gitea *g = NULL;
	char abuf[512], *password = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if (!a.owner || !*a.owner || !a.repo || !*a.repo || !a.label || !*a.label)
		return cli_usage_error(c, "owner/repo/label all required: give --owner, --repo "
				       "and --label");
	if (strchr(a.repo, '/'))
		return cli_usage_error(c, "--repo is the name only; the owner goes in --owner");
	if ((a.author ? dk_gitops_author_parse(&author, abuf, sizeof(abuf), a.author)
		      : dk_gitops_author_default(&author, abuf, sizeof(abuf), c->cfg->git_author)) < 0)
		return cli_usage_error(c, "%s", dk_error_last()->message);
	/* Asked before anything happens, not after the repo was created. */
	if (!c->yes && (!isatty(0) || !isatty(2)))
		return cli_usage_error(c, "bootstrap creates or rotates the webhook secret and the CI "
				       "worker token: no terminal to ask on; add --yes to confirm");
	if (a.read_token && (rc = read_password(&password)) < 0)
		return cli_usage_error(c, "%s", dk_error_last()->message);
	if ((rc = cli_account(c)) < 0 || (rc = cli_secret_box(c, &box)) < 0 ||
	    (rc = cli_gitea_open(c, &g)) < 0 || (rc = dk_config_ensure_state_dir(c->cfg)) < 0)
		goto done;
	o.owner = a.owner;
	o.repo = a.repo;
	o.label = a.label;
	o.gitea_url = c->cfg->gitea_url;
	o.gitea_token = c->cfg->gitea_token;
	o.api_base = a.api_base ? a.api_base : c->cfg->public_url;
	o.platform = a.platform;
	o.registry = c->cfg->registry_host;
	o.runner_labels = a.labels;
	o.read_token = a.read_token;
	o.gitea_password = password;
	o.commit_workflow = a.commit_workflow;
	o.force = a.force;
	o.state_dir = c->cfg->state_dir;
	o.clone_url = a.clone_url;
	o.ssh_key = c->cfg->git_ssh_key;
	o.author = &author;
	o.actor = cli_actor();
	o.confirm = c->yes ? NULL : confirm;
	o.confirm_payload = c;
	rc = dk_bootstrap(&r, c->store, box, g, c->account->id, &o);
	if (r && rc != DK_EUSAGE && (r->nsteps || c->json)) {
		if (c->json)
			print_json(r, &a, rc);
		else
			print_text(r);
		fflush(stdout);
	}
	if (rc == 0 && r->failed) {
		size_t n = 0;

		for (size_t i = 0; i < r->nsteps; i++)
			n += strncmp(r->steps[i].status, "error", 5) == 0;
		rc = dk_error_set(DK_ERROR, "%zu step%s failed (see the table); run bootstrap again "
				  "once fixed: it is idempotent on the label", n, n == 1 ? "" : "s");
	} else if (rc < 0 && rc != DK_EUSAGE && r && r->nsteps && !r->webhook_id) {
		dk_error_prefix("stopped before rotating anything");
	}
done:
	dk_bootstrap_result_free(r);
	dk_secret_box_free(box);
	dk_gitea_free(g);
	forget(password);
	return rc;
}
