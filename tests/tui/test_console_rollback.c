/*
 * Rollback from the keyboard (issue 8, item 4): the dialog on a publication, its
 * confirmations and refusals, and the commits a rollback undoes, read from the build
 * repo's clone. Driven like test_console.c: the real binary in a private tmux server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "consoleutil.h"
#include "diskops/gitops.h"
#include "storeutil.h"
#include "tmuxutil.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)

/* The publications of ubuntu-24.04-lts with the cursor on c2f85d13, the older published
 * one (rows: verifying, failed, the default, then it). */
static tm_session *
on_older_publication(cli_env *e, const char *env_prefix)
{
	tm_session *t = tm_start(e, 80, 24, env_prefix, "");

	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, "G", "2", NULL);
	tm_wait(t, "› publications");
	tm_keys(t, "j", "j", "j", NULL);
	tm_wait(t, "c2f85d13");
	return t;
}

static void
rollback_dialog_by_keyboard(void **state)
{
	cli_env *e = *state;
	tm_session *t = on_older_publication(e, "USER=carol SSH_CONNECTION='192.0.2.7 50000 10.0.0.1 22'");
	char id[64];
	json_t *j, *ev;

	tm_keys(t, "R", NULL);
	tm_wait(t, "[ Rollback ]");
	/* What would change, before anything does. */
	ct_contains(t->last, "Roll back ubuntu-24.04-lts");
	ct_contains(t->last, "3c4d5e6f7081  publication d94a7e21");
	ct_contains(t->last, "2b3c4d5e6f70  publication c2f85d13");
	ct_contains(t->last, "registry.example.com/os/ubuntu-24.04-lts@sha256:2222");
	ct_assert_fits(t, 80);
	assert_string_equal(ct_default_of(e, id), "d94a7e21-5b3d-4f6e-8a1b-000000000003");
	/* It stays centred through a resize. */
	tm_resize(t, 100, 30);
	tm_wait(t, "[ Rollback ]");
	tm_resize(t, 80, 24);
	tm_wait(t, "[ Rollback ]");
	/* Cancel has the focus; Tab Tab reaches the reason, then Tab Tab the Rollback button. */
	tm_keys(t, "Tab", "Tab", NULL);
	/* The reason edits like a shell line: arrows, Home/End, Delete, C-w. */
	tm_type(t, "kernel d94a");
	tm_wait(t, "kernel d94a");
	tm_keys(t, "Left", "Left", "Left", "Left", NULL);
	tm_type(t, "in ");
	tm_wait(t, "kernel in d94a");
	tm_keys(t, "Home", NULL);
	tm_type(t, "bad Z");
	tm_keys(t, "Left", "DC", NULL);
	tm_wait(t, "bad kernel in d94a");
	tm_keys(t, "End", "Right", NULL);
	tm_type(t, " typo");
	tm_wait(t, "bad kernel in d94a typo");
	tm_keys(t, "C-w", "BSpace", NULL);
	tm_wait_gone(t, "typo");
	/* Still in the reason: the arrows moved the cursor, not the focus. */
	tm_type(t, "!");
	tm_wait(t, "bad kernel in d94a!");
	tm_keys(t, "BSpace", NULL);
	tm_wait_gone(t, "d94a!");
	ct_contains(t->last, "bad kernel in d94a");
	tm_keys(t, "Tab", "Tab", "Enter", NULL);
	tm_wait(t, "ubuntu-24.04-lts now boots 2b3c4d5e6f70");
	ct_lacks(t->last, "[ Rollback ]");
	assert_string_equal(ct_default_of(e, id), "c2f85d13-5b3d-4f6e-8a1b-000000000002");
	/* The view shows the new default at once. */
	tm_wait(t, "● c2f85d13");
	j = cli_json(e, "events", "--prefix", "system.disk_image_rolled_back", "--json", NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 1);
	ev = json_object_get(json_array_get(j, 0), "payload");
	assert_string_equal(json_string_value(json_object_get(ev, "actor")), "carol@192.0.2.7");
	assert_string_equal(json_string_value(json_object_get(ev, "reason")), "bad kernel in d94a");
	json_decref(j);
	ct_quit(t);
	tm_stop(t);
}

