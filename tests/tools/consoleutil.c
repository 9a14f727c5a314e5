#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "consoleutil.h"
#include "storeutil.h"
#include "testutil.h"
#include "../../tui/actions.h"

void
ct_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, haystack ? haystack : "(null)");
}

void
ct_lacks(const char *haystack, const char *needle)
{
	if (haystack && strstr(haystack, needle))
		fail_msg("did not expect \"%s\" in:\n%s", needle, haystack);
}

void
ct_quit(tm_session *t)
{
	tm_keys(t, "Q", NULL);
	tm_wait(t, "console exited");
	ct_contains(t->last, "console exited 0");
}

static int
columns(const char *from, const char *to)
{
	int cols = 0;

	for (const unsigned char *p = (const unsigned char *)from; p < (const unsigned char *)to; p++)
		cols += (*p & 0xC0) != 0x80;
	return cols;
}

void
ct_assert_fits(tm_session *t, int width)
{
	char *screen = tm_capture(t, false), *line, *save = NULL;

	for (line = strtok_r(screen, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (columns(line, line + strlen(line)) > width)
			fail_msg("line wider than %d: \"%s\"", width, line);
	free(screen);
}

int
ct_column_of(const char *line, const char *text)
{
	const char *p = strstr(line, text);

	if (!p)
		fail_msg("\"%s\" not in \"%s\"", text, line);
	return columns(line, p);
}

static void
aligned(tm_session *t, const char *heading, const char *row_text, const char *value, bool right)
{
	char *head = tm_line(t, heading), *row = tm_line(t, row_text);

	assert_int_equal(ct_column_of(head, heading) + (right ? (int)strlen(heading) : 0),
			 ct_column_of(row, value) + (right ? (int)strlen(value) : 0));
	free(head);
	free(row);
}

void
ct_assert_aligned(tm_session *t, const char *heading, const char *row_text, const char *value)
{
	aligned(t, heading, row_text, value, false);
}

void
ct_assert_aligned_right(tm_session *t, const char *heading, const char *row_text,
			const char *value)
{
	aligned(t, heading, row_text, value, true);
}

bool
ct_has_colour(const char *s)
{
	regex_t re;
	bool found;

	assert_int_equal(regcomp(&re, "\033\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9;]*)?m",
				 REG_EXTENDED), 0);
	found = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return found;
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

static const struct {
	const char *name;
	const char *keys;
	unsigned views;
	unsigned flags;
} actions[] = {
#define X(id, name, keys, views, flags, group, help) { name, keys, views, flags },
	CONSOLE_ACTIONS(X)
#undef X
};

void
ct_check_help(tm_session *t, unsigned view_bit, bool read_only)
{
	char *help = help_text(t), want[64];

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		bool shown = (actions[i].views & view_bit) &&
			     !(read_only && (actions[i].flags & AF_CHANGES));

		/* "  Enter   enter   open the selected row": name after its keys. */
		snprintf(want, sizeof(want), " %s ", actions[i].name);
		if (shown && (actions[i].keys[0] || (actions[i].flags & AF_ARG)))
			ct_contains(help, want);
		else if (!shown && (actions[i].flags & AF_CHANGES))
			ct_lacks(help, want);
	}
	free(help);
}

void
ct_seed(cli_env *e, const char *path)
{
	char *db = tu_path(e->state_dir, "diskops.db"), *sql = tu_read_file(path, NULL);

	assert_non_null(sql);
	assert_int_equal(su_sql_exec(db, sql), 0);
	free(sql);
	free(db);
}

const char *
ct_default_of(cli_env *e, char buf[64])
{
	json_t *j = cli_json(e, "platform", "show", "ubuntu-24.04-lts", "--json", NULL);

	assert_non_null(j);
	snprintf(buf, 64, "%s", json_string_value(json_object_get(j, "default_publication_id")));
	json_decref(j);
	return buf;
}

int
ct_setup(void **state)
{
	cli_env *e = cli_env_new();
	tu_run_result r;

	assert_int_equal(cli_run(e, &r, "init", NULL), 0);
	tu_run_result_free(&r);
	assert_int_equal(cli_run(e, &r, "platform", "create", "ubuntu-24.04-lts", "--arch", "amd64",
				 "--identity-regexp", "^https://git\\.example\\.com/ops/",
				 "--issuer-regexp", "^https://token\\.actions\\.example\\.com$",
				 NULL), 0);
	tu_run_result_free(&r);
	assert_int_equal(cli_run(e, &r, "platform", "create", "edge-arm", "--arch", "arm64", NULL), 0);
	tu_run_result_free(&r);
	ct_seed(e, "tests/tui/seed.sql");
	*state = e;
	return 0;
}

int
ct_teardown(void **state)
{
	tm_stop_all();
	cli_env_free(*state);
	return 0;
}
