/*
 * The console as an operator sees it: the real binary in a private tmux server, driven
 * with send-keys and read with capture-pane. Every step waits for the screen to show
 * what it should; the only time limits are hang guards.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "diskops/gitops.h"

#include "tmuxutil.h"
#include "storeutil.h"
#include "diskops/status.h"
#include "../../tui/actions.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)

/* Two platforms with publications (one default each, one retired), an open and an acked
 * alert: tests/tui/seed.sql, shared with `make screenshots`. */
static int
setup(void **state)
{
	cli_env *e = cli_env_new();
	tu_run_result r;
	char *db, *sql;

	assert_int_equal(RUN(e, &r, "init"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "create", "ubuntu-24.04-lts", "--arch", "amd64",
			     "--identity-regexp", "^https://git\\.example\\.com/ops/",
			     "--issuer-regexp", "^https://token\\.actions\\.example\\.com$"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "create", "edge-arm", "--arch", "arm64"), 0);
	tu_run_result_free(&r);
	db = tu_path(e->state_dir, "diskops.db");
	sql = tu_read_file("tests/tui/seed.sql", NULL);
	assert_non_null(sql);
	assert_int_equal(su_sql_exec(db, sql), 0);
	free(sql);
	free(db);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	tm_stop_all();
	cli_env_free(*state);
	return 0;
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, haystack);
}

static void
assert_lacks(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle))
		fail_msg("did not expect \"%s\" in:\n%s", needle, haystack);
}

/* Q, then the pane's own line proves a clean exit (sanitizer reports change the code). */
static void
quit(tm_session *t)
{
	tm_keys(t, "Q", NULL);
	tm_wait(t, "console exited");
	assert_contains(t->last, "console exited 0");
}

/* Every line of the screen fits the width, in display columns. */
static void
assert_fits(tm_session *t, int width)
{
	char *screen = tm_capture(t, false), *line, *save = NULL;

	for (line = strtok_r(screen, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int cols = 0;

		for (const unsigned char *p = (const unsigned char *)line; *p; p++)
			cols += (*p & 0xC0) != 0x80;
		if (cols > width)
			fail_msg("line wider than %d: \"%s\"", width, line);
	}
	free(screen);
}

/* The column of a heading in its line, and of a value in another: aligned columns
 * start at the same place. */
static int
column_of(const char *line, const char *text)
{
	const char *p = strstr(line, text);
	int cols = 0;

	if (!p)
		fail_msg("\"%s\" not in \"%s\"", text, line);
	for (const unsigned char *q = (const unsigned char *)line; q < (const unsigned char *)p; q++)
		cols += (*q & 0xC0) != 0x80;
	return cols;
}

static void
navigate_every_view(int width, int height, cli_env *e)
{
	tm_session *t = tm_start(e, width, height, "", "");
	char *head, *row;

	tm_wait(t, "diskops › overview");
	tm_wait(t, "ubuntu-24.04-lts");
	assert_contains(t->last, "edge-arm");
	assert_contains(t->last, "account default │ 2 platforms │ 1 open alert");
	assert_fits(t, width);

	/* overview → publications → publication, then back with Esc */
	tm_keys(t, "G", "Enter", NULL);
	tm_wait(t, "ubuntu-24.04-lts › publications");
	assert_contains(t->last, "● d94a7e21 published");
	assert_lacks(t->last, "retired");
	head = tm_line(t, "STATUS");
	row = tm_line(t, "d94a7e21");
	assert_int_equal(column_of(head, "STATUS"), column_of(row, "published"));
	assert_int_equal(column_of(head, "GIT SHA"), column_of(row, "3c4d5e6"));
	free(head);
	free(row);
	assert_fits(t, width);
	tm_keys(t, "a", NULL);
	tm_wait(t, "b71e4c09 retired");
	tm_keys(t, "a", NULL);
	tm_wait_gone(t, "b71e4c09");
	tm_keys(t, "j", "j", "Enter", NULL);
	tm_wait(t, "› d94a7e21");
	assert_contains(t->last, "yes: nodes boot this image");
	assert_contains(t->last, "sha256:3333333333333333");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "3/4");
	assert_contains(t->last, "ubuntu-24.04-lts › publications");
	tm_keys(t, "Escape", NULL);
	tm_wait_gone(t, "publications");
	assert_contains(t->last, "diskops › overview");

	/* number keys, Tab and BTab */
	tm_keys(t, "3", NULL);
	tm_wait(t, "diskops › events");
	assert_contains(t->last, "system.node_platform_created");
	tm_keys(t, "4", NULL);
	tm_wait(t, "diskops › alerts");
	assert_contains(t->last, "signature_rejected");
	assert_contains(t->last, "acked");
	tm_keys(t, "Tab", NULL);
	tm_wait(t, "diskops › runs");
	tm_keys(t, "Tab", NULL);
	tm_wait(t, "diskops › webhooks");
	tm_keys(t, "1", NULL);
	tm_wait(t, "diskops › overview");
	tm_keys(t, "Tab", NULL);
	tm_wait(t, "› publications");
	tm_keys(t, "BTab", NULL);
	tm_wait_gone(t, "› publications");
	tm_keys(t, "BTab", NULL);
	tm_wait(t, "diskops › approvals");
	tm_keys(t, "4", NULL);
	tm_wait(t, "diskops › alerts");
	tm_keys(t, "1", NULL);
	tm_wait(t, "diskops › overview");

	/* `/` with n and N, then the command line */
	tm_keys(t, "/", NULL);
	tm_type(t, "edge");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "/edge: match 1 of 1");
	tm_keys(t, "n", NULL);
	tm_wait(t, "1/2");
	tm_keys(t, ":", NULL);
	tm_type(t, "platform edge-arm");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "edge-arm › publications");
	tm_keys(t, ":", NULL);
	tm_type(t, "events");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "diskops › events");
	tm_keys(t, ":", NULL);
	tm_type(t, "nonsense");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "unknown command \"nonsense\"");
	tm_keys(t, ":", NULL);
	tm_type(t, "q");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "console exited 0");
	tm_stop(t);
}