static void
rollback_dialog_cancel_changes_nothing(void **state)
{
	cli_env *e = *state;
	tm_session *t = on_older_publication(e, "");
	char id[64];
	json_t *j;

	/* Esc closes it. */
	tm_keys(t, "R", NULL);
	tm_wait(t, "[ Rollback ]");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "nothing changed");
	/* Enter on Cancel, which has the focus, closes it too. */
	tm_keys(t, "R", NULL);
	tm_wait(t, "[ Rollback ]");
	tm_keys(t, "Enter", NULL);
	tm_wait_gone(t, "[ Rollback ]");
	ct_contains(t->last, "nothing changed");
	/* Typing y into the reason field is text, not a confirmation. */
	tm_keys(t, "R", NULL);
	tm_wait(t, "[ Rollback ]");
	tm_keys(t, "Tab", "Tab", "y", NULL);
	tm_keys(t, "Escape", NULL);
	tm_wait_gone(t, "[ Rollback ]");
	assert_string_equal(ct_default_of(e, id), "d94a7e21-5b3d-4f6e-8a1b-000000000003");
	j = cli_json(e, "events", "--prefix", "system.disk_image_rolled_back", "--json", NULL);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	/* P is the same dialog under the promote policy. */
	tm_keys(t, "P", NULL);
	tm_wait(t, "[ Promote ]");
	ct_contains(t->last, "Promote on ubuntu-24.04-lts");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "promote cancelled; nothing changed");
	assert_string_equal(ct_default_of(e, id), "d94a7e21-5b3d-4f6e-8a1b-000000000003");
	/* The default itself is refused in the status line, without a dialog. */
	tm_keys(t, "k", NULL);
	tm_keys(t, "R", NULL);
	tm_wait(t, "rollback: ");
	ct_lacks(t->last, "[ Rollback ]");
	ct_quit(t);
	tm_stop(t);
}

static void
rollback_dialog_y_confirms(void **state)
{
	cli_env *e = *state;
	tm_session *t = on_older_publication(e, "");
	char id[64];

	tm_keys(t, "R", NULL);
	tm_wait(t, "[ Rollback ]");
	tm_keys(t, "y", NULL);
	tm_wait(t, "now boots 2b3c4d5e6f70");
	assert_string_equal(ct_default_of(e, id), "c2f85d13-5b3d-4f6e-8a1b-000000000002");
	ct_quit(t);
	tm_stop(t);
}

static void
rollback_under_require_approval_is_pending(void **state)
{
	cli_env *e = *state;
	tm_session *t;
	tu_run_result r;
	char id[64];

	assert_int_equal(RUN(e, &r, "policy", "set", "rollback", "require_approval"), 0);
	tu_run_result_free(&r);
	t = on_older_publication(e, "");
	tm_keys(t, "R", NULL);
	tm_wait(t, "[ Rollback ]");
	tm_keys(t, "y", NULL);
	tm_wait(t, "approval pending (");
	assert_string_equal(ct_default_of(e, id), "d94a7e21-5b3d-4f6e-8a1b-000000000003");
	ct_quit(t);
	tm_stop(t);
}

/*
 * The build repo's clone as `diskops trigger` leaves it in the state dir: an origin, a
 * commit per image change. c2f85d13 (the older publication) is built from the first, the
 * default d94a7e21 from the last; between them, `n` commits that a rollback undoes.
 */
