#ifndef DISKOPS_TUI_CONSOLE_H
#define DISKOPS_TUI_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actions.h"
#include "keys.h"
#include "model.h"
#include "terminal.h"
#include "diskops/config.h"
#include "diskops/store.h"

/*
 * The operator console. A generic engine (tui/view.c, tui/draw.c) drives views that are
 * one file each in views/: a view turns the current snapshot into rows of cells and may
 * handle some actions; everything else — movement, search, the view stack, help, the
 * command line, the bars — is the engine's (tig's struct view + struct view_ops).
 */

struct console_opts {
	bool read_only;         /* --read-only: changing actions are hidden and refused */
	bool no_color;
	bool ascii;
	bool mouse;
	const char *log_file;   /* --log FILE: open the log view on a local file */
};

/* Opens the store and resolves the account (the CLI's, so errors read the same). */
typedef int (*console_open_fn)(void *arg, dk_store **store, const dk_account **account);

/* `diskops console`: runs until the operator quits; returns 0 or a DK_E* code. With
 * --log FILE the log's first screen is painted before `open` runs, so showing a log
 * never waits for the store. */
int dk_console_run(const struct console_opts *opts, dk_config *cfg, console_open_fn open,
		   void *open_arg);

struct console;
struct view;

/* What a handler asks of the engine (htop's reactions); the loop acts on them. */
enum {
	R_PASS = 0,             /* not handled here: the engine's turn */
	R_DONE = 1 << 0,        /* handled */
	R_REDRAW = 1 << 1,      /* repaint */
	R_ROWS = 1 << 2,        /* rebuild rows from the snapshot (a filter changed) */
	R_RELOAD = 1 << 3,      /* take a new snapshot from the store */
	R_QUIT = 1 << 4
};

enum {
	COL_RIGHT = 1 << 0,     /* numbers and sizes */
	COL_FLEX = 1 << 1       /* takes a share of the width left over; `width` is its minimum */
};

struct column {
	const char *title;
	int width;
	unsigned flags;
};

#define MAX_COLUMNS 8
#define CELL_BYTES 256

struct cell {
	char text[CELL_BYTES];
	enum style style;
};

struct row {
	struct cell cell[MAX_COLUMNS];
	enum style style;       /* the whole row, e.g. help headings */
};

struct view_ops {
	const char *name;               /* title, and the `:` command that opens it */
	unsigned bit;                   /* VB_* */
	const struct column *columns;
	int ncolumns;
	/* Rebuilds the view's row index from the snapshot; returns the number of rows.
	 * Nothing may point into an older snapshot afterwards. */
	size_t (*rows)(struct view *v, const struct console_snapshot *s);
	void (*cells)(struct view *v, const struct console_snapshot *s, size_t row,
		      struct row *out);
	/* A stable id per row, so the cursor stays on it across reloads. */
	const char *(*row_id)(struct view *v, const struct console_snapshot *s, size_t row);
	/* What `y` copies; NULL: the row id. */
	const char *(*yank)(struct view *v, const struct console_snapshot *s, size_t row);
	/* The breadcrumb for this view ("ubuntu-24.04 › publications"), into buf. */
	void (*title)(struct view *v, const struct console_snapshot *s, char *buf, size_t len);
	/* View-specific actions; R_PASS hands the action to the engine. */
	int (*request)(struct view *v, struct console *c, enum action a, const char *arg);
	void (*done)(struct view *v);
	/* Draws the body itself instead of rows of cells (the log view); NULL: rows. */
	void (*paint)(struct view *v, struct console *c, int y0, int height);
};

struct view {
	const struct view_ops *ops;
	struct console *console;        /* for the keymap and flags; views never reach the store */
	struct view *parent;            /* Esc goes back here */
	size_t nrows;
	size_t cur;                     /* selected row */
	size_t top;                     /* first row on screen */
	char sel_id[160];               /* id of the selected row, kept across reloads */
	char arg[160];                  /* platform id, publication id, … */
	bool show_all;                  /* publications: retired and purged too */
	char search[256];               /* last `/` pattern */
	void *priv;                     /* the view's row index, freed by ops->done */
};

/* --- for views --- */

const struct console_snapshot *console_snapshot(const struct console *c);
const struct keymap *console_keymap(const struct console *c);
bool console_read_only(const struct console *c);
/* The last action's result, shown on the bottom line until the next action. */
void console_message(struct console *c, enum style st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Pushes a view on top of the current one (Esc returns). */
struct view *console_push(struct console *c, const struct view_ops *ops, const char *arg);

/* Opens the rollback dialog for making pub_id the platform's default, or says in the
 * status line why it cannot be done. Returns R_* for the view's request. */
int console_rollback_dialog(struct console *c, dk_promote_action action,
			    const char *platform_id, const char *pub_id);
/* The approve / reject dialog for an approval, and the rotate-secret / revoke dialog for
 * a webhook (tui/dialog_ops.c): Cancel focused, the outcome in the status line. */
int console_approval_dialog(struct console *c, bool approve, const char *approval_id);
int console_webhook_dialog(struct console *c, bool rotate, const char *webhook_id);
/* `d` in runs (tui/dialog_dispatch.c): the build workflow of `repo` (the platform's build
 * repo) with its inputs; Cancel focused; the dispatch runs on the Gitea worker. */
int console_dispatch_dialog(struct console *c, const char *platform, const char *repo);
/* Acknowledges an alert as the operator; the status line says how it went. */
int console_alert_ack(struct console *c, int64_t alert_id);

/* The views, one file each in views/. */
extern const struct view_ops overview_view, publications_view, publication_view,
	events_view, alerts_view, help_view;
extern const struct view_ops webhooks_view, deliveries_view, workers_view, approvals_view;
extern const struct view_ops runs_view, jobs_view, log_view;
/* views/log.c: `:logs JOB` and `--log FILE`. */
int log_open_job(struct console *c, const char *repo, long long job_id, const char *name);
int log_open_file(struct console *c, const char *path);
/* Runs fn(arg) on the loop thread at its next turn (incremental work such as indexing). */
void console_later(struct console *c, void (*fn)(void *), void *arg);
/* Runs fn(arg) every interval_ms on the loop thread. */
int console_every(struct console *c, int interval_ms, void (*fn)(void *), void *arg);
/* Asks for a repaint at the loop's next turn. */
void console_redraw(struct console *c);

/* --- shared helpers for cells (tui/draw.c) --- */

/* printf into a cell. */
void cell_set(struct cell *c, enum style st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Colour for a publication or platform status name. */
enum style style_for_status(const char *status);
enum style style_for_severity(const char *severity);
/* Text fitted into width columns at y, x, for views that paint themselves. */
void draw_text(int y, int x, int width, const char *text, int attr);
/* One character of s: its bytes, and its display width (control or invalid → 1 column). */
size_t text_next_char(const char *s, size_t left, int *width, bool *control);
/* "1.2 GiB"; "-" for <= 0. */
const char *human_size(char *buf, size_t len, int64_t bytes);

#endif
