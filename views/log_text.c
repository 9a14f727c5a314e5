/*
 * One line of a job log as the operator sees it: ANSI escapes turned into curses
 * attributes (SGR) or dropped, carriage-return redraws collapsed, tabs expanded, search
 * hits highlighted, and the line drawn cut at the edge or wrapped.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <curses.h>

#include "console.h"
#include "diskops/logbuf.h"
#include "log_text.h"

struct sgr {
	int fg, bg;
	int flags;
};

static int
sgr_attr(const struct sgr *s)
{
	return term_ansi_attr(s->fg, s->bg) | s->flags;
}

/* ESC [ params m: the colours and weights a build tool prints. */
static void
apply_sgr(struct sgr *s, const char *p, size_t n)
{
	int v[16], nv = 0, cur = 0;
	bool have = false;

	for (size_t i = 0; i < n && nv < 16; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			cur = cur * 10 + (p[i] - '0');
			have = true;
		} else {
			v[nv++] = have ? cur : 0;
			cur = 0;
			have = false;
		}
	}
	if (nv < 16)
		v[nv++] = have ? cur : 0;
	for (int i = 0; i < nv; i++) {
		int x = v[i];

		if (x == 0) {
			s->fg = s->bg = -1;
			s->flags = 0;
		} else if (x == 1) {
			s->flags |= A_BOLD;
		} else if (x == 2) {
			s->flags |= A_DIM;
		} else if (x == 4) {
			s->flags |= A_UNDERLINE;
		} else if (x == 7) {
			s->flags |= A_REVERSE;
		} else if (x == 22) {
			s->flags &= ~(A_BOLD | A_DIM);
		} else if (x == 24) {
			s->flags &= ~A_UNDERLINE;
		} else if (x == 27) {
			s->flags &= ~A_REVERSE;
		} else if (x >= 30 && x <= 37) {
			s->fg = x - 30;
		} else if (x == 39) {
			s->fg = -1;
		} else if (x >= 40 && x <= 47) {
			s->bg = x - 40;
		} else if (x == 49) {
			s->bg = -1;
		} else if (x >= 90 && x <= 97) {
			s->fg = x - 90;
			s->flags |= A_BOLD;
		} else if (x >= 100 && x <= 107) {
			s->bg = x - 100;
		} else if ((x == 38 || x == 48) && i + 1 < nv) {
			/* 256 colours: the first 16 map onto ours; the rest and RGB are skipped. */
			if (v[i + 1] == 5 && i + 2 < nv) {
				int c = v[i + 2];

				if (c < 16) {
					if (x == 38)
						s->fg = c % 8;
					else
						s->bg = c % 8;
				}
				i += 2;
			} else if (v[i + 1] == 2) {
				i += 4;
			}
		}
	}
}

static void
put_byte(struct shown *o, char ch, int attr)
{
	if (o->len + 1 < PLAIN_MAX) {
		o->text[o->len] = ch;
		o->attr[o->len++] = attr;
	}
}

/* Escapes parsed (SGR) or dropped (the rest), \r keeps what was drawn last, tabs expand. */
void
log_text_shape(struct shown *o, const char *p, size_t n, size_t full, bool stamps)
{
	struct sgr s = { -1, -1, 0 };
	size_t i = stamps ? 0 : dk_log_time_prefix(p, n);
	int col = 0, attr = 0;

	o->len = 0;
	while (i < n) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == 0x1b && i + 1 < n && p[i + 1] == '[') {
			size_t j = i + 2;

			while (j < n && ((unsigned char)p[j] < 0x40 || (unsigned char)p[j] > 0x7e))
				j++;
			if (j < n && p[j] == 'm') {
				apply_sgr(&s, p + i + 2, j - i - 2);
				attr = sgr_attr(&s);
			}
			i = j + 1;
		} else if (ch == 0x1b && i + 1 < n && p[i + 1] == ']') {
			size_t j = i + 2;

			while (j < n && p[j] != '\a' && !(p[j] == 0x1b && j + 1 < n && p[j + 1] == '\\'))
				j++;
			i = j < n && p[j] == 0x1b ? j + 2 : j + 1;
		} else if (ch == 0x1b) {
			i += 2;
		} else if (ch == '\r') {
			/* A progress bar redraws its line: show the last state. */
			if (i + 1 < n) {
				o->len = 0;
				col = 0;
			}
			i++;
		} else if (ch == '\t') {
			do {
				put_byte(o, ' ', attr);
			} while (++col % 8);
			i++;
		} else if (ch < 0x20 || ch == 0x7f) {
			put_byte(o, '?', attr);
			col++;
			i++;
		} else {
			put_byte(o, (char)ch, attr);
			col += (ch & 0xC0) != 0x80;
			i++;
		}
	}
	if (full > n) {
		char more[64];
		int k = snprintf(more, sizeof(more), " [+%zu bytes cut]", full - n);

		for (int j = 0; j < k; j++)
			put_byte(o, more[j], A_REVERSE);
	}
	o->text[o->len] = '\0';
}

void
log_text_highlight(struct shown *o, const char *pat)
{
	size_t n = strlen(pat);
	const char *p = o->text;
	int hit = term_attr(ST_MATCH) | A_REVERSE;

	if (!n)
		return;
	/* Case-insensitive, as the generic search is. */
	while ((p = strcasestr(p, pat))) {
		for (size_t k = 0; k < n; k++)
			o->attr[(p - o->text) + (ptrdiff_t)k] = hit;
		p += n;
	}
}

int
log_text_rows(const struct shown *o, int width)
{
	size_t i = 0;
	int rows = 1, col = 0, w;
	bool control;

	while (i < o->len) {
		size_t n = text_next_char(o->text + i, o->len - i, &w, &control);

		if (col + w > width) {
			rows++;
			col = 0;
		}
		col += w;
		i += n;
	}
	return rows;
}

int
log_text_draw(const struct shown *o, int y, int x0, int width, int max, bool wrap)
{
	size_t i = 0;
	int row = 0, col = 0, w;
	bool control;

	move(y, x0);
	while (i < o->len) {
		size_t n = text_next_char(o->text + i, o->len - i, &w, &control);

		if (col + w > width) {
			if (!wrap) {
				/* The edge: the last column says there is more. */
				attrset(term_attr(ST_DIM));
				mvaddstr(y + row, x0 + width - 1, term_glyph(G_ELLIPSIS));
				return 1;
			}
			if (++row >= max)
				return row;
			col = 0;
			move(y + row, x0);
		}
		attrset(o->attr[i]);
		addnstr(o->text + i, (int)n);
		col += w;
		i += n;
	}
	return row + 1;
}