static void
navigation_at_80x24(void **state)
{
	navigate_every_view(80, 24, *state);
}

static void
navigation_at_132x43(void **state)
{
	navigate_every_view(132, 43, *state);
}

static void
resize_down_and_back(void **state)
{
	tm_session *t = tm_start(*state, 132, 43, "", "");

	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, "G", "Enter", "j", NULL);
	tm_wait(t, "2/4");
	tm_resize(t, 80, 24);
	tm_wait(t, "2/4");
	/* The status bar sits on the last but one row of the new size. */
	free(t->last);
	t->last = tm_capture(t, false);
	assert_fits(t, 80);
	assert_contains(t->last, "ubuntu-24.04-lts › publications");
	assert_contains(t->last, "2/4");
	tm_resize(t, 79, 24);
	tm_wait(t, "terminal too small: 79x24");
	tm_resize(t, 80, 23);
	tm_wait(t, "terminal too small: 80x23");
	tm_resize(t, 132, 43);
	tm_wait_gone(t, "too small");
	tm_wait(t, "2/4");
	assert_contains(t->last, "ubuntu-24.04-lts › publications");
	assert_fits(t, 132);
	/* Keys still work after all that. */
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "diskops › overview");
	quit(t);
	tm_stop(t);
}

/* Pages through the help view, collecting every screen. */
static char *
help_text(tm_session *t)
{
	size_t len = 0;
	char *all = calloc(1, 1), *screen;

	tm_keys(t, "?", NULL);
	tm_wait(t, "› help");
	for (int page = 0; page < 10; page++) {
		screen = tm_capture(t, false);
		all = realloc(all, len + strlen(screen) + 1);
		memcpy(all + len, screen, strlen(screen) + 1);
		len += strlen(screen);
		free(screen);
		tm_keys(t, "PageDown", NULL);
	}
	tm_keys(t, "q", NULL);
	tm_wait_gone(t, "› help");
	return all;
}

struct expected_action {
	const char *name;
	const char *keys;
	unsigned views;
	unsigned flags;
};

static const struct expected_action table[] = {
#define X(id, name, keys, views, flags, group, help) { name, keys, views, flags },
	CONSOLE_ACTIONS(X)
#undef X
};

