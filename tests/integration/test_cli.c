/* The headless CLI as a script sees it: the built binary, exit codes, stdout/stderr, --json. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cliutil.h"
#include "diskops/clock.h"
#include "diskops/store.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)
#define JSON(e, ...) cli_json((e), __VA_ARGS__, NULL)

static int
setup(void **state)
{
	cli_env *e = cli_env_new();
	tu_run_result r;

	assert_int_equal(RUN(e, &r, "init"), 0);
	tu_run_result_free(&r);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	cli_env_free(*state);
	return 0;
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected to find \"%s\" in:\n%s", needle, haystack);
}

static void
init_is_idempotent_and_private(void **state)
{
	cli_env *e = cli_env_new();
	tu_run_result r;
	struct stat st;
	char *db, *key;
	json_t *j;

	(void)state;
	assert_int_equal(RUN(e, &r, "init"), 0);
	assert_contains(r.out, "(created)");
	tu_run_result_free(&r);
	db = tu_path(e->state_dir, "diskops.db");
	key = tu_path(e->state_dir, "master.key");
	assert_int_equal(stat(e->state_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	j = JSON(e, "init", "--json");
	assert_false(json_is_true(json_object_get(json_object_get(j, "created"), "database")));
	assert_false(json_is_true(json_object_get(json_object_get(j, "created"), "account")));
	assert_int_equal(json_integer_value(json_object_get(j, "schema_version")),
			 dk_store_latest_version());
	assert_string_equal(json_string_value(json_object_get(j, "account")), "default");
	json_decref(j);
	j = JSON(e, "account", "list", "--json");
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	free(db);
	free(key);
	cli_env_free(e);
}

static void
commands_need_init(void **state)
{
	cli_env *e = cli_env_new();
	tu_run_result r;

	(void)state;
	assert_int_equal(RUN(e, &r, "platform", "list"), 1);
	assert_contains(r.err, "diskops: platform list: no database at ");
	assert_contains(r.err, "run `diskops init` first");
	tu_run_result_free(&r);
	cli_env_free(e);
}

static void
readme_example_works(void **state)
{
	cli_env *e = *state;
	tu_run_result r;
	json_t *j, *p;

	assert_int_equal(RUN(e, &r, "platform", "create", "ubuntu-24.04-lts", "--arch", "amd64",
			     "--retention", "3"), 0);
	tu_run_result_free(&r);
	j = JSON(e, "platform", "list", "--json");
	assert_int_equal(json_array_size(j), 1);
	p = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(p, "name")), "ubuntu-24.04-lts");
	assert_string_equal(json_string_value(json_object_get(p, "arch")), "amd64");
	assert_int_equal(json_integer_value(json_object_get(p, "disk_image_retention_count")), 3);
	assert_string_equal(json_string_value(json_object_get(p, "disk_image_publication_status")), "none");
	assert_string_equal(json_string_value(json_object_get(p, "tlog_policy")), "required");
	assert_true(json_is_null(json_object_get(p, "default_publication_id")));
	assert_true(json_is_array(json_object_get(p, "trusted_keys")));
	json_decref(j);

	assert_int_equal(RUN(e, &r, "platform", "list"), 0);
	assert_contains(r.out, "NAME");
	assert_contains(r.out, "ubuntu-24.04-lts  amd64");
	tu_run_result_free(&r);
}

static void
platform_set_show_and_events(void **state)
{
	cli_env *e = *state;
	tu_run_result r;
	json_t *j, *ev;

	assert_int_equal(RUN(e, &r, "platform", "create", "rpi4", "--arch", "arm64"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "set", "rpi4", "--retention", "7",
			     "--identity-regexp", "^https://git\\.example\\.com/ops/.+$",
			     "--issuer-regexp", "https://git.example.com", "--tlog", "optional",
			     "--build-repo", "ops/rpi4-image"), 0);
	assert_contains(r.out, "platform rpi4 updated");
	tu_run_result_free(&r);
	j = JSON(e, "platform", "show", "rpi4", "--json");
	assert_int_equal(json_integer_value(json_object_get(j, "disk_image_retention_count")), 7);
	assert_string_equal(json_string_value(json_object_get(j, "cosign_identity_regexp")),
			    "^https://git\\.example\\.com/ops/.+$");
	assert_string_equal(json_string_value(json_object_get(j, "tlog_policy")), "optional");
	assert_string_equal(json_string_value(json_object_get(j, "build_repo")), "ops/rpi4-image");
	json_decref(j);
	assert_int_equal(RUN(e, &r, "platform", "show", "rpi4"), 0);
	assert_contains(r.out, "trust                  keyless");
	tu_run_result_free(&r);

	j = JSON(e, "events", "--prefix", "system.node_platform", "--json");
	assert_true(json_array_size(j) >= 2);
	ev = json_array_get(j, 0);      /* newest first: the update */
	assert_string_equal(json_string_value(json_object_get(ev, "kind")), "system.node_platform_updated");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(ev, "payload"),
			 "changes"), "disk_image_retention_count")), 7);
	assert_non_null(json_string_value(json_object_get(json_object_get(ev, "payload"), "actor")));
	json_decref(j);
	j = JSON(e, "events", "--prefix", "system.node_platform", "--limit", "1", "--json");
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
}

