/*
 * The rollback dialog: what would change (from the plan, nothing changed yet), a reason,
 * Cancel and Rollback. Cancel has the focus so a stray Enter changes nothing; the change
 * is pinned to the default the dialog showed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curses.h>

#include "actor.h"
#include "ci.h"
#include "engine.h"
#include "diskops/error.h"

#define DIALOG_WIDTH 76
#define DIALOG_HEIGHT 15
#define DIALOG_COMMITS 10       /* commit lines at most; fewer when the screen is short */

static const char *
verb(dk_promote_action action)
{
	return action == DK_PROMOTE_PROMOTE ? "promote" : "rollback";
}

void
dialog_close(struct console *c)
{
	unsigned gen = c->dialog.gen;

	ops_dialog_wipe(&c->dialog);
	dispatch_dialog_free(&c->dialog);
	dk_promote_plan_clear(&c->dialog.plan);
	dk_gitops_commit_list_free(c->dialog.commits);

	memset(&c->dialog, 0, sizeof(c->dialog));
	c->dialog.gen = gen + 1;
}

/* The worker's fetch of the build repo, for a clone that could not answer. */
struct fetch {
	unsigned gen;
	char *token, *state_dir, *ssh_key, *repo, *from, *to;
	dk_gitops_commit_list *commits;
	char error[200];
};

static void
fetch_free(struct fetch *f)
{
	if (f->token) {
		explicit_bzero(f->token, strlen(f->token));
		free(f->token);
	}
	free(f->state_dir);
	free(f->ssh_key);
	free(f->repo);
	free(f->from);
	free(f->to);
	dk_gitops_commit_list_free(f->commits);
	free(f);
}

static void
fetch_work(dk_gitea *g, void *arg)
{
	struct fetch *f = arg;

	if (console_model_rollback_commits_fetch(g, f->token, f->state_dir, f->ssh_key, f->repo,
						 f->from, f->to, &f->commits) < 0)
		snprintf(f->error, sizeof(f->error), "%s", dk_error_last()->message);
}

static void
fetch_done(struct console *c, void *arg)
{
	struct fetch *f = arg;
	struct dialog *d = c ? &c->dialog : NULL;

	if (d && d->active && d->kind == DLG_PROMOTE && d->gen == f->gen) {
		if (f->commits) {
			d->commits = f->commits;
			f->commits = NULL;
		} else {
			snprintf(d->commits_why, sizeof(d->commits_why), "unknown: %s", f->error);
		}
	}
	fetch_free(f);
}

/* The clone in the state dir could not answer (none yet, or older than the shas): fetch
 * it from Gitea on the worker thread, the dialog says so meanwhile. */
static bool
fetch_later(struct console *c, const char *repo)
{
	const dk_promote_plan *p = &c->dialog.plan;
	struct fetch *f = calloc(1, sizeof(*f));

	if (!f)
		return false;
	f->gen = c->dialog.gen;
	f->token = text_dup(c->cfg->gitea_token);
	f->state_dir = text_dup(c->cfg->state_dir);
	f->ssh_key = text_dup(c->cfg->git_ssh_key);
	f->repo = strdup(repo);
	f->from = strdup(p->previous_git_sha);
	f->to = strdup(p->target_git_sha);
	if (!f->state_dir || !f->repo || !f->from || !f->to ||
	    console_ci_task(c, fetch_work, fetch_done, f) < 0) {
		fetch_free(f);
		return false;
	}
	snprintf(c->dialog.commits_why, sizeof(c->dialog.commits_why), "fetching %s from Gitea%s",
		 repo, term_glyph(G_ELLIPSIS));
	return true;
}

/* What the change steps over in git. Never a reason not to open the dialog: an unknown
 * history is shown as unknown. */
static void
load_commits(struct console *c, const char *platform_id)
{
	struct dialog *d = &c->dialog;
	const dk_promote_plan *p = &d->plan;
	int i = snapshot_platform_index(c->snap, platform_id);
	const char *repo = i < 0 ? NULL : c->snap->platforms->items[i].build_repo;
	char why[200];

	if (!p->previous_id) {
		snprintf(d->commits_why, sizeof(d->commits_why), "none: no current default");
		return;
	}
	if (!p->previous_git_sha || !p->target_git_sha) {
		snprintf(d->commits_why, sizeof(d->commits_why), "unknown: no git sha");
		return;
	}
	if (strcmp(p->previous_git_sha, p->target_git_sha) == 0) {
		snprintf(d->commits_why, sizeof(d->commits_why), "none: the same commit");
		return;
	}
	if (console_model_rollback_commits(c->cfg->state_dir, repo, p->previous_git_sha,
					   p->target_git_sha, &d->commits) == 0)
		return;
	snprintf(why, sizeof(why), "%s", dk_error_last()->message);
	if (!repo || !*repo || *console_ci_unavailable(c) || !fetch_later(c, repo))
		snprintf(d->commits_why, sizeof(d->commits_why), "unknown: %s", why);
}

