#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>

#include "ci.h"
#include "engine.h"
#include "diskops/account.h"
#include "diskops/error.h"

/* The top-level views, in Tab order. */
static const struct view_ops *const top_views[] = {
	&overview_view, &publications_view, &events_view, &alerts_view, &runs_view,
	&webhooks_view, &deliveries_view, &workers_view, &approvals_view,
};
#define N_TOP (sizeof(top_views) / sizeof(top_views[0]))

const struct console_snapshot *
console_snapshot(const struct console *c)
{
	return c->snap;
}

const struct keymap *
console_keymap(const struct console *c)
{
	return &c->keymap;
}

bool
console_read_only(const struct console *c)
{
	return c->opts.read_only;
}

void
console_message(struct console *c, enum style st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	c->message_style = st;
}

int
view_body_height(void)
{
	/* Title, column headings, status bar and bottom line take four rows. */
	return LINES - 4 > 0 ? LINES - 4 : 0;
}

struct view *
view_new(struct console *c, const struct view_ops *ops, const char *arg)
{
	struct view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->ops = ops;
	v->console = c;
	snprintf(v->arg, sizeof(v->arg), "%s", arg ? arg : "");
	return v;
}

void
view_free(struct view *v)
{
	if (!v)
		return;
	if (v->ops->done)
		v->ops->done(v);
	free(v);
}

static void
remember_selection(struct console *c, struct view *v)
{
	const char *id = v->nrows ? v->ops->row_id(v, c->snap, v->cur) : NULL;

	snprintf(v->sel_id, sizeof(v->sel_id), "%s", id ? id : "");
}

void
view_move_to(struct console *c, struct view *v, long to)
{
	long height = view_body_height();

	if (v->nrows == 0) {
		v->cur = v->top = 0;
		v->sel_id[0] = '\0';
		return;
	}
	if (to < 0)
		to = 0;
	if (to >= (long)v->nrows)
		to = (long)v->nrows - 1;
	v->cur = (size_t)to;
	if (height < 1)
		height = 1;
	if (v->cur < v->top)
		v->top = v->cur;
	if (v->cur >= v->top + (size_t)height)
		v->top = v->cur - (size_t)height + 1;
	/* Never leave blank rows at the bottom while there are rows above. */
	if (v->top + (size_t)height > v->nrows)
		v->top = v->nrows > (size_t)height ? v->nrows - (size_t)height : 0;
	remember_selection(c, v);
}

void
view_rows(struct console *c, struct view *v)
{
	size_t want = v->cur;

	v->nrows = v->ops->rows(v, c->snap);
	if (v->sel_id[0]) {
		for (size_t r = 0; r < v->nrows; r++) {
			const char *id = v->ops->row_id(v, c->snap, r);

			if (id && strcmp(id, v->sel_id) == 0) {
				want = r;
				break;
			}
		}
	}
	view_move_to(c, v, (long)want);
}

void
view_rows_all(struct console *c)
{
	for (struct view *v = c->view; v; v = v->parent)
		view_rows(c, v);
}

static void
close_stack(struct console *c)
{
	while (c->view) {
		struct view *parent = c->view->parent;

		view_free(c->view);
		c->view = parent;
	}
}

struct view *
console_push(struct console *c, const struct view_ops *ops, const char *arg)
{
	struct view *v = view_new(c, ops, arg);

	if (!v) {
		console_message(c, ST_BAD, "out of memory");
		return NULL;
	}
	v->parent = c->view;
	c->view = v;
	/* `2` later returns to the platform looked at last, however it was opened. */
	if (ops == &publications_view)
		snprintf(c->platform_id, sizeof(c->platform_id), "%s", v->arg);
	view_rows(c, v);
	return v;
}

void
console_switch(struct console *c, const struct view_ops *ops, const char *arg)
{
	close_stack(c);
	console_push(c, ops, arg);
}

/* Publications sit on top of the overview, with the overview's cursor on the platform. */
static void
open_platform(struct console *c, int idx)
{
	const dk_platform *p = &c->snap->platforms->items[idx];

	snprintf(c->platform_id, sizeof(c->platform_id), "%s", p->id);
	console_switch(c, &overview_view, NULL);
	snprintf(c->view->sel_id, sizeof(c->view->sel_id), "%s", p->id);
	view_rows(c, c->view);
	console_push(c, &publications_view, p->id);
}