static void
trusted_keys_from_files(void **state)
{
	cli_env *e = *state;
	char *key = tu_path(e->dir, "cosign.pub"), *priv = tu_path(e->dir, "k.pem");
	char cmd[2048];
	tu_run_result r;
	json_t *j, *keys;

	snprintf(cmd, sizeof(cmd), "openssl ecparam -name prime256v1 -genkey -noout -out %s 2>/dev/null"
		 " && openssl ec -in %s -pubout -out %s 2>/dev/null", priv, priv, key);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(RUN(e, &r, "platform", "create", "keyed", "--arch", "amd64",
			     "--trusted-key", key, "--tlog", "optional"), 0);
	tu_run_result_free(&r);
	j = JSON(e, "platform", "show", "keyed", "--json");
	keys = json_object_get(j, "trusted_keys");
	assert_int_equal(json_array_size(keys), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 0), "type")), "ecdsa-p256");
	assert_true(strncmp(json_string_value(json_object_get(json_array_get(keys, 0), "fingerprint")),
			    "SHA256:", 7) == 0);
	json_decref(j);
	/* A private key is not a trusted public key. */
	assert_int_equal(RUN(e, &r, "platform", "set", "keyed", "--trusted-key", priv), 2);
	assert_contains(r.err, "is not a public key");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "set", "keyed", "--clear-trusted-keys"), 0);
	tu_run_result_free(&r);
	j = JSON(e, "platform", "show", "keyed", "--json");
	assert_int_equal(json_array_size(json_object_get(j, "trusted_keys")), 0);
	json_decref(j);
	free(key);
	free(priv);
}

