/*
 * diskops bootstrap (and webhook create --set-gitea-secrets, trigger) against the Gitea
 * emulator, on Gitea 1.25 and 1.27: the happy path with the values checked where the
 * runner sees them, idempotent re-runs, and the faults — Gitea down, 401, 403, 404,
 * 409 variable, a push that lost the race, malformed JSON — where nothing may be rotated.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"
#include "emuutil.h"
#include "diskops/account.h"
#include "diskops/auth.h"
#include "diskops/bootstrap.h"
#include "diskops/error.h"
#include "diskops/webhook.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)
#define JSON(e, ...) cli_json((e), __VA_ARGS__, NULL)

static emu_t *E;
static const char *version;
static char url_env[128];

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, haystack ? haystack : "(null)");
}

static cli_env *
env_new(const char *token)
{
	static char tokens[8][128];
	static int next;
	cli_env *e = cli_env_new();
	char *tok = tokens[next++ % 8];
	tu_run_result r;

	snprintf(tok, sizeof(tokens[0]), "DISKOPS_GITEA_TOKEN=%s", token);
	e->extra_env[0] = url_env;
	e->extra_env[1] = tok;
	e->extra_env[2] = "DISKOPS_SERVE_PUBLIC_URL=https://diskops.example";
	e->extra_env[3] = "DISKOPS_REGISTRY_HOST=registry.example:5000";
	e->extra_env[4] = "DISKOPS_GITEA_AUTHOR=Ada Operator <ada@example.org>";
	assert_int_equal(RUN(e, &r, "init"), 0);
	tu_run_result_free(&r);
	return e;
}

static int
group_setup(void **state)
{
	(void)state;
	E = emu_start(version, NULL);
	snprintf(url_env, sizeof(url_env), "DISKOPS_GITEA_URL=%s", E->url);
	return 0;
}

static int
group_teardown(void **state)
{
	long unknown;

	(void)state;
	unknown = emu_unknown_calls(E);
	assert_int_equal(emu_stop(E), 0);
	E = NULL;
	return unknown == 0 ? 0 : -1;
}

static const char *
step_status(json_t *j, const char *step)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(j, "steps"), i, s) {
		if (strcmp(json_string_value(json_object_get(s, "step")), step) == 0)
			return json_string_value(json_object_get(s, "status"));
	}
	fail_msg("no step \"%s\" in %s", step, json_dumps(j, 0));
	return NULL;
}

static char *
sha256_hex(const char *s)
{
	unsigned char md[32];
	unsigned int n;
	char *hex = malloc(65);

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return hex;
}

/* --- the store, as serve sees it: does a secret or token still work? --- */

static dk_store *
store_of(cli_env *e)
{
	dk_store *s = NULL;
	char *path = tu_path(e->state_dir, "diskops.db");

	assert_int_equal(dk_store_open(&s, path, NULL), 0);
	free(path);
	return s;
}

static char *
webhook_secret_now(cli_env *e, const char *id)
{
	dk_store *s = store_of(e);
	dk_secret_box *box = NULL;
	dk_webhook *w = NULL;
	char *secret = NULL;

	assert_int_equal(dk_store_webhook_get(s, &w, id), 0);
	assert_int_equal(dk_secret_box_open(&box, e->state_dir), 0);
	assert_int_equal(dk_secret_decrypt(box, &secret, w->secret_enc), 0);
	dk_secret_box_free(box);
	dk_webhook_free(w);
	dk_store_free(s);
	return secret;
}

static bool
worker_token_works(cli_env *e, const char *token)
{
	dk_store *s = store_of(e);
	dk_worker *w = NULL;
	int rc = dk_worker_authenticate(s, &w, token);

	dk_worker_free(w);
	dk_store_free(s);
	dk_error_clear();
	return rc == 0;
}