static void
check_help(tm_session *t, unsigned bit, bool read_only)
{
	char *help = help_text(t), want[64];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct expected_action *a = &table[i];
		bool shown = (a->views & bit) && !(read_only && (a->flags & AF_CHANGES));

		/* "  Enter   enter   open the selected row": name after its keys. */
		snprintf(want, sizeof(want), " %s ", a->name);
		if (shown && (a->keys[0] || (a->flags & AF_ARG)))
			assert_contains(help, want);
		else if (!shown && strcmp(a->name, "rollback") == 0)
			assert_lacks(help, want);
	}
	free(help);
}

static void
help_lists_every_bound_action(void **state)
{
	tm_session *t = tm_start(*state, 80, 24, "", "");

	tm_wait(t, "ubuntu-24.04-lts");
	check_help(t, VB_OVERVIEW, false);
	tm_keys(t, "2", NULL);
	tm_wait(t, "› publications");
	check_help(t, VB_PUBLICATIONS, false);
	tm_keys(t, "3", NULL);
	tm_wait(t, "› events");
	check_help(t, VB_EVENTS, false);
	quit(t);
	tm_stop(t);
}

/* SGR parameters that set a colour: 30–38, 40–48, 90–97, 100–107 (39/49 reset). */
static bool
has_colour(const char *s)
{
	regex_t re;
	bool found;

	assert_int_equal(regcomp(&re, "\033\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9;]*)?m",
				 REG_EXTENDED), 0);
	found = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return found;
}

static void
colours_of_every_view(tm_session *t, bool expect)
{
	static const char *const keys[] = { "1", "2", "3", "4" };
	static const char *const titles[] = { "› overview", "› publications", "› events", "› alerts" };
	bool any = false;

	for (int i = 0; i < 4; i++) {
		char *screen;

		tm_keys(t, keys[i], NULL);
		tm_wait(t, titles[i]);
		screen = tm_capture(t, true);
		if (!expect && has_colour(screen))
			fail_msg("colour escapes with colour off:\n%s", screen);
		any |= has_colour(screen);
		free(screen);
	}
	assert_int_equal(any, expect);
}

static void
no_color_means_no_colour_escapes(void **state)
{
	tm_session *t;

	/* The check is real: with colour on, the same screens do carry colour. */
	t = tm_start(*state, 132, 43, "", "");
	tm_wait(t, "ubuntu-24.04-lts");
	colours_of_every_view(t, true);
	quit(t);
	tm_stop(t);

	t = tm_start(*state, 132, 43, "NO_COLOR=1", "");
	tm_wait(t, "ubuntu-24.04-lts");
	colours_of_every_view(t, false);
	quit(t);
	tm_stop(t);

	t = tm_start(*state, 80, 24, "", "--no-color");
	tm_wait(t, "ubuntu-24.04-lts");
	colours_of_every_view(t, false);
	quit(t);
	tm_stop(t);
}

static void
ascii_line_drawing(void **state)
{
	tm_session *t = tm_start(*state, 80, 24, "", "--ascii");

	tm_wait(t, "diskops > overview");
	assert_contains(t->last, "account default | 2 platforms");
	tm_keys(t, "G", "2", NULL);
	tm_wait(t, "* d94a7e21");
	assert_lacks(t->last, "●");
	assert_lacks(t->last, "…");
	quit(t);
	tm_stop(t);
}

static void
read_only_hides_and_refuses(void **state)
{
	tm_session *t = tm_start(*state, 80, 24, "", "");

	tm_wait(t, "ubuntu-24.04-lts");
	assert_lacks(t->last, "read-only");
	tm_keys(t, "2", NULL);
	tm_wait(t, "› publications");
	/* Not read-only: R answers (here a refusal, the row is the default already). */
	tm_keys(t, "R", NULL);
	tm_wait(t, "is already the def");
	quit(t);
	tm_stop(t);

	t = tm_start(*state, 80, 24, "", "--read-only");
	tm_wait(t, "│ read-only");
	tm_keys(t, "2", NULL);
	tm_wait(t, "› publications");
	tm_keys(t, "R", NULL);
	tm_wait(t, "read-only: rollback refused");
	tm_keys(t, ":", NULL);
	tm_type(t, "rollback");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "read-only: rollback refused");
	assert_lacks(t->last, "[ Rollback ]");
	check_help(t, VB_PUBLICATIONS, true);
	tm_keys(t, "4", NULL);
	tm_wait(t, "signature_rejected");
	tm_keys(t, "a", NULL);
	tm_wait(t, "read-only: ack refused");
	quit(t);
	tm_stop(t);
}