int
console_rollback_dialog(struct console *c, dk_promote_action action, const char *platform_id,
			const char *pub_id)
{
	struct dialog *d = &c->dialog;

	dialog_close(c);
	if (console_model_rollback_plan(c->store, c->account_id, action, platform_id, pub_id,
					&d->plan) < 0) {
		/* A refusal is an answer, not a dialog: nothing to confirm. */
		console_message(c, ST_BAD, "%s: %s", verb(action), dk_error_last()->message);
		dialog_close(c);
		return R_REDRAW;
	}
	d->action = action;
	d->active = true;
	d->focus = DF_CANCEL;
	load_commits(c, platform_id);
	return R_REDRAW;
}

int
console_alert_ack(struct console *c, int64_t alert_id)
{
	if (console_model_alert_ack(c->store, c->account_id, alert_id, tui_actor()) < 0) {
		console_message(c, ST_BAD, "ack: %s", dk_error_last()->message);
		return R_REDRAW;
	}
	console_message(c, ST_GOOD, "alert %lld acknowledged", (long long)alert_id);
	return R_RELOAD | R_REDRAW;
}

static int
confirm(struct console *c)
{
	struct dialog *d = &c->dialog;
	dk_promote_plan done = { 0 };
	int rc;

	rc = console_model_rollback(c->store, c->account_id, d->action, &d->plan, d->reason.text, tui_actor(),
				    &done);
	if (rc == 0)
		console_message(c, ST_GOOD, "%s now boots %.12s (publication %.8s)",
				done.platform_name, done.target_git_sha, done.target_id);
	else if (rc == DK_EPENDING)
		console_message(c, ST_WARN, "approval pending (%s)",
				done.approval_id ? done.approval_id : "?");
	else
		console_message(c, ST_BAD, "%s: %s", verb(d->action), dk_error_last()->message);
	dk_promote_plan_clear(&done);
	dialog_close(c);
	/* Whatever happened, show the store as it is now. */
	return R_RELOAD | R_REDRAW;
}

static int
cancel(struct console *c)
{
	/* The message names the action, so take it before the dialog is wiped. */
	const char *what = verb(c->dialog.action);

	dialog_close(c);
	console_message(c, ST_NORMAL, "%s cancelled; nothing changed", what);
	return R_REDRAW;
}

int
dialog_key(struct console *c, int key)
{
	struct dialog *d = &c->dialog;

	if (d->kind == DLG_DISPATCH)
		return dispatch_dialog_key(c, key);
	if (d->kind != DLG_PROMOTE)
		return ops_dialog_key(c, key);
	switch (dialog_nav(&d->focus, DF_REASON, DF__COUNT, key)) {
	case DS_CONFIRM:
		return confirm(c);
	case DS_CANCEL:
		return cancel(c);
	case DS_EDIT:
		text_input_key(&d->reason, key);
		return R_REDRAW;
	default:
		return R_REDRAW;
	}
}

static void
line(int y, int x, int w, const char *label, const char *value)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%-16s%.480s", label, value);
	draw_text(y, x, w, buf, term_attr(ST_NORMAL));
}

/* How many commit lines fit: the list, its heading and "… and K more". */
static int
commit_rows(const struct dialog *d, int *shown, bool *more)
{
	size_t n = d->commits ? d->commits->count : 0;
	/* The title line, the status bar and the key hints stay in sight. */
	int room = LINES - 3 - DIALOG_HEIGHT - 1, k;

	*more = false;
	if (room < 0)
		room = 0;
	k = n > DIALOG_COMMITS ? DIALOG_COMMITS : (int)n;
	if (k > room)
		k = room;
	if ((size_t)k < n || (d->commits && d->commits->truncated)) {
		/* The "more" line takes the place of a commit when the screen is short. */
		if (k > 0 && k >= room)
			k--;
		*more = room > 0;
	}
	*shown = k;
	return 1 + k + (*more ? 1 : 0);
}

