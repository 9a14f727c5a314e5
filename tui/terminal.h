#ifndef DISKOPS_TUI_TERMINAL_H
#define DISKOPS_TUI_TERMINAL_H

#include <stdbool.h>

/*
 * The terminal: curses set-up and teardown, signals, styles, glyphs, OSC 52 and the
 * text dump. Signal handlers here only set flags and write to the loop's self-pipe; the
 * loop then calls term_take_resize/term_take_quit. Fatal signals restore the terminal
 * with write(2) of strings looked up at start-up, never with curses.
 */

struct term_opts {
	bool no_color;          /* --no-color or NO_COLOR: start_color is never called */
	bool ascii;             /* --ascii, or a locale that is not UTF-8 */
	bool mouse;             /* --mouse; off by default so text selection works */
};

/* Semantic styles; the terminal layer decides what each looks like (or not, in mono). */
enum style {
	ST_NORMAL = 0,
	ST_BAR,                 /* title and status bars */
	ST_HEADER,              /* column headings */
	ST_SELECTED,            /* the cursor row */
	ST_GOOD,
	ST_WARN,
	ST_BAD,
	ST_DIM,
	ST_GROUP,               /* help headings */
	ST_MATCH,               /* search hits */
	ST__COUNT
};

enum glyph {
	G_ELLIPSIS,
	G_SEP,                  /* status bar separator */
	G_DEFAULT,              /* the platform's default publication */
	G_CHECK,
	G_CROSS,
	G_ARROW,                /* breadcrumbs */
	/* dialog frames, as text: ACS line drawing does not survive capture-pane or aha */
	G_HLINE, G_VLINE, G_UL, G_UR, G_LL, G_LR,
	G__COUNT
};

/* Before curses: true when the locale's codeset is UTF-8. */
bool term_locale_utf8(void);

int term_init(const struct term_opts *opts, int wake_fd);
void term_end(void);

/* The curses attributes of a style. */
int term_attr(enum style st);
const char *term_glyph(enum glyph g);
/* The colour pair of an ANSI foreground and background (0–7, -1 default) as curses
 * attributes; 0 when colour is off (NO_COLOR, --no-color, a mono terminal). */
int term_ansi_attr(int fg, int bg);

/* Signal flags, consumed by the loop. A taken resize has already resized curses, so the
 * next input read returns KEY_RESIZE. */
bool term_take_resize(void);
bool term_take_quit(void);

/* Copies text to the local clipboard: OSC 52, also wrapped for tmux when $TMUX is set. */
void term_osc52(const char *text);
/* Writes the screen as plain UTF-8 text, trailing blanks trimmed. */
int term_save_display(const char *path);

#endif
