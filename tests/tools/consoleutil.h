#ifndef DISKOPS_CONSOLEUTIL_H
#define DISKOPS_CONSOLEUTIL_H

/* What the console tests (tests/tui/) check on a tmux screen, shared by them all. */

#include <stdbool.h>

#include "tmuxutil.h"

/* Fail the test with the whole text when needle is missing (or present). */
void ct_contains(const char *haystack, const char *needle);
void ct_lacks(const char *haystack, const char *needle);

/* Q, then the pane's own line proves a clean exit (sanitizer reports change the code). */
void ct_quit(tm_session *t);

/* Every line of the screen fits the width, in display columns. */
void ct_assert_fits(tm_session *t, int width);
/* The display column where text starts in line; fails when it is not there. */
int ct_column_of(const char *line, const char *text);
/* The value in the row containing row_text starts (or, right-aligned, ends) in the same
 * column as the heading. */
void ct_assert_aligned(tm_session *t, const char *heading, const char *row_text,
		       const char *value);
void ct_assert_aligned_right(tm_session *t, const char *heading, const char *row_text,
			     const char *value);

/* An SGR sequence that sets a colour: 30–38, 40–48, 90–97, 100–107 (39/49 reset). */
bool ct_has_colour(const char *s);

/*
 * Opens `?`, pages through it and checks it against tui/actions.h: every action bound in
 * the view (bit VB_*) is listed, the changing actions of other views are not, and under
 * --read-only (read_only) no changing action is.
 */
void ct_check_help(tm_session *t, unsigned view_bit, bool read_only);

/* The console tests' state (*state: a cli_env): two platforms with publications (one
 * default each, one retired), an open and an acked alert — tests/tui/seed.sql, which
 * `make screenshots` shows too. The teardown stops every tmux session left. */
int ct_setup(void **state);
int ct_teardown(void **state);

/* Runs the SQL of a seed file (tests/tui/seed*.sql) against the env's store. */
void ct_seed(cli_env *e, const char *path);
/* The default publication id of ubuntu-24.04-lts (the seed's), from the CLI. */
const char *ct_default_of(cli_env *e, char buf[64]);

#endif