/* The ubuntu platform's default publication id, from the CLI. */
static char *
default_of(cli_env *e, char *buf)
{
	json_t *j = cli_json(e, "platform", "show", "ubuntu-24.04-lts", "--json", NULL);

	assert_non_null(j);
	snprintf(buf, 64, "%s", json_string_value(json_object_get(j, "default_publication_id")));
	json_decref(j);
	return buf;
}

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
	assert_contains(t->last, "Roll back ubuntu-24.04-lts");
	assert_contains(t->last, "3c4d5e6f7081  publication d94a7e21");
	assert_contains(t->last, "2b3c4d5e6f70  publication c2f85d13");
	assert_contains(t->last, "registry.example.com/os/ubuntu-24.04-lts@sha256:2222");
	assert_fits(t, 80);
	assert_string_equal(default_of(e, id), "d94a7e21-5b3d-4f6e-8a1b-000000000003");
	/* It stays centred through a resize. */
	tm_resize(t, 100, 30);
	tm_wait(t, "[ Rollback ]");
	tm_resize(t, 80, 24);
	tm_wait(t, "[ Rollback ]");
	/* Cancel has the focus; Tab Tab reaches the reason, then Tab Tab the Rollback button. */
	tm_keys(t, "Tab", "Tab", NULL);
	tm_type(t, "bad kernel in d94a");
	tm_wait(t, "bad kernel in d94a");
	tm_keys(t, "Tab", "Tab", "Enter", NULL);
	tm_wait(t, "ubuntu-24.04-lts now boots 2b3c4d5e6f70");
	assert_lacks(t->last, "[ Rollback ]");
	assert_string_equal(default_of(e, id), "c2f85d13-5b3d-4f6e-8a1b-000000000002");
	/* The view shows the new default at once. */
	tm_wait(t, "● c2f85d13");
	j = cli_json(e, "events", "--prefix", "system.disk_image_rolled_back", "--json", NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 1);
	ev = json_object_get(json_array_get(j, 0), "payload");
	assert_string_equal(json_string_value(json_object_get(ev, "actor")), "carol@192.0.2.7");
	assert_string_equal(json_string_value(json_object_get(ev, "reason")), "bad kernel in d94a");
	json_decref(j);
	quit(t);
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
	assert_contains(t->last, "nothing changed");
	/* Typing y into the reason field is text, not a confirmation. */
	tm_keys(t, "R", NULL);
	tm_wait(t, "[ Rollback ]");
	tm_keys(t, "Tab", "Tab", "y", NULL);
	tm_keys(t, "Escape", NULL);
	tm_wait_gone(t, "[ Rollback ]");
	assert_string_equal(default_of(e, id), "d94a7e21-5b3d-4f6e-8a1b-000000000003");
	j = cli_json(e, "events", "--prefix", "system.disk_image_rolled_back", "--json", NULL);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	/* P is the same dialog under the promote policy. */
	tm_keys(t, "P", NULL);
	tm_wait(t, "[ Promote ]");
	assert_contains(t->last, "Promote on ubuntu-24.04-lts");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "promote cancelled; nothing changed");
	assert_string_equal(default_of(e, id), "d94a7e21-5b3d-4f6e-8a1b-000000000003");
	/* The default itself is refused in the status line, without a dialog. */
	tm_keys(t, "k", NULL);
	tm_keys(t, "R", NULL);
	tm_wait(t, "rollback: ");
	assert_lacks(t->last, "[ Rollback ]");
	quit(t);
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
	assert_string_equal(default_of(e, id), "c2f85d13-5b3d-4f6e-8a1b-000000000002");
	quit(t);
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
	assert_string_equal(default_of(e, id), "d94a7e21-5b3d-4f6e-8a1b-000000000003");
	quit(t);
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
	assert_contains(t->last, "12 undone: rolling back over these");
	/* Newest first; at 80×24 four of them and how many more, the status bar in sight. */
	assert_contains(t->last, "Image change number 12");
	assert_contains(t->last, "Image change number 9");
	assert_lacks(t->last, "Image change number 8");
	assert_contains(t->last, "and 8 more");
	assert_contains(t->last, "account default │");
	/* The target's own commit is where it lands, not something undone. */
	assert_lacks(t->last, "Known good image");
	line = tm_line(t, "Image change number 12");
	assert_true(strlen(line) > 0);
	free(line);
	assert_contains(t->last, "[ Cancel ]");
	assert_contains(t->last, "y or Rollback+Enter confirms");
	assert_fits(t, 80);
	/* Taller: ten, then the rest counted. */
	tm_resize(t, 132, 43);
	tm_wait(t, "and 2 more");
	assert_contains(t->last, "Image change number 3");
	assert_lacks(t->last, "Image change number 2 ");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "nothing changed");
	quit(t);
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
	assert_contains(t->last, "unknown: the platform has no build repo");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "nothing changed");
	assert_int_equal(RUN(e, &r, "platform", "set", "ubuntu-24.04-lts", "--build-repo",
			     "ops/images"), 0);
	tu_run_result_free(&r);
	tm_keys(t, "C-l", "R", NULL);
	tm_wait(t, "unknown: no clone of ops/images");
	tm_keys(t, "y", NULL);
	tm_wait(t, "now boots 2b3c4d5e6f70");
	quit(t);
	tm_stop(t);
}