/* Runs the dispatched build of owner/repo with a script that prints what it got. */
static char *
runner_view(const char *repo)
{
	char path[256], *body = NULL;
	json_t *runs, *jobs;
	long long run_id, job_id;

	emu_runner_script(E, "alice", repo,
			  "printf 'url=%s\\n' \"$POWERNODE_DISK_IMAGE_WEBHOOK_URL\" | sed 's/s/S/'\n"
			  "printf %s \"$POWERNODE_DISK_IMAGE_WEBHOOK_SECRET\" | sha256sum | sed 's/^/hook=/'\n"
			  "printf %s \"$POWERNODE_CI_WORKER_TOKEN\" | sha256sum | sed 's/^/worker=/'\n"
			  "printf 'api=%s\\n' \"$POWERNODE_API_BASE\" | sed 's/s/S/'\n"
			  "printf 'registry=%s platform=%s\\n' \"$POWERNODE_OCI_REGISTRY\" "
			  "\"$POWERNODE_PLATFORM\"\n");
	snprintf(path, sizeof(path), "/api/v1/repos/alice/%s/actions/workflows/"
		 "build-disk-image.yml/dispatches", repo);
	assert_int_equal(emu_http(E, "POST", path, EMU_ALICE, "{\"ref\":\"refs/heads/main\"}", NULL),
			 204);
	snprintf(path, sizeof(path), "/api/v1/repos/alice/%s/actions/runs", repo);
	assert_int_equal(emu_http(E, "GET", path, EMU_ALICE, NULL, &body), 200);
	runs = json_loads(body, 0, NULL);
	free(body);
	run_id = json_integer_value(json_object_get(json_array_get(json_object_get(runs,
		 "workflow_runs"), 0), "id"));
	json_decref(runs);
	snprintf(path, sizeof(path), "/api/v1/repos/alice/%s/actions/runs/%lld/jobs", repo, run_id);
	assert_int_equal(emu_http(E, "GET", path, EMU_ALICE, NULL, &body), 200);
	jobs = json_loads(body, 0, NULL);
	free(body);
	job_id = json_integer_value(json_object_get(json_array_get(json_object_get(jobs, "jobs"),
		 0), "id"));
	json_decref(jobs);
	emu_wait_job(E, job_id);
	snprintf(path, sizeof(path), "/api/v1/repos/alice/%s/actions/jobs/%lld/logs", repo, job_id);
	assert_int_equal(emu_http(E, "GET", path, EMU_ALICE, NULL, &body), 200);
	return body;
}

static void
bootstrap_sets_up_a_new_repo(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	tu_run_result r;
	json_t *j, *j2;
	char *body = NULL, *log, *hook_sha, *worker_sha, expect[300], *token_reply = NULL;
	const char *secret, *token;

	(void)state;
	assert_int_equal(RUN(e, &r, "platform", "create", "pc", "--arch", "amd64"), 0);
	tu_run_result_free(&r);
	j = JSON(e, "bootstrap", "--owner", "alice", "--repo", "images", "--label", "pc-ci",
		 "--platform", "pc", "--commit-workflow", "--yes", "--json");
	assert_true(json_is_true(json_object_get(j, "success")));
	assert_string_equal(step_status(j, "gitea credential"), "ok");
	assert_string_equal(step_status(j, "repo alice/images"), "created");
	assert_string_equal(step_status(j, "webhook pc-ci"), "created");
	assert_string_equal(step_status(j, "ci worker pc-ci"), "created");
	assert_string_equal(step_status(j, "secret POWERNODE_DISK_IMAGE_WEBHOOK_URL"), "created");
	assert_string_equal(step_status(j, "secret POWERNODE_DISK_IMAGE_WEBHOOK_SECRET"), "created");
	assert_string_equal(step_status(j, "secret POWERNODE_CI_WORKER_TOKEN"), "created");
	assert_string_equal(step_status(j, "secret POWERNODE_API_BASE"), "created");
	assert_string_equal(step_status(j, "variable POWERNODE_OCI_REGISTRY"), "created");
	assert_string_equal(step_status(j, "variable POWERNODE_PLATFORM"), "created");
	assert_string_equal(step_status(j, "runner registration token"), "ok");
	assert_string_equal(step_status(j, "runners"), "ok");
	assert_string_equal(step_status(j, "workflow"), "created");
	assert_string_equal(step_status(j, "platform build repo"), "ok");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "gitea_secrets_set"),
				"POWERNODE_API_BASE")), "created");

	/* The registration token is Gitea's (not the worker token), in the exact line. */
	assert_int_equal(emu_http(E, "POST", "/api/v1/repos/alice/images/actions/runners/"
				  "registration-token", EMU_ALICE, NULL, &token_reply), 200);
	j2 = json_loads(token_reply, 0, NULL);
	snprintf(expect, sizeof(expect), "act_runner register --instance %s --token %s --labels "
		 "disk-image-builder,amd64 --no-interactive", E->url,
		 json_string_value(json_object_get(j2, "token")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "runner"),
				"register_command")), expect);
	json_decref(j2);
	free(token_reply);

	/* What the runner gets is what diskops holds. */
	secret = json_string_value(json_object_get(json_object_get(j, "webhook"), "secret_plaintext"));
	token = json_string_value(json_object_get(json_object_get(j, "ci_worker"), "token_plaintext"));
	assert_non_null(secret);
	assert_true(worker_token_works(e, token));
	log = runner_view("images");
	hook_sha = sha256_hex(secret);
	worker_sha = sha256_hex(token);
	snprintf(expect, sizeof(expect), "hook=%s", hook_sha);
	assert_contains(log, expect);
	snprintf(expect, sizeof(expect), "worker=%s", worker_sha);
	assert_contains(log, expect);
	snprintf(expect, sizeof(expect), "url=httpS://diskops.example/api/v1/system/webhooks/"
		 "disk_image/built/%s", json_string_value(json_object_get(json_object_get(j,
		 "webhook"), "id")));
	assert_contains(log, expect);
	assert_contains(log, "api=httpS://diskops.example");
	assert_contains(log, "registry=registry.example:5000 platform=pc");
	free(log);
	free(hook_sha);
	free(worker_sha);

	/* The workflow is on main, with what the pipeline needs. */
	assert_int_equal(emu_http(E, "GET", "/api/v1/repos/alice/images/contents/build.sh",
				  EMU_ALICE, NULL, &body), 200);
	free(body);
	assert_int_equal(RUN(e, &r, "platform", "show", "pc"), 0);
	assert_contains(r.out, "alice/images");
	tu_run_result_free(&r);
	json_decref(j);

	/* Text output: the step table, the secrets once, the act_runner line. */
	assert_int_equal(RUN(e, &r, "bootstrap", "--owner", "alice", "--repo", "images", "--label",
			     "pc-ci", "--commit-workflow", "--yes"), 0);
	assert_contains(r.out, "STEP");
	assert_contains(r.out, "webhook pc-ci");
	assert_contains(r.out, "rotated");
	assert_contains(r.out, "act_runner register --instance ");
	assert_contains(r.out, "present: kept");
	tu_run_result_free(&r);
	cli_env_free(e);
}