/* Every refusal: one line naming what was wrong, a non-zero code, the store untouched. */
static void
bad_input_is_refused_and_changes_nothing(void **state)
{
	static const struct {
		const char *args[8];
		int status;
		const char *message;
	} cases[] = {
		{ { "platform", "create", "Bad Name", "--arch", "amd64" }, 2, "platform name \"Bad Name\" is invalid" },
		{ { "platform", "create", "-lead", "--arch", "amd64" }, 2, "unknown flag -l" },
		{ { "platform", "create", "x86box", "--arch", "x86" }, 2, "arch \"x86\" is invalid: use amd64 or arm64" },
		{ { "platform", "create", "big", "--arch", "amd64", "--retention", "51" }, 2, "retention 51 is out of range" },
		{ { "platform", "set", "base", "--retention", "0" }, 2, "retention 0 is out of range" },
		{ { "platform", "set", "base", "--retention", "three" }, 2, "retention \"three\" is invalid" },
		{ { "platform", "set", "base", "--identity-regexp", "(unclosed" }, 2, "identity regexp \"(unclosed\" is invalid at offset 9" },
		{ { "platform", "set", "base", "--issuer-regexp", "a(?!b)" }, 2, "issuer regexp \"a(?!b)\" is invalid at offset 1: lookaround" },
		{ { "platform", "set", "base", "--identity-regexp", "(a)\\1" }, 2, "backreferences" },
		{ { "platform", "set", "base", "--trusted-key", "/nonexistent/key.pub" }, 1, "trusted key /nonexistent/key.pub: No such file or directory" },
		{ { "platform", "set", "base", "--tlog", "sometimes" }, 2, "tlog policy \"sometimes\" is invalid" },
		{ { "platform", "set", "base", "--build-repo", "no-slash" }, 2, "build repo \"no-slash\" is invalid" },
		{ { "platform", "set", "base", "--workflow-file", "../escape.yml" }, 2, "workflow file \"../escape.yml\" is invalid" },
		{ { "platform", "set", "base" }, 2, "nothing to change" },
		{ { "platform", "set", "missing", "--retention", "4" }, 3, "platform \"missing\" not found" },
		{ { "platform", "create", "base", "--arch", "arm64" }, 6, "platform \"base\" already exists" },
		{ { "platform", "show" }, 2, "give exactly one platform NAME or ID" },
		{ { "publication", "list", "--status", "done" }, 2, "status \"done\" is not one of" },
		{ { "publication", "list", "--limit", "0" }, 2, "limit \"0\" is invalid" },
		{ { "publication", "show", "00000000-0000-4000-8000-000000000000" }, 3, "not found" },
		{ { "events", "--since", "yesterday" }, 2, "duration \"yesterday\"" },
		{ { "account", "create", "UPPER" }, 2, "account name \"UPPER\" is invalid" },
		{ { "platform", "list", "--account", "nobody" }, 3, "account \"nobody\" not found" },
		{ { "nosuch" }, 2, "unknown command \"nosuch\"" },
		{ { "platform", "explode" }, 2, "unknown verb \"explode\"" },
	};
	cli_env *e = *state;
	tu_run_result r;
	json_t *before, *after, *ev_before, *ev_after;
	char *dump_before, *dump_after;

	assert_int_equal(RUN(e, &r, "platform", "create", "base", "--arch", "amd64"), 0);
	tu_run_result_free(&r);
	before = JSON(e, "platform", "list", "--json");
	ev_before = JSON(e, "events", "--json", "--limit", "1000");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *a = cases[i].args;

		cli_run(e, &r, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], NULL);
		if (r.status != cases[i].status || !strstr(r.err, cases[i].message))
			fail_msg("case %zu (%s %s %s): exit %d, stderr:\n%s\nexpected exit %d and \"%s\"",
				 i, a[0], a[1] ? a[1] : "", a[2] ? a[2] : "", r.status, r.err,
				 cases[i].status, cases[i].message);
		assert_true(strncmp(r.err, "diskops: ", 9) == 0);
		assert_string_equal(r.out, "");
		tu_run_result_free(&r);
	}
	after = JSON(e, "platform", "list", "--json");
	ev_after = JSON(e, "events", "--json", "--limit", "1000");
	dump_before = json_dumps(before, JSON_SORT_KEYS);
	dump_after = json_dumps(after, JSON_SORT_KEYS);
	assert_string_equal(dump_before, dump_after);
	assert_int_equal(json_array_size(ev_before), json_array_size(ev_after));
	free(dump_before);
	free(dump_after);
	json_decref(before);
	json_decref(after);
	json_decref(ev_before);
	json_decref(ev_after);
}

