/*
 * `d` in the runs view: dispatch the platform's build workflow, as `diskops dispatch`
 * does. The dialog opens at once with Cancel focused; the worker thread reads the repo's
 * default branch and the workflow's `workflow_dispatch` inputs from Gitea meanwhile, and
 * they become editable fields (default values filled in, descriptions under them). The
 * dispatch itself runs on the worker too; its outcome lands in the status line and the
 * new run in the runs view at the poll that follows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>

#include "ci.h"
#include "engine.h"
#include "diskops/error.h"
#include "diskops/gitops.h"

#define FORM_INPUTS 16
#define FORM_WIDTH 100
#define LABEL 16

struct field {
	char label[64];
	char desc[200];
	struct text_input value;
	bool required;
};

struct dispatch_form {
	char platform[128], repo[160], workflow[256];
	bool loading;                   /* the worker is reading the workflow */
	char note[512];                 /* what is known about the inputs, or a refusal */
	bool warn;                      /* the note is a problem, not news */
	int nfields;                    /* the ref, then the inputs */
	struct field f[1 + FORM_INPUTS];
	int focus;                      /* a field, then nfields = Cancel, nfields + 1 = Dispatch */
	bool ref_edited;
};

/* The worker's read of the workflow, handed back to the loop. */
struct load {
	unsigned gen;
	char repo[160], workflow[256];
	char *ref;
	dk_gitops_input_list *inputs;
	int rc;
	char error[256];
};

struct send {
	char repo[160], workflow[256], ref[256];
	char **inputs;                  /* "key=value", NULL-terminated */
	dk_gitea_dispatch_result *res;
	int rc;
	char error[256];
};

/* The workflow's file name, for titles and messages. */
static const char *
file_of(const char *workflow)
{
	const char *slash = strrchr(workflow, '/');

	return slash ? slash + 1 : workflow;
}

static bool
on_cancel(const struct dispatch_form *f)
{
	return f->focus == f->nfields;
}

static bool
on_confirm(const struct dispatch_form *f)
{
	return f->focus == f->nfields + 1;
}

void
dispatch_dialog_free(struct dialog *d)
{
	free(d->form);
	d->form = NULL;
}

static void
load_work(dk_gitea *g, void *arg)
{
	struct load *l = arg;

	l->rc = console_model_workflow(g, l->repo, l->workflow, &l->ref, &l->inputs);
	if (l->rc < 0)
		snprintf(l->error, sizeof(l->error), "%s", dk_error_last()->message);
}

static void
load_free(struct load *l)
{
	dk_gitops_input_list_free(l->inputs);
	free(l->ref);
	free(l);
}

static void
load_done(struct console *c, void *arg)
{
	struct load *l = arg;
	struct dispatch_form *f;
	bool on_buttons;
	int button;

	/* The dialog may have been closed, or another opened, while Gitea answered. */
	if (!c || !c->dialog.active || c->dialog.kind != DLG_DISPATCH || c->dialog.gen != l->gen) {
		load_free(l);
		return;
	}
	f = c->dialog.form;
	on_buttons = f->focus >= f->nfields;
	button = f->focus - f->nfields;
	f->loading = false;
	if (l->ref && !f->ref_edited)
		text_input_set(&f->f[0].value, l->ref);
	if (l->rc < 0) {
		f->warn = true;
		snprintf(f->note, sizeof(f->note), "inputs unknown (%s): the workflow's defaults apply",
			 l->error);
	} else if (l->inputs->count == 0) {
		snprintf(f->note, sizeof(f->note), "the workflow declares no inputs");
	} else {
		snprintf(f->note, sizeof(f->note), "%zu input%s from the workflow file, sent as shown",
			 l->inputs->count, l->inputs->count == 1 ? "" : "s");
		for (size_t i = 0; i < l->inputs->count && f->nfields <= FORM_INPUTS; i++) {
			const dk_gitops_input *in = &l->inputs->items[i];
			struct field *fl = &f->f[f->nfields++];

			snprintf(fl->label, sizeof(fl->label), "%s", in->name);
			snprintf(fl->desc, sizeof(fl->desc), "%s%s", in->required ? "required. " : "",
				 in->description ? in->description : "");
			text_input_set(&fl->value, in->default_value);
			fl->required = in->required;
		}
		if (l->inputs->count > FORM_INPUTS)
			snprintf(f->note, sizeof(f->note), "the first %d of %zu inputs; the others "
				 "keep their defaults", FORM_INPUTS, l->inputs->count);
	}
	/* Cancel keeps the focus it had. */
	if (on_buttons)
		f->focus = f->nfields + button;
	load_free(l);
}