static void
bootstrap_again_rotates_in_place(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	json_t *j1, *j2;
	char *now, *log, *sha, expect[100];
	const char *id, *old_secret, *old_token, *new_token;

	(void)state;
	assert_int_equal(emu_http(E, "POST", "/api/v1/user/repos", EMU_ALICE,
				  "{\"name\":\"again\",\"auto_init\":true}", NULL), 201);
	j1 = JSON(e, "bootstrap", "--owner", "alice", "--repo", "again", "--label", "ci",
		  "--commit-workflow", "--yes", "--json");
	assert_string_equal(step_status(j1, "repo alice/again"), "ok");
	j2 = JSON(e, "bootstrap", "--owner", "alice", "--repo", "again", "--label", "ci", "--yes",
		  "--json");
	assert_true(json_is_true(json_object_get(j2, "success")));
	assert_string_equal(step_status(j2, "webhook ci"), "rotated");
	assert_string_equal(step_status(j2, "ci worker ci"), "rotated");
	assert_string_equal(step_status(j2, "secret POWERNODE_DISK_IMAGE_WEBHOOK_SECRET"), "ok");
	assert_string_equal(step_status(j2, "variable POWERNODE_OCI_REGISTRY"), "ok");
	assert_string_equal(step_status(j2, "workflow"), "ok");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j2, "webhook"),
				"action")), "rotated_secret_for_existing");
	/* Same webhook, new secret; the old worker token is dead, the new one works. */
	id = json_string_value(json_object_get(json_object_get(j1, "webhook"), "id"));
	assert_string_equal(id, json_string_value(json_object_get(json_object_get(j2, "webhook"), "id")));
	old_secret = json_string_value(json_object_get(json_object_get(j1, "webhook"), "secret_plaintext"));
	now = webhook_secret_now(e, id);
	assert_string_equal(now, json_string_value(json_object_get(json_object_get(j2, "webhook"),
				"secret_plaintext")));
	assert_string_not_equal(now, old_secret);
	old_token = json_string_value(json_object_get(json_object_get(j1, "ci_worker"), "token_plaintext"));
	new_token = json_string_value(json_object_get(json_object_get(j2, "ci_worker"), "token_plaintext"));
	assert_false(worker_token_works(e, old_token));
	assert_true(worker_token_works(e, new_token));
	/* And Gitea has the new secret. */
	log = runner_view("again");
	sha = sha256_hex(now);
	snprintf(expect, sizeof(expect), "hook=%s", sha);
	assert_contains(log, expect);
	free(sha);
	free(log);
	free(now);
	json_decref(j1);
	json_decref(j2);
	cli_env_free(e);
}

