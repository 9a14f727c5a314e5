#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#include <curses.h>

#include "engine.h"

size_t
text_next_char(const char *s, size_t left, int *width, bool *control)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;
	int w;

	memset(&st, 0, sizeof(st));
	n = mbrtowc(&wc, s, left, &st);
	*control = false;
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*width = 1;
		*control = true;
		return 1;
	}
	w = wcwidth(wc);
	if (w < 0) {
		*width = 1;
		*control = true;
		return n;
	}
	*width = w;
	return n;
}

char *
text_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int
text_width(const char *s)
{
	size_t left = strlen(s), n;
	int total = 0, w;
	bool ctl;

	while (left) {
		n = text_next_char(s, left, &w, &ctl);
		total += w;
		s += n;
		left -= n;
	}
	return total;
}

void
text_fit(char *dst, size_t dstlen, const char *src, int width, bool right)
{
	const char *ell = term_glyph(G_ELLIPSIS);
	size_t left = strlen(src), o = 0, n;
	int total = text_width(src), used = 0, w, room;
	bool ctl, cut = total > width;

	if (dstlen == 0)
		return;
	dst[0] = '\0';
	if (width <= 0)
		return;
	/* Leave a column for the ellipsis when the text does not fit. */
	room = cut ? width - 1 : width;
	if (right && !cut) {
		for (int i = total; i < width && o + 1 < dstlen; i++)
			dst[o++] = ' ';
	}
	while (left) {
		n = text_next_char(src, left, &w, &ctl);
		if (used + w > room || o + n + 1 >= dstlen)
			break;
		if (ctl) {
			dst[o++] = ' ';
		} else {
			memcpy(dst + o, src, n);
			o += n;
		}
		used += w;
		src += n;
		left -= n;
	}
	if (cut && o + strlen(ell) + 1 < dstlen) {
		memcpy(dst + o, ell, strlen(ell));
		o += strlen(ell);
		used++;
	}
	while (used < width && o + 1 < dstlen) {
		dst[o++] = ' ';
		used++;
	}
	dst[o] = '\0';
}

static void
put(int y, int x, int width, const char *text, bool right, int attr)
{
	char buf[CELL_BYTES * 4];

	if (width <= 0)
		return;
	text_fit(buf, sizeof(buf), text, width, right);
	attrset(attr);
	mvaddstr(y, x, buf);
}

void
draw_text(int y, int x, int width, const char *text, int attr)
{
	put(y, x, width, text, false, attr);
}

void
cell_set(struct cell *c, enum style st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
	c->style = st;
}

enum style
style_for_status(const char *s)
{
	if (!s)
		return ST_NORMAL;
	if (strcmp(s, "published") == 0)
		return ST_GOOD;
	if (strcmp(s, "failed") == 0)
		return ST_BAD;
	if (strcmp(s, "retired") == 0 || strcmp(s, "purged") == 0 || strcmp(s, "none") == 0)
		return ST_DIM;
	return ST_WARN;
}

enum style
style_for_severity(const char *s)
{
	if (!s)
		return ST_NORMAL;
	if (strcmp(s, "error") == 0 || strcmp(s, "critical") == 0)
		return ST_BAD;
	if (strcmp(s, "warning") == 0)
		return ST_WARN;
	if (strcmp(s, "debug") == 0)
		return ST_DIM;
	return ST_NORMAL;
}