int
console_dispatch_dialog(struct console *c, const char *platform, const char *repo)
{
	const struct console_snapshot *s = c->snap;
	int i = snapshot_platform_find(s, platform);
	const char *wf = i >= 0 && s->platforms->items[i].workflow_file &&
			 *s->platforms->items[i].workflow_file
			 ? s->platforms->items[i].workflow_file : DK_GITOPS_WORKFLOW_PATH;
	struct dispatch_form *f;
	struct load *l;
	struct dialog *d = &c->dialog;

	if (*console_ci_unavailable(c)) {
		console_message(c, ST_WARN, "dispatch: %s", console_ci_unavailable(c));
		return R_REDRAW;
	}
	if (!(f = calloc(1, sizeof(*f))) || !(l = calloc(1, sizeof(*l)))) {
		free(f);
		console_message(c, ST_BAD, "dispatch: out of memory");
		return R_REDRAW;
	}
	dialog_close(c);
	d->kind = DLG_DISPATCH;
	d->active = true;
	d->focus = DF_CANCEL;
	d->form = f;
	snprintf(f->platform, sizeof(f->platform), "%s", platform);
	snprintf(f->repo, sizeof(f->repo), "%s", repo);
	snprintf(f->workflow, sizeof(f->workflow), "%s", wf);
	snprintf(f->f[0].label, sizeof(f->f[0].label), "ref");
	text_input_set(&f->f[0].value, "refs/heads/main");
	f->f[0].required = true;
	f->nfields = 1;
	f->focus = f->nfields;
	f->loading = true;
	snprintf(f->note, sizeof(f->note), "reading the workflow's inputs from Gitea%s",
		 term_glyph(G_ELLIPSIS));
	l->gen = d->gen;
	snprintf(l->repo, sizeof(l->repo), "%s", repo);
	snprintf(l->workflow, sizeof(l->workflow), "%s", wf);
	if (console_ci_task(c, load_work, load_done, l) < 0) {
		f->loading = false;
		f->warn = true;
		snprintf(f->note, sizeof(f->note), "inputs unknown (%s)", dk_error_last()->message);
		free(l);
	}
	return R_REDRAW;
}

static void
send_work(dk_gitea *g, void *arg)
{
	struct send *s = arg;

	s->rc = console_model_dispatch(g, s->repo, s->workflow, s->ref,
				       (const char *const *)s->inputs, &s->res);
	if (s->rc < 0)
		snprintf(s->error, sizeof(s->error), "%s", dk_error_last()->message);
}

static void
send_done(struct console *c, void *arg)
{
	struct send *s = arg;
	const char *file = file_of(s->workflow);

	if (c) {
		if (s->rc < 0)
			console_message(c, ST_BAD, "dispatch %s: %s", file, s->error);
		else if (s->res && s->res->run_id)
			console_message(c, ST_GOOD, "dispatched %s on %s (%s): run %lld", file, s->repo,
					s->ref, (long long)s->res->run_id);
		else
			console_message(c, ST_GOOD, "dispatched %s on %s (%s); the run shows at the "
					"next refresh", file, s->repo, s->ref);
		console_ci_refresh_runs(c);
	}
	for (size_t i = 0; s->inputs && s->inputs[i]; i++)
		free(s->inputs[i]);
	free(s->inputs);
	dk_gitea_dispatch_result_free(s->res);
	free(s);
}

static int
confirm(struct console *c)
{
	struct dispatch_form *f = c->dialog.form;
	struct send *s;

	if (f->loading) {
		snprintf(f->note, sizeof(f->note), "still reading the workflow from Gitea: a moment");
		f->warn = true;
		return R_REDRAW;
	}
	for (int i = 0; i < f->nfields; i++) {
		if (f->f[i].required && !f->f[i].value.len) {
			snprintf(f->note, sizeof(f->note), "%s is required", f->f[i].label);
			f->warn = true;
			f->focus = i;
			return R_REDRAW;
		}
	}
	if (!(s = calloc(1, sizeof(*s))) ||
	    !(s->inputs = calloc((size_t)f->nfields, sizeof(*s->inputs)))) {
		free(s);
		console_message(c, ST_BAD, "dispatch: out of memory");
		return R_REDRAW;
	}
	snprintf(s->repo, sizeof(s->repo), "%s", f->repo);
	snprintf(s->workflow, sizeof(s->workflow), "%s", f->workflow);
	snprintf(s->ref, sizeof(s->ref), "%s", f->f[0].value.text);
	/* What the operator sees is what is sent, defaults included. */
	for (int i = 1; i < f->nfields; i++) {
		if (asprintf(&s->inputs[i - 1], "%s=%s", f->f[i].label, f->f[i].value.text) < 0) {
			s->inputs[i - 1] = NULL;
			s->rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto refused;
		}
	}
	if ((s->rc = console_ci_task(c, send_work, send_done, s)) < 0)
		goto refused;
	console_message(c, ST_NORMAL, "dispatching %s on %s (%s)%s", f->workflow, s->repo, s->ref,
			term_glyph(G_ELLIPSIS));
	dialog_close(c);
	return R_REDRAW;
refused:
	/* send_done says why in the status line and frees what was gathered. */
	snprintf(s->error, sizeof(s->error), "%s", dk_error_last()->message);
	send_done(c, s);
	dialog_close(c);
	return R_REDRAW;
}