/* A bootstrapped label whose webhook secret and worker token must survive a failure. */
struct before {
	char *id, *secret, *token;
};

static struct before
bootstrapped(cli_env *e, const char *repo)
{
	struct before b;
	json_t *j = JSON(e, "bootstrap", "--owner", "alice", "--repo", repo, "--label", "keep",
			 "--yes", "--json");

	assert_true(json_is_true(json_object_get(j, "success")));
	b.id = strdup(json_string_value(json_object_get(json_object_get(j, "webhook"), "id")));
	b.secret = strdup(json_string_value(json_object_get(json_object_get(j, "webhook"),
							    "secret_plaintext")));
	b.token = strdup(json_string_value(json_object_get(json_object_get(j, "ci_worker"),
							   "token_plaintext")));
	json_decref(j);
	return b;
}

static void
assert_unchanged(cli_env *e, struct before *b)
{
	char *now = webhook_secret_now(e, b->id);

	assert_string_equal(now, b->secret);
	assert_true(worker_token_works(e, b->token));
	free(now);
	free(b->id);
	free(b->secret);
	free(b->token);
}

static void
bad_token_rotates_nothing(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	struct before b = bootstrapped(e, "build");
	tu_run_result r;

	(void)state;
	e->extra_env[1] = "DISKOPS_GITEA_TOKEN=wrong-token-0000";
	assert_int_equal(RUN(e, &r, "bootstrap", "--owner", "alice", "--repo", "build", "--label",
			     "keep", "--yes"), 1);
	assert_contains(r.err, "stopped before rotating anything");
	assert_contains(r.err, "401, bad or expired token");
	assert_contains(r.out, "error: ");
	assert_null(strstr(r.err, "wrong-token-0000"));
	assert_null(strstr(r.out, "wrong-token-0000"));
	tu_run_result_free(&r);
	assert_unchanged(e, &b);
	cli_env_free(e);
}

static void
not_the_owner_rotates_nothing(void **state)
{
	cli_env *e = env_new(EMU_BOB);
	tu_run_result r;

	(void)state;
	/* bob's own webhook of that label exists and must keep working. */
	e->extra_env[1] = "DISKOPS_GITEA_TOKEN=" EMU_ALICE;
	{
		struct before b = bootstrapped(e, "build");

		e->extra_env[1] = "DISKOPS_GITEA_TOKEN=" EMU_BOB;
		assert_int_equal(RUN(e, &r, "bootstrap", "--owner", "alice", "--repo", "build",
				     "--label", "keep", "--yes", "--json"), 1);
		assert_contains(r.out, "\"success\": false");
		assert_contains(r.err, "bob may not set its Actions secrets, variables and runners: "
				"they need the repo owner, an org owner or a site admin");
		tu_run_result_free(&r);
		assert_unchanged(e, &b);
	}
	cli_env_free(e);
}

static void
missing_repo_that_cannot_be_created(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	tu_run_result r;

	(void)state;
	assert_int_equal(RUN(e, &r, "bootstrap", "--owner", "nosuchorg", "--repo", "x", "--label",
			     "l404", "--yes"), 3);
	assert_contains(r.err, "repo nosuchorg/x does not exist and cannot be created");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "webhook", "list"), 0);
	assert_null(strstr(r.out, "l404"));
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "worker", "list"), 0);
	assert_null(strstr(r.out, "l404"));
	tu_run_result_free(&r);
	/* Usage errors come before anything. */
	assert_int_equal(RUN(e, &r, "bootstrap", "--owner", "alice", "--repo", "build"), 2);
	assert_contains(r.err, "owner/repo/label all required");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "bootstrap", "--owner", "alice", "--repo", "build", "--label",
			     "x"), 2);
	assert_contains(r.err, "add --yes");
	tu_run_result_free(&r);
	cli_env_free(e);
}

