/*
 * A dialog's one-line text field: the editing keys people bring from readline and every
 * shell (arrows, Home/End, Delete, C-a C-e C-b C-f C-d C-u C-k C-w) over UTF-8 text, and
 * a painter that scrolls a long value so the cursor stays in sight.
 */
#include <stdio.h>
#include <string.h>
#include <curses.h>

#include "engine.h"

void
text_input_set(struct text_input *t, const char *s)
{
	snprintf(t->text, sizeof(t->text), "%s", s ? s : "");
	t->len = strlen(t->text);
	t->cur = t->len;
}

static size_t
prev_char(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[--i] & 0xC0) == 0x80)
		;
	return i;
}

static size_t
next_char(const char *s, size_t len, size_t i)
{
	if (i < len)
		i++;
	while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
		i++;
	return i;
}

/* Removes bytes [from, to) and keeps the cursor on the same text. */
static void
cut(struct text_input *t, size_t from, size_t to)
{
	memmove(t->text + from, t->text + to, t->len - to);
	t->len -= to - from;
	t->text[t->len] = '\0';
	if (t->cur >= to)
		t->cur -= to - from;
	else if (t->cur > from)
		t->cur = from;
}

/* Bytes a UTF-8 character starting with c takes: a lead byte is only let in with room
 * for its whole character, so the text never ends in half of one. */
static size_t
char_bytes(unsigned char c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

bool
text_input_key(struct text_input *t, int key)
{
	size_t i;

	switch (key) {
	case KEY_LEFT:
	case 2:                 /* C-b */
		t->cur = prev_char(t->text, t->cur);
		return true;
	case KEY_RIGHT:
	case 6:                 /* C-f */
		t->cur = next_char(t->text, t->len, t->cur);
		return true;
	case KEY_HOME:
	case 1:                 /* C-a */
		t->cur = 0;
		return true;
	case KEY_END:
	case 5:                 /* C-e */
		t->cur = t->len;
		return true;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		cut(t, prev_char(t->text, t->cur), t->cur);
		return true;
	case KEY_DC:
	case 4:                 /* C-d */
		cut(t, t->cur, next_char(t->text, t->len, t->cur));
		return true;
	case 21:                /* C-u: to the start */
		cut(t, 0, t->cur);
		return true;
	case 11:                /* C-k: to the end */
		cut(t, t->cur, t->len);
		return true;
	case 23:                /* C-w: the word before the cursor, and the blanks after it */
		for (i = t->cur; i > 0 && t->text[i - 1] == ' '; i--)
			;
		for (; i > 0 && t->text[i - 1] != ' '; i--)
			;
		cut(t, i, t->cur);
		return true;
	}
	if (key < ' ' || key >= 256)
		return false;
	/* UTF-8 arrives a byte at a time; each goes in at the cursor, which then moves on. */
	if (t->len + (((unsigned)key & 0xC0) == 0x80 ? 1 : char_bytes((unsigned char)key)) >=
	    sizeof(t->text))
		return true;
	memmove(t->text + t->cur + 1, t->text + t->cur, t->len - t->cur);
	t->text[t->cur++] = (char)key;
	t->text[++t->len] = '\0';
	return true;
}

int
text_input_draw(const struct text_input *t, int y, int x, int w, int attr)
{
	char head[sizeof(t->text)];
	size_t start = 0;

	/* Long text scrolls: from the first character that leaves the cursor in sight. */
	for (;;) {
		snprintf(head, sizeof(head), "%.*s", (int)(t->cur - start), t->text + start);
		if (text_width(head) <= w - 1 || start >= t->cur)
			break;
		start = next_char(t->text, t->len, start);
	}
	attrset(attr);
	mvhline(y, x, ' ', w);
	draw_text(y, x, w - 1, t->text + start, attr);
	return text_width(head);
}