static void
paint_commits(const struct dialog *d, int y, int x, int in, int shown, bool more)
{
	const dk_gitops_commit_list *l = d->commits;
	char buf[512];

	if (!l) {
		line(y, x, in, "commits", d->commits_why);
		return;
	}
	if (l->count == 0)
		snprintf(buf, sizeof(buf), "none between the two shas");
	else
		snprintf(buf, sizeof(buf), l->backwards ? "%s%zu undone: rolling back over these"
			 : "%s%zu new in the target", l->truncated ? "over " : "", l->count);
	line(y, x, in, "commits", buf);
	for (int i = 0; i < shown; i++) {
		snprintf(buf, sizeof(buf), "  %.12s  %s", l->items[i].sha, l->items[i].subject);
		draw_text(y + 1 + i, x, in, buf, term_attr(ST_NORMAL));
	}
	if (more) {
		snprintf(buf, sizeof(buf), "  %s and %s%zu more", term_glyph(G_ELLIPSIS),
			 l->truncated ? "over " : "", l->count - (size_t)shown);
		draw_text(y + 1 + shown, x, in, buf, term_attr(ST_DIM));
	}
}

void
dialog_paint(struct console *c)
{
	const struct dialog *d = &c->dialog;
	const dk_promote_plan *p = &d->plan;
	int w = COLS - 4 < DIALOG_WIDTH ? COLS - 4 : DIALOG_WIDTH, shown = 0;
	bool more = false;
	int k = d->kind == DLG_PROMOTE ? commit_rows(d, &shown, &more) : 0;
	int h = DIALOG_HEIGHT + k, x = (COLS - w) / 2, y = (LINES - h) / 2, in = w - 4;
	char buf[512], built[32] = "-", title[128];
	time_t t = (time_t)p->target_built_at;
	struct tm tm;
	int bx, cur_x;

	if (d->kind == DLG_DISPATCH) {
		dispatch_dialog_paint(c);
		return;
	}
	if (d->kind != DLG_PROMOTE) {
		ops_dialog_paint(c);
		return;
	}
	snprintf(title, sizeof(title), "%s %s",
		 d->action == DK_PROMOTE_PROMOTE ? "Promote on" : "Roll back", p->platform_name);
	dialog_frame(y, x, w, h, title, in);

	if (p->target_built_at > 0 && gmtime_r(&t, &tm))
		strftime(built, sizeof(built), "%Y-%m-%d %H:%M UTC", &tm);
	line(y + 2, x + 2, in, "platform", p->platform_name);
	if (p->previous_id)
		snprintf(buf, sizeof(buf), "%.12s  publication %.8s", p->previous_git_sha ?
			 p->previous_git_sha : "-", p->previous_id);
	else
		snprintf(buf, sizeof(buf), "none");
	line(y + 3, x + 2, in, "current default", buf);
	snprintf(buf, sizeof(buf), "%.12s  publication %.8s  (%s%s)", p->target_git_sha,
		 p->target_id, p->target_status, p->reactivate ? ", reactivated" : "");
	line(y + 4, x + 2, in, "target", buf);
	line(y + 5, x + 2, in, "signer", p->target_signer ? p->target_signer : "-");
	line(y + 6, x + 2, in, "built", built);
	line(y + 7, x + 2, in, "new nodes boot", p->pinned_ref ? p->pinned_ref : "-");
	paint_commits(d, y + 8, x + 2, in, shown, more);
	y += k;

	draw_text(y + 9, x + 2, 16, "reason", term_attr(ST_NORMAL));
	cur_x = text_input_draw(&d->reason, y + 9, x + 18, in - 16,
				term_attr(d->focus == DF_REASON ? ST_SELECTED : ST_HEADER));

	bx = x + w - 30;
	draw_text(y + 11, bx, 10, "[ Cancel ]",
		  term_attr(d->focus == DF_CANCEL ? ST_SELECTED : ST_NORMAL));
	draw_text(y + 11, bx + 13, 12, d->action == DK_PROMOTE_PROMOTE ? "[ Promote ]" : "[ Rollback ]",
		  term_attr(d->focus == DF_CONFIRM ? ST_SELECTED : ST_NORMAL));
	draw_text(y + 13, x + 2, in, d->action == DK_PROMOTE_PROMOTE
		  ? "Tab moves  y or Promote+Enter confirms  Esc cancels"
		  : "Tab moves  y or Rollback+Enter confirms  Esc cancels",
		  term_attr(ST_DIM));
	if (d->focus == DF_REASON) {
		curs_set(1);
		move(y + 9, x + 18 + cur_x);
	} else {
		curs_set(0);
	}
}
