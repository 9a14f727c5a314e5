/*
 * The dialogs of the operations views, on the rollback dialog's pattern: what the action
 * is about, Cancel focused when it opens, `y` or the action's button + Enter to confirm,
 * Esc to leave with nothing changed. Reject asks for a reason. A rotated webhook secret
 * is shown here once, can be copied with `y` (OSC 52), and is wiped when the dialog closes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>

#include "actor.h"
#include "engine.h"
#include "diskops/clock.h"
#include "diskops/error.h"

/* As wide as the rollback dialog at 80 columns, wider where the screen allows, so a
 * long action or reason is not cut. */
#define OPS_DIALOG_WIDTH 100

static const char *const button[] = {
	[DLG_PROMOTE] = "", [DLG_APPROVE] = "[ Approve ]", [DLG_REJECT] = "[ Reject ]",
	[DLG_ROTATE] = "[ Rotate ]", [DLG_REVOKE] = "[ Revoke ]", [DLG_SECRET] = "[ Close ]",
	[DLG_DISPATCH] = "[ Dispatch ]",
};

static const char *const verb[] = {
	[DLG_PROMOTE] = "promote", [DLG_APPROVE] = "approve", [DLG_REJECT] = "reject",
	[DLG_ROTATE] = "rotate-secret", [DLG_REVOKE] = "revoke", [DLG_SECRET] = "secret",
	[DLG_DISPATCH] = "dispatch",
};

void
ops_dialog_wipe(struct dialog *d)
{
	if (d->secret) {
		explicit_bzero(d->secret, strlen(d->secret));
		free(d->secret);
		d->secret = NULL;
	}
}