static void
help_version_and_usage(void **state)
{
	cli_env *e = *state;
	tu_run_result r;

	assert_int_equal(RUN(e, &r, "--version"), 0);
	assert_contains(r.out, "diskops 0.");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "--help"), 0);
	assert_contains(r.out, "platform create");
	assert_contains(r.out, "Exit codes:");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "--help"), 0);
	assert_contains(r.out, "Usage: diskops platform <verb>");
	assert_contains(r.out, "set");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "create", "--help"), 0);
	assert_contains(r.out, "--identity-regexp RE");
	tu_run_result_free(&r);
	/* No command without a terminal: usage on stderr, exit 2. */
	assert_int_equal(RUN(e, &r, NULL), 2);
	assert_contains(r.err, "Usage: diskops <noun> <verb>");
	tu_run_result_free(&r);
	/* A usage error prints the command's usage line. */
	assert_int_equal(RUN(e, &r, "platform", "create", "onlyname"), 2);
	assert_contains(r.err, "--arch amd64|arm64 is required");
	assert_contains(r.err, "Usage: diskops platform create NAME --arch");
	tu_run_result_free(&r);
}

/* Rows the webhook would write; inserted through the store as serve will. */
static void
seed_publications(cli_env *e, const char *platform_name, int n, char ids[][40])
{
	char *path = tu_path(e->state_dir, "diskops.db");
	dk_store *s;
	dk_account *a;
	dk_platform *p;

	assert_int_equal(dk_store_open(&s, path, NULL), 0);
	assert_int_equal(dk_store_account_find(s, &a, "default"), 0);
	assert_int_equal(dk_store_platform_find(s, &p, a->id, platform_name), 0);
	for (int i = 0; i < n; i++) {
		dk_publication row = { 0 }, *out;
		char sha[41];

		snprintf(sha, sizeof(sha), "%040d", i + 1);
		row.account_id = a->id;
		row.node_platform_id = p->id;
		row.git_sha = sha;
		row.arch = p->arch;
		row.size_bytes = 1024 * 1024 * (i + 1);
		row.status = DK_PUB_QUEUED;
		row.created_at = 1790000000 + i * 60;
		assert_int_equal(dk_store_publication_insert(s, &out, &row), 0);
		snprintf(ids[i], 40, "%s", out->id);
		dk_publication_free(out);
	}
	/* The second one fails verification. */
	assert_int_equal(dk_store_publication_transition(s, a->id, ids[1], DK_PUB_VERIFYING, NULL), 0);
	assert_int_equal(dk_store_publication_transition(s, a->id, ids[1], DK_PUB_FAILED,
							 "no trusted public key verified the signature"), 0);
	dk_platform_free(p);
	dk_account_free(a);
	dk_store_free(s);
	free(path);
}

static void
publication_list_and_show(void **state)
{
	cli_env *e = *state;
	char ids[4][40], prefix[9];
	tu_run_result r;
	json_t *j;

	assert_int_equal(RUN(e, &r, "platform", "create", "edge", "--arch", "arm64"), 0);
	tu_run_result_free(&r);
	seed_publications(e, "edge", 4, ids);

	j = JSON(e, "publication", "list", "--platform", "edge", "--json");
	assert_int_equal(json_array_size(j), 4);
	/* newest first */
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "id")), ids[3]);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 3), "id")), ids[0]);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "platform_name")), "edge");
	json_decref(j);
	j = JSON(e, "publication", "list", "--status", "failed", "--json");
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "error_message")),
			    "no trusted public key verified the signature");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "attempt_count")), 1);
	json_decref(j);
	j = JSON(e, "publication", "list", "--limit", "2", "--json");
	assert_int_equal(json_array_size(j), 2);
	json_decref(j);

	assert_int_equal(RUN(e, &r, "publication", "list", "--platform", "edge"), 0);
	assert_contains(r.out, "GIT SHA");
	assert_contains(r.out, "failed");
	assert_contains(r.out, "4.0 MiB");
	tu_run_result_free(&r);

	snprintf(prefix, sizeof(prefix), "%.8s", ids[2]);
	j = JSON(e, "publication", "show", prefix, "--json");
	assert_string_equal(json_string_value(json_object_get(j, "id")), ids[2]);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "queued");
	assert_false(json_is_true(json_object_get(j, "is_default")));
	json_decref(j);
	assert_int_equal(RUN(e, &r, "publication", "show", ids[1]), 0);
	assert_contains(r.out, "no trusted public key verified the signature");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "publication", "list", "--platform", "nope"), 3);
	tu_run_result_free(&r);
}