static void
alert_ack_by_key(void **state)
{
	cli_env *e = *state;
	tm_session *t = tm_start(e, 80, 24, "USER=dave", "");
	tu_run_result r;

	tm_wait(t, "1 open alert");
	tm_keys(t, "4", NULL);
	tm_wait(t, "signature_rejected");
	tm_keys(t, "a", NULL);
	tm_wait(t, "acknowledged");
	tm_wait(t, "0 open alerts");
	assert_int_equal(RUN(e, &r, "alerts", "list", "--json"), 0);
	assert_contains(r.out, "dave");
	tu_run_result_free(&r);
	quit(t);
	tm_stop(t);
}

static void
another_process_shows_without_a_key(void **state)
{
	cli_env *e = *state;
	tm_session *t = tm_start(e, 80, 24, "", "");
	tu_run_result r;

	tm_wait(t, "2 platforms");
	assert_int_equal(RUN(e, &r, "platform", "create", "late-arrival", "--arch", "arm64"), 0);
	tu_run_result_free(&r);
	/* No key is sent: the 500 ms data_version check brings it in. */
	tm_wait(t, "late-arrival");
	tm_wait(t, "3 platforms");
	quit(t);
	tm_stop(t);
}

static void
yank_uses_osc52(void **state)
{
	tm_session *t = tm_start(*state, 80, 24, "", "");
	char *buf;

	free(tm_cmd(t, "set-option", "-g", "set-clipboard", "on", NULL));
	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, "G", "2", NULL);
	tm_wait(t, "› publications");
	tm_keys(t, "j", "j", "y", NULL);
	tm_wait(t, "copied sha256:3333");
	buf = tm_cmd(t, "show-buffer", NULL);
	assert_string_equal(buf, "sha256:3333333333333333333333333333333333333333333333333333333333333333");
	free(buf);
	quit(t);
	tm_stop(t);
}

static void
save_display_writes_the_screen(void **state)
{
	cli_env *e = *state;
	tm_session *t = tm_start(e, 80, 24, "", "");
	char *path = tu_path(e->dir, "screen.txt"), cmd[600], *text;

	tm_wait(t, "ubuntu-24.04-lts");
	snprintf(cmd, sizeof(cmd), "save-display %s", path);
	tm_keys(t, ":", NULL);
	tm_type(t, cmd);
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "saved the screen");
	text = tu_read_file(path, NULL);
	assert_non_null(text);
	assert_contains(text, " diskops › overview");
	assert_contains(text, " edge-arm ");
	assert_contains(text, "account default │ 2 platforms");
	/* Plain text: 24 lines, no escapes, no trailing blanks. */
	assert_lacks(text, "\033");
	assert_lacks(text, " \n");
	free(text);
	free(path);
	quit(t);
	tm_stop(t);
}

