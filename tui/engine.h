#ifndef DISKOPS_TUI_ENGINE_H
#define DISKOPS_TUI_ENGINE_H

/* The console engine's own state and functions, shared by tui/ only (views use console.h). */

#include "console.h"
#include "loop.h"

#define MIN_COLS 80
#define MIN_ROWS 24


/* A one-line text field (tui/text_input.c); cur is a byte offset on a character's start. */
struct text_input {
	char text[256];
	size_t len, cur;
};

/* The value, cursor at its end. */
void text_input_set(struct text_input *t, const char *s);
/* An editing key (typing, arrows, Home/End, Backspace/Delete, C-a C-e C-b C-f C-d C-u C-k
 * C-w): applied, true. Anything else (Tab, Enter, Esc…): false, for the dialog. */
bool text_input_key(struct text_input *t, int key);
/* Paints the field in w columns at y, x; returns the cursor's column from x. */
int text_input_draw(const struct text_input *t, int y, int x, int w, int attr);

struct prompt {
	bool active;
	char kind;              /* ':' command line, '/' search */
	struct text_input in;
};

/* The rollback dialog's fields, in focus order. */
enum { DF_REASON, DF_CANCEL, DF_CONFIRM, DF__COUNT };

/* Which dialog is open: the rollback/promote one (tui/dialog.c) or one of
 * tui/dialog_ops.c's, which share its fields, focus order and Cancel default. */
enum dialog_kind { DLG_PROMOTE = 0, DLG_APPROVE, DLG_REJECT, DLG_ROTATE, DLG_REVOKE, DLG_SECRET,
		   DLG_DISPATCH };

#define DIALOG_LINES 6

struct dialog {
	bool active;
	enum dialog_kind kind;
	dk_promote_action action;       /* rollback or promote: the same change, two policies */
	int focus;              /* DF_*; Cancel when it opens */
	struct text_input reason;
	dk_promote_plan plan;   /* what the operator is shown, and what the change pins */
	/* the commits between the current default and the target; NULL: why says why not */
	dk_gitops_commit_list *commits;
	char commits_why[512];
	/* dialog_ops.c: the approval or webhook acted on, what is shown about it, and the
	 * rotated secret while DLG_SECRET shows it (wiped on close) */
	char subject[160];
	char label[160];
	char info[DIALOG_LINES][2][200];
	int ninfo;
	char note[200];
	char *secret;
	struct dispatch_form *form;     /* tui/dialog_dispatch.c: the workflow, ref and inputs */
	unsigned gen;           /* bumped on every close: late worker answers check it */
};

struct console {
	struct console_opts opts;
	dk_config *cfg;
	dk_store *store;
	char account_id[64];
	struct console_snapshot *snap;
	struct keymap keymap;
	struct loop *loop;
	struct view *view;      /* the current view: top of the stack */
	char platform_id[160];  /* the platform `2` opens when no row names one */
	char message[256];
	enum style message_style;
	struct prompt prompt;
	struct dialog dialog;
	struct ci *ci;          /* Gitea runs, jobs and logs (tui/ci.c) */
	bool dirty;             /* something changed since the last paint */
	bool clear;             /* repaint every cell (resize, C-l) */
	int rc;
};

/* tui/view.c */
struct view *view_new(struct console *c, const struct view_ops *ops, const char *arg);
void view_free(struct view *v);
/* After a new snapshot or a filter change: rows again, cursor back on its row. */
void view_rows(struct console *c, struct view *v);
void view_rows_all(struct console *c);
int view_body_height(void);
/* Moves the cursor to row `to` (clamped) and scrolls it into sight. */
void view_move_to(struct console *c, struct view *v, long to);
/* Replaces the whole stack with a top-level view. */
void console_switch(struct console *c, const struct view_ops *ops, const char *arg);
/* Runs an action in the current view, from a key or the command line. */
int console_dispatch(struct console *c, enum action a, const char *arg);
/* Loads a new snapshot; keeps the old one (and says why) when that fails. */
int console_reload(struct console *c);

/* tui/search.c */
bool view_row_matches(struct console *c, struct view *v, size_t row, const char *pattern);
int view_search(struct console *c, struct view *v, int direction);

/* tui/prompt.c */
void prompt_start(struct console *c, char kind);
int prompt_key(struct console *c, int key);

/* tui/dialog.c */
int dialog_key(struct console *c, int key);
void dialog_paint(struct console *c);
void dialog_close(struct console *c);

/* tui/dialog_ops.c: approve, reject, rotate secret, revoke, and the secret shown once */
int ops_dialog_key(struct console *c, int key);
void ops_dialog_paint(struct console *c);
void ops_dialog_wipe(struct dialog *d);
/* What a key does in a dialog (dialog_nav). */
enum dialog_step { DS_REDRAW, DS_CONFIRM, DS_CANCEL, DS_EDIT };
/*
 * The keys every dialog shares, over focus positions first..n-1 whose last two are
 * Cancel and the action's button: Esc cancels; Tab/Down and Shift-Tab/Up cycle; Left and
 * Right switch between the buttons; Enter presses the focused button, or on a field moves
 * on; y on a button confirms. On a field any other key is the field's: DS_EDIT.
 */
enum dialog_step dialog_nav(int *focus, int first, int n, int key);
/* A blank box with a title in its top line, drawn with text glyphs. */
void dialog_frame(int y, int x, int w, int h, const char *title, int in);

/* tui/dialog_dispatch.c: `d` in runs, the build workflow with its inputs */
int dispatch_dialog_key(struct console *c, int key);
void dispatch_dialog_paint(struct console *c);
void dispatch_dialog_free(struct dialog *d);

/* tui/status.c: the status bar for `width` columns */
void status_bar_text(struct console *c, char *buf, size_t len, int width);

/* tui/draw.c */
/* Text fitted into width columns at y, x. */
void draw_text(int y, int x, int width, const char *text, int attr);
void console_paint(struct console *c);
/* Fits UTF-8 text into `width` columns: cut with the ellipsis glyph, padded, aligned.
 * Control characters become spaces. */
void text_fit(char *dst, size_t dstlen, const char *src, int width, bool right);
int text_width(const char *s);
/* strdup, NULL staying NULL. */
char *text_dup(const char *s);

#endif