static void
existing_variable_is_updated(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	char *body = NULL;
	json_t *j;

	(void)state;
	assert_int_equal(emu_http(E, "POST", "/api/v1/user/repos", EMU_ALICE,
				  "{\"name\":\"vars\",\"auto_init\":true}", NULL), 201);
	assert_int_equal(emu_http(E, "POST", "/api/v1/repos/alice/vars/actions/variables/"
				  "POWERNODE_OCI_REGISTRY", EMU_ALICE, "{\"value\":\"old.example\"}",
				  NULL), 201);
	j = JSON(e, "bootstrap", "--owner", "alice", "--repo", "vars", "--label", "v", "--yes",
		 "--json");
	assert_string_equal(step_status(j, "variable POWERNODE_OCI_REGISTRY"), "ok");
	json_decref(j);
	assert_int_equal(emu_http(E, "GET", "/api/v1/repos/alice/vars/actions/variables/"
				  "POWERNODE_OCI_REGISTRY", EMU_ALICE, NULL, &body), 200);
	assert_contains(body, "\"data\":\"registry.example:5000\"");
	free(body);
	cli_env_free(e);
}

static void
read_token_is_minted_and_works(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	tu_run_result r;
	json_t *j;
	char *log, path[200], *body = NULL;

	(void)state;
	assert_int_equal(emu_http(E, "POST", "/api/v1/user/repos", EMU_ALICE,
				  "{\"name\":\"readers\",\"auto_init\":true}", NULL), 201);
	/* No password anywhere: refused before anything happens. */
	assert_int_equal(cli_run_input(e, &r, "", "bootstrap", "--owner", "alice", "--repo",
				       "readers", "--label", "rd", "--read-token", "--yes", NULL), 2);
	assert_contains(r.err, "--read-token needs the Gitea password");
	tu_run_result_free(&r);
	/* The password on stdin; twice, so the token of that name is replaced. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(cli_run_input(e, &r, "alice-pw\n", "bootstrap", "--owner", "alice",
					       "--repo", "readers", "--label", "rd", "--read-token",
					       "--yes", "--json", NULL), 0);
		j = json_loads(r.out, 0, NULL);
		assert_non_null(j);
		assert_string_equal(step_status(j, "platform read token"), "created");
		assert_string_equal(step_status(j, "secret PLATFORM_READ_TOKEN"),
				    i == 0 ? "created" : "ok");
		assert_string_equal(json_string_value(json_object_get(json_object_get(j,
					"platform_read_token"), "token_name")), "rd-platform-ci-readonly");
		json_decref(j);
		assert_null(strstr(r.out, "alice-pw"));
		tu_run_result_free(&r);
	}
	/* The runner can read Gitea with it. */
	emu_runner_script(E, "alice", "readers",
			  "curl -s -H \"Authorization: token $PLATFORM_READ_TOKEN\" "
			  "\"$GITHUB_SERVER_URL/api/v1/user\"; echo\n");
	assert_int_equal(emu_http(E, "POST", "/api/v1/repos/alice/readers/contents/.gitea/workflows/"
				  "build-disk-image.yml", EMU_ALICE, "{\"content\":\"b246IHdvcmtmbG93"
				  "X2Rpc3BhdGNoCmpvYnM6CiAgYjoKICAgIHJ1bnMtb246IHgK\"}", NULL), 201);
	assert_int_equal(emu_http(E, "POST", "/api/v1/repos/alice/readers/actions/workflows/"
				  "build-disk-image.yml/dispatches", EMU_ALICE,
				  "{\"ref\":\"main\"}", NULL), 204);
	assert_int_equal(emu_http(E, "GET", "/api/v1/repos/alice/readers/actions/runs", EMU_ALICE,
				  NULL, &body), 200);
	j = json_loads(body, 0, NULL);
	free(body);
	snprintf(path, sizeof(path), "/api/v1/repos/alice/readers/actions/runs/%lld/jobs",
		 (long long)json_integer_value(json_object_get(json_array_get(json_object_get(j,
		 "workflow_runs"), 0), "id")));
	json_decref(j);
	assert_int_equal(emu_http(E, "GET", path, EMU_ALICE, NULL, &body), 200);
	j = json_loads(body, 0, NULL);
	free(body);
	{
		long long job = json_integer_value(json_object_get(json_array_get(json_object_get(j,
						   "jobs"), 0), "id"));

		emu_wait_job(E, job);
		snprintf(path, sizeof(path), "/api/v1/repos/alice/readers/actions/jobs/%lld/logs", job);
	}
	json_decref(j);
	assert_int_equal(emu_http(E, "GET", path, EMU_ALICE, NULL, &log), 200);
	assert_contains(log, "\"login\":\"alice\"");
	free(log);
	cli_env_free(e);
}