static void
config_keys_rebind_and_unbind(void **state)
{
	cli_env *e = *state;
	char *dir = tu_path(e->config_home, "diskops"), *file = tu_path(dir, "config.ini");
	tm_session *t;

	assert_int_equal(mkdir(e->config_home, 0700) == 0 || errno == EEXIST, 1);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(tu_write_file(file, "[keys]\nquit = x\nhelp =\nmove-down = j Down J\n", 0600), 0);
	t = tm_start(e, 80, 24, "", "");
	tm_wait(t, "ubuntu-24.04-lts");
	assert_contains(t->last, "x quit");
	tm_keys(t, "?", NULL);
	tm_wait(t, "? is not bound in this view");
	tm_keys(t, "J", NULL);
	tm_wait(t, "2/2");
	tm_keys(t, "x", NULL);
	tm_wait(t, "console exited 0");
	tm_stop(t);

	assert_int_equal(tu_write_file(file, "[keys]\nfly = f\n", 0600), 0);
	t = tm_start(e, 80, 24, "", "");
	tm_wait(t, "console exited 2");
	assert_contains(t->last, "unknown action \"fly\"");
	tm_stop(t);
	assert_int_equal(tu_write_file(file, "[keys]\nquit = Hyper-q\n", 0600), 0);
	t = tm_start(e, 80, 24, "", "");
	tm_wait(t, "console exited 2");
	assert_contains(t->last, "unknown key \"Hyper-q\"");
	tm_stop(t);
	free(file);
	free(dir);
}

static void
console_needs_a_terminal(void **state)
{
	tu_run_result r;

	assert_int_equal(RUN(*state, &r, "console"), 2);
	assert_contains(r.err, "needs a terminal");
	tu_run_result_free(&r);
}

/* serve's heartbeat row, as `diskops serve` writes it every 30 s. */
static void
serve_beats(cli_env *e, int64_t at)
{
	dk_store_options o = DK_STORE_OPTIONS_INIT;
	dk_service_status st = { .name = "serve", .ok = true, .pid = 1, .started_at = at,
				 .checked_at = at };
	char *path = tu_path(e->state_dir, "diskops.db");
	dk_store *s;

	o.no_create = true;
	assert_int_equal(dk_store_open(&s, path, &o), 0);
	assert_int_equal(dk_store_service_status_put(s, &st), 0);
	dk_store_free(s);
	free(path);
}

/*
 * The console on a pty of its own: reads its first paint (into first, NUL-terminated),
 * then counts what it writes during `idle_ms` of no input, calling during(e) once
 * `during_ms` into that window; quits with Q and checks the clean exit.
 */
static size_t
idle_bytes(cli_env *e, int idle_ms, int during_ms, void (*during)(cli_env *e), char *first,
	   size_t first_len)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	const char *bin = getenv("DISKOPS_BIN");
	char buf[4096], env_state[600], env_config[600];
	int master, status;
	size_t total = 0, idle = 0;
	bool called = false;
	struct timespec start, end, now;
	pid_t pid;

	snprintf(env_state, sizeof(env_state), "DISKOPS_STATE_DIR=%s", e->state_dir);
	snprintf(env_config, sizeof(env_config), "XDG_CONFIG_HOME=%s", e->config_home);
	pid = forkpty(&master, NULL, NULL, &ws);
	assert_true(pid >= 0);
	if (pid == 0) {
		putenv(env_state);
		putenv(env_config);
		putenv((char *)"TERM=xterm-256color");
		putenv((char *)"LANG=C.UTF-8");
		putenv((char *)"DISKOPS_CONFIG=");
		putenv((char *)"DISKOPS_ACCOUNT_DEFAULT=");
		execl(bin && *bin ? bin : "./diskops", "diskops", "console", (char *)NULL);
		_exit(127);
	}
	/* The first paint: read until the bottom line has gone out and a quiet spell follows. */
	for (;;) {
		struct pollfd p = { master, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, total && memmem(first, total, "quit", 4) ? 300 : TM_GUARD_MS) <= 0)
			break;
		if ((n = read(master, buf, sizeof(buf))) <= 0)
			break;
		if (total + (size_t)n < first_len) {
			memcpy(first + total, buf, (size_t)n);
			total += (size_t)n;
			first[total] = '\0';
		}
	}
	assert_true(total > 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	end = start;
	end.tv_sec += idle_ms / 1000;
	end.tv_nsec += (long)(idle_ms % 1000) * 1000000;
	for (;;) {
		struct pollfd p = { master, POLLIN, 0 };
		long left, since;
		ssize_t n;
		int wait;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		since = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (during && !called && since >= during_ms) {
			during(e);
			called = true;
			continue;
		}
		if (left <= 0)
			break;
		wait = during && !called && during_ms - since < left ? (int)(during_ms - since) : (int)left;
		if (poll(&p, 1, wait) < 0)
			break;
		if (!(p.revents & POLLIN))
			continue;
		if ((n = read(master, buf, sizeof(buf))) <= 0)
			break;
		idle += (size_t)n;
	}
	assert_int_equal(write(master, "Q", 1), 1);
	/* Drain until the child closes the pty, so it never blocks on a full buffer. */
	while (read(master, buf, sizeof(buf)) > 0)
		;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(master);
	return idle;
}

