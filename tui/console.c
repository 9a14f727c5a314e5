#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curses.h>

#include "ci.h"
#include "engine.h"
#include "diskops/error.h"

#define VERSION_CHECK_MS 500    /* rows written by another process show within a second */
#define AGE_TICK_MS 30000       /* "3m ago" columns; curses sends only the cells that changed */

/* One place that turns a window size change into a new layout and a full repaint. */
static void
relayout(struct console *c)
{
	view_rows_all(c);
	c->clear = true;
	c->dirty = true;
}

static void
apply(struct console *c, int r)
{
	if (r & R_QUIT) {
		loop_stop(c->loop);
		return;
	}
	if (r & R_RELOAD)
		console_reload(c);
	else if (r & R_ROWS)
		view_rows(c, c->view);
	c->dirty = true;
}

static void
mouse(struct console *c)
{
	MEVENT ev;
	struct view *v = c->view;

	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & BUTTON4_PRESSED)
		view_move_to(c, v, (long)v->cur - 3);
	else if (ev.bstate & BUTTON5_PRESSED)
		view_move_to(c, v, (long)v->cur + 3);
	else if ((ev.bstate & BUTTON1_CLICKED) && ev.y >= 2 && ev.y < 2 + view_body_height())
		view_move_to(c, v, (long)v->top + ev.y - 2);
	c->dirty = true;
}

static void
handle_key(struct console *c, int key)
{
	enum action a;
	char name[16];

	if (key == KEY_RESIZE) {
		relayout(c);
		return;
	}
	if (key == KEY_MOUSE) {
		mouse(c);
		return;
	}
	if (key == '\r' || key == KEY_ENTER)
		key = '\n';
	if (key == 127 || key == 8)
		key = KEY_BACKSPACE;
	if (c->dialog.active) {
		apply(c, dialog_key(c, key));
		return;
	}
	if (c->prompt.active) {
		apply(c, prompt_key(c, key));
		return;
	}
	a = keymap_lookup(&c->keymap, c->view->ops->bit, key);
	if (a == ACT_NONE) {
		console_message(c, ST_WARN, "%s is not bound in this view (? lists the keys)",
				keymap_key_name(key, name, sizeof(name)));
		c->dirty = true;
		return;
	}
	c->message[0] = '\0';
	apply(c, console_dispatch(c, a, NULL));
}

static void
on_input(void *arg)
{
	struct console *c = arg;
	int key;

	while ((key = getch()) != ERR) {
		handle_key(c, key);
		if (c->rc < 0)
			break;
	}
}

static void
on_wake(void *arg)
{
	struct console *c = arg;

	if (term_take_quit()) {
		loop_stop(c->loop);
		return;
	}
	if (term_take_resize())
		relayout(c);
	/* resizeterm may have queued KEY_RESIZE without the tty becoming readable. */
	on_input(c);
}

static void
before_wait(void *arg)
{
	struct console *c = arg;

	ci_update(c);
	if (!c->dirty)
		return;
	console_paint(c);
	c->dirty = false;
}

/* Cheap (a PRAGMA); only a real change costs a reload and a repaint. */
static void
check_version(void *arg)
{
	struct console *c = arg;
	int64_t v;

	if (dk_store_data_version(c->store, &v) < 0 || v == c->snap->data_version)
		return;
	console_reload(c);
	c->dirty = true;
}

static void
age_tick(void *arg)
{
	((struct console *)arg)->dirty = true;
}

/* The store, the account and a snapshot from them. */
static int
open_store(struct console *c, console_open_fn open, void *open_arg)
{
	const dk_account *account;
	int rc;

	if ((rc = open(open_arg, &c->store, &account)) < 0)
		return rc;
	snprintf(c->account_id, sizeof(c->account_id), "%s", account->id);
	if (!c->snap)
		return console_snapshot_load(c->store, c->account_id, &c->snap);
	return console_reload(c);
}

int
dk_console_run(const struct console_opts *opts, dk_config *cfg, console_open_fn open,
	       void *open_arg)
{
	struct console c = { 0 };
	struct loop_handlers h = { on_input, on_wake, before_wait, &c };
	struct term_opts topts;
	const char *no_color = getenv("NO_COLOR");
	int rc;

	c.opts = *opts;
	c.cfg = cfg;
	/* ncursesw draws UTF-8 only under a UTF-8 locale; anything else gets ASCII lines.
	 * The character set is all the console takes from the locale (times and numbers are
	 * formatted explicitly), and loading only LC_CTYPE spares a dozen files at start-up. */
	setlocale(LC_CTYPE, "");
	if (!term_locale_utf8())
		c.opts.ascii = true;
	if (no_color && *no_color)
		c.opts.no_color = true;
	keymap_defaults(&c.keymap);
	if ((rc = keymap_apply(&c.keymap, cfg->keys, cfg->n_keys)) < 0)
		return dk_error_prefix("%s", cfg->path ? cfg->path : "config");
	/* A log's last screen needs neither the store nor Gitea: it goes out first. */
	if (c.opts.log_file)
		rc = console_snapshot_empty(cfg->account, &c.snap);
	else
		rc = open_store(&c, open, open_arg);
	if (rc < 0)
		goto done;
	if ((rc = loop_new(&c.loop)) < 0)
		goto done;
	topts = (struct term_opts){ c.opts.no_color, c.opts.ascii, c.opts.mouse };
	if ((rc = term_init(&topts, loop_wake_fd(c.loop))) < 0)
		goto done;
	console_switch(&c, &overview_view, NULL);
	ci_start(&c);
	if (c.opts.log_file) {
		log_open_file(&c, c.opts.log_file);
		console_paint(&c);
		if ((rc = open_store(&c, open, open_arg)) < 0) {
			term_end();
			goto done;
		}
	}
	c.dirty = true;
	loop_timer(c.loop, VERSION_CHECK_MS, check_version, &c);
	loop_timer(c.loop, AGE_TICK_MS, age_tick, &c);
	rc = loop_run(c.loop, STDIN_FILENO, &h);
	term_end();
done:
	ci_stop(&c);
	while (c.view) {
		struct view *parent = c.view->parent;

		view_free(c.view);
		c.view = parent;
	}
	loop_free(c.loop);
	dialog_close(&c);
	console_snapshot_free(c.snap);
	return rc < 0 ? rc : c.rc;
}