static void
gitea_down_and_malformed_json(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	struct before b = bootstrapped(e, "build");
	tu_run_result r;

	(void)state;
	e->extra_env[0] = "DISKOPS_GITEA_URL=http://127.0.0.1:1";
	assert_int_equal(RUN(e, &r, "bootstrap", "--owner", "alice", "--repo", "build", "--label",
			     "keep", "--yes"), 1);
	assert_contains(r.err, "cannot reach Gitea at http://127.0.0.1:1");
	tu_run_result_free(&r);
	e->extra_env[0] = url_env;

	assert_int_equal(emu_http(E, "POST", "/_emulator/fault?malformed_json=1", NULL, NULL, NULL),
			 204);
	assert_int_equal(RUN(e, &r, "bootstrap", "--owner", "alice", "--repo", "build", "--label",
			     "keep", "--yes"), 1);
	assert_int_equal(emu_http(E, "POST", "/_emulator/fault?malformed_json=0", NULL, NULL, NULL),
			 204);
	assert_contains(r.err, "stopped before rotating anything");
	assert_contains(r.err, "not valid JSON");
	tu_run_result_free(&r);
	assert_unchanged(e, &b);
	cli_env_free(e);
}

/* --- core: the branch moves between the clone's fetch and the push --- */

static int
move_branch(void *payload, const char *what)
{
	(void)what;
	(void)payload;
	assert_int_equal(emu_http(E, "POST", "/api/v1/repos/alice/raced/contents/NOTES", EMU_ALICE,
				  "{\"content\":\"eA==\",\"message\":\"faster\"}", NULL), 201);
	return 0;
}

static void
workflow_push_rejected_is_reported(void **state)
{
	char *dir = tu_mkdtemp(), *db = tu_path(dir, "diskops.db");
	dk_gitops_author ada = { "Ada", "ada@example.org" };
	dk_bootstrap_opts o = { .owner = "alice", .repo = "raced", .label = "raced",
				.gitea_url = E->url, .gitea_token = EMU_ALICE,
				.api_base = "https://diskops.example", .commit_workflow = true,
				.state_dir = dir, .author = &ada, .actor = "test",
				.confirm = move_branch };
	dk_bootstrap_result *res = NULL;
	dk_secret_box *box = NULL;
	dk_account *acct = NULL;
	dk_store *s = NULL;
	dk_gitea *g = NULL;
	const char *status = NULL;
	bool created;

	(void)state;
	assert_int_equal(emu_http(E, "POST", "/api/v1/user/repos", EMU_ALICE,
				  "{\"name\":\"raced\",\"auto_init\":true}", NULL), 201);
	assert_int_equal(dk_store_open(&s, db, NULL), 0);
	assert_int_equal(dk_account_ensure(s, &acct, "default", &created), 0);
	assert_int_equal(dk_secret_box_open(&box, dir), 0);
	assert_int_equal(dk_gitea_open(&g, E->url, EMU_ALICE), 0);
	assert_int_equal(dk_bootstrap(&res, s, box, g, acct->id, &o), 0);
	assert_true(res->failed);
	for (size_t i = 0; i < res->nsteps; i++) {
		if (strcmp(res->steps[i].name, "workflow") == 0)
			status = res->steps[i].status;
	}
	assert_contains(status, "error: push: push to ");
	assert_contains(status, "rejected (non-fast-forward)");
	/* The other steps went on: the runner can still announce builds. */
	assert_non_null(res->webhook_secret);
	assert_null(res->workflow_commit);
	dk_bootstrap_result_free(res);
	/* Run again: it starts from the remote tip and the workflow lands. */
	o.confirm = NULL;
	assert_int_equal(dk_bootstrap(&res, s, box, g, acct->id, &o), 0);
	assert_false(res->failed);
	assert_non_null(res->workflow_commit);
	dk_bootstrap_result_free(res);
	dk_gitea_free(g);
	dk_secret_box_free(box);
	dk_account_free(acct);
	dk_store_free(s);
	tu_rmrf(dir);
	free(dir);
	free(db);
}