/* Idle means silent: after the first paint, several 500 ms store checks pass unseen. */
static void
idle_console_writes_nothing(void **state)
{
	char first[65536];

	assert_int_equal(idle_bytes(*state, 2000, 0, NULL, first, sizeof(first)), 0);
}

static void
beat_now(cli_env *e)
{
	serve_beats(e, time(NULL));
}

/*
 * With serve running its heartbeat changes the store every 30 s; the console reloads on
 * it but shows nothing that moved ("serve up", no clock), so it writes nothing. The beat
 * lands more than a second after the first paint: a seconds clock would have moved.
 */
static void
idle_console_with_serve_beating_writes_nothing(void **state)
{
	char first[65536];

	serve_beats(*state, time(NULL));
	assert_int_equal(idle_bytes(*state, 3000, 1200, beat_now, first, sizeof(first)), 0);
	/* 80 columns: the short form, "serve ✓". */
	assert_non_null(strstr(first, "serve \u2713"));
}

/*
 * An SSH session that drops without SIGHUP reaching the console (blocked here, as a
 * tracer or a careless wrapper can leave it) must not leave a console spinning on a
 * terminal that is gone: it exits on the hang-up itself.
 */
static void
hung_up_terminal_ends_the_console(void **state)
{
	cli_env *e = *state;
	char *log = tu_path(e->dir, "hangup-marker.log"), *cmd;
	tm_session *t;
	bool gone = false;

	assert_int_equal(tu_write_file(log, "before the hang-up\n", 0644), 0);
	assert_true(asprintf(&cmd, "--log '%s'", log) > 0);
	/* perl-base, and its POSIX module, are on every Debian system. */
	t = tm_start(e, 80, 24, "perl -MPOSIX -e 'sigprocmask(SIG_BLOCK,"
		     " POSIX::SigSet->new(SIGHUP)); exec @ARGV or die'", cmd);
	tm_wait(t, "before the hang-up");
	tm_stop(t);
	for (int i = 0; i < TM_GUARD_MS / 50 && !gone; i++) {
		char probe[4200];

		/* "[c]" keeps pgrep from finding the shell that runs it. */
		snprintf(probe, sizeof(probe), "pgrep -f '[c]onsole --log %s' >/dev/null", log);
		if (!(gone = system(probe) != 0))
			usleep(50 * 1000);
	}
	if (!gone) {
		char kill[4200];

		/* Not left spinning after the failure. */
		snprintf(kill, sizeof(kill), "pkill -f '[c]onsole --log %s'", log);
		assert_true(system(kill) >= 0);
	}
	assert_true(gone);
	free(cmd);
	free(log);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(navigation_at_80x24),
		T(navigation_at_132x43),
		T(resize_down_and_back),
		T(help_lists_every_bound_action),
		T(no_color_means_no_colour_escapes),
		T(ascii_line_drawing),
		T(read_only_hides_and_refuses),
		T(rollback_dialog_by_keyboard),
		T(rollback_dialog_cancel_changes_nothing),
		T(rollback_dialog_y_confirms),
		T(rollback_under_require_approval_is_pending),
		T(rollback_dialog_lists_the_commits_between),
		T(rollback_dialog_without_history_says_unknown),
		T(alert_ack_by_key),
		T(another_process_shows_without_a_key),
		T(yank_uses_osc52),
		T(save_display_writes_the_screen),
		T(config_keys_rebind_and_unbind),
		T(console_needs_a_terminal),
		T(idle_console_writes_nothing),
		T(idle_console_with_serve_beating_writes_nothing),
		T(hung_up_terminal_ends_the_console),
	};
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