const char *
human_size(char *buf, size_t len, int64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	if (bytes <= 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	/* At most 8 columns ("1023 MiB"), so size columns never truncate. */
	if (u == 0)
		snprintf(buf, len, "%lld B", (long long)bytes);
	else if (v < 10)
		snprintf(buf, len, "%.1f %s", v, units[u]);
	else
		snprintf(buf, len, "%.0f %s", v, units[u]);
	return buf;
}

/* Widths for this screen: fixed columns as declared, flex ones share what is left. */
static void
layout_columns(const struct view_ops *ops, int cols, int *widths)
{
	int fixed = 0, nflex = 0, avail, extra, rem;

	for (int i = 0; i < ops->ncolumns; i++) {
		widths[i] = ops->columns[i].width;
		fixed += widths[i] + (i ? 1 : 0);
		if (ops->columns[i].flags & COL_FLEX)
			nflex++;
	}
	avail = cols - 2 - fixed;       /* a blank column on either side */
	if (avail <= 0 || nflex == 0)
		return;
	extra = avail / nflex;
	rem = avail % nflex;
	for (int i = 0; i < ops->ncolumns; i++) {
		if (!(ops->columns[i].flags & COL_FLEX))
			continue;
		/* The first flex column takes the remainder so the row ends at the edge. */
		widths[i] += extra + rem;
		rem = 0;
	}
}

static void
paint_rows(struct console *c, struct view *v, int y0, int height)
{
	const struct view_ops *ops = v->ops;
	int widths[MAX_COLUMNS], x, attr;
	struct row row;

	layout_columns(ops, COLS, widths);
	x = 1;
	for (int i = 0; i < ops->ncolumns; i++) {
		put(y0, x, widths[i], ops->columns[i].title, ops->columns[i].flags & COL_RIGHT,
		    term_attr(ST_HEADER));
		x += widths[i] + 1;
	}
	for (int y = 0; y < height; y++) {
		size_t r = v->top + (size_t)y;
		bool selected = r == v->cur;
		int base;

		if (r >= v->nrows)
			break;
		memset(&row, 0, sizeof(row));
		ops->cells(v, c->snap, r, &row);
		base = selected ? term_attr(ST_SELECTED) : term_attr(row.style);
		attrset(base);
		mvhline(y0 + 1 + y, 0, ' ', COLS);
		x = 1;
		for (int i = 0; i < ops->ncolumns; i++) {
			/* The cursor row is one plain reverse bar: colours on it would be unreadable. */
			attr = selected ? base | (int)A_BOLD : base | term_attr(row.cell[i].style);
			if (v->search[0] && strcasestr(row.cell[i].text, v->search))
				attr |= term_attr(ST_MATCH);
			put(y0 + 1 + y, x, widths[i], row.cell[i].text,
			    ops->columns[i].flags & COL_RIGHT, attr);
			x += widths[i] + 1;
		}
	}
	if (v->nrows == 0)
		put(y0 + 2, 2, COLS - 4, "(nothing here yet)", false, term_attr(ST_DIM));
}

static void
breadcrumb(struct console *c, struct view *v, char *buf, size_t len)
{
	char part[192];
	size_t used;

	if (v->parent)
		breadcrumb(c, v->parent, buf, len);
	else
		snprintf(buf, len, "diskops");
	if (v->ops->title)
		v->ops->title(v, c->snap, part, sizeof(part));
	else
		snprintf(part, sizeof(part), "%s", v->ops->name);
	used = strlen(buf);
	snprintf(buf + used, len - used, " %s %s", term_glyph(G_ARROW), part);
}

static void
paint_title(struct console *c)
{
	char left[512], right[64];
	int rw;

	/* No "refreshed HH:MM:SS": every serve heartbeat is a new snapshot, and a clock that
	 * moves with it would be the only thing an idle console ever writes. */
	breadcrumb(c, c->view, left, sizeof(left));
	snprintf(right, sizeof(right), "%zu/%zu ", c->view->nrows ? c->view->cur + 1 : 0,
		 c->view->nrows);
	rw = text_width(right);
	attrset(term_attr(ST_BAR));
	mvhline(0, 0, ' ', COLS);
	put(0, 1, COLS - rw - 2, left, false, term_attr(ST_BAR) | A_BOLD);
	put(0, COLS - rw, rw, right, true, term_attr(ST_BAR));
}

static void
paint_status(struct console *c)
{
	char left[512];

	status_bar_text(c, left, sizeof(left), COLS - 2);
	attrset(term_attr(ST_BAR));
	mvhline(LINES - 2, 0, ' ', COLS);
	put(LINES - 2, 1, COLS - 2, left, false, term_attr(ST_BAR));
}

static void
paint_bottom(struct console *c)
{
	char line[512], k[5][32];

	attrset(A_NORMAL);
	move(LINES - 1, 0);
	clrtoeol();
	if (c->prompt.active) {
		int x;

		snprintf(line, sizeof(line), "%c", c->prompt.kind);
		put(LINES - 1, 0, 1, line, false, A_NORMAL);
		x = text_input_draw(&c->prompt.in, LINES - 1, 1, COLS - 2, A_NORMAL);
		/* The cursor shows where typing goes. */
		move(LINES - 1, 1 + x);
		return;
	}
	if (c->message[0]) {
		put(LINES - 1, 1, COLS - 2, c->message, false, term_attr(c->message_style));
		return;
	}
	keymap_describe(&c->keymap, ACT_HELP, k[0], sizeof(k[0]));
	keymap_describe(&c->keymap, ACT_PROMPT, k[1], sizeof(k[1]));
	keymap_describe(&c->keymap, ACT_SEARCH, k[2], sizeof(k[2]));
	keymap_describe(&c->keymap, ACT_CLOSE, k[3], sizeof(k[3]));
	keymap_describe(&c->keymap, ACT_QUIT, k[4], sizeof(k[4]));
	/* Only the first key of each, so the hint stays short. */
	for (int i = 0; i < 5; i++)
		k[i][strcspn(k[i], ",")] = '\0';
	snprintf(line, sizeof(line), "%s help  %s command  %s search  %s close  %s quit",
		 k[0], k[1], k[2], k[3], k[4]);
	put(LINES - 1, 1, COLS - 2, line, false, term_attr(ST_DIM));
}

static void
paint_too_small(void)
{
	char line[128];
	int y = LINES / 2 - 1;

	attrset(A_NORMAL);
	erase();
	snprintf(line, sizeof(line), "terminal too small: %dx%d", COLS, LINES);
	mvaddnstr(y > 0 ? y : 0, 0, line, COLS);
	snprintf(line, sizeof(line), "the console needs at least %dx%d", MIN_COLS, MIN_ROWS);
	mvaddnstr(y + 1, 0, line, COLS);
	mvaddnstr(y + 2, 0, "Q quits", COLS);
}

void
console_paint(struct console *c)
{
	if (c->clear) {
		clearok(curscr, TRUE);
		c->clear = false;
	}
	curs_set(c->prompt.active ? 1 : 0);
	if (COLS < MIN_COLS || LINES < MIN_ROWS) {
		paint_too_small();
	} else {
		paint_title(c);
		attrset(A_NORMAL);
		for (int y = 1; y < LINES - 2; y++) {
			move(y, 0);
			clrtoeol();
		}
		if (c->view->ops->paint)
			c->view->ops->paint(c->view, c, 1, view_body_height() + 1);
		else
			paint_rows(c, c->view, 1, view_body_height());
		paint_status(c);
		paint_bottom(c);
		/* Last, over the rows: a resize repaints it centred on the new size. */
		if (c->dialog.active)
			dialog_paint(c);
	}
	wnoutrefresh(stdscr);
	doupdate();
}