/* The platform the operator is looking at: the selected row, the view's, or the last. */
static int
context_platform(struct console *c)
{
	int idx;

	for (struct view *v = c->view; v; v = v->parent) {
		if (v->ops == &overview_view && v->nrows)
			return (int)v->cur;
		if (v->ops == &publications_view &&
		    (idx = snapshot_platform_index(c->snap, v->arg)) >= 0)
			return idx;
	}
	if ((idx = snapshot_platform_index(c->snap, c->platform_id)) >= 0)
		return idx;
	return c->snap->platforms->count ? 0 : -1;
}

static void
switch_top(struct console *c, const struct view_ops *ops)
{
	int idx;

	if (ops != &publications_view) {
		console_switch(c, ops, NULL);
		return;
	}
	if ((idx = context_platform(c)) < 0) {
		console_message(c, ST_WARN, "no platforms yet: create one with `diskops platform create`");
		return;
	}
	open_platform(c, idx);
}

static int
cycle_view(struct console *c, int step)
{
	size_t at = 0;

	/* The nearest top-level view on the stack says where we are. */
	for (struct view *v = c->view; v; v = v->parent) {
		for (size_t i = 0; i < N_TOP; i++) {
			if (v->ops == top_views[i]) {
				at = i;
				goto found;
			}
		}
	}
found:
	at = (at + N_TOP + (size_t)(step > 0 ? 1 : N_TOP - 1)) % N_TOP;
	switch_top(c, top_views[at]);
	return R_REDRAW;
}

static int
go_back(struct console *c, bool quit_at_top)
{
	struct view *v = c->view;

	if (v->parent) {
		c->view = v->parent;
		view_free(v);
		return R_REDRAW;
	}
	if (v->ops != &overview_view) {
		console_switch(c, &overview_view, NULL);
		return R_REDRAW;
	}
	if (quit_at_top)
		return R_QUIT;
	console_message(c, ST_NORMAL, "this is the top view; Q quits");
	return R_REDRAW;
}

static int
yank(struct console *c, struct view *v)
{
	const char *text;

	if (!v->nrows) {
		console_message(c, ST_WARN, "nothing selected to copy");
		return R_REDRAW;
	}
	text = v->ops->yank ? v->ops->yank(v, c->snap, v->cur) : v->ops->row_id(v, c->snap, v->cur);
	if (!text || !*text) {
		console_message(c, ST_WARN, "nothing to copy on this row");
		return R_REDRAW;
	}
	term_osc52(text);
	console_message(c, ST_GOOD, "copied %s", text);
	return R_REDRAW;
}

static int
switch_account(struct console *c, const char *name)
{
	dk_account *acc = NULL;
	char old[sizeof(c->account_id)];

	if (dk_store_account_find(c->store, &acc, name) < 0) {
		console_message(c, ST_BAD, "account %s: %s", name, dk_error_last()->message);
		return R_REDRAW;
	}
	memcpy(old, c->account_id, sizeof(old));
	snprintf(c->account_id, sizeof(c->account_id), "%s", acc->id);
	if (console_reload(c) < 0) {
		memcpy(c->account_id, old, sizeof(old));
	} else {
		c->platform_id[0] = '\0';
		console_switch(c, &overview_view, NULL);
		console_message(c, ST_GOOD, "account %s", acc->name);
	}
	dk_account_free(acc);
	return R_REDRAW;
}

static int
save_display(struct console *c, const char *path)
{
	/* The file shows the screen as it is, not with the command line still open. */
	console_paint(c);
	if (term_save_display(path) < 0)
		console_message(c, ST_BAD, "save-display: %s", dk_error_last()->message);
	else
		console_message(c, ST_GOOD, "saved the screen to %s", path);
	return R_REDRAW;
}

void
console_later(struct console *c, void (*fn)(void *), void *arg)
{
	loop_post(c->loop, fn, arg);
}

int
console_every(struct console *c, int interval_ms, void (*fn)(void *), void *arg)
{
	return loop_timer(c->loop, interval_ms, fn, arg);
}

void
console_redraw(struct console *c)
{
	c->dirty = true;
}