static void
info(struct dialog *d, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
info(struct dialog *d, const char *label, const char *fmt, ...)
{
	va_list ap;

	if (d->ninfo >= DIALOG_LINES)
		return;
	snprintf(d->info[d->ninfo][0], sizeof(d->info[0][0]), "%s", label);
	va_start(ap, fmt);
	vsnprintf(d->info[d->ninfo][1], sizeof(d->info[0][1]), fmt, ap);
	va_end(ap);
	d->ninfo++;
}

static struct dialog *
open_dialog(struct console *c, enum dialog_kind kind, const char *subject)
{
	struct dialog *d = &c->dialog;

	dialog_close(c);
	d->kind = kind;
	d->active = true;
	d->focus = DF_CANCEL;
	snprintf(d->subject, sizeof(d->subject), "%s", subject);
	return d;
}

int
console_approval_dialog(struct console *c, bool approve, const char *approval_id)
{
	const struct console_snapshot *s = c->snap;
	const dk_approval *a = NULL;
	struct dialog *d;
	char what[256], when[32], left[24];

	for (size_t i = 0; s->approvals && i < s->approvals->count; i++) {
		if (strcmp(s->approvals->items[i].id, approval_id) == 0)
			a = &s->approvals->items[i];
	}
	if (!a) {
		console_message(c, ST_WARN, "no approval selected");
		return R_REDRAW;
	}
	/* Decided ones are an answer, not a dialog. */
	if (strcmp(a->state, "pending") != 0 || snapshot_approval_expired(s, a)) {
		console_message(c, ST_WARN, "%s: approval %.8s is %s, not pending",
				approve ? "approve" : "reject", a->id,
				snapshot_approval_expired(s, a) ? "expired" : a->state);
		return R_REDRAW;
	}
	d = open_dialog(c, approve ? DLG_APPROVE : DLG_REJECT, a->id);
	snprintf(d->label, sizeof(d->label), "%s request %.8s", approve ? "Approve" : "Reject", a->id);
	info(d, "action", "%s %s", a->category, snapshot_approval_summary(s, a, what, sizeof(what)));
	info(d, "requested by", "%s", a->requested_by);
	info(d, "requested", "%s (%s)", dk_clock_iso(when, a->created_at),
	     dk_clock_age(left, a->created_at));
	info(d, "expires", "%s", dk_clock_iso(when, a->expires_at));
	info(d, "decided by", "%s", tui_actor());
	snprintf(d->note, sizeof(d->note), "%s", approve
		 ? "Approving carries the action out now, as you. The requester cannot approve."
		 : "Rejecting closes the request; nothing is carried out. A reason is required.");
	return R_REDRAW;
}

int
console_webhook_dialog(struct console *c, bool rotate, const char *webhook_id)
{
	const struct console_snapshot *s = c->snap;
	const dk_webhook *w = NULL;
	struct dialog *d;
	char when[32];

	for (size_t i = 0; s->webhooks && i < s->webhooks->count; i++) {
		if (strcmp(s->webhooks->items[i].id, webhook_id) == 0)
			w = &s->webhooks->items[i];
	}
	if (!w) {
		console_message(c, ST_WARN, "no webhook selected");
		return R_REDRAW;
	}
	if (strcmp(w->status, "revoked") == 0) {
		console_message(c, ST_WARN, "%s: webhook %s is revoked", rotate ? "rotate-secret" : "revoke",
				w->label);
		return R_REDRAW;
	}
	d = open_dialog(c, rotate ? DLG_ROTATE : DLG_REVOKE, w->id);
	snprintf(d->label, sizeof(d->label), "%s webhook %s", rotate ? "Rotate the secret of" : "Revoke",
		 w->label);
	info(d, "webhook", "%s", w->label);
	info(d, "id", "%s", w->id);
	info(d, "status", "%s", w->status);
	info(d, "secret", "%.8s%s", w->secret_preview ? w->secret_preview : "", term_glyph(G_ELLIPSIS));
	info(d, "last delivery", "%s", w->last_received_at ? dk_clock_iso(when, w->last_received_at) : "never");
	snprintf(d->note, sizeof(d->note), "%s", rotate
		 ? "The old secret stops working at once; the new one is shown once, here."
		 : "Its URL answers unknown_webhook from now on; builds signed for it are refused.");
	return R_REDRAW;
}

static int
close_with(struct console *c, enum style st, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
close_with(struct console *c, enum style st, int r, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dialog_close(c);
	console_message(c, st, "%s", msg);
	return r;
}

/* The core's refusal, with the approval's full id cut to the 8 characters the view shows,
 * so the reason fits the bottom line. */
static int
refused(struct console *c, const char *what)
{
	const char *msg = dk_error_last()->message, *at = strstr(msg, c->dialog.subject);
	size_t idlen = strlen(c->dialog.subject);

	if (at && idlen > 8)
		return close_with(c, ST_BAD, R_RELOAD | R_REDRAW, "%s: %.*s%.8s%s", what,
				  (int)(at - msg), msg, at, at + idlen);
	return close_with(c, ST_BAD, R_RELOAD | R_REDRAW, "%s: %s", what, msg);
}

static int
show_secret(struct console *c, char *secret)
{
	struct dialog *d = &c->dialog;
	char id[sizeof(d->subject)], name[120];

	memcpy(id, d->subject, sizeof(id));
	snprintf(name, sizeof(name), "%.119s", d->info[0][1]);
	d = open_dialog(c, DLG_SECRET, id);
	d->secret = secret;
	d->focus = DF_CONFIRM;
	snprintf(d->label, sizeof(d->label), "New secret of webhook %s", name);
	info(d, "webhook", "%s", name);
	info(d, "id", "%s", id);
	info(d, "secret", "%s", secret);
	snprintf(d->note, sizeof(d->note), "Shown once: y copies it (OSC 52). The old secret no "
		 "longer works; give the new one to the CI job.");
	console_message(c, ST_GOOD, "webhook %s: secret rotated; the old one no longer works", name);
	return R_RELOAD | R_REDRAW;
}

static int
confirm(struct console *c)
{
	struct dialog *d = &c->dialog;
	char *secret = NULL;
	int rc;

	switch (d->kind) {
	case DLG_APPROVE:
		rc = console_model_approve(c->store, c->account_id, d->subject, tui_actor());
		if (rc < 0)
			return refused(c, "approve");
		return close_with(c, ST_GOOD, R_RELOAD | R_REDRAW, "approval %.8s approved and carried out",
				  d->subject);
	case DLG_REJECT:
		if (d->reason.len == 0) {
			snprintf(d->note, sizeof(d->note), "A reason is required to reject: type it, then "
				 "Tab to Reject.");
			d->focus = DF_REASON;
			return R_REDRAW;
		}
		rc = console_model_reject(c->store, c->account_id, d->subject, tui_actor(), d->reason.text);
		if (rc < 0)
			return refused(c, "reject");
		return close_with(c, ST_GOOD, R_RELOAD | R_REDRAW, "approval %.8s rejected", d->subject);
	case DLG_ROTATE:
		rc = console_model_webhook_rotate(c->store, c->cfg->state_dir, c->account_id, d->subject,
						  tui_actor(), &secret);
		if (rc < 0)
			return close_with(c, ST_BAD, R_RELOAD | R_REDRAW, "rotate-secret: %s",
					  dk_error_last()->message);
		return show_secret(c, secret);
	case DLG_REVOKE:
		rc = console_model_webhook_revoke(c->store, c->account_id, d->subject, tui_actor());
		if (rc < 0)
			return close_with(c, ST_BAD, R_RELOAD | R_REDRAW, "revoke: %s",
					  dk_error_last()->message);
		return close_with(c, ST_GOOD, R_RELOAD | R_REDRAW, "webhook %s revoked", d->info[0][1]);
	case DLG_SECRET:
		return close_with(c, ST_NORMAL, R_REDRAW, "the secret is not shown again");
	case DLG_PROMOTE:
	case DLG_DISPATCH:
		break;
	}
	return R_REDRAW;
}

static int
cancel(struct console *c)
{
	const char *what = verb[c->dialog.kind];

	if (c->dialog.kind == DLG_SECRET)
		return confirm(c);
	return close_with(c, ST_NORMAL, R_REDRAW, "%s cancelled; nothing changed", what);
}

static bool
has_reason(const struct dialog *d)
{
	return d->kind == DLG_REJECT;
}

enum dialog_step
dialog_nav(int *focus, int first, int n, int key)
{
	int span = n - first;
	bool on_button = *focus >= n - 2;

	switch (key) {
	case 27:
		return DS_CANCEL;
	case '\t':
	case KEY_DOWN:
		*focus = first + (*focus - first + 1) % span;
		return DS_REDRAW;
	case KEY_BTAB:
	case KEY_UP:
		*focus = first + (*focus - first + span - 1) % span;
		return DS_REDRAW;
	case KEY_LEFT:
	case KEY_RIGHT:
		if (!on_button)
			return DS_EDIT;
		if (span >= 2)
			*focus = *focus == n - 2 ? n - 1 : n - 2;
		return DS_REDRAW;
	case '\n':
		if (*focus == n - 1)
			return DS_CONFIRM;
		if (*focus == n - 2)
			return DS_CANCEL;
		(*focus)++;
		return DS_REDRAW;
	case 'y':
	case 'Y':
		if (on_button)
			return DS_CONFIRM;
		break;
	}
	return on_button ? DS_REDRAW : DS_EDIT;
}

int
ops_dialog_key(struct console *c, int key)
{
	struct dialog *d = &c->dialog;

	if (d->kind == DLG_SECRET) {
		/* One button; y copies the secret rather than closing. */
		if (key == 'y' || key == 'Y') {
			term_osc52(d->secret);
			snprintf(d->note, sizeof(d->note), "Copied to the clipboard (OSC 52). Enter or Esc "
				 "closes; it is not shown again.");
			return R_REDRAW;
		}
		if (key == 'q')
			return confirm(c);
	}
	switch (dialog_nav(&d->focus, d->kind == DLG_SECRET ? DF_CONFIRM : has_reason(d) ? DF_REASON
			   : DF_CANCEL, DF__COUNT, key)) {
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

void
dialog_frame(int y, int x, int w, int h, const char *title, int in)
{
	const char *hl = term_glyph(G_HLINE), *vl = term_glyph(G_VLINE);
	char t[200];

	attrset(term_attr(ST_NORMAL));
	for (int r = 0; r < h; r++) {
		mvhline(y + r, x, ' ', w);
		mvaddstr(y + r, x, r == 0 ? term_glyph(G_UL) : r == h - 1 ? term_glyph(G_LL) : vl);
		mvaddstr(y + r, x + w - 1, r == 0 ? term_glyph(G_UR) : r == h - 1 ? term_glyph(G_LR) : vl);
	}
	for (int i = 1; i < w - 1; i++) {
		mvaddstr(y, x + i, hl);
		mvaddstr(y + h - 1, x + i, hl);
	}
	snprintf(t, sizeof(t), " %s ", title);
	draw_text(y, x + 2, text_width(t) < in ? text_width(t) : in, t, term_attr(ST_HEADER));
}

/* Up to two lines of `text` at y, split at a space. */
static int
paint_note(int y, int x, int w, const char *text, int attr)
{
	char first[256];
	const char *rest = "";
	size_t cut = strlen(text);

	if (text_width(text) > w) {
		cut = 0;
		for (size_t i = 0; text[i]; i++) {
			char tmp[256];

			if (text[i] != ' ')
				continue;
			snprintf(tmp, sizeof(tmp), "%.*s", (int)i, text);
			if (text_width(tmp) > w)
				break;
			cut = i;
		}
		rest = text + cut + (cut ? 1 : 0);
	}
	snprintf(first, sizeof(first), "%.*s", (int)cut, text);
	draw_text(y, x, w, first, attr);
	if (*rest)
		draw_text(y + 1, x, w, rest, attr);
	return 2;
}

void
ops_dialog_paint(struct console *c)
{
	const struct dialog *d = &c->dialog;
	int w = COLS - 4 < OPS_DIALOG_WIDTH ? COLS - 4 : OPS_DIALOG_WIDTH, in = w - 4;
	int h = 2 + d->ninfo + 1 + 3 + (has_reason(d) ? 2 : 0) + 2 + 2;
	int x = (COLS - w) / 2, y = (LINES - h) / 2, r, bx, cur_x = 0;
	const char *ok = button[d->kind];
	char buf[512], hint[160];

	dialog_frame(y, x, w, h, d->label, in);
	r = y + 2;
	for (int i = 0; i < d->ninfo; i++, r++) {
		snprintf(buf, sizeof(buf), "%-16s%s", d->info[i][0], d->info[i][1]);
		draw_text(r, x + 2, in, buf, term_attr(d->kind == DLG_SECRET && i == 2 ? ST_GOOD : ST_NORMAL) |
			  (d->kind == DLG_SECRET && i == 2 ? (int)A_BOLD : 0));
	}
	r++;
	r += paint_note(r, x + 2, in, d->note, term_attr(d->kind == DLG_SECRET ? ST_WARN : ST_DIM));
	r++;
	if (has_reason(d)) {
		draw_text(r, x + 2, 16, "reason", term_attr(ST_NORMAL));
		cur_x = text_input_draw(&d->reason, r, x + 18, in - 16,
					term_attr(d->focus == DF_REASON ? ST_SELECTED : ST_HEADER));
		r += 2;
	}
	bx = x + w - 4 - text_width(ok) - (d->kind == DLG_SECRET ? 0 : 13);
	if (d->kind != DLG_SECRET)
		draw_text(r, bx, 10, "[ Cancel ]",
			  term_attr(d->focus == DF_CANCEL ? ST_SELECTED : ST_NORMAL));
	draw_text(r, x + w - 2 - text_width(ok), text_width(ok), ok,
		  term_attr(d->focus == DF_CONFIRM ? ST_SELECTED : ST_NORMAL));
	r += 2;
	if (d->kind == DLG_SECRET)
		snprintf(hint, sizeof(hint), "y copies  Enter or Esc closes");
	else
		snprintf(hint, sizeof(hint), "Tab moves  y or %.*s+Enter confirms  Esc cancels",
			 (int)strlen(ok) - 4, ok + 2);
	draw_text(r, x + 2, in, hint, term_attr(ST_DIM));
	if (d->focus == DF_REASON && has_reason(d)) {
		curs_set(1);
		move(y + 2 + d->ninfo + 1 + 3, x + 18 + cur_x);
	} else {
		curs_set(0);
	}
}