static int
cancel(struct console *c)
{
	dialog_close(c);
	console_message(c, ST_NORMAL, "dispatch cancelled; nothing dispatched");
	return R_REDRAW;
}

int
dispatch_dialog_key(struct console *c, int key)
{
	struct dispatch_form *f = c->dialog.form;

	switch (dialog_nav(&f->focus, 0, f->nfields + 2, key)) {
	case DS_CONFIRM:
		return confirm(c);
	case DS_CANCEL:
		return cancel(c);
	case DS_EDIT:
		if (text_input_key(&f->f[f->focus].value, key) && f->focus == 0)
			f->ref_edited = true;
		return R_REDRAW;
	default:
		return R_REDRAW;
	}
}

/* The rows the fields take: each field, and its description under it when all fit. */
struct slot {
	int field;
	bool desc;
};

static int
layout(const struct dispatch_form *f, struct slot *out, int room)
{
	int n = 0, first = 0, want = 0;

	for (int i = 0; i < f->nfields; i++)
		want += 1 + (f->f[i].desc[0] != '\0');
	if (want <= room) {
		for (int i = 0; i < f->nfields; i++) {
			out[n++] = (struct slot){ i, false };
			if (f->f[i].desc[0])
				out[n++] = (struct slot){ i, true };
		}
		return n;
	}
	/* Short screen: fields only, a window that keeps the focused one in sight. */
	if (f->nfields > room) {
		int at = f->focus < f->nfields ? f->focus : f->nfields - 1;

		first = at - room / 2;
		if (first > f->nfields - room)
			first = f->nfields - room;
		if (first < 0)
			first = 0;
	}
	for (int i = first; i < f->nfields && n < room; i++)
		out[n++] = (struct slot){ i, false };
	return n;
}

void
dispatch_dialog_paint(struct console *c)
{
	const struct dispatch_form *f = c->dialog.form;
	struct slot slots[2 * (1 + FORM_INPUTS)];
	int w = COLS - 4 < FORM_WIDTH ? COLS - 4 : FORM_WIDTH, in = w - 4;
	int room = LINES - 3 - 11, nslots, h, x, y, r, bx, cur_y = -1, cur_x = 0;
	char buf[512], title[400];
	const char *file = file_of(f->workflow);

	if (room < 1)
		room = 1;
	nslots = layout(f, slots, room);
	h = 11 + nslots;
	x = (COLS - w) / 2;
	y = (LINES - h) / 2;
	snprintf(title, sizeof(title), "Dispatch %s on %s", file, f->platform);
	dialog_frame(y, x, w, h, title, in);
	r = y + 2;
	snprintf(buf, sizeof(buf), "%-*s%s", LABEL, "repo", f->repo);
	draw_text(r++, x + 2, in, buf, term_attr(ST_NORMAL));
	snprintf(buf, sizeof(buf), "%-*s%s", LABEL, "workflow", f->workflow);
	draw_text(r++, x + 2, in, buf, term_attr(ST_NORMAL));
	draw_text(r++, x + 2 + LABEL, in - LABEL, f->note, term_attr(f->warn ? ST_WARN : ST_DIM));
	r++;
	for (int i = 0; i < nslots; i++, r++) {
		const struct field *fl = &f->f[slots[i].field];
		bool focused = f->focus == slots[i].field;
		int attr = term_attr(focused ? ST_SELECTED : ST_HEADER), cx;

		if (slots[i].desc) {
			draw_text(r, x + 2 + LABEL, in - LABEL, fl->desc, term_attr(ST_DIM));
			continue;
		}
		draw_text(r, x + 2, LABEL - 1, fl->label, term_attr(ST_NORMAL));
		cx = text_input_draw(&fl->value, r, x + 2 + LABEL, in - LABEL, attr);
		if (focused) {
			cur_y = r;
			cur_x = x + 2 + LABEL + cx;
		}
	}
	r++;
	bx = x + w - 2 - 12 - 3 - 10;
	draw_text(r, bx, 10, "[ Cancel ]", term_attr(on_cancel(f) ? ST_SELECTED : ST_NORMAL));
	draw_text(r, x + w - 2 - 12, 12, "[ Dispatch ]",
		  term_attr(on_confirm(f) ? ST_SELECTED : ST_NORMAL));
	r += 2;
	draw_text(r, x + 2, in, "Tab moves  y or Dispatch+Enter confirms  Esc cancels",
		  term_attr(ST_DIM));
	if (cur_y >= 0) {
		curs_set(1);
		move(cur_y, cur_x);
	} else {
		curs_set(0);
	}
}