int
console_dispatch(struct console *c, enum action a, const char *arg)
{
	const struct action_info *ai = &action_info[a];
	struct view *v = c->view;
	long page = view_body_height() > 1 ? view_body_height() - 1 : 1;
	int r, idx;

	if (!(ai->views & v->ops->bit)) {
		console_message(c, ST_WARN, "%s is not available in the %s view", ai->name,
				v->ops->name);
		return R_REDRAW;
	}
	if ((ai->flags & AF_CHANGES) && c->opts.read_only) {
		console_message(c, ST_WARN, "read-only: %s refused", ai->name);
		return R_REDRAW;
	}
	if ((ai->flags & AF_ARG) && (!arg || !*arg)) {
		console_message(c, ST_WARN, "usage: %s", ai->help);
		return R_REDRAW;
	}
	if (v->ops->request && (r = v->ops->request(v, c, a, arg)) != R_PASS)
		return r;
	switch (a) {
	case ACT_NONE:
	case ACT__COUNT:
		return R_PASS;
	case ACT_QUIT:
		return R_QUIT;
	case ACT_CLOSE:
		return go_back(c, true);
	case ACT_BACK:
		return go_back(c, false);
	case ACT_HELP:
		if (v->ops == &help_view)
			return go_back(c, false);
		console_push(c, &help_view, NULL);
		console_message(c, ST_NORMAL, "every action also runs as :name, e.g. :%s",
				action_info[ACT_SAVE_DISPLAY].name);
		return R_REDRAW;
	case ACT_PROMPT:
		prompt_start(c, ':');
		return R_REDRAW;
	case ACT_SEARCH:
		prompt_start(c, '/');
		return R_REDRAW;
	case ACT_SEARCH_NEXT:
		return view_search(c, v, 1);
	case ACT_SEARCH_PREV:
		return view_search(c, v, -1);
	case ACT_REFRESH:
		c->clear = true;
		console_message(c, ST_NORMAL, "reloaded");
		return R_RELOAD | R_REDRAW;
	case ACT_NEXT_VIEW:
		return cycle_view(c, 1);
	case ACT_PREV_VIEW:
		return cycle_view(c, -1);
	case ACT_OVERVIEW:
		switch_top(c, &overview_view);
		return R_REDRAW;
	case ACT_PUBLICATIONS:
		switch_top(c, &publications_view);
		return R_REDRAW;
	case ACT_EVENTS:
		switch_top(c, &events_view);
		return R_REDRAW;
	case ACT_ALERTS:
		switch_top(c, &alerts_view);
		return R_REDRAW;
	case ACT_WEBHOOKS:
		switch_top(c, &webhooks_view);
		return R_REDRAW;
	case ACT_DELIVERIES:
		switch_top(c, &deliveries_view);
		return R_REDRAW;
	case ACT_WORKERS:
		switch_top(c, &workers_view);
		return R_REDRAW;
	case ACT_APPROVALS:
		switch_top(c, &approvals_view);
		return R_REDRAW;
	case ACT_MOVE_DOWN:
		view_move_to(c, v, (long)v->cur + 1);
		return R_REDRAW;
	case ACT_MOVE_UP:
		view_move_to(c, v, (long)v->cur - 1);
		return R_REDRAW;
	case ACT_PAGE_DOWN:
		view_move_to(c, v, (long)v->cur + page);
		return R_REDRAW;
	case ACT_PAGE_UP:
		view_move_to(c, v, (long)v->cur - page);
		return R_REDRAW;
	case ACT_FIRST:
		view_move_to(c, v, 0);
		return R_REDRAW;
	case ACT_LAST:
		view_move_to(c, v, (long)v->nrows - 1);
		return R_REDRAW;
	case ACT_YANK:
		return yank(c, v);
	case ACT_PLATFORM:
		if ((idx = snapshot_platform_find(c->snap, arg)) < 0) {
			console_message(c, ST_WARN, "no platform \"%s\" in this account", arg);
			return R_REDRAW;
		}
		open_platform(c, idx);
		return R_REDRAW;
	case ACT_ACCOUNT:
		return switch_account(c, arg);
	case ACT_SAVE_DISPLAY:
		return save_display(c, arg);
	case ACT_RUNS:
		switch_top(c, &runs_view);
		return R_REDRAW;
	case ACT_LOGS:
		return log_open_job(c, NULL, strtoll(arg, NULL, 10), NULL);
	case ACT_FOLLOW:
	case ACT_FILTER:
	case ACT_WRAP:
	case ACT_TIMESTAMPS:
	case ACT_ENTER:
	case ACT_SHOW_ALL:
	case ACT_ROLLBACK:
	case ACT_ACK:
	case ACT_PROMOTE:
	case ACT_APPROVE:
	case ACT_REJECT:
	case ACT_ROTATE_SECRET:
	case ACT_REVOKE:
	case ACT_DISPATCH:
		console_message(c, ST_NORMAL, "nothing to %s here", ai->name);
		return R_REDRAW;
	}
	return R_PASS;
}

int
console_reload(struct console *c)
{
	struct console_snapshot *s, *old = c->snap;
	int rc;

	if ((rc = console_snapshot_load(c->store, c->account_id, &s)) < 0) {
		console_message(c, ST_BAD, "reload failed: %s", dk_error_last()->message);
		return rc;
	}
	c->snap = s;
	ci_sync_repos(c);
	view_rows_all(c);
	console_snapshot_free(old);
	return 0;
}