static void
clone_with_history(cli_env *e, int n)
{
	dk_gitops_remote r = { .branch = "main" };
	const dk_gitops_author ada = { "Ada Operator", "ada@example.org" };
	char *origin = tu_path(e->state_dir, "origin.git"), *dir, *db, sql[600];
	char first[41], sha[41];
	git_repository *repo = NULL;
	dk_gitops *g = NULL;
	tu_run_result res;

	assert_int_equal(RUN(e, &res, "platform", "set", "ubuntu-24.04-lts", "--build-repo",
			     "ops/images"), 0);
	tu_run_result_free(&res);
	git_libgit2_init();
	assert_int_equal(git_repository_init(&repo, origin, 1), 0);
	git_repository_free(repo);
	assert_true(asprintf((char **)&r.url, "file://%s", origin) > 0);
	dir = dk_gitops_clone_dir(e->state_dir, "ops", "images");
	assert_int_equal(dk_gitops_open(&g, dir, &r), 0);
	for (int i = 0; i <= n; i++) {
		git_index *idx;
		char text[64], msg[64], *path = tu_path(dir, "image.conf");

		snprintf(text, sizeof(text), "kernel 6.%d\n", i);
		assert_int_equal(tu_write_file(path, text, 0644), 0);
		free(path);
		assert_int_equal(git_repository_open(&repo, dir), 0);
		assert_int_equal(git_repository_index(&idx, repo), 0);
		assert_int_equal(git_index_add_bypath(idx, "image.conf"), 0);
		assert_int_equal(git_index_write(idx), 0);
		git_index_free(idx);
		git_repository_free(repo);
		snprintf(msg, sizeof(msg), i ? "Image change number %d\n" : "Known good image\n", i);
		assert_int_equal(dk_gitops_commit(g, sha, msg, &ada), 0);
		if (i == 0)
			memcpy(first, sha, sizeof(first));
	}
	dk_gitops_free(g);
	git_libgit2_shutdown();
	db = tu_path(e->state_dir, "diskops.db");
	snprintf(sql, sizeof(sql), "UPDATE disk_image_publication SET git_sha = '%s' WHERE id LIKE "
		 "'c2f85d13%%'; UPDATE disk_image_publication SET git_sha = '%s' WHERE id LIKE "
		 "'d94a7e21%%';", first, sha);
	assert_int_equal(su_sql_exec(db, sql), 0);
	free(db);
	free(dir);
	free((char *)r.url);
	free(origin);
}

/* The rollback dialog lists what rolling back undoes, as much as the screen holds. */
static void
rollback_dialog_lists_the_commits_between(void **state)
{
	cli_env *e = *state;
	tm_session *t;
	char *line;

	clone_with_history(e, 12);
	t = on_older_publication(e, "");
	tm_keys(t, "R", NULL);
	tm_wait(t, "[ Rollback ]");
	ct_contains(t->last, "12 undone: rolling back over these");
	/* Newest first; at 80×24 four of them and how many more, the status bar in sight. */
	ct_contains(t->last, "Image change number 12");
	ct_contains(t->last, "Image change number 9");
	ct_lacks(t->last, "Image change number 8");
	ct_contains(t->last, "and 8 more");
	ct_contains(t->last, "account default │");
	/* The target's own commit is where it lands, not something undone. */
	ct_lacks(t->last, "Known good image");
	line = tm_line(t, "Image change number 12");
	assert_true(strlen(line) > 0);
	free(line);
	ct_contains(t->last, "[ Cancel ]");
	ct_contains(t->last, "y or Rollback+Enter confirms");
	ct_assert_fits(t, 80);
	/* Taller: ten, then the rest counted. */
	tm_resize(t, 132, 43);
	tm_wait(t, "and 2 more");
	ct_contains(t->last, "Image change number 3");
	ct_lacks(t->last, "Image change number 2 ");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "nothing changed");
	ct_quit(t);
	tm_stop(t);
}

/* No clone, or a sha the clone lacks: the dialog says unknown and still works. */
static void
rollback_dialog_without_history_says_unknown(void **state)
{
	cli_env *e = *state;
	tm_session *t = on_older_publication(e, "");
	tu_run_result r;

	tm_keys(t, "R", NULL);
	tm_wait(t, "[ Rollback ]");
	ct_contains(t->last, "unknown: the platform has no build repo");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "nothing changed");
	assert_int_equal(RUN(e, &r, "platform", "set", "ubuntu-24.04-lts", "--build-repo",
			     "ops/images"), 0);
	tu_run_result_free(&r);
	tm_keys(t, "C-l", "R", NULL);
	tm_wait(t, "unknown: no clone of ops/images");
	tm_keys(t, "y", NULL);
	tm_wait(t, "now boots 2b3c4d5e6f70");
	ct_quit(t);
	tm_stop(t);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, ct_setup, ct_teardown)
	const struct CMUnitTest tests[] = {
		T(rollback_dialog_by_keyboard),
		T(rollback_dialog_cancel_changes_nothing),
		T(rollback_dialog_y_confirms),
		T(rollback_under_require_approval_is_pending),
		T(rollback_dialog_lists_the_commits_between),
		T(rollback_dialog_without_history_says_unknown),
	};
	return cmocka_run_group_tests_name("console rollback", tests, NULL, NULL);
}