/* --- webhook create --set-gitea-secrets, trigger --- */

static void
webhook_create_sets_gitea_secrets(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	tu_run_result r;
	char *body = NULL;
	json_t *j;

	(void)state;
	assert_int_equal(emu_http(E, "POST", "/api/v1/user/repos", EMU_ALICE,
				  "{\"name\":\"hooked\",\"auto_init\":true}", NULL), 201);
	j = JSON(e, "webhook", "create", "--label", "hooked", "--set-gitea-secrets", "alice/hooked",
		 "--json");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "gitea_secrets_set"),
				"POWERNODE_DISK_IMAGE_WEBHOOK_SECRET")), "created");
	json_decref(j);
	assert_int_equal(emu_http(E, "GET", "/api/v1/repos/alice/hooked/actions/secrets", EMU_ALICE,
				  NULL, &body), 200);
	assert_contains(body, "POWERNODE_DISK_IMAGE_WEBHOOK_URL");
	assert_contains(body, "POWERNODE_API_BASE");
	assert_null(strstr(body, "POWERNODE_CI_WORKER_TOKEN"));
	free(body);
	/* Not the owner: refused before the webhook exists. */
	e->extra_env[1] = "DISKOPS_GITEA_TOKEN=" EMU_BOB;
	assert_int_equal(RUN(e, &r, "webhook", "create", "--label", "bobs", "--set-gitea-secrets",
			     "alice/hooked"), 1);
	assert_contains(r.err, "need the repo owner, an org owner or a site admin");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "webhook", "list"), 0);
	assert_null(strstr(r.out, "bobs"));
	tu_run_result_free(&r);
	cli_env_free(e);
}

static void
trigger_pushes_a_tag(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	tu_run_result r;
	json_t *j;

	(void)state;
	assert_int_equal(RUN(e, &r, "platform", "create", "tg", "--arch", "amd64"), 0);
	tu_run_result_free(&r);
	j = JSON(e, "bootstrap", "--owner", "alice", "--repo", "tagged", "--label", "tg",
		 "--platform", "tg", "--commit-workflow", "--yes", "--json");
	assert_true(json_is_true(json_object_get(j, "success")));
	json_decref(j);
	emu_runner_script(E, "alice", "tagged", "echo tag build\n");
	j = JSON(e, "trigger", "--platform", "tg", "--tag", "system-disk-image/v1.2.3", "--json");
	assert_string_equal(json_string_value(json_object_get(j, "ref")),
			    "refs/tags/system-disk-image/v1.2.3");
	assert_int_equal(strlen(json_string_value(json_object_get(j, "commit"))), 40);
	assert_true(json_integer_value(json_object_get(j, "run_id")) > 0);
	json_decref(j);
	assert_int_equal(RUN(e, &r, "trigger", "--platform", "tg", "--tag",
			     "system-disk-image/v1.2.3"), 6);
	assert_contains(r.err, "exists on");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "trigger", "--platform", "tg", "--tag", "v1.2.4"), 2);
	assert_contains(r.err, "must look like system-disk-image/vX.Y.Z");
	tu_run_result_free(&r);
	cli_env_free(e);
}

#define TESTS \
	cmocka_unit_test(bootstrap_sets_up_a_new_repo), \
	cmocka_unit_test(bootstrap_again_rotates_in_place), \
	cmocka_unit_test(bad_token_rotates_nothing), \
	cmocka_unit_test(not_the_owner_rotates_nothing), \
	cmocka_unit_test(missing_repo_that_cannot_be_created), \
	cmocka_unit_test(existing_variable_is_updated), \
	cmocka_unit_test(read_token_is_minted_and_works), \
	cmocka_unit_test(gitea_down_and_malformed_json), \
	cmocka_unit_test(workflow_push_rejected_is_reported), \
	cmocka_unit_test(webhook_create_sets_gitea_secrets), \
	cmocka_unit_test(trigger_pushes_a_tag)

int
main(void)
{
	const struct CMUnitTest tests[] = { TESTS };
	int failed = 0;

	version = "1.25";
	failed += cmocka_run_group_tests_name("bootstrap, Gitea 1.25", tests, group_setup,
					      group_teardown);
	version = "1.27";
	failed += cmocka_run_group_tests_name("bootstrap, Gitea 1.27", tests, group_setup,
					      group_teardown);
	return failed;
}