static void
accounts_scope_everything(void **state)
{
	cli_env *e = *state;
	char ids[4][40];
	tu_run_result r;
	json_t *j;

	assert_int_equal(RUN(e, &r, "platform", "create", "shared-name", "--arch", "amd64"), 0);
	tu_run_result_free(&r);
	seed_publications(e, "shared-name", 2, ids);
	assert_int_equal(RUN(e, &r, "account", "create", "tenant-b"), 0);
	tu_run_result_free(&r);
	/* The same name is free in another account. */
	assert_int_equal(RUN(e, &r, "--account", "tenant-b", "platform", "create", "shared-name",
			     "--arch", "arm64"), 0);
	tu_run_result_free(&r);
	j = JSON(e, "platform", "list", "--account", "tenant-b", "--json");
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "arch")), "arm64");
	json_decref(j);
	/* Another account's publication behaves as not found. */
	assert_int_equal(RUN(e, &r, "publication", "show", ids[0], "--account", "tenant-b"), 3);
	assert_contains(r.err, "not found");
	tu_run_result_free(&r);
	j = JSON(e, "publication", "list", "--account", "tenant-b", "--json");
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	j = JSON(e, "account", "list", "--json");
	assert_int_equal(json_array_size(j), 2);
	json_decref(j);
}

static void
config_file_is_read_and_checked(void **state)
{
	cli_env *e = *state;
	char *cfg = tu_path(e->dir, "config.ini"), *other = tu_path(e->dir, "other-state");
	char text[1024];
	tu_run_result r;

	snprintf(text, sizeof(text), "[state]\ndir = %s\n", other);
	assert_int_equal(tu_write_file(cfg, text, 0644), 0);
	assert_int_equal(RUN(e, &r, "platform", "create", "here", "--arch", "amd64"), 0);
	tu_run_result_free(&r);
	/* DISKOPS_STATE_DIR (set by the harness) beats the file... */
	assert_int_equal(RUN(e, &r, "--config", cfg, "platform", "list", "--json"), 0);
	assert_contains(r.out, "\"here\"");
	tu_run_result_free(&r);
	/* ...and --state-dir, anywhere on the line, beats both. */
	assert_int_equal(RUN(e, &r, "init", "--config", cfg, "--state-dir", other), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "list", "--json", "--state-dir", other), 0);
	assert_string_equal(r.out, "[]\n");
	tu_run_result_free(&r);

	assert_int_equal(tu_write_file(cfg, "[gitea]\nurl = https://git.example.com\ntoken = 0123456789abcdef\n", 0644), 0);
	assert_int_equal(RUN(e, &r, "--config", cfg, "platform", "list"), 1);
	assert_contains(r.err, "chmod 600");
	assert_true(strstr(r.err, "0123456789abcdef") == NULL);
	tu_run_result_free(&r);
	chmod(cfg, 0600);
	assert_int_equal(RUN(e, &r, "--config", cfg, "platform", "list"), 0);
	tu_run_result_free(&r);

	assert_int_equal(tu_write_file(cfg, "[state]\ndir = /tmp\ncolour = blue\n", 0600), 0);
	assert_int_equal(RUN(e, &r, "--config", cfg, "platform", "list"), 2);
	assert_contains(r.err, ":3: unknown key \"state.colour\"");
	tu_run_result_free(&r);
	free(cfg);
	free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_is_idempotent_and_private),
		cmocka_unit_test(commands_need_init),
		cmocka_unit_test_setup_teardown(readme_example_works, setup, teardown),
		cmocka_unit_test_setup_teardown(platform_set_show_and_events, setup, teardown),
		cmocka_unit_test_setup_teardown(trusted_keys_from_files, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_input_is_refused_and_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(help_version_and_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(publication_list_and_show, setup, teardown),
		cmocka_unit_test_setup_teardown(accounts_scope_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(config_file_is_read_and_checked, setup, teardown),
	};
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
